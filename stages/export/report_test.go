package export

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// validSVG parses b as XML and checks the root element is <svg>.
func validSVG(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("invalid SVG: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q", root)
	}
}

func TestMarkdownReport(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range []string{
		"# inferbench report: metis-vs-sophia",
		"## Setup", "## Results", "## Speedup against the baseline (sophia-sim)", "## Accuracy",
		"## Checks", "## Notable failures", "## Warnings", "## Plots", "## Metric definitions",
		"**metis is 2.00x faster than sophia-sim (95% CI 1.80-2.20, p&lt;0.001)**",
		"emulated (ttft 600ms, 150 tokens/s, accuracy 0.8)", "https://example.test/metis/v1",
		"| metis/gpt-oss-120b | 4 / 6 |",
		"Raise params.max_tokens",
		"FAIL `all(groups, .error_rate < 0.01)`",
		"| http_429 | 2 |", "rate limited, \"retry\" later",
		"fixture \\| with pipe",
		"| TPOT (time per output token) | (E2E latency - TTFT) / (output_tokens - 1)",
		"Hyndman-Fan type 7",
	} {
		t.Run("the report contains "+want, func(t *testing.T) {
			if !strings.Contains(md, want) {
				t.Fatalf("missing %q in\n%s", want, md)
			}
		})
	}
	t.Run("a table is well formed: every row has as many cells as the header", func(t *testing.T) {
		lines := strings.Split(md, "\n")
		cells := func(l string) int { return len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1)) }
		for i := 1; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], "|---") || strings.HasPrefix(lines[i], "| ---") {
				n := cells(lines[i-1])
				for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
					if cells(lines[j]) != n {
						t.Fatalf("line %d has %d cells, header %d: %q", j+1, cells(lines[j]), n, lines[j])
					}
				}
			}
		}
	})
	t.Run("every image link names a valid SVG file next to the report", func(t *testing.T) {
		links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(md, -1)
		if len(links) != 5 { // four group plots and the timeline
			t.Fatalf("%d image links", len(links))
		}
		for _, l := range links {
			if strings.Contains(l[1], "/") {
				t.Fatalf("link %q is not relative to the report folder", l[1])
			}
			svg, err := os.ReadFile(filepath.Join(run.Dir, l[1]))
			if err != nil {
				t.Fatal(err)
			}
			validSVG(t, svg)
		}
	})
	t.Run("no raw HTML from model output or config reaches the markdown", func(t *testing.T) {
		if strings.Contains(md, "<script") {
			t.Fatal("raw <script> in report.md")
		}
	})
}

