package query

import (
	"context"
	"testing"
)

// TestASampleOfChosenOutputLengthAsksForIt: a sample's max_tokens
// replaces params.max_tokens in its request, and a platform with
// exact_output_tokens also sends min_tokens and ignore_eos (vLLM's
// extensions) so that the answer has that length; other platforms get
// neither key, and samples without a length keep params.max_tokens.
func TestASampleOfChosenOutputLengthAsksForIt(t *testing.T) {
	for _, exact := range []bool{false, true} {
		f := newFake(t, nil)
		job := newJob(f.URL+"/v1", "a", "b")
		job.Platform.ExactOutputTokens = exact
		job.Cells[0].Sample.MaxTokens = 300
		if _, _, err := collect(t, context.Background(), New(), job); err != nil {
			t.Fatal(err)
		}
		bodies := map[float64]map[string]any{}
		for _, r := range f.requests() {
			bodies[r.Body["max_tokens"].(float64)] = r.Body
		}
		long, plain := bodies[300], bodies[64]
		if long == nil || plain == nil {
			t.Fatalf("exact %v: bodies %v, want one with max_tokens 300 and one with 64", exact, bodies)
		}
		if exact && (long["min_tokens"] != 300.0 || long["ignore_eos"] != true) {
			t.Errorf("exact platform: body %v, want min_tokens 300 and ignore_eos true", long)
		}
		if _, ok := long["min_tokens"]; !exact && ok {
			t.Errorf("platform without exact_output_tokens sent min_tokens: %v", long)
		}
		if _, ok := plain["min_tokens"]; ok {
			t.Errorf("a sample without a length sent min_tokens: %v", plain)
		}
	}
}
