package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestEachRecordStreamsTheFinalRecordOfEveryCellFromTheJournal(t *testing.T) {
	rec := func(sample string, seq int, errClass, content string) Record {
		return Record{CellKey: CellKey{Platform: "p", Model: "m", SampleID: sample}, Seq: seq, Error: errClass, Content: content}
	}
	cases := []struct {
		name string
		recs []Record
	}{
		{"a journal with one record per cell streams every record in order",
			[]Record{rec("a", 0, "", "1"), rec("b", 1, "", "2"), rec("c", 2, "http_500", "3")}},
		{"a cell's first success wins over earlier failures and later records",
			[]Record{rec("a", 0, "http_500", "f1"), rec("b", 1, "", "b"), rec("a", 0, "", "ok1"), rec("a", 0, "", "ok2")}},
		{"a cell that never succeeded keeps its last failure",
			[]Record{rec("a", 0, "http_500", "f1"), rec("a", 0, "timeout_total", "f2"), rec("b", 1, "", "b")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteJournal(filepath.Join(dir, JournalFile), tc.recs); err != nil {
				t.Fatal(err)
			}
			var got []Record
			run := &Run{Dir: dir}
			if err := run.EachRecord(func(r *Record) error { got = append(got, *r); return nil }); err != nil {
				t.Fatal(err)
			}
			// The same records as finalRecords; each where the kept one
			// stands in the journal.
			want := finalRecords(tc.recs)
			bySample := func(a, b Record) int { return strings.Compare(a.SampleID, b.SampleID) }
			slices.SortFunc(got, bySample)
			slices.SortFunc(want, bySample)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("a run without a journal has no records", func(t *testing.T) {
		n := 0
		if err := (&Run{Dir: t.TempDir()}).EachRecord(func(*Record) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("n=%d err=%v", n, err)
		}
	})
	t.Run("a hand-written journal with other key formatting still finds the duplicate cell", func(t *testing.T) {
		dir := t.TempDir()
		body := `{"model":"m","platform":"p","sample_id":"a","error":"http_500","seq":0}` + "\n" +
			`{"platform":"p","model":"m","temperature":0,"repeat":0,"sample_id":"a","seq":0,"error":""}` + "\n"
		if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []Record
		if err := (&Run{Dir: dir}).EachRecord(func(r *Record) error { got = append(got, *r); return nil }); err != nil {
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
		want      Shard
		wantErr   bool
		cellsOf10 int
	}{
		{"", Shard{}, false, 10},
		{"0/1", Shard{0, 1}, false, 10},
		{"0/4", Shard{0, 4}, false, 3},
		{"3/4", Shard{3, 4}, false, 2},
		{"4/4", Shard{}, true, 0},
		{"-1/4", Shard{}, true, 0},
		{"1/0", Shard{}, true, 0},
		{"0/0", Shard{}, true, 0},
		{"two/4", Shard{}, true, 0},
	}
	for _, tc := range cases {
		t.Run("--shard "+tc.in, func(t *testing.T) {
			got, err := ParseShard(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			ls := got.LevelShare(Level{Rate: 1})
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
func sliceAggregator(f func(ctx context.Context, exp *Experiment, records []Record) (*Results, error)) Aggregator {
	return func(_ context.Context, exp *Experiment) (Accumulator, error) {
		return &sliceAccumulator{exp: exp, f: f}, nil
	}
}

type sliceAccumulator struct {
	exp  *Experiment
	recs []Record
	f    func(ctx context.Context, exp *Experiment, records []Record) (*Results, error)
}

func (a *sliceAccumulator) Add(r *Record) error {
	a.recs = append(a.recs, *r)
	return nil
}

func (a *sliceAccumulator) Close(ctx context.Context) (*Results, error) {
	if a.recs == nil {
		a.recs = []Record{}
	}
	return a.f(ctx, a.exp, a.recs)
}
