package pipeline

import (
	"path/filepath"
	"slices"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// writeMergedServerMetrics writes the shards' server_metrics.jsonl into
// out's, in time order (stable): shards that scraped one server
// interleave, so that each counter still only grows. No shard with
// scrapes writes no file.
func writeMergedServerMetrics(out string, shards []shardRun) error {
	var all []results.ServerSample
	for _, s := range shards {
		samples, _, err := runfolder.ReadServerMetrics(filepath.Join(s.dir, runfolder.ServerMetricsFile))
		if err != nil {
			return err
		}
		all = append(all, samples...)
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortStableFunc(all, func(a, b results.ServerSample) int { return a.Time.Compare(b.Time) })
	l := runfolder.NewServerMetricsLog(filepath.Join(out, runfolder.ServerMetricsFile))
	for _, s := range all {
		if err := l.Append(s); err != nil {
			l.Close()
			return err
		}
	}
	return l.Close()
}
