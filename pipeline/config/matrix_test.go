package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestTheMatrixSizeIsBoundedAtValidation(t *testing.T) {
	tests := []struct {
		name string
		sets []string
		want string // "" means the experiment loads
	}{
		{"a billion repeats are refused for even one question", []string{"repeats=1000000000"},
			"repeats: one question alone makes 1,000,000,000 cells (1 platform-model x 1 temperature x 1,000,000,000 repeats), more than max_cells 10,000,000; lower repeats or raise max_cells"},
		{"a slice bounds the question count", []string{"repeats=2000000", `dataset.slice="[:10]"`},
			`repeats: the matrix has up to 20,000,000 cells (1 platform-model x 1 temperature x 2,000,000 repeats x at most 10 questions), more than max_cells 10,000,000; lower repeats or raise max_cells`},
		{"a sample bounds the question count below the slice", []string{"repeats=200000", `dataset.slice="[:1000]"`, "dataset.sample=100"},
			`the matrix has up to 20,000,000 cells (1 platform-model x 1 temperature x 200,000 repeats x at most 100 questions)`},
		{"warmups and several models and temperatures count", []string{"repeats=2000000", "platforms.0.models=[a, b, c]", "params.temperature=[0, 1]", "platforms.0.warmup=5"},
			"one question alone makes 12,000,005 cells (3 platform-models x 2 temperatures x 2,000,000 repeats + 5 warmups)"},
		{"a count past 64 bits is reported, not wrapped", []string{"repeats=9223372036854775807", "platforms.0.models=[a, b, c]"},
			"one question alone makes more than 18,446,744,073,709,551,615 cells"},
		{"a raised max_cells admits the same experiment", []string{"repeats=2000000", `dataset.slice="[:10]"`, "max_cells=20000000"}, ""},
		{"an unbounded question count passes when one question fits", []string{"repeats=1000", `dataset.slice="[5:]"`}, ""},
		{"an explicit zero max_cells is refused", []string{"max_cells=0"}, "max_cells: must be >= 1, got 0; leave it out for the default 10000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, diags := LoadExperiment("testdata/minimal.good.yaml", LoadOptions{Sets: tt.sets, Registry: testRegistry()})
			if tt.want == "" {
				if len(diags) > 0 {
					t.Fatalf("unexpected diagnostics:\n%v", diags)
				}
				return
			}
			if e != nil || len(diags) != 1 {
				t.Fatalf("want one diagnostic, got %d:\n%v", len(diags), diags)
			}
			if got := diags[0].Error(); !strings.Contains(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTheMatrixLimitIsLocatedInTheFileOrAtTheOverride(t *testing.T) {
	_, diags := LoadExperiment("testdata/minimal.good.yaml", LoadOptions{Sets: []string{"repeats=1000000000"}, Registry: testRegistry()})
	if len(diags) != 1 || diags[0].File != "--set repeats" {
		t.Errorf("want the --set repeats override named, got %v", diags)
	}
	_, diags = LoadExperiment("testdata/matrix.bad.yaml", LoadOptions{Registry: testRegistry()})
	if len(diags) != 1 || diags[0].Line == 0 {
		t.Errorf("want a located diagnostic, got %v", diags)
	}
}

func TestASliceBoundsTheQuestionCountOnlyWhenItCan(t *testing.T) {
	tests := []struct {
		slice  string
		sample int
		want   uint64
		known  bool
	}{
		{"", 0, 0, false},
		{"[:10]", 0, 10, true},
		{"[5:20]", 0, 15, true},
		{"[5:20:2]", 0, 8, true},
		{"[20:5]", 0, 0, true},
		{"[5:]", 0, 0, false},
		{"[-100:]", 0, 100, true},
		{"[-100:-40]", 0, 60, true},
		{"[-3:50]", 0, 3, true},
		{"[5:-1]", 0, 0, false},
		{"[7]", 0, 1, true},
		{"[-1]", 0, 1, true},
		{"[:1000]", 100, 100, true},
		{"[:10]", 100, 10, true},
		{"", 25, 25, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("slice %q with sample %d selects at most %d", tt.slice, tt.sample, tt.want), func(t *testing.T) {
			got, known := questionBound(DatasetSpec{Slice: tt.slice, Sample: tt.sample})
			if got != tt.want || known != tt.known {
				t.Errorf("got %d (known %v), want %d (known %v)", got, known, tt.want, tt.known)
			}
			if !known {
				return
			}
			// The bound holds for every dataset size.
			sl, _ := ParseSlice(tt.slice)
			for n := 0; n < 300; n++ {
				sel := len(sl.Indices(n))
				if tt.sample > 0 {
					sel = min(sel, tt.sample)
				}
				if uint64(sel) > got {
					t.Fatalf("over %d questions it selects %d", n, sel)
				}
			}
		})
	}
}

func TestTheMatrixLimitMessageCountsLoadLevelsAsTheyMultiply(t *testing.T) {
	levels := []Level{{Label: "c=1", Concurrency: 1}, {Label: "c=4", Concurrency: 4}, {Label: "c=16", Concurrency: 16}}
	one := Platform{Name: "p", Models: []string{"m"}, Levels: &LevelsSpec{Type: "test", Resolved: levels}}
	e := &Experiment{Repeats: 5_000_000, Platforms: []Platform{one}}
	want := "one question alone makes 15,000,000 cells (3 platform-model-levels x 1 temperature x 5,000,000 repeats), more than max_cells 10,000,000; lower repeats or raise max_cells"
	if err := e.CheckMatrix(0, false); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	// Without levels the factor stays platform-models.
	e.Platforms = []Platform{{Name: "p", Models: []string{"a", "b", "c"}}}
	want = "one question alone makes 15,000,000 cells (3 platform-models x 1 temperature x 5,000,000 repeats)"
	if err := e.CheckMatrix(0, false); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
