package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func colIndex(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

func TestJSONRoundTripsResults(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := JSON(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(run.Dir, ResultsJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Experiment        string            `json:"experiment"`
		RunID             string            `json:"run_id"`
		Results           results.Results   `json:"results"`
		MetricDefinitions map[string]string `json:"metric_definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	t.Run("the results read back equal the results written", func(t *testing.T) {
		if !reflect.DeepEqual(doc.Results, *run.Results) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", doc.Results, *run.Results)
		}
	})
	t.Run("the header names the experiment and run", func(t *testing.T) {
		if doc.Experiment != "metis-vs-sophia" || doc.RunID != run.Results.RunID {
			t.Fatalf("experiment %q run %q", doc.Experiment, doc.RunID)
		}
	})
	t.Run("every metric definition is included", func(t *testing.T) {
		for _, d := range MetricDefinitions {
			if doc.MetricDefinitions[d.Key] != d.Formula {
				t.Errorf("definition %q missing or different", d.Key)
			}
		}
		if doc.MetricDefinitions["tpot"] == "" || doc.MetricDefinitions["percentile"] == "" {
			t.Fatal("tpot or percentile definition empty")
		}
	})
	t.Run("the file is readable by others like any report", func(t *testing.T) {
		st, err := os.Stat(filepath.Join(run.Dir, ResultsJSONFile))
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v, %v", st.Mode(), err)
		}
	})
	t.Run("writing twice gives the same bytes", func(t *testing.T) {
		if err := JSON(context.Background(), run); err != nil {
			t.Fatal(err)
		}
		b2, _ := os.ReadFile(filepath.Join(run.Dir, ResultsJSONFile))
		if string(b) != string(b2) {
			t.Fatal("results.json is not stable")
		}
	})
}

func TestExportersRefuseARunWithoutResults(t *testing.T) {
	for name, e := range map[string]pipeline.Exporter{"json": JSON, "csv": CSV, "xlsx": XLSX, "markdown": Markdown, "html": HTML} {
		t.Run(name+" returns an error", func(t *testing.T) {
			run := fixtureRun(t, t.TempDir())
			run.Results = nil
			if err := e(context.Background(), run); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestNeutralizeCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@A1", "'@A1"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"Paris", "Paris"}, {"", ""}, {"a=b", "a=b"},
	}
	for _, c := range cases {
		t.Run(strconv.Quote(c.in)+" becomes "+strconv.Quote(c.want), func(t *testing.T) {
			if got := NeutralizeCell(c.in); got != c.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func TestCSVRequests(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	if err := CSV(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(run.Dir, RequestsCSVFile))
	header := rows[0]
	t.Run("there is one row per record including warmups and failures", func(t *testing.T) {
		if len(rows)-1 != len(run.Records) {
			t.Fatalf("%d rows for %d records", len(rows)-1, len(run.Records))
		}
	})
	t.Run("server columns are the sorted union of vendor fields", func(t *testing.T) {
		n := len(header)
		got := header[n-3:]
		want := []string{"server_queue_time", "server_time_to_first_token", "server_total_latency"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v", got)
		}
		if header[0] != "platform" || header[len(requestColumns)-1] != "reasoning" {
			t.Fatalf("fixed columns out of order: %v", header)
		}
	})
	content, answer, lat := colIndex(t, header, "content"), colIndex(t, header, "answer"), colIndex(t, header, "latency_ms")
	errCol, ttfts := colIndex(t, header, "error"), colIndex(t, header, "server_time_to_first_token")
	for i, r := range run.Records {
		row := rows[i+1]
		switch {
		case r.Content == trickyContent:
			t.Run("content with commas, quotes, newlines and unicode round-trips", func(t *testing.T) {
				if row[content] != trickyContent {
					t.Fatalf("got %q", row[content])
				}
			})
		case r.Answer == formulaAnswer:
			t.Run("a formula-like answer gets a leading quote", func(t *testing.T) {
				if row[answer] != "'"+formulaAnswer || row[content] != "'"+formulaAnswer {
					t.Fatalf("got %q / %q", row[answer], row[content])
				}
			})
		case r.Answer == atAnswer:
			t.Run("an @ answer gets a leading quote", func(t *testing.T) {
				if row[answer] != "'"+atAnswer {
					t.Fatalf("got %q", row[answer])
				}
			})
		case r.Answer == minusAnswer:
			t.Run("a minus answer gets a leading quote", func(t *testing.T) {
				if row[answer] != "'"+minusAnswer {
					t.Fatalf("got %q", row[answer])
				}
			})
		}
		got, err := strconv.ParseFloat(row[lat], 64)
		if err != nil || got != r.LatencyMs {
			t.Fatalf("row %d latency %q, want %v", i, row[lat], r.LatencyMs)
		}
		if row[errCol] != r.Error {
			t.Fatalf("row %d error %q, want %q", i, row[errCol], r.Error)
		}
		if v, ok := r.Server["time_to_first_token"]; ok {
			if f, _ := strconv.ParseFloat(row[ttfts], 64); f != v {
				t.Fatalf("row %d server ttft %q want %v", i, row[ttfts], v)
			}
		} else if row[ttfts] != "" {
			t.Fatalf("row %d has server ttft %q but the record has none", i, row[ttfts])
		}
	}
}

func TestCSVSummary(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	// A negative derived metric must stay a number.
	run.Results.Groups[1].Metrics[0].Value = -1.5
	if err := CSV(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(run.Dir, SummaryCSVFile))
	header := rows[0]
	t.Run("the header is SummaryHeader and starts with the documented columns", func(t *testing.T) {
		if !reflect.DeepEqual(header, SummaryHeader(run.Results)) {
			t.Fatal("header differs from SummaryHeader")
		}
		want := []string{"platform", "model", "temperature", "count", "successes", "failures", "error_rate", "latency_n", "latency_mean_ms"}
		if !reflect.DeepEqual(header[:len(want)], want) {
			t.Fatalf("got %v", header[:len(want)])
		}
	})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want header + 2 groups", len(rows))
	}
	cases := []struct {
		col   string
		group int
		want  string
	}{
		{"platform", 0, "metis"},
		{"latency_mean_ms", 0, "900"},
		{"latency_p95_ms", 1, formatNumber(run.Results.Groups[1].LatencyMs.P95)},
		{"f1_ci_high_pct", 0, formatNumber(run.Results.Groups[0].F1.CIHigh)},
		{"error_rate", 1, formatNumber(2.0 / 6)},
		{"metric_cost_per_1k", 0, "0.06"},
		{"metric_cost_per_1k", 1, "-1.5"},
		{"speedup_median", 0, "2"},
		{"speedup_median", 1, ""},
		{"speedup_significant", 0, "true"},
		{"errors", 0, "empty_content_length=1;http_429=1"},
	}
	for _, c := range cases {
		t.Run(c.col+" of group "+strconv.Itoa(c.group)+" is "+strconv.Quote(c.want), func(t *testing.T) {
			if got := rows[c.group+1][colIndex(t, header, c.col)]; got != c.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}
