package aggregate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// TestRecordsWithoutAGoldAnswerHaveNoAccuracy: a group of synthetic
// prompts (no gold answers) has timings but no EM or F1 (n 0, mean null in
// results.json, not 0), counts its records in no_gold, and its comparison
// with the baseline has no accuracy verdict.
func TestRecordsWithoutAGoldAnswerHaveNoAccuracy(t *testing.T) {
	exp := twoPlatforms()
	var recs []results.Record
	for _, p := range []struct{ name, model string }{{"metis", "m-a"}, {"sophia", "m-b"}} {
		for _, r := range latencies(p.name, p.model, 12, 100) {
			r.Answer, r.EM, r.F1, r.RawEM, r.RawF1, r.Scored, r.NoGold = "", 0, 0, 0, 0, false, true
			recs = append(recs, r)
		}
	}
	res := mustAggregate(t, exp, recs)
	g := groupOf(t, res, "metis")
	if g.NoGold != 12 || g.EM.N != 0 || g.F1.N != 0 || g.LatencyMs.N != 12 {
		t.Errorf("no_gold %d, em n %d, f1 n %d, latency n %d", g.NoGold, g.EM.N, g.F1.N, g.LatencyMs.N)
	}
	if len(res.Comparisons) != 1 || !res.Comparisons[0].NoGold || !strings.HasSuffix(res.Comparisons[0].Verdict, "; no gold answers (synthetic prompts): no accuracy comparison") {
		t.Errorf("comparisons %+v, want a verdict saying there is no accuracy to compare", res.Comparisons)
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"em":{"n":0,"mean":null`) || !strings.Contains(string(b), `"no_gold":12`) {
		t.Errorf("results.json group: %s", b)
	}
}
