// Package export writes a finished run into its folder: results.json,
// requests.csv and summary.csv, results.xlsx, report.md (with SVG plots) and
// report.html, and prints the console comparison table. Every exporter is a
// pipeline.Exporter reading only run (never an endpoint), so the same files
// can be rebuilt from a saved journal.
//
// Imports: pipeline, its core packages (pipeline/config, pipeline/results,
// pipeline/runfolder) and stages/aggregate (Verdict for results saved
// without one, RunDelta for the compare command's tables); export must not
// import another stage, and no stage imports export.
package export

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/atomicfile"
	"github.com/inferbench/inferbench/pipeline/results"
)

// File names written into the run folder.
const (
	ResultsJSONFile = "results.json"
	RequestsCSVFile = "requests.csv"
	SummaryCSVFile  = "summary.csv"
	XLSXFile        = "results.xlsx"
	MarkdownFile    = "report.md"
	HTMLFile        = "report.html"
)

// errNoResults is returned by exporters called on a run without Results.
var errNoResults = errors.New("run has no results (aggregate did not run)")

// checkRun validates what every exporter needs.
func checkRun(run *pipeline.Run) error {
	if run == nil {
		return errors.New("nil run")
	}
	if run.Results == nil {
		return errNoResults
	}
	if run.Dir == "" {
		return errors.New("run has no folder")
	}
	// Read the records once for every exporter's tables (see digest).
	_, err := recordDigest(run)
	return err
}

// writeFileAtomic writes a file with atomicfile.Write (mode 0644), so a
// reader never sees half a file.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// groupLabel names a group for humans: "platform/model" plus the temperature
// when the run has several and the load level when the platform has several
// ("metis/m c=16").
func groupLabel(k results.GroupKey, multiTemp bool) string {
	s := k.Platform + "/" + k.Model
	if multiTemp {
		s += " t=" + strconv.FormatFloat(k.Temperature, 'g', -1, 64)
	}
	if k.Level != "" {
		s += " " + k.Level
	}
	return s
}

// multiTemperature reports whether the groups span several temperatures.
func multiTemperature(groups []results.GroupStats) bool {
	for i := 1; i < len(groups); i++ {
		if groups[i].Temperature != groups[0].Temperature {
			return true
		}
	}
	return false
}

// labels returns the label of every group, in order.
func labels(groups []results.GroupStats) []string {
	multi := multiTemperature(groups)
	out := make([]string, len(groups))
	for i := range groups {
		out[i] = groupLabel(groups[i].GroupKey, multi)
	}
	return out
}

// comparisonFor returns the comparison of group k against the baseline, or nil.
func comparisonFor(res *results.Results, k results.GroupKey) *results.Comparison {
	for i := range res.Comparisons {
		if res.Comparisons[i].GroupKey == k {
			return &res.Comparisons[i]
		}
	}
	return nil
}

// metricNames returns the derived metric names of the groups, in
// declaration order (first appearance).
func metricNames(groups []results.GroupStats) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		for _, m := range g.Metrics {
			if !seen[m.Name] {
				seen[m.Name] = true
				out = append(out, m.Name)
			}
		}
	}
	return out
}

// metricValue returns the named derived metric of g.
func metricValue(g *results.GroupStats, name string) (float64, bool) {
	for _, m := range g.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// sortedErrors returns an error-class map as "class=n" pairs sorted by class.
func sortedErrors(m map[string]int) []string {
	keys := sortedKeys(m)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + strconv.Itoa(m[k])
	}
	return out
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
