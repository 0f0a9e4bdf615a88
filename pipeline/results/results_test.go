package results

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMissingFiguresEncodeAsNull(t *testing.T) {
	t.Run("an empty distribution keeps n 0 and writes every figure as null", func(t *testing.T) {
		b, err := json.Marshal(GroupStats{})
		if err != nil {
			t.Fatal(err)
		}
		want := `"latency_ms":{"n":0,"mean":null,"stddev":null,"cv":null,"min":null,"max":null,"p50":null,"p90":null,"p95":null,"p99":null,"ci_low":null,"ci_high":null}`
		if !strings.Contains(string(b), want) {
			t.Errorf("got %s\nwant it to contain %s", b, want)
		}
		var back GroupStats
		if err := json.Unmarshal(b, &back); err != nil || back.LatencyMs != (Dist{}) {
			t.Errorf("round trip: %v %+v", err, back.LatencyMs)
		}
	})
	t.Run("a distribution with values writes numbers and round-trips", func(t *testing.T) {
		d := Dist{N: 2, Mean: 1.5, Stddev: 0.7, CV: 0.47, Min: 1, Max: 2, P50: 1.5, P90: 1.9, P95: 1.95, P99: 1.99, CILow: 1, CIHigh: 2}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Dist
		if err := json.Unmarshal(b, &back); err != nil || back != d || strings.Contains(string(b), "null") {
			t.Errorf("%s -> %+v (%v)", b, back, err)
		}
	})
	t.Run("a comparison without latency or shared questions writes those figures as null, in field order", func(t *testing.T) {
		c := Comparison{GroupKey: GroupKey{Platform: "metis"}, PValue: 1, DeltaF1PValue: 1, DeltaEMPValue: 1, Verdict: "v"}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"platform":"metis","model":"","temperature":0,"baseline":{"platform":"","model":"","temperature":0},` +
			`"speedup_median":null,"speedup_mean":null,"ci_low":null,"ci_high":null,"p_value":null,"significant":false,"verdict":"v",` +
			`"delta_f1":null,"delta_f1_ci_low":null,"delta_f1_ci_high":null,"delta_f1_p_value":null,"delta_f1_significant":false,` +
			`"delta_em":null,"delta_em_ci_low":null,"delta_em_ci_high":null,"delta_em_p_value":null,"delta_em_significant":false,"n_paired":0}`
		if string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
	})
	t.Run("a comparison with both writes numbers", func(t *testing.T) {
		c := Comparison{SpeedupMedian: 1.5, SpeedupMean: 1.4, CILow: 1.2, CIHigh: 1.7, PValue: 0.01, NPaired: 3, DeltaF1: -2, DeltaF1PValue: 0.5}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Comparison
		if err := json.Unmarshal(b, &back); err != nil || back != c || strings.Contains(string(b), "null") {
			t.Errorf("%s -> %+v (%v)", b, back, err)
		}
	})
}

func TestFailedPlatformsAreThoseWithoutASuccess(t *testing.T) {
	g := func(platform string, temp float64, count, successes int) GroupStats {
		return GroupStats{GroupKey: GroupKey{Platform: platform, Temperature: temp}, Count: count, Successes: successes, Failures: count - successes}
	}
	for _, tc := range []struct {
		name   string
		groups []GroupStats
		want   string
	}{
		{"every platform with a success passes", []GroupStats{g("a", 0, 5, 1), g("b", 0, 5, 5)}, ""},
		{"a platform whose every request failed is named", []GroupStats{g("a", 0, 5, 0), g("b", 0, 5, 5)}, "a"},
		{"a platform with no request at all is named", []GroupStats{g("a", 0, 5, 5), g("b", 0, 0, 0)}, "b"},
		{"one successful temperature is enough for the platform", []GroupStats{g("a", 0, 5, 0), g("a", 1, 5, 2)}, ""},
		{"several are named in group order", []GroupStats{g("z", 0, 5, 0), g("a", 0, 5, 0), g("z", 1, 5, 0)}, "z,a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Results{Groups: tc.groups}
			if got := strings.Join(r.FailedPlatforms(), ","); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
