package results

import (
	"fmt"

	"github.com/inferbench/inferbench/pipeline/config"
)

// NewGroupEnv returns the expression view of g.
func NewGroupEnv(g *GroupStats) config.GroupEnv {
	m := make(map[string]float64, len(g.Metrics))
	for _, nv := range g.Metrics {
		m[nv.Name] = nv.Value
	}
	env := config.GroupEnv{
		Platform: g.Platform, Model: g.Model, Temperature: g.Temperature, Level: g.Level,
		Count: g.Count, Successes: g.Successes, Failures: g.Failures, Truncated: g.Truncated,
		ErrorRate:   g.ErrorRate,
		LatencyMean: g.LatencyMs.Mean, LatencyP50: g.LatencyMs.P50, LatencyP90: g.LatencyMs.P90,
		LatencyP95: g.LatencyMs.P95, LatencyP99: g.LatencyMs.P99,
		TTFTMean: g.TTFTMs.Mean, TTFTP50: g.TTFTMs.P50, TTFTP95: g.TTFTMs.P95,
		TPOTMean: g.TPOTMs.Mean, TokensPerSec: g.TokensPerSec.Mean, Throughput: g.Throughput,
		RequestThroughput: g.RequestThroughput, SendRate: g.SendRate, PromptTokens: g.PromptTokens, OutputTokens: g.OutputTokens,
		ReasoningTokens: g.ReasoningTokens, EM: g.EM.Mean, F1: g.F1.Mean, RawEM: g.RawEM.Mean,
		RawF1: g.RawF1.Mean, Agreement: g.Agreement, Goodput: g.Goodput, Metrics: m,
		ClientBound:   g.ClientBound,
		LatencyStddev: g.LatencyMs.Stddev, LatencyCV: g.LatencyMs.CV, TTFTStddev: g.TTFTMs.Stddev, TTFTCV: g.TTFTMs.CV,
		OutputTokensPerRequest: g.OutputTokensMean,
	}
	if c := g.Client; c != nil {
		env.ClientSchedLatencyP99, env.ClientCPU = c.SchedLatencyP99Ms, c.CPUPercent
		env.ClientSendLagP50, env.ClientSendLagP99 = c.SendLagP50Ms, c.SendLagP99Ms
	}
	if s := g.ServerMetrics; s != nil {
		v := func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		}
		env.ServerRunningMean, env.ServerRunningMax = v(s.RunningMean), v(s.RunningMax)
		env.ServerWaitingMean, env.ServerWaitingMax = v(s.WaitingMean), v(s.WaitingMax)
		env.ServerKVCacheUsageMean, env.ServerKVCacheUsageMax = v(s.KVCacheUsageMean), v(s.KVCacheUsageMax)
		env.ServerPreemptions = v(s.Preemptions)
	}
	return env
}

// NewCheckEnv builds the check environment of res.
func NewCheckEnv(res *Results) config.CheckEnv {
	env := config.CheckEnv{Groups: make([]config.GroupEnv, len(res.Groups))}
	for i := range res.Groups {
		env.Groups[i] = NewGroupEnv(&res.Groups[i])
	}
	env.Group = func(name string) (config.GroupEnv, error) {
		for _, g := range env.Groups {
			if g.Platform == name || g.Platform+"/"+g.Model == name {
				return g, nil
			}
		}
		return config.GroupEnv{}, fmt.Errorf("group(%q): no such platform or platform/model", name)
	}
	env.Speedup = func(name string) (float64, error) {
		for _, c := range res.Comparisons {
			if c.Platform == name || c.Platform+"/"+c.Model == name {
				return c.SpeedupMedian, nil
			}
		}
		return 0, fmt.Errorf("speedup(%q): no comparison for that platform", name)
	}
	return env
}
