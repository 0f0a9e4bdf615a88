package query

import (
	"context"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// startEmulator serves the job's emulated platform on 127.0.0.1 (a free
// port) and returns its base URL and shutdown function. The emulator learns
// which sample a request asks about from the job's cells: the last user
// message of a cell maps to its sample (the job's questions are rendered
// with the run's prompt renderer when the job generates its cells). It
// serves the platform's models only, as a real endpoint does: a request for
// another model is a 404.
func startEmulator(_ context.Context, job pipeline.QueryJob) (string, func(context.Context) error, error) {
	samples := map[string]*config.Sample{} // one entry per question, not per cell
	if job.Source == nil {
		for i := range job.Cells {
			c := &job.Cells[i]
			if m := lastUser(c.Messages); m != "" && c.Sample != nil {
				samples[m] = c.Sample
			}
		}
	} else {
		for s, msgs := range job.Source.Questions() {
			if m := lastUser(msgs); m != "" {
				samples[m] = s
			}
		}
	}
	lookup := func(msgs []config.Message) *config.Sample { return samples[lastUser(msgs)] }
	profile, err := emulator.ProfileOf(job.Platform.Emulate)
	if err != nil {
		return "", nil, err
	}
	return emulator.Start("127.0.0.1:0", emulator.New(profile, job.Seed, lookup, emulator.WithModels(job.Platform.Models...)))
}

// lastUser returns the content of the last user message, "" if none.
func lastUser(msgs []config.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}

// registerEmulator registers the emulator's profile as the config type
// of the platforms' emulate block.
func registerEmulator(reg *pipeline.Registry) { emulator.Register(reg) }
