package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestParseStartAtReadsATimeOrAnOffsetFromNow(t *testing.T) {
	now := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-05T07:30:00Z":      time.Date(2026, 12, 5, 7, 30, 0, 0, time.UTC),
		"2026-12-05T08:30:00+01:00": time.Date(2026, 12, 5, 7, 30, 0, 0, time.UTC),
		"+30s":                      now.Add(30 * time.Second),
		"+2m":                       now.Add(2 * time.Minute),
	} {
		got, err := ParseStartAt(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseStartAt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"tomorrow", "+", "+-5s", "30s", "2026-12-05 07:30"} {
		if _, err := ParseStartAt(in, now); err == nil {
			t.Errorf("ParseStartAt(%q) accepted", in)
		}
	}
}

func TestARunWaitsForItsStartTimeAndRecordsIt(t *testing.T) {
	exp := func(base string) *config.Experiment {
		return &config.Experiment{Name: "s", Repeats: 1, Dataset: config.DatasetSpec{Source: "mem"}, Params: config.Params{Temperature: []float64{0}},
			Export: config.ExportSpec{Dir: base, Formats: []string{}}, Platforms: []config.Platform{{Name: "p", Models: []string{"m"}, Concurrency: 2}}}
	}
	t.Run("a start time already past starts at once and is recorded", func(t *testing.T) {
		q := &jobQuerier{jobs: map[string]QueryJob{}}
		at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		run, err := (&Engine{Registry: shareRegistry(q, 4)}).Run(context.Background(), exp(t.TempDir()), RunOptions{StartAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if run.Manifest.StartAt == nil || !run.Manifest.StartAt.Equal(at) || len(q.jobs["p"].Cells) != 4 {
			t.Errorf("start_at %v, %d cells sent", run.Manifest.StartAt, len(q.jobs["p"].Cells))
		}
	})
	t.Run("Ctrl-C during the wait sends nothing and the run is interrupted", func(t *testing.T) {
		q := &jobQuerier{jobs: map[string]QueryJob{}}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var notes []string
		run, err := (&Engine{Registry: shareRegistry(q, 4)}).Run(ctx, exp(t.TempDir()), RunOptions{StartAt: time.Now().Add(time.Hour),
			Note: func(s string) {
				notes = append(notes, s)
				if strings.Contains(s, "waiting") {
					cancel()
				}
			}})
		if run == nil || run.Manifest.StopReason != runfolder.StopInterrupted {
			t.Fatalf("run %+v, err %v; want an interrupted run", run, err)
		}
		if len(q.jobs) != 0 {
			t.Errorf("cells were sent: %v", q.jobs)
		}
		if len(notes) == 0 || !strings.Contains(notes[0], "--start-at") {
			t.Errorf("notes %q do not say the run waits for --start-at", notes)
		}
	})
}
