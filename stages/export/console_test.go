package export

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// consoleText renders run through Console.
func consoleText(t *testing.T, run *pipeline.Run) string {
	t.Helper()
	var b strings.Builder
	if err := Console(&b, run); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sectionOf returns the console section that starts with title, up to the
// next blank line followed by an upper-case title.
func sectionOf(t *testing.T, con, title string) string {
	t.Helper()
	i := strings.Index(con, "\n"+title+"\n")
	if i < 0 {
		t.Fatalf("no section %q in\n%s", title, con)
	}
	s := con[i+1:]
	if j := regexp.MustCompile(`\n\n[A-Z]`).FindStringIndex(s); j != nil {
		s = s[:j[0]]
	}
	return s
}

func TestConsoleNeverShowsTwoGroupsAlike(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// Both names are 45 runes and differ only in their last rune, well past
	// the 34-rune cap of a console label.
	long := "alcf-sophia-vllm-a100/openai/gpt-oss-120b-ctx"
	run.Results.Groups[0].Platform, run.Results.Groups[0].Model = "alcf-sophia-vllm-a100", "openai/gpt-oss-120b-ctx-a"
	run.Results.Groups[1].Platform, run.Results.Groups[1].Model = "alcf-sophia-vllm-a100", "openai/gpt-oss-120b-ctx-b"
	con := consoleText(t, run)
	for _, title := range []string{"LATENCY (ms)", "TIME TO FIRST TOKEN (ms)", "THROUGHPUT", "SUCCESS RATE", "ACCURACY (%)"} {
		t.Run("the "+title+" rows of the two groups start differently", func(t *testing.T) {
			lines := strings.Split(sectionOf(t, con, title), "\n")
			if len(lines) < 4 {
				t.Fatalf("section too short:\n%s", strings.Join(lines, "\n"))
			}
			a, b := strings.Fields(lines[2])[0], strings.Fields(lines[3])[0]
			if a == b {
				t.Errorf("rows %q and %q share the label %q", lines[2], lines[3], a)
			}
		})
	}
	t.Run("a legend maps each label to the whole platform, model and temperature", func(t *testing.T) {
		legend := sectionOf(t, con, "GROUPS")
		for i, g := range run.Results.Groups {
			lbl := letterLabel(i)
			want := regexp.MustCompile(`(?m)^  ` + lbl + `\s+platform ` + regexp.QuoteMeta(g.Platform) + `, model ` + regexp.QuoteMeta(g.Model) + `, temperature 0\.7$`)
			if !want.MatchString(legend) {
				t.Errorf("no legend line for %s -> %s/%s in\n%s", lbl, g.Platform, g.Model, legend)
			}
		}
		if strings.Contains(con, "…") || strings.Contains(con, long) {
			t.Errorf("a clipped or long label remains in\n%s", con)
		}
	})
	t.Run("short names are shown whole with no legend", func(t *testing.T) {
		con := consoleText(t, fixtureRun(t, t.TempDir()))
		if strings.Contains(con, "\nGROUPS\n") || lineWith(sectionOf(t, con, "LATENCY (ms)"), "metis/gpt-oss-120b") == "" {
			t.Errorf("short labels replaced:\n%s", con)
		}
	})
}

func TestLetterLabels(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := letterLabel(i); got != want {
			t.Errorf("letterLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

// servingRun is a hand-made run of two groups with round figures:
// metis ran 10 s, sophia-sim 20 s, and sophia-sim had no successful request.
func servingRun(t *testing.T) *pipeline.Run {
	run := fixtureRun(t, t.TempDir())
	run.Experiment.Export.Detail = true // the vLLM-style block is the detailed console's
	d := func(n int, mean, p50, p99 float64) results.Dist {
		return results.Dist{N: n, Mean: mean, P50: p50, P99: p99}
	}
	m := &run.Results.Groups[0]
	m.Count, m.Successes, m.WallSeconds, m.RequestThroughput, m.SendRate = 6, 4, 10, 0.4, 0.6
	m.PromptTokens, m.OutputTokens, m.Throughput = 400, 250, 25
	m.TTFTMs, m.TPOTMs, m.ITLMs, m.LatencyMs = d(4, 101, 99, 150.5), d(4, 12.5, 12, 20), d(40, 11, 10.5, 30), d(4, 900, 880, 1234.56)
	m.Goodput, m.GoodputRate = 0.5, 0.3
	s := &run.Results.Groups[1]
	s.Count, s.Successes, s.WallSeconds, s.RequestThroughput, s.SendRate = 6, 0, 20, 0, 0.3
	s.PromptTokens, s.OutputTokens, s.Throughput = 240, 0, 0
	s.TTFTMs, s.TPOTMs, s.ITLMs, s.LatencyMs = results.Dist{}, results.Dist{}, results.Dist{}, results.Dist{}
	s.Goodput, s.GoodputRate = 0, 0
	run.Experiment.SLO = config.SLOSpec{TTFT: config.Duration(500 * time.Millisecond)}
	for i := range run.Records {
		r := &run.Records[i]
		r.Attempts, r.HTTP429, r.HTTPStatus = 1, 0, 0
		switch {
		case r.Warmup:
			r.Attempts, r.HTTP429 = 5, 4 // warmups are left out
		case r.Platform == "metis" && r.SampleID == "q1" && r.Repeat == 0:
			r.Attempts, r.HTTP429 = 3, 2 // two 429s retried away
		case r.Platform == "metis" && r.SampleID == "q2" && r.Repeat == 1:
			r.Attempts, r.HTTP429 = 2, 0 // a 5xx retried away
		case r.Platform == "sophia-sim" && r.SampleID == "q3" && r.Repeat == 0:
			r.Attempts, r.HTTPStatus = 3, 429 // an old record: only the last 429 is known
		}
	}
	return run
}

func TestConsoleServingBlock(t *testing.T) {
	run := servingRun(t)
	block := sectionOf(t, consoleText(t, run), "SERVING BENCHMARK RESULT (per group, as vllm bench serve)")
	cells := func(label string) []string {
		l := lineWith(block, label)
		if l == "" {
			t.Fatalf("no %q line in\n%s", label, block)
		}
		return strings.Fields(strings.TrimPrefix(l, label))
	}
	if h := strings.Fields(strings.Split(block, "\n")[2]); len(h) != 2 || h[0] != "metis/gpt-oss-120b" || h[1] != "sophia-sim/gpt-oss-120b" {
		t.Fatalf("column heads %q", h)
	}
	for _, tc := range []struct {
		label string
		want  []string
	}{
		{"Successful requests", []string{"4/6", "0/6"}},
		{"Benchmark duration (s)", []string{"10.00", "20.00"}},
		{"Total input tokens", []string{"400", "240"}},
		{"Total output tokens", []string{"250", "0"}},
		{"Request throughput (req/s)", []string{"0.40", "0.00"}}, // successful requests / duration, as vLLM: 4/10, 0/20 (not the 0.6 and 0.3 sent)
		{"Output token throughput (tok/s)", []string{"25.00", "0.00"}},
		{"Total token throughput (tok/s)", []string{"65.00", "12.00"}}, // (400+250)/10, (240+0)/20
		{"Mean TTFT (ms)", []string{"101.00", "-"}},
		{"Median TTFT (ms)", []string{"99.00", "-"}},
		{"P99 TTFT (ms)", []string{"150.50", "-"}},
		{"Mean TPOT (ms)", []string{"12.50", "-"}},
		{"Median TPOT (ms)", []string{"12.00", "-"}},
		{"P99 TPOT (ms)", []string{"20.00", "-"}},
		{"Mean ITL (ms)", []string{"11.00", "-"}},
		{"Median ITL (ms)", []string{"10.50", "-"}},
		{"P99 ITL (ms)", []string{"30.00", "-"}},
		{"Mean E2E (ms)", []string{"900.00", "-"}},
		{"Median E2E (ms)", []string{"880.00", "-"}},
		{"P99 E2E (ms)", []string{"1234.56", "-"}},
		{"Requests meeting the SLO (%)", []string{"50.0", "0.0"}},
		{"Request goodput (req/s)", []string{"0.30", "0.00"}},
		{"Retries (attempts - 1)", []string{"3", "2"}},
		{"Attempts answered HTTP 429", []string{"2", "1"}},
	} {
		t.Run(tc.label+" is "+strings.Join(tc.want, " and "), func(t *testing.T) {
			if got := cells(tc.label); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %q", got)
			}
		})
	}
	t.Run("the goodput heading names the SLO", func(t *testing.T) {
		if !strings.Contains(block, " Goodput (ttft <= 500ms) ") {
			t.Errorf("no SLO heading in\n%s", block)
		}
	})
	t.Run("without an SLO there is no goodput", func(t *testing.T) {
		run := servingRun(t)
		run.Experiment.SLO = config.SLOSpec{}
		if strings.Contains(consoleText(t, run), "goodput") {
			t.Error("goodput shown without an SLO")
		}
	})
	t.Run("many groups are split into blocks that fit in 100 columns", func(t *testing.T) {
		run := servingRun(t)
		for i := 0; i < 6; i++ {
			g := run.Results.Groups[i%2]
			g.Platform = g.Platform + "-" + letterLabel(i)
			run.Results.Groups = append(run.Results.Groups, g)
		}
		block := sectionOf(t, consoleText(t, run), "SERVING BENCHMARK RESULT (per group, as vllm bench serve)")
		for _, l := range strings.Split(block, "\n") {
			if n := len([]rune(l)); n > consoleWidth {
				t.Errorf("%d columns: %q", n, l)
			}
		}
		if got := strings.Count(block, "Mean TTFT (ms)"); got < 2 {
			t.Errorf("%d blocks for 8 groups", got)
		}
	})
}

func TestReportShowsRetriesAnd429s(t *testing.T) {
	run := servingRun(t)
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if err := HTML(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	html, _ := os.ReadFile(filepath.Join(run.Dir, HTMLFile))
	t.Run("report.md has a row per group with retries and 429 answers", func(t *testing.T) {
		i := strings.Index(string(md), "## Retries")
		if i < 0 {
			t.Fatalf("no Retries section in\n%s", md)
		}
		sec := string(md)[i:]
		for _, want := range []string{"| metis/gpt-oss-120b | 6 | 3 | 2 |", "| sophia-sim/gpt-oss-120b | 6 | 2 | 1 |"} {
			if !strings.Contains(sec, want) {
				t.Errorf("no %q in\n%s", want, sec)
			}
		}
	})
	t.Run("report.html has the same rows", func(t *testing.T) {
		want := `<tr><td>metis/gpt-oss-120b</td><td class="r">6</td><td class="r">3</td><td class="r">2</td>`
		if !strings.Contains(string(html), want) {
			t.Errorf("no %q in report.html", want)
		}
	})
}

func TestTheLegendTellsLoadLevelsApart(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	for i := range run.Results.Groups {
		g := &run.Results.Groups[i]
		g.Platform, g.Model = "alcf-sophia-vllm-a100", "openai/gpt-oss-120b-131072"
		g.Level = []string{"c=1", "c=16", "c=64", "c=128"}[i%4]
	}
	legend := sectionOf(t, consoleText(t, run), "GROUPS")
	for i, g := range run.Results.Groups {
		want := regexp.MustCompile(`(?m)^  ` + letterLabel(i) + `\s+platform .*, temperature 0\.7, load ` + regexp.QuoteMeta(g.Level) + `$`)
		if !want.MatchString(legend) {
			t.Errorf("no legend line for %s at load %s in\n%s", letterLabel(i), g.Level, legend)
		}
	}
}
