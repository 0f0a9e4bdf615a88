package aggregate

import (
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// goodCount counts the records that succeeded and meet every SLO that is
// set (a zero SLO is not set): TTFT <= slo.TTFT, E2E latency <= slo.E2E and,
// for records with at least two output tokens, TPOT <= slo.TPOT. With no SLO
// set it is the number of successes. Failed records never count.
func goodCount(slo config.SLOSpec, rows *rowStore) int {
	ttft, e2e, tpot := ms(slo.TTFT), ms(slo.E2E), ms(slo.TPOT)
	good := 0
	for i := range rows.len() {
		r := rows.at(i)
		if !r.ok() {
			continue
		}
		if ttft > 0 && r.ttft > ttft {
			continue
		}
		if e2e > 0 && r.latency > e2e {
			continue
		}
		if tpot > 0 && r.twoTokens() && r.tpot > tpot {
			continue
		}
		good++
	}
	return good
}

// ms converts a duration to float milliseconds.
func ms(d config.Duration) float64 { return float64(d) / float64(time.Millisecond) }
