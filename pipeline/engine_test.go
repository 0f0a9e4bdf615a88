package pipeline

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestAFailedStageIsReturnedWithItsNameAndLoggedOnlyInVerboseMode(t *testing.T) {
	tests := []struct {
		name    string
		level   slog.Level
		wantLog bool
	}{
		{"the default warn level shows nothing, the caller prints the error", slog.LevelWarn, false},
		{"the verbose info level lists the failure with the stage lines", slog.LevelInfo, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
			m := &runfolder.Manifest{}
			boom := errors.New("boom")
			err := stage(m, log, "load", 3, func() (int, error) { return 1, boom })
			if !errors.Is(err, boom) || err.Error() != "load: boom" {
				t.Fatalf("err = %v, want load: boom wrapping boom", err)
			}
			if len(m.Stages) != 1 || m.Stages[0].Stage != "load" || m.Stages[0].In != 3 || m.Stages[0].Out != 1 {
				t.Errorf("stages = %+v", m.Stages)
			}
			if got := strings.Contains(buf.String(), "stage failed"); got != tt.wantLog {
				t.Errorf("log shows the failure: %v, want %v\n%s", got, tt.wantLog, buf.String())
			}
		})
	}
}

func TestPreflightNamesAnUnsetAPIKeyVariableBeforeAnyRunFolderExists(t *testing.T) {
	t.Setenv("INFERBENCH_TEST_KEY_SET", "x")
	exp := &config.Experiment{Platforms: []config.Platform{
		{Name: "ok", APIKeyEnv: "INFERBENCH_TEST_KEY_SET"},
		{Name: "missing", APIKeyEnv: "INFERBENCH_TEST_KEY_UNSET_42"},
		{Name: "none"},
	}}
	err := preflight(exp)
	if err == nil || !strings.Contains(err.Error(), "platforms[1].api_key_env: environment variable INFERBENCH_TEST_KEY_UNSET_42 is not set") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "platforms[0]") {
		t.Fatalf("a set variable was reported: %v", err)
	}
}
