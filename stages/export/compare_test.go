package export

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

func f64(v float64) *float64 { return &v }

// oneSided is a comparison where run B has no latency (no successful
// request) and both runs have F1, paired on 12 questions.
func oneSided() []aggregate.RunDelta {
	k := results.GroupKey{Platform: "metis", Model: "m"}
	return []aggregate.RunDelta{
		{GroupKey: k, Figure: "latency_p50", Unit: "ms", A: f64(812.5)},
		{GroupKey: k, Figure: "f1", Unit: "%", A: f64(80), B: f64(70), Change: f64(-10), Ratio: f64(0.875),
			CILow: f64(-18), CIHigh: f64(-2), PValue: f64(0.004), NPaired: 12, Significant: true},
	}
}

func TestPrintRunDeltasShowsWhatEachRunHas(t *testing.T) {
	var buf bytes.Buffer
	if err := PrintRunDeltas(&buf, "runA", "runB", "shared 12 (A asked 14, B asked 12)", oneSided()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	line := func(prefix string) []string {
		for l := range strings.SplitSeq(out, "\n") {
			if strings.HasPrefix(l, "  "+prefix) {
				return strings.Fields(l)
			}
		}
		t.Fatalf("no %q line in\n%s", prefix, out)
		return nil
	}
	for _, tc := range []struct {
		name, prefix string
		want         []string
	}{
		{"a latency only run A has shows A and a dash for everything else", "latency_p50", []string{"latency_p50", "(ms)", "812.50", "-", "-", "-", "-"}},
		{"a paired F1 shows its change, interval, p-value and paired questions", "f1", []string{"f1", "(%)", "80.00", "70.00", "-10.00", "[-18.00,", "-2.00]", "0.004", "significant,", "12", "paired", "questions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := line(tc.prefix); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("the header names the questions compared", func(t *testing.T) {
		if !strings.Contains(out, "questions: shared 12 (A asked 14, B asked 12)\n") {
			t.Errorf("%s", out)
		}
	})
}

func TestWriteRunDeltasWritesADashForWhatARunLacks(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRunDeltas(dir, "all 12", oneSided()); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "compare.csv"))
	for i, tc := range []struct {
		name string
		want []string
	}{
		{"the header lists every column, questions last", compareHeader},
		{"a latency only run A has is A and dashes, with no paired count", []string{"metis", "m", "0", "", "latency_p50", "ms", "812.5", "-", "-", "-", "-", "-", "-", "", "false", "all 12"}},
		{"a paired F1 carries its p-value and paired questions", []string{"metis", "m", "0", "", "f1", "%", "80", "70", "-10", "0.875", "-18", "-2", "0.004", "12", "true", "all 12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if i >= len(rows) || !slices.Equal(rows[i], tc.want) {
				t.Errorf("rows %q\nwant row %d %q", rows, i, tc.want)
			}
		})
	}
}
