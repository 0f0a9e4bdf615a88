package export

import (
	"sort"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// digest is what the report, the console and the workbook need of a run's
// records besides its Results, gathered in one pass over them (see
// recordDigest), so that a run of a million requests is read back once for
// all of them instead of once per table, and never held in memory.
type digest struct {
	// server are the vendor timing fields found in any record, sorted.
	server []string
	// retries by group (non-warmup records).
	retries map[results.GroupKey]retryCount
	// failures are the error classes of failed non-warmup records, most
	// frequent first.
	failures []*failureClass
	// series are the per-request latency and TTFT of every group's
	// successful non-warmup records, for the plots.
	series map[results.GroupKey]*groupSeries
	// questions are those of the report's answers table
	// (answerQuestions), answers their answers by group.
	questions []string
	answers   map[string]map[results.GroupKey]*answerCell
	// timeline is every platform's activity over the run (every record
	// sent, warmups included); nil when none was sent.
	timeline *timeline
	// records counts every record of the journal.
	records int
}

// recordDigest returns run's digest, reading the records (run.EachRecord)
// the first time it is asked for a run.
func recordDigest(run *pipeline.Run) (*digest, error) {
	v, err := run.Memo("export.digest", func() (any, error) {
		d := &digest{retries: map[results.GroupKey]retryCount{}, series: map[results.GroupKey]*groupSeries{}}
		server := map[string]struct{}{}
		failures := map[string]*failureClass{}
		d.questions = answerQuestions(run)
		d.answers = make(map[string]map[results.GroupKey]*answerCell, len(d.questions))
		for _, id := range d.questions {
			d.answers[id] = map[results.GroupKey]*answerCell{}
		}
		sent := map[string][]timelineRecord{}
		var platforms []string
		seen := map[string]bool{}
		err := run.EachRecord(func(r *results.Record) error {
			d.records++
			if !seen[r.Platform] {
				seen[r.Platform] = true
				platforms = append(platforms, r.Platform)
			}
			addTimelineRecord(sent, r)
			for k := range r.Server {
				server[k] = struct{}{}
			}
			if r.Warmup {
				return nil
			}
			addAnswer(d.answers, r)
			k := r.Group()
			d.retries[k] = addRetries(d.retries[k], r)
			if r.OK() {
				s := d.series[k]
				if s == nil {
					s = &groupSeries{}
					d.series[k] = s
				}
				s.latency = append(s.latency, r.LatencyMs)
				s.ttft = append(s.ttft, r.TTFTMs)
				return nil
			}
			fc := failures[r.Error]
			if fc == nil {
				fc = &failureClass{class: r.Error, groups: map[string]int{}}
				failures[r.Error] = fc
			}
			fc.count++
			fc.groups[r.Platform+"/"+r.Model]++
			if fc.example == "" && r.ErrorDetail != "" {
				fc.example = truncateText(r.ErrorDetail, maxExampleDetail)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		d.server = sortedKeys(server)
		d.timeline = buildTimeline(platforms, sent)
		d.timeline.addServer(serverSamples(run))
		for _, fc := range failures {
			d.failures = append(d.failures, fc)
		}
		sortFailureClasses(d.failures)
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*digest), nil
}

// digestOf is recordDigest for the tables of an exporter that has already
// called recordDigest (so the records were read, and any error reported):
// an empty digest if it has not.
func digestOf(run *pipeline.Run) *digest {
	d, err := recordDigest(run)
	if err != nil {
		return &digest{retries: map[results.GroupKey]retryCount{}, series: map[results.GroupKey]*groupSeries{}}
	}
	return d
}

// sortFailureClasses orders classes most frequent first, then by name.
func sortFailureClasses(out []*failureClass) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].class < out[j].class
	})
}
