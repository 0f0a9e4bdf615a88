package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// MarshalJSON writes d as its fields, except that a distribution of no
// values (N == 0) writes every figure but "n" as null: a group without a
// successful request has no latency, not a latency of 0. Decoding null
// leaves a field 0, so such a Dist reads back as the zero Dist.
func (d Dist) MarshalJSON() ([]byte, error) {
	type plain Dist
	b, err := json.Marshal(plain(d))
	if err != nil || d.N > 0 {
		return b, err
	}
	return nullKeys(b, func(k string) bool { return k != "n" })
}

// HasSpeedup reports whether c compares latencies: false when either group
// has no successful request, in which case SpeedupMedian is 0.
func (c Comparison) HasSpeedup() bool { return c.SpeedupMedian > 0 }

// MarshalJSON writes c as its fields, except that the speedup figures
// (speedup_median, speedup_mean, ci_low, ci_high, p_value) are null when
// !c.HasSpeedup(), and the accuracy differences (delta_f1, delta_em and
// their ci_low, ci_high, p_value) are null when NPaired is 0.
func (c Comparison) MarshalJSON() ([]byte, error) {
	type plain Comparison
	b, err := json.Marshal(plain(c))
	if err != nil || (c.HasSpeedup() && c.NPaired > 0) {
		return b, err
	}
	return nullKeys(b, func(k string) bool {
		switch k {
		case "speedup_median", "speedup_mean", "speedup_mean_ci_low", "speedup_mean_ci_high", "ci_low", "ci_high", "p_value":
			return !c.HasSpeedup()
		}
		return c.NPaired == 0 && strings.HasPrefix(k, "delta_") && !strings.HasSuffix(k, "_significant")
	})
}

// MarshalJSON writes p as its fields, except that a level without a
// successful request writes its timing figures (ttft_*, tpot_*, e2e_*) as
// null: it has no latency, not a latency of 0.
func (p SweepPoint) MarshalJSON() ([]byte, error) {
	type plain SweepPoint
	b, err := json.Marshal(plain(p))
	if err != nil || (p.HasTimings() && p.HasTPOT()) {
		return b, err
	}
	return nullKeys(b, func(k string) bool {
		if strings.HasPrefix(k, "tpot_") && k != "tpot_count" {
			return true
		}
		return !p.HasTimings() && (strings.HasPrefix(k, "ttft_") || strings.HasPrefix(k, "e2e_"))
	})
}

// nullKeys rewrites the JSON object b with the values of the top-level
// keys that null selects replaced by null, keeping the keys' order.
func nullKeys(b []byte, null func(key string) bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("null keys: not a JSON object: %s", b)
	}
	var out bytes.Buffer
	out.Grow(len(b))
	out.WriteByte('{')
	for i := 0; dec.More(); i++ {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("null keys: %w", err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("null keys: %w", err)
		}
		if i > 0 {
			out.WriteByte(',')
		}
		kb, err := json.Marshal(key)
		if err != nil {
			return nil, fmt.Errorf("null keys: %w", err)
		}
		out.Write(kb)
		out.WriteByte(':')
		if null(key) {
			out.WriteString("null")
		} else {
			out.Write(raw)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}