func TestHTMLReport(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// model output and a platform name that would be dangerous if unescaped
	run.Records[0].ErrorDetail = "x"
	for i := range run.Records {
		if run.Records[i].Error == results.ErrEmptyContentLength {
			run.Records[i].ErrorDetail = scriptAnswer
		}
	}
	if err := HTML(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(run.Dir)
	t.Run("it is one self-contained file", func(t *testing.T) {
		if len(entries) != 1 || entries[0].Name() != HTMLFile {
			t.Fatalf("folder holds %v", entries)
		}
	})
	b, err := os.ReadFile(filepath.Join(run.Dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	t.Run("plots are inlined SVG", func(t *testing.T) {
		if n := strings.Count(h, "<svg"); n != 5 { // four group plots and the timeline
			t.Fatalf("%d inline svgs", n)
		}
		if strings.Contains(h, `src="`) || strings.Contains(h, "<?xml") {
			t.Fatal("external reference or XML declaration left in the HTML")
		}
	})
	t.Run("model output is escaped", func(t *testing.T) {
		if strings.Contains(h, scriptAnswer) {
			t.Fatal("raw <script> answer in report.html")
		}
		if !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatal("escaped error detail missing")
		}
	})
	t.Run("it says the same as the markdown report", func(t *testing.T) {
		for _, want := range []string{"<strong>metis is 2.00x faster than sophia-sim (95% CI 1.80-2.20, p&lt;0.001)</strong>",
			"<h2>Metric definitions</h2>", "<h2>Accuracy</h2>", "<code>all(groups, .error_rate &lt; 0.01)</code>", "<style>"} {
			if !strings.Contains(h, want) {
				t.Errorf("missing %q", want)
			}
		}
	})
}

func TestConsole(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	var buf bytes.Buffer
	if err := Console(&buf, run); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"INFERBENCH COMPARISON: metis-vs-sophia",
		"LATENCY (ms)", "TIME TO FIRST TOKEN (ms)", "THROUGHPUT", "SUCCESS RATE", "ACCURACY (%)",
		"SPEEDUP AND ACCURACY vs sophia-sim", "metis is 2.00x faster than sophia-sim",
		"CHECKS", "FAIL  all(groups, .error_rate < 0.01)", "PASS  group(",
		"empty_content_length=1 http_429=1", "4/6", "66.7%",
	} {
		t.Run("the table shows "+want, func(t *testing.T) {
			if !strings.Contains(out, want) {
				t.Fatalf("missing %q in\n%s", want, out)
			}
		})
	}
	t.Run("latency figures are formatted with one decimal in order mean min max median p95", func(t *testing.T) {
		re := regexp.MustCompile(`metis/gpt-oss-120b\s+900\.0\s+450\.0\s+1350\.0\s+855\.0\s+1170\.0`)
		if !re.MatchString(out) {
			t.Fatalf("no latency row in\n%s", out)
		}
	})
	t.Run("every line but a verdict fits in 100 columns", func(t *testing.T) {
		for _, l := range strings.Split(out, "\n") {
			if n := len([]rune(l)); n > consoleWidth && !isVerdictLine(run, l) {
				t.Fatalf("%d columns: %q", n, l)
			}
		}
	})
	t.Run("a run without results is an error", func(t *testing.T) {
		if err := Console(io.Discard, &pipeline.Run{}); err == nil {
			t.Fatal("want error")
		}
	})
}

func TestRegisterAddsEveryFormatAndTheConsole(t *testing.T) {
	reg := pipeline.NewRegistry()
	Register(reg)
	want := []string{"csv", "html", "json", "markdown", "xlsx"}
	if got := reg.ExporterNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("formats %v", got)
	}
	if reg.Console == nil {
		t.Fatal("console not set")
	}
	t.Run("every registered format writes its file", func(t *testing.T) {
		run := fixtureRun(t, t.TempDir())
		for _, name := range want {
			if err := reg.Exporters[name](context.Background(), run); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for _, f := range []string{ResultsJSONFile, RequestsCSVFile, SummaryCSVFile, XLSXFile, MarkdownFile, HTMLFile,
			PlotLatency, PlotTTFTCDF, PlotTokensPerSec, PlotF1} {
			if _, err := os.Stat(filepath.Join(run.Dir, f)); err != nil {
				t.Error(err)
			}
		}
	})
}

func TestTheReportSaysWhichShardsAndHostsAMergedRunJoined(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Manifest.Shards = []runfolder.ShardInfo{{Shard: runfolder.Shard{Index: 0, Count: 2}, Host: "node-a"}, {Shard: runfolder.Shard{Index: 1, Count: 2}, Host: "node-b"}}
	run.Manifest.Notes = append(run.Manifest.Notes, pipeline.HostsNote+"node-a (0/2); node-b (1/2)")
	if err := Markdown(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(run.Dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Merged from 2 shards: 0/2 on node-a, 1/2 on node-b", "shards ran on different hosts"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

func TestTheSetupTableNamesEveryLevelAndTheEmulatedCapacity(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	exp := &run.Manifest.Experiment
	p := &exp.Platforms[0]
	p.Concurrency = 1
	p.Emulate = config.ConfigBlock(&emulateView{TTFT: config.Duration(30e6), TokensPerSecond: 400, Accuracy: 0.9, MaxBatch: 2, BatchSlowdown: 1})
	p.Levels = &config.LevelsSpec{Type: "concurrency", MaxDuration: config.Duration(60e9), Resolved: []config.Level{
		{Label: "c=1", Concurrency: 1}, {Label: "c=8", Concurrency: 8}, {Label: "c=24", Concurrency: 24}}}
	q := &exp.Platforms[1]
	q.Arrival = "poisson"
	q.Levels = &config.LevelsSpec{Type: "sweep", Resolved: []config.Level{
		{Label: "sync", Concurrency: 1}, {Label: "throughput", Concurrency: 64}, {Label: "sweep-1", Concurrency: 64, RateIndex: 1}}}
	run.Manifest.SweepRates = map[string][]float64{q.Name: {3.5}}
	s := setupSection(run)
	rows := s.Tables[0].Rows
	if want := "3 levels, one after the other: c=1 closed loop, concurrency 1; c=8 closed loop, concurrency 8; c=24 closed loop, concurrency 24; at most 1m0s each"; rows[0][3] != want {
		t.Errorf("load = %q\nwant %q", rows[0][3], want)
	}
	if !strings.Contains(rows[0][1], "max_batch 2, batch_slowdown 1)") {
		t.Errorf("endpoint = %q, want the emulated capacity", rows[0][1])
	}
	if want := "sweep-1 open loop, 3.5 req/s poisson, cap 64"; !strings.Contains(rows[1][3], want) {
		t.Errorf("load = %q, want %q", rows[1][3], want)
	}
}
