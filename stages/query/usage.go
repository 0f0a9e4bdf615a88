package query

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/inferbench/inferbench/pipeline/results"
)

// standardUsage are the usage keys that are token counts, not vendor timings.
var standardUsage = map[string]bool{
	"prompt_tokens": true, "completion_tokens": true, "total_tokens": true,
}

// applyUsage copies a usage object into r: the token counts, and every other
// numeric top-level field into r.Server under its own name. A well-formed
// object is read with the stage's scanner (encoding/json's reflection cost
// a fifth of a streamed request's CPU, stack growth included); anything
// else goes to applyUsageJSON, which it matches.
func applyUsage(r *results.Record, raw []byte) error {
	u := usageScan{d: decoder{b: raw, c: &chunk{}}} // c: scratch space for escaped keys
	u.d.ws()
	if u.d.i >= len(u.d.b) || u.d.b[u.d.i] != '{' {
		return applyUsageJSON(r, raw)
	}
	err := u.d.list('}', u.member)
	if err == nil {
		u.d.ws()
		if u.d.i != len(u.d.b) {
			err = u.d.fail("trailing data")
		}
	}
	if err != nil {
		return applyUsageJSON(r, raw)
	}
	r.PromptTokens, r.OutputTokens, r.ReasoningTokens = u.prompt, u.completion, u.reasoning
	for k, v := range u.server {
		if r.Server == nil {
			r.Server = map[string]float64{}
		}
		r.Server[k] = v
	}
	r.TokensEstimated = false
	return nil
}

// usageScan is what applyUsage's scanner has read of a usage object. A
// key given twice counts as encoding/json counts it: the last one wins.
type usageScan struct {
	d                             decoder
	prompt, completion, reasoning int
	server                        map[string]float64
}

// isNum reports whether a number starts at the scanner's position.
func (u *usageScan) isNum() bool {
	c := u.d.b[u.d.i]
	return c == '-' || c >= '0' && c <= '9'
}

// key scans a member's key, unescaped, leaving the scanner at its value.
func (u *usageScan) key() ([]byte, error) {
	key, err := u.d.key()
	if err != nil {
		return nil, err
	}
	// Escapes decoded and invalid bytes as U+FFFD, as encoding/json names
	// the keys it decodes (a vendor field named with a stray byte is kept
	// under the name encoding/json would give it).
	key, _ = u.d.unescape(key)
	if u.d.i >= len(u.d.b) {
		return nil, u.d.fail("want value")
	}
	return key, nil
}

// member scans one member of the usage object.
func (u *usageScan) member() error {
	key, err := u.key()
	if err != nil {
		return err
	}
	if string(key) == "completion_tokens_details" {
		u.reasoning = 0
		if u.d.b[u.d.i] == '{' {
			delete(u.server, string(key))
			return u.d.list('}', u.detail)
		}
	}
	if !u.isNum() {
		delete(u.server, string(key))
		switch string(key) {
		case "prompt_tokens":
			u.prompt = 0
		case "completion_tokens":
			u.completion = 0
		}
		return u.d.skip()
	}
	start := u.d.i
	if err := u.d.number(); err != nil {
		return err
	}
	v, perr := strconv.ParseFloat(string(u.d.b[start:u.d.i]), 64)
	switch string(key) {
	case "prompt_tokens":
		u.prompt = int(v)
	case "completion_tokens":
		u.completion = int(v)
	case "total_tokens":
	default:
		if perr == nil {
			if u.server == nil {
				u.server = map[string]float64{}
			}
			u.server[string(key)] = v
		}
	}
	return nil
}

// detail scans one member of completion_tokens_details: reasoning_tokens
// is read, the others only validated.
func (u *usageScan) detail() error {
	k, err := u.key()
	if err != nil {
		return err
	}
	if string(k) != "reasoning_tokens" || !u.isNum() {
		return u.d.skip()
	}
	start := u.d.i
	if err := u.d.number(); err != nil {
		return err
	}
	u.reasoning, _ = strconv.Atoi(string(u.d.b[start:u.d.i]))
	return nil
}

// applyUsageJSON is applyUsage with encoding/json, for what the scanner
// does not take.
func applyUsageJSON(r *results.Record, raw []byte) error {
	var u map[string]json.RawMessage
	if err := json.Unmarshal(raw, &u); err != nil {
		return err
	}
	num := func(k string) int {
		v, _ := strconv.ParseFloat(string(u[k]), 64)
		return int(v)
	}
	r.PromptTokens = num("prompt_tokens")
	r.OutputTokens = num("completion_tokens")
	r.ReasoningTokens = 0
	if d, ok := u["completion_tokens_details"]; ok {
		var det struct {
			ReasoningTokens int `json:"reasoning_tokens"`
		}
		if json.Unmarshal(d, &det) == nil {
			r.ReasoningTokens = det.ReasoningTokens
		}
	}
	for k, v := range u {
		if standardUsage[k] {
			continue
		}
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		if err != nil {
			continue // objects, strings, booleans: not a timing
		}
		if r.Server == nil {
			r.Server = map[string]float64{}
		}
		r.Server[k] = f
	}
	r.TokensEstimated = false
	return nil
}
