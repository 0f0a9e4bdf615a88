package runfolder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestServerMetricsLogAppendsAcrossOpensAndSurvivesATornLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ServerMetricsFile)
	one := 1.0
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := NewServerMetricsLog(path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the file must not exist before the first sample: %v", err)
	}
	if err := l.Append(results.ServerSample{Time: t0, Platform: "a", Level: "c1", Running: &one}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a write leaves a torn line; a resumed run appends after it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-01-02T03:04:06Z","platform":"a","runn`)
	f.Close()
	l = NewServerMetricsLog(path)
	if err := l.Append(results.ServerSample{Time: t0.Add(2 * time.Second), Platform: "a", Level: "c2", Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	got, torn, err := ReadServerMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	if torn != 1 || len(got) != 2 {
		t.Fatalf("want 2 samples and 1 torn line, got %d and %d: %+v", len(got), torn, got)
	}
	if got[0].Level != "c1" || *got[0].Running != 1 || !got[0].Time.Equal(t0) || got[1].Level != "c2" || got[1].Error != "boom" {
		t.Errorf("round trip: %+v", got)
	}
}

func TestReadServerMetricsOfARunWithoutThemIsNone(t *testing.T) {
	got, torn, err := ReadServerMetrics(filepath.Join(t.TempDir(), ServerMetricsFile))
	if err != nil || torn != 0 || got != nil {
		t.Errorf("got %v %d %v", got, torn, err)
	}
}
