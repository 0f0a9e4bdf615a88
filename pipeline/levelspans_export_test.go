package pipeline

import (
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// LevelRatesOf is, for the external tests, the completed request rates by
// level that a resume computes from the kept records recs of platform
// under a manifest's sending marks (see levelSpans).
func LevelRatesOf(marks []runfolder.SendSpan, recs []*results.Record, platform string) map[string]float64 {
	ls := newLevelSpans(marks)
	for _, r := range recs {
		ls.add(r)
	}
	return ls.rates(platform)
}
