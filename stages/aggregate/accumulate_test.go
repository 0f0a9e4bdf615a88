package aggregate

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/inferbench/inferbench/pipeline/results"
)

// manyGaps returns n records of metis with gaps token gaps each, gap j of
// record i being 1 + (i*gaps+j) mod 997 ms.
func manyGaps(n, gaps int) []results.Record {
	recs := latencies("metis", "m-a", n, 500)
	for i := range recs {
		recs[i].ITLMs = make([]float64, gaps)
		for j := range gaps {
			recs[i].ITLMs[j] = 1 + float64((i*gaps+j)%997)
		}
	}
	return recs
}

func TestTheITLDistributionIsABoundedSampleThatIgnoresRecordOrder(t *testing.T) {
	exp := twoPlatforms()
	recs := manyGaps(600, 200) // 120,000 gaps, more than ITLSampleSize
	g := groupOf(t, mustAggregate(t, exp, recs), "metis")
	t.Run("a group with more gaps than ITLSampleSize keeps exactly ITLSampleSize of them and says so", func(t *testing.T) {
		if g.ITLMs.N != ITLSampleSize {
			t.Fatalf("itl_ms N = %d, want %d", g.ITLMs.N, ITLSampleSize)
		}
		found := false
		for _, w := range g.Warnings {
			found = found || strings.Contains(w, "uniform sample of 100000 of the 120000 token gaps")
		}
		if !found {
			t.Errorf("no sampling warning in %q", g.Warnings)
		}
	})
	t.Run("the sample is the same in any record order, to the last digit", func(t *testing.T) {
		shuffled := append([]results.Record(nil), recs...)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := groupOf(t, mustAggregate(t, exp, shuffled), "metis").ITLMs; got != g.ITLMs {
			t.Errorf("shuffled: %+v\nwant      %+v", got, g.ITLMs)
		}
	})
	t.Run("the sample is close to the whole: its median is within 2% of the exact one", func(t *testing.T) {
		var all []float64
		for _, r := range recs {
			all = append(all, r.ITLMs...)
		}
		exact := describe(all)
		if d := (g.ITLMs.P50 - exact.P50) / exact.P50; d > 0.02 || d < -0.02 {
			t.Errorf("sample p50 %g, exact %g", g.ITLMs.P50, exact.P50)
		}
	})
	t.Run("a group with fewer gaps keeps every one, with no warning", func(t *testing.T) {
		small := groupOf(t, mustAggregate(t, exp, manyGaps(50, 20)), "metis")
		if small.ITLMs.N != 1000 {
			t.Errorf("itl_ms N = %d, want 1000", small.ITLMs.N)
		}
		for _, w := range small.Warnings {
			if strings.Contains(w, "token gaps") {
				t.Errorf("unexpected warning %q", w)
			}
		}
	})
}

func TestTheAccumulatorRefusesToBeUsedAfterClose(t *testing.T) {
	acc, err := NewAccumulator(context.Background(), twoPlatforms())
	if err != nil {
		t.Fatal(err)
	}
	r := okRec("metis", "m-a", 0, 100)
	if err := acc.Add(&r); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := acc.Add(&r); err == nil {
		t.Error("Add after Close: no error")
	}
	if _, err := acc.Close(context.Background()); err == nil {
		t.Error("second Close: no error")
	}
}

func TestARowIsAtMost120Bytes(t *testing.T) {
	// A million records are a million rows: each byte here is a megabyte
	// of the bounded-memory benchmark (bench/million.sh).
	if n := unsafe.Sizeof(row{}); n > 120 {
		t.Errorf("row is %d bytes, want at most 120", n)
	}
}

func TestFNV64aIsHashFNVs(t *testing.T) {
	for _, s := range []string{"", "a", "metis\x00m-a\x000.7\x003\x00q1"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := fnv64a([]byte(s)), h.Sum64(); got != want {
			t.Errorf("%q: %x, want %x", s, got, want)
		}
	}
}
