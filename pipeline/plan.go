package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
)

// Select applies dataset.filter and then dataset.sample to samples that the
// loader already sliced. Sampling draws without replacement from a PCG
// generator seeded with seed and keeps the source order of what it draws,
// so the same seed and input always select the same ids.
func Select(spec config.DatasetSpec, seed int64, samples []config.Sample) ([]config.Sample, error) {
	out := samples
	if strings.TrimSpace(spec.Filter) != "" {
		prog, err := config.CompileFilter(spec.Filter)
		if err != nil {
			return nil, fmt.Errorf("dataset.filter: %w", err)
		}
		kept := make([]config.Sample, 0, len(out))
		for i := range out {
			v, err := config.RunExpr(prog, config.NewFilterEnv(&out[i]))
			if err != nil {
				return nil, fmt.Errorf("dataset.filter on sample %s: %w", out[i].ID, err)
			}
			if v.(bool) {
				kept = append(kept, out[i])
			}
		}
		out = kept
	}
	if spec.Sample > 0 && spec.Sample < len(out) {
		r := rand.New(rand.NewPCG(uint64(seed), 0x696e666572)) // "infer"
		idx := r.Perm(len(out))[:spec.Sample]
		sort.Ints(idx)
		picked := make([]config.Sample, len(idx))
		for i, j := range idx {
			picked[i] = out[j]
		}
		out = picked
	}
	return out, nil
}

// Plan is the expanded matrix of an experiment over selected samples.
type Plan struct {
	// Jobs are one per platform, in the experiment's platform order.
	Jobs []PlanJob
}

// PlanJob is one platform's cells.
type PlanJob struct {
	Platform config.Platform
	Cells    *CellList
}

// Total is the number of cells (requests, before retries) in the plan;
// levels sized by duration alone count none (see CellList.Planned).
func (p *Plan) Total() int {
	n := 0
	for _, j := range p.Jobs {
		n += j.Cells.Planned()
	}
	return n
}

// BuildPlan lays out platforms x load levels x models x temperatures x
// repeats x samples. Each platform's warmup cells come first (the first
// Warmup samples, cycling, with the platform's first level, model and
// temperature); then the measured cells in level, model, temperature,
// repeat, sample order (the engine runs a platform's levels one after the
// other). A level sized by load.requests has that many cells per model
// and temperature in place of repeats x samples, and one sized by
// load.duration alone has as many as it sends (see CellList.Timed). The
// cells are not built: each job's CellList computes a cell
// from its position, so the plan holds the rendered prompts of the
// questions and nothing per cell. A matrix of more than exp.MaxCells
// cells (DefaultMaxCells when unset), or one whose positions do not fit
// in an int, is an error.
func BuildPlan(ctx context.Context, exp *config.Experiment, samples []config.Sample) (*Plan, error) {
	if err := exp.CheckMatrix(uint64(len(samples)), false); len(samples) > 0 && err != nil {
		return nil, err
	}
	render, err := config.NewPromptRenderer(exp.Prompt)
	if err != nil {
		return nil, err
	}
	msgs := make([][]config.Message, len(samples))
	for i := range samples {
		if msgs[i], err = render.Render(&samples[i]); err != nil {
			return nil, fmt.Errorf("sample %s: %w", samples[i].ID, err)
		}
	}
	temps := exp.Params.Temperature
	if len(temps) == 0 {
		temps = []float64{config.DefaultTemperature}
	}
	repeats := max(exp.Repeats, 1)
	plan := &Plan{}
	for _, p := range exp.Platforms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		levels := p.RunLevels(nil)
		var labels []string
		for _, lv := range levels {
			labels = append(labels, lv.Label)
		}
		l := &CellList{platform: p.Name, models: p.Models, temps: temps, levels: labels, warmup: max(p.Warmup, 0),
			repeats: repeats, samples: samples, msgs: msgs, perSamples: len(samples)}
		if err := l.groupSamples(levels); err != nil {
			return nil, err
		}
		l.perGroup = repeats * l.perSamples
		if p.Levels != nil {
			if p.Levels.Requests > 0 {
				l.perGroup = p.Levels.Requests
			}
			l.levelWarmup, l.timedWarmup = p.Levels.Warmup.Requests, p.Levels.Warmup.Duration > 0
			l.timed, l.bounded = p.Levels.Duration > 0, p.Levels.Requests > 0
		}
		l.perLevel = len(p.Models) * len(temps) * l.perGroup
		if l.Timed() && l.perLevel > 0 {
			g := len(p.Models) * len(temps)
			l.perGroup = timedLevelCells / g
			l.perLevel = l.perGroup * g
		}
		plan.Jobs = append(plan.Jobs, PlanJob{Platform: p, Cells: l})
	}
	return plan, nil
}

// groupSamples lays out the samples of levels that send one sample group
// each (Level.Group): each group's samples contiguous, in source order,
// the levels' first samples in firsts. Every group must have as many
// samples (a level's cells are a fixed number of positions).
func (l *CellList) groupSamples(levels []config.Level) error {
	if len(levels) == 0 || levels[0].Group == "" || len(l.samples) == 0 {
		return nil
	}
	var order []string
	members := map[string][]int{}
	for _, lv := range levels {
		if _, ok := members[lv.Group]; !ok {
			order = append(order, lv.Group)
			members[lv.Group] = nil
		}
	}
	for i := range l.samples {
		g := l.samples[i].Group
		if _, ok := members[g]; !ok {
			return fmt.Errorf("sample %s: its group %q is not one of the dataset's sample groups %v", l.samples[i].ID, g, order)
		}
		members[g] = append(members[g], i)
	}
	samples := make([]config.Sample, 0, len(l.samples))
	msgs := make([][]config.Message, 0, len(l.samples))
	start := map[string]int{}
	for _, g := range order {
		if n, n0 := len(members[g]), len(members[order[0]]); n != n0 || n == 0 {
			return fmt.Errorf("sample group %s has %d samples, group %s %d: every group needs as many (and at least one)", g, n, order[0], n0)
		}
		start[g] = len(samples)
		for _, i := range members[g] {
			samples, msgs = append(samples, l.samples[i]), append(msgs, l.msgs[i])
		}
	}
	l.samples, l.msgs, l.perSamples = samples, msgs, len(members[order[0]])
	for _, lv := range levels {
		l.firsts = append(l.firsts, start[lv.Group])
	}
	return nil
}
