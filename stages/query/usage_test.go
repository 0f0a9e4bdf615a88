package query

import (
	"reflect"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// FuzzApplyUsageMatchesEncodingJSON checks that the scanner's applyUsage
// fills a record exactly as the encoding/json version does, errors
// included.
func FuzzApplyUsageMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}`,
		`{"prompt_tokens":10,"completion_tokens":5,"completion_tokens_details":{"reasoning_tokens":3},"time_to_first_token":0.25,"queue_time":1e-3}`,
		`{"completion_tokens_details":null,"prompt_tokens":"7","completion_tokens":2.9,"x":true,"y":"s","z":[1],"w":{"a":1}}`,
		`{"completion_tokens_details":{"reasoning_tokens":5.5}}`,
		`{"completion_tokens_details":{"reasoning_tokens":"5","other":1},"prompt_tokens":-3}`,
		`{"completion_tokens_details":7}`,
		`{"prompt_tokens":1,"prompt_tokens":2,"t":1,"t":"x"}`,
		`{"pr\u006fmpt_tokens":4,"v\u0061l":2}`,
		` { "prompt_tokens" : 1 , "big" : 1e400 } `,
		`{}`, `null`, `[]`, `{"a":}`, `{"a":1} x`, `{"a":1`, `"s"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast, slow results.Record
		fast.TokensEstimated, slow.TokensEstimated = true, true
		errFast := applyUsage(&fast, raw)
		errSlow := applyUsageJSON(&slow, raw)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%s: error %v, encoding/json %v", raw, errFast, errSlow)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s:\n got %+v\nwant %+v", raw, fast, slow)
		}
	})
}
