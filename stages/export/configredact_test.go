package export

import (
	"fmt"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

func TestTheConfigSheetRedactsTheAPIKeyCommand(t *testing.T) {
	exp := pipeline.Experiment{Name: "x", Platforms: []pipeline.Platform{{Name: "p", Models: []string{"m"},
		APIKeyCommand: "TOKEN=s3cr3t-value get-token --token abc123 -H 'Authorization: Bearer zz99'"}}}
	for _, run := range []*pipeline.Run{
		{Experiment: &exp, Results: &pipeline.Results{}},
		{Experiment: &exp, Manifest: &pipeline.Manifest{Experiment: exp}, Results: &pipeline.Results{}},
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
		if !strings.Contains(cmd, "get-token --token "+pipeline.Redacted) {
			t.Errorf("api_key_command row %q", cmd)
		}
	}
}
