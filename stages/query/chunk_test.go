package query

import (
	"bytes"
	"encoding/json"
	"testing"
)

// refChunk decodes data with encoding/json into the same view as
// decodeChunk, following the same rules; it is the fuzz oracle.
type refView struct {
	choices                           int
	content, reasoning, reasoningCont string
	hasContent, toolCalls             bool
	msgContent                        string
	finish                            string
	usage, errorVal                   bool
}

func refDecode(data []byte) (refView, bool) {
	var v refView
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return v, false
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return v, false // trailing data
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return v, false
	}
	if u, ok := obj["usage"]; ok && u != nil {
		v.usage = true
	}
	if e, ok := obj["error"]; ok && e != nil {
		v.errorVal = true
	}
	// vLLM's flat error object: {"object": "error", "message", ...}.
	if o, ok := obj["object"]; ok && o != nil {
		s, isString := o.(string)
		if !isString {
			return v, false
		}
		if s == "error" {
			v.errorVal = true
		}
	}
	str := func(m map[string]any, k string) (string, bool, bool) {
		x, present := m[k]
		if !present || x == nil {
			return "", false, true
		}
		s, ok := x.(string)
		return s, ok, ok
	}
	ch, present := obj["choices"]
	if !present || ch == nil {
		return v, true
	}
	arr, ok := ch.([]any)
	if !ok {
		return v, false
	}
	v.choices = len(arr)
	if len(arr) == 0 {
		return v, true
	}
	c0, ok := arr[0].(map[string]any)
	if !ok {
		return v, false
	}
	var good bool
	if v.finish, _, good = str(c0, "finish_reason"); !good {
		return v, false
	}
	for _, k := range []string{"delta", "message"} {
		x, present := c0[k]
		if !present || x == nil {
			continue
		}
		m, ok := x.(map[string]any)
		if !ok {
			return v, false
		}
		c, has, g1 := str(m, "content")
		r, _, g2 := str(m, "reasoning")
		rc, _, g3 := str(m, "reasoning_content")
		if !g1 || !g2 || !g3 {
			return v, false
		}
		if k == "message" {
			v.msgContent = c
			continue
		}
		v.content, v.hasContent, v.reasoning, v.reasoningCont = c, has, r, rc
		if tc, ok := m["tool_calls"].([]any); ok && len(tc) > 0 {
			v.toolCalls = true
		}
	}
	return v, true
}

func fastView(data []byte) (refView, bool) {
	var c chunk
	if err := decodeChunk(data, &c); err != nil {
		return refView{}, false
	}
	return refView{
		choices: c.choices, content: string(c.delta.content), reasoning: string(c.delta.reasoning),
		reasoningCont: string(c.delta.reasoningContent), hasContent: c.delta.hasContent,
		toolCalls: c.delta.toolCalls, msgContent: string(c.msg.content), finish: string(c.finishReason),
		usage: c.hasUsage(), errorVal: c.hasError(),
	}, true
}

var chunkSeeds = []string{
	`{"object":"error","message":"engine dead","type":"BadRequestError","param":null,"code":400}`,
	`{"object":"err\u006fr","message":"escaped"}`,
	`{"object":7,"choices":[]}`,
	`{"object":"chat.completion.chunk","object":"error"}`,
	`{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
	`{"choices":[{"delta":{"content":"caf\u00e9 \"q\" \n \ud83d\ude00 \ud800x"},"finish_reason":null}]}`,
	`{"choices":[{"delta":{"reasoning":"think","reasoning_content":null}}],"usage":null}`,
	`{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]}`,
	`{"choices":[{"delta":{"tool_calls":[ ]}}, {"delta": 5}]}`,
	`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"time_to_first_token":0.5}}`,
	`{"error":{"message":"overloaded","code":503}}`,
	`{"choices":[{"message":{"content":"Denver","reasoning_content":"r"},"finish_reason":"stop"}]}`,
	` { "choices" : [ { "delta" : { "content" : "a" } } ] , "n": -1.5e+3, "t": [true,false,null] } `,
	`{"choices":[{"delta":{"content":5}}]}`,
	`{"choices":{}}`,
	`{"choices":[{"delta":{"content":"a"}}]} x`,
	`{"choices":[{"delta":{"content":"bad \x escape"}}]}`,
	`{"n": 01}`,
	`{"n": 1.}`,
	`[1,2]`,
	`{"choices":[{"delta":{"cont\u0065nt":"escaped key"}}]}`,
	"{\"choices\":[{\"delta\":{\"content\":\"\xff\xfe raw\"}}]}",
}

func TestDecodeChunkAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range chunkSeeds {
		t.Run(s, func(t *testing.T) {
			ref, refOK := refDecode([]byte(s))
			got, ok := fastView([]byte(s))
			if ok != refOK {
				t.Fatalf("decodeChunk ok=%v, encoding/json ok=%v", ok, refOK)
			}
			if ok && got != ref {
				t.Errorf("decodeChunk %+v\nencoding/json %+v", got, ref)
			}
		})
	}
	t.Run("decoding allocates nothing once warm", func(t *testing.T) {
		data := []byte(`{"choices":[{"delta":{"content":"caf\u00e9"},"finish_reason":null}]}`)
		var c chunk
		decodeChunk(data, &c)
		if n := testing.AllocsPerRun(100, func() { decodeChunk(data, &c) }); n != 0 {
			t.Errorf("%v allocations per decode", n)
		}
	})
}

func FuzzDecodeChunk(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ref, refOK := refDecode(data)
		got, ok := fastView(data)
		if ok != refOK {
			t.Fatalf("%q: decodeChunk ok=%v, encoding/json ok=%v", data, ok, refOK)
		}
		if ok && got != ref {
			t.Fatalf("%q:\ndecodeChunk %+v\nencoding/json %+v", data, got, ref)
		}
	})
}
