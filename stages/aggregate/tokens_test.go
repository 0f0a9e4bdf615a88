package aggregate

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestTheGroupComparesTheServersUsageWithTheLocalCount(t *testing.T) {
	exp := twoPlatforms()
	var recs []results.Record
	// metis: usage and local counts; 100+100 server prompt tokens against
	// 80+80 counted (+25%), 20+20 output against 19+21 (0%).
	a, b := okRec("metis", "m-a", 0, 100), okRec("metis", "m-a", 1, 110)
	a.CountedPromptTokens, a.CountedOutputTokens = 80, 19
	b.CountedPromptTokens, b.CountedOutputTokens = 80, 21
	// A failed record and one counted without usage stay out of it.
	c := okRec("metis", "m-a", 2, 120)
	c.Error, c.CountedPromptTokens, c.CountedOutputTokens = "http_500", 1, 1
	d := okRec("metis", "m-a", 3, 130)
	d.TokensCounted = true
	recs = append(recs, a, b, c, d)
	// sophia: no tokenizer, no local count.
	recs = append(recs, latencies("sophia", "m-b", 3, 100)...)
	res := mustAggregate(t, exp, recs)
	m := groupOf(t, res, "metis")
	if m.UsagePromptTokenDiffPct == nil || math.Abs(*m.UsagePromptTokenDiffPct-25) > 1e-9 {
		t.Errorf("usage_prompt_token_diff_pct %v, want 25", m.UsagePromptTokenDiffPct)
	}
	if m.UsageOutputTokenDiffPct == nil || math.Abs(*m.UsageOutputTokenDiffPct) > 1e-9 {
		t.Errorf("usage_output_token_diff_pct %v, want 0", m.UsageOutputTokenDiffPct)
	}
	if m.OutputTokensCounted != 1 || m.OutputTokensEstimated != 0 {
		t.Errorf("counted %d estimated %d", m.OutputTokensCounted, m.OutputTokensEstimated)
	}
	s := groupOf(t, res, "sophia")
	if s.UsagePromptTokenDiffPct != nil || s.UsageOutputTokenDiffPct != nil {
		t.Errorf("a group without local counts has a usage difference: %v %v", s.UsagePromptTokenDiffPct, s.UsageOutputTokenDiffPct)
	}
	j, _ := json.Marshal(s)
	if strings.Contains(string(j), "usage_output_token_diff_pct") {
		t.Errorf("results.json has a usage difference for sophia: %s", j)
	}
}
