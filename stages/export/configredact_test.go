package export

import (
	"fmt"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestTheConfigSheetRedactsTheAPIKeyCommand(t *testing.T) {
	exp := config.Experiment{Name: "x", Platforms: []config.Platform{{Name: "p", Models: []string{"m"},
		APIKeyCommand: "TOKEN=s3cr3t-value get-token --token abc123 -H 'Authorization: Bearer zz99'"}}}
	for _, run := range []*pipeline.Run{
		{Experiment: &exp, Results: &results.Results{}},
		{Experiment: &exp, Manifest: &runfolder.Manifest{Experiment: exp}, Results: &results.Results{}},
	} {
		var cmd string
		for _, row := range configTable(run).rows {
			if strings.HasSuffix(fmt.Sprint(row[0]), "api_key_command") {
				cmd = fmt.Sprint(row[1])
			}
			for _, secret := range []string{"s3cr3t", "abc123", "zz99"} {
				if strings.Contains(fmt.Sprint(row[1]), secret) {
					t.Errorf("Config row %v shows %s", row, secret)
				}
			}
		}
		if !strings.Contains(cmd, "get-token --token "+config.Redacted) {
			t.Errorf("api_key_command row %q", cmd)
		}
	}
}

func TestAShardsReportSaysItRanItsShareOfEachLevel(t *testing.T) {
	m := &runfolder.Manifest{Shard: &runfolder.ShardInfo{Shard: runfolder.Shard{Index: 2, Count: 3}, Host: "h", Segment: "2/3:3/3",
		Levels: []runfolder.ShardLevel{{Platform: "p", Level: "c=8", Concurrency: 2, Segment: "6/8:8/8", Cells: 6}, {Platform: "q", Rate: 3, Segment: "2/3:3/3", Cells: 8}}}}
	got := strings.Join(shardLines(m), "\n")
	for _, want := range []string{"Shard 2/3", "p c=8: concurrency 2 (6/8:8/8, 6 requests)", "q: 3 req/s (2/3:3/3, 8 requests)"} {
		if !strings.Contains(got, want) {
			t.Errorf("shard lines %q do not say %q", got, want)
		}
	}
}
