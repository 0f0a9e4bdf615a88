package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestEachRecordStreamsTheFinalRecordOfEveryCellFromTheJournal(t *testing.T) {
	rec := func(sample string, seq int, errClass, content string) results.Record {
		return results.Record{CellKey: results.CellKey{Platform: "p", Model: "m", SampleID: sample}, Seq: seq, Error: errClass, Content: content}
	}
	cases := []struct {
		name string
		recs []results.Record
	}{
		{"a journal with one record per cell streams every record in order",
			[]results.Record{rec("a", 0, "", "1"), rec("b", 1, "", "2"), rec("c", 2, "http_500", "3")}},
		{"a cell's first success wins over earlier failures and later records",
			[]results.Record{rec("a", 0, "http_500", "f1"), rec("b", 1, "", "b"), rec("a", 0, "", "ok1"), rec("a", 0, "", "ok2")}},
		{"a cell that never succeeded keeps its last failure",
			[]results.Record{rec("a", 0, "http_500", "f1"), rec("a", 0, "timeout_total", "f2"), rec("b", 1, "", "b")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := runfolder.WriteJournal(filepath.Join(dir, runfolder.JournalFile), tc.recs); err != nil {
				t.Fatal(err)
			}
			var got []results.Record
			run := &Run{Dir: dir}
			if err := run.EachRecord(func(r *results.Record) error { got = append(got, *r); return nil }); err != nil {
				t.Fatal(err)
			}
			// The same records as finalRecords; each where the kept one
			// stands in the journal.
			want := finalRecords(tc.recs)
			bySample := func(a, b results.Record) int { return strings.Compare(a.SampleID, b.SampleID) }
			slices.SortFunc(got, bySample)
			slices.SortFunc(want, bySample)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("a run without a journal has no records", func(t *testing.T) {
		n := 0
		if err := (&Run{Dir: t.TempDir()}).EachRecord(func(*results.Record) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("n=%d err=%v", n, err)
		}
	})
	t.Run("a hand-written journal with other key formatting still finds the duplicate cell", func(t *testing.T) {
		dir := t.TempDir()
		body := `{"model":"m","platform":"p","sample_id":"a","error":"http_500","seq":0}` + "\n" +
			`{"platform":"p","model":"m","temperature":0,"repeat":0,"sample_id":"a","seq":0,"error":""}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, runfolder.JournalFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []results.Record
		if err := (&Run{Dir: dir}).EachRecord(func(r *results.Record) error { got = append(got, *r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[0].OK() {
			t.Errorf("got %+v, want the one success", got)
		}
	})
}

func TestAShardTakesEveryNthCellOfAnUncappedRateLevel(t *testing.T) {
	cases := []struct {
		in        string
		want      runfolder.Shard
		wantErr   bool
		cellsOf10 int
	}{
		{"", runfolder.Shard{}, false, 10},
		{"0/1", runfolder.Shard{Index: 0, Count: 1}, false, 10},
		{"0/4", runfolder.Shard{Index: 0, Count: 4}, false, 3},
		{"3/4", runfolder.Shard{Index: 3, Count: 4}, false, 2},
		{"4/4", runfolder.Shard{}, true, 0},
		{"-1/4", runfolder.Shard{}, true, 0},
		{"1/0", runfolder.Shard{}, true, 0},
		{"0/0", runfolder.Shard{}, true, 0},
		{"two/4", runfolder.Shard{}, true, 0},
	}
	for _, tc := range cases {
		t.Run("--shard "+tc.in, func(t *testing.T) {
			got, err := runfolder.ParseShard(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			ls := LevelShareOf(got, config.Level{Rate: 1})
			n := 0
			for seq := range 10 {
				if ls.Has(seq) {
					n++
				}
			}
			if n != tc.cellsOf10 || ls.CellsOf(10) != n {
				t.Errorf("has %d of 10 cells, CellsOf says %d, want %d", n, ls.CellsOf(10), tc.cellsOf10)
			}
		})
	}
}

// sliceAggregator adapts a function over a slice of records to an
// Aggregator: its accumulator keeps a copy of every record and calls f at
// Close (every record in memory: for tests only).
func sliceAggregator(f func(ctx context.Context, exp *config.Experiment, records []results.Record) (*results.Results, error)) Aggregator {
	return func(_ context.Context, exp *config.Experiment) (Accumulator, error) {
		return &sliceAccumulator{exp: exp, f: f}, nil
	}
}

type sliceAccumulator struct {
	exp  *config.Experiment
	recs []results.Record
	f    func(ctx context.Context, exp *config.Experiment, records []results.Record) (*results.Results, error)
}

func (a *sliceAccumulator) Add(r *results.Record) error {
	a.recs = append(a.recs, *r)
	return nil
}

func (a *sliceAccumulator) Close(ctx context.Context) (*results.Results, error) {
	if a.recs == nil {
		a.recs = []results.Record{}
	}
	return a.f(ctx, a.exp, a.recs)
}

func TestFinalRecordsKeepsTheFirstSuccessElseTheLastFailure(t *testing.T) {
	k1 := results.CellKey{Platform: "a", SampleID: "1"}
	k2 := results.CellKey{Platform: "a", SampleID: "2"}
	recs := []results.Record{
		{CellKey: k1, Error: "http_500", Attempts: 1},
		{CellKey: k2, Error: "http_500", Attempts: 1},
		{CellKey: k1, Attempts: 2},
		{CellKey: k2, Error: "timeout_total", Attempts: 3},
		{CellKey: k1, Attempts: 3},
	}
	got := finalRecords(recs)
	if len(got) != 2 {
		t.Fatalf("got %d, want 2", len(got))
	}
	if got[0].CellKey != k1 || !got[0].OK() || got[0].Attempts != 2 {
		t.Errorf("cell 1: %+v", got[0])
	}
	if got[1].CellKey != k2 || got[1].Error != "timeout_total" {
		t.Errorf("cell 2: %+v", got[1])
	}
}

// finalRecords keeps one record per cell, the choice EachRecord makes
// while it streams (the model its test compares with): the first successful one, or
// else the last failed one. Order follows first appearance.
func finalRecords(recs []results.Record) []results.Record {
	idx := make(map[results.CellKey]int, len(recs))
	out := make([]results.Record, 0, len(recs))
	for _, r := range recs {
		i, seen := idx[r.CellKey]
		switch {
		case !seen:
			idx[r.CellKey] = len(out)
			out = append(out, r)
		case !out[i].OK():
			out[i] = r
		}
	}
	return out
}
