package runfolder

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

// decodeBoth decodes line with decodeRecord and with json.Unmarshal and
// reports whether the fast path took it.
func decodeBoth(t *testing.T, line string) {
	t.Helper()
	var fast, slow results.Record
	errF := decodeRecord([]byte(line), &fast)
	errS := json.Unmarshal([]byte(line), &slow)
	if (errF == nil) != (errS == nil) {
		t.Fatalf("errors differ: fast %v, encoding/json %v", errF, errS)
	}
	if errS == nil && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("records differ:\nfast %#v\njson %#v", fast, slow)
	}
}

func TestTheJournalDecoderAgreesWithEncodingJSON(t *testing.T) {
	full := results.Record{CellKey: results.CellKey{Platform: "metis", Model: "gpt-oss", Temperature: 0.7, Repeat: 3, SampleID: "5733be28", Warmup: true, Level: "c=16"},
		Seq: 12, RequestHash: "ab12", StartedAt: time.Date(2026, 12, 3, 8, 0, 0, 123456789, time.FixedZone("x", 3600)),
		QueueMs: 0.25, TTFBMs: 1e-7, TTFTMs: 250.125, TTFCMs: 251, LatencyMs: 1234.5678901234567, CloseMs: 1235, TPOTMs: 3.3333333333333335,
		ITLMs: []float64{1, 2.5, 0}, TokensPerSec: 420.42, Attempts: 2, RetryWaitMs: 100, HTTP429: 1,
		PromptTokens: 100, OutputTokens: 20, ReasoningTokens: 5, TokensEstimated: true,
		TokensCounted: true, CountedPromptTokens: 90, CountedOutputTokens: 19,
		Server: map[string]float64{"time_to_first_token": 0.25, "total_latency": 1.2}, HTTPStatus: 429, FinishReason: "stop",
		Content: "The answer is **Paris**.\n\"quoted\" <b>&amp;</b> \u2028 東京 \\ tab\t", Reasoning: "think…", Error: "http_429", ErrorDetail: "too many",
		Answer: "Paris", EM: 1, F1: 0.6666666666666666, RawEM: 0, RawF1: 0.5, Truncated: true, Scored: true, Impossible: true, NoGold: true}
	enc := func(r results.Record) string {
		var b strings.Builder
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(&r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	cases := []struct{ name, line string }{
		{"a record with every field set, as the journal writes it", enc(full)},
		{"a record with every field zero", enc(results.Record{})},
		{"a record encoded with HTML escaping", func() string { b, _ := json.Marshal(full); return string(b) }()},
		{"a record with nulls, empty lists and whitespace", `{ "platform" : "p", "itl_ms" : [ ], "server" : { }, "content": null, "started_at": null, "em": null }`},
		{"a key in another case", `{"Platform":"p","model":"m"}`},
		{"an unknown key", `{"platform":"p","extra":{"a":[1,2]}}`},
		{"an escaped key", `{"pl\u0061tform":"p"}`},
		{"a duplicated map merges, a duplicated list replaces", `{"server":{"a":1},"server":{"b":2},"itl_ms":[1,2,3],"itl_ms":[4]}`},
		{"a null after a value keeps the value", `{"platform":"p","platform":null,"itl_ms":[1],"itl_ms":null}`},
		{"invalid UTF-8 in a string", "{\"content\":\"a\xffb\"}"},
		{"a number with an exponent and a negative zero", `{"ttft_ms":-0.0,"latency_ms":1.5e3,"queue_ms":1E-2}`},
		{"an int field given a fraction", `{"repeat":1.5}`},
		{"an int field given an exponent", `{"seq":1e2}`},
		{"a number out of range", `{"ttft_ms":1e400}`},
		{"a leading zero", `{"ttft_ms":01}`},
		{"a number without digits", `{"ttft_ms":-}`},
		{"a string for a number", `{"ttft_ms":"1"}`},
		{"a bad time", `{"started_at":"yesterday"}`},
		{"trailing garbage", `{"platform":"p"} x`},
		{"a missing comma", `{"platform":"p" "model":"m"}`},
		{"a torn line", `{"platform":"p","mod`},
		{"a control character in a string", "{\"content\":\"a\x01b\"}"},
		{"an empty object", `{}`},
		{"not an object", `[1]`},
		{"the largest int", `{"seq":9223372036854775807}`},
		{"a float in an int field past int64", `{"seq":9223372036854775808}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { decodeBoth(t, tc.line) })
	}
	t.Run("the fast path takes the journal's own lines", func(t *testing.T) {
		var r results.Record
		if !decodeRecordFast([]byte(enc(full)), &r) {
			t.Error("the fast path handed a journal line to encoding/json")
		}
	})
	t.Run("the fast path reads every key of Record", func(t *testing.T) {
		// null is accepted for any known key, so a key decodeField has no
		// case for must be caught with a value: every field of full is set.
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(enc(full)), &m); err != nil {
			t.Fatal(err)
		}
		for k := range knownKeys {
			if _, set := m[k]; !set {
				t.Errorf("full leaves %q out: set it, so the fast path is checked on it", k)
			}
		}
	})
	_ = math.Inf
}

func FuzzTheJournalDecoderAgreesWithEncodingJSON(f *testing.F) {
	f.Add(`{"platform":"p","model":"m","temperature":0.7,"seq":3,"itl_ms":[1,2],"server":{"a":1},"content":"x"}`)
	f.Add(`{"platform":null,"started_at":"2026-12-03T08:00:00Z"}`)
	f.Fuzz(func(t *testing.T, line string) { decodeBoth(t, line) })
}
