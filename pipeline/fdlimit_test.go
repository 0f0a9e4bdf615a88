package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

func TestPlanFDsSumsPlatformsSideBySideAndTakesEachPlatformsLargestLevel(t *testing.T) {
	exp := &config.Experiment{Platforms: []config.Platform{
		{Name: "a", BaseURL: "http://a", Concurrency: 10,
			Levels: &config.LevelsSpec{Resolved: []config.Level{{Label: "c=4", Concurrency: 4}, {Label: "c=32", Concurrency: 32}}}},
		{Name: "emu", Emulate: config.ConfigBlock(&testEmulate{}), Concurrency: 8},
		{Name: "open", BaseURL: "http://o", Rate: 5.5, Timeout: config.Duration(20 * time.Second)},
		{Name: "capped", BaseURL: "http://c", Rate: 50, Concurrency: 3},
	}}
	fp := PlanFDs(exp)
	// 32 (a's largest level) + 2x8 (emulated) + 6 (ceil 5.5 req/s x 1 s) + 3.
	if fp.Connections != 57 || fp.Need != 57+FDMargin {
		t.Errorf("connections %d need %d, want 57 and %d", fp.Connections, fp.Need, 57+FDMargin)
	}
	if !slices.Equal(fp.Uncapped, []string{"open"}) || fp.UncappedWorst != 110 {
		t.Errorf("uncapped %v worst %d, want [open] and 110 (5.5 req/s x 20 s)", fp.Uncapped, fp.UncappedWorst)
	}
}

func TestPlanFDsOfAShardCountsItsShareOfTheConnections(t *testing.T) {
	exp := &config.Experiment{Platforms: []config.Platform{{Name: "a", BaseURL: "http://a", Concurrency: 3000}}}
	if got := PlanFDs(shardExperiment(exp, runfolder.Shard{Index: 1, Count: 4})).Connections; got != 750 {
		t.Errorf("shard 1/4 of concurrency 3000: %d connections, want 750", got)
	}
	if got := PlanFDs(shardExperiment(exp, runfolder.Shard{})).Connections; got != 3000 {
		t.Errorf("the whole load: %d connections, want 3000", got)
	}
}

func TestFDCheckSaysWhetherTheLimitFitsAndWhatRunDoesAboutIt(t *testing.T) {
	fp := FDPlan{Connections: 300, Need: 300 + FDMargin}
	for _, c := range []struct {
		check FDCheck
		want  string
	}{
		{FDCheck{Plan: fp, Soft: 1023, Hard: 1024, Known: true}, "need 364 (300 connections at once + 64 kept aside); limit 1023 (hard limit 1024): enough"},
		{FDCheck{Plan: fp, Soft: 256, Hard: 4096, Known: true}, "limit 256 (hard limit 4096): run raises the soft limit to 4096"},
		{FDCheck{Plan: fp, Soft: 128, Hard: 256, Known: true}, "limit 128 (hard limit 256): too low, run refuses and exits 5; raise it (ulimit -n 364), lower the concurrency, or split the load over machines with --shard"},
		{FDCheck{Plan: fp}, "the limit cannot be read here, so run does not check it"},
		{FDCheck{Plan: FDPlan{Connections: 6, Need: 70, Uncapped: []string{"open"}, UncappedWorst: 110}, Soft: 1023, Hard: 1024, Known: true},
			"open-loop platforms without a concurrency cap (open) count rate x 1 s, and may hold up to rate x timeout = 110"},
	} {
		if got := c.check.String(); !strings.Contains(got, c.want) {
			t.Errorf("%+v:\n got %q\nwant %q in it", c.check, got, c.want)
		}
	}
}
