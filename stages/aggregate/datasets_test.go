package aggregate

import (
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func datasetRun(source, sha string, ids ...string) *pipeline.Run {
	r := &pipeline.Run{Manifest: &runfolder.Manifest{Dataset: runfolder.DatasetInfo{Source: source, Location: "f.json", SHA256: sha, IDs: ids}},
		Samples: map[string]*config.Sample{}}
	for _, id := range ids {
		r.Samples[id] = &config.Sample{ID: id, Context: "c", Question: "q " + id, Answers: []string{"a"}}
	}
	return r
}

func TestCompareDatasetsNamesWhatDiffersAndFindsTheSharedQuestions(t *testing.T) {
	changed := datasetRun("squad", "aa", "1", "2", "3")
	changed.Samples["2"] = &config.Sample{ID: "2", Context: "c", Question: "another question", Answers: []string{"a"}}
	tests := []struct {
		name   string
		a, b   *pipeline.Run
		want   []string
		shared []string
	}{
		{"the same questions of the same file differ in nothing", datasetRun("squad", "aa", "1", "2", "3"), datasetRun("squad", "aa", "1", "2", "3"),
			nil, []string{"1", "2", "3"}},
		{"overlapping selections are counted", datasetRun("squad", "aa", "1", "2", "3"), datasetRun("squad", "aa", "2", "3", "4", "5"),
			[]string{"selected questions differ: 3 in A, 4 in B, 2 shared (1 only in A, 2 only in B)"}, []string{"2", "3"}},
		{"another file is named by its checksum", datasetRun("squad", "aa", "1", "2"), datasetRun("squad", "bb", "1", "2"),
			[]string{"dataset sha256: aa -> bb"}, []string{"1", "2"}},
		{"another source is named", datasetRun("squad", "aa", "1"), datasetRun("jsonl", "aa", "1"),
			[]string{"dataset source: squad -> jsonl"}, []string{"1"}},
		{"an id whose question changed is not shared", datasetRun("squad", "aa", "1", "2", "3"), changed,
			[]string{"1 question with the same id differs in its question, context or answers"}, []string{"1", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := CompareDatasets(tt.a, tt.b)
			got := strings.Join(d.Differences, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("differences lack %q:\n%s", w, got)
				}
			}
			if len(tt.want) == 0 && len(d.Differences) > 0 {
				t.Errorf("differences %q, want none", d.Differences)
			}
			if !slices.Equal(d.Shared, tt.shared) {
				t.Errorf("shared %v, want %v", d.Shared, tt.shared)
			}
		})
	}
}

func TestOnlySamplesKeepsTheRecordsOfTheGivenQuestions(t *testing.T) {
	recs := []results.Record{{CellKey: results.CellKey{SampleID: "1"}}, {CellKey: results.CellKey{SampleID: "2"}}, {CellKey: results.CellKey{SampleID: "3", Warmup: true}}}
	got := OnlySamples(recs, []string{"2", "3"})
	if len(got) != 2 || got[0].SampleID != "2" || got[1].SampleID != "3" {
		t.Fatalf("kept %+v", got)
	}
}
