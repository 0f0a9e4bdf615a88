package query

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// TestBodyBuilderAllocatesOnceForTheBodyAndOnceForTheMessages: a request
// body costs the messages' JSON and the body itself (the model's JSON is
// encoded once per model, the body grown once), not a slice regrown for
// every part: at concurrency 1,000 the builder was 6% of the client's CPU.
// The body stays the JSON it was.
func TestBodyBuilderAllocatesOnceForTheBodyAndOnceForTheMessages(t *testing.T) {
	b, err := newBodyBuilder(config.Params{Stream: true, MaxTokens: 64, Extra: map[string]any{"seed": 7}}, false)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []config.Message{{Role: "system", Content: "Answer briefly."}, {Role: "user", Content: strings.Repeat("Context \"quoted\" <b> é. ", 60)}}
	body, err := b.build(nil, "gpt-oss-120b", 0.7, msgs, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if got["model"] != "gpt-oss-120b" || got["temperature"] != 0.7 || got["seed"] != 7.0 || got["max_tokens"] != 64.0 ||
		len(got["messages"].([]any)) != 2 || got["stream_options"] == nil {
		t.Errorf("body = %s", body)
	}
	if again, _ := b.build(nil, "gpt-oss-120b", 0.7, msgs, true, 0); string(again) != string(body) {
		t.Errorf("second body (cached model) = %s, want %s", again, body)
	}
	// 2 for the messages' JSON (json.Marshal's result and its encoder
	// state, pooled), 1 for the body; 1 spare for a pool emptied by a GC.
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = b.build(nil, "gpt-oss-120b", 0.7, msgs, true, 0) }); n > 4 {
		t.Errorf("%v allocations per body, want at most 4", n)
	}
}
