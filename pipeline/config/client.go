package config

import (
	"time"
)

// Default client-bound thresholds (ClientSpec).
const (
	// DefaultMaxSchedLatency: a level whose Go scheduler latency p99 is
	// above it is client-bound.
	DefaultMaxSchedLatency = Duration(5 * time.Millisecond)
	// DefaultMaxCPU: a level whose process CPU use is above this share of
	// the cores it may use is client-bound.
	DefaultMaxCPU = 0.9
	// DefaultMaxSendLag: an open-loop level whose send lag p99 is above it
	// is client-bound.
	DefaultMaxSendLag = Duration(10 * time.Millisecond)
)

// ClientSpec is the experiment's `client:` block: the thresholds above
// which a load level is client-bound, i.e. the client's own delay could
// distort its timings. Zero (left out) means the default. report and
// rescore may change them (--set client.max_cpu=0.8): the measured
// figures are in the manifest.
type ClientSpec struct {
	MaxSchedLatency Duration `yaml:"max_sched_latency" json:"max_sched_latency,omitempty" validate:"gte=0"`
	MaxCPU          float64  `yaml:"max_cpu" json:"max_cpu,omitempty" validate:"gte=0"`
	MaxSendLag      Duration `yaml:"max_send_lag" json:"max_send_lag,omitempty" validate:"gte=0"`
}

// WithDefaults returns s with every threshold left out set to its default.
func (s ClientSpec) WithDefaults() ClientSpec {
	if s.MaxSchedLatency == 0 {
		s.MaxSchedLatency = DefaultMaxSchedLatency
	}
	if s.MaxCPU == 0 {
		s.MaxCPU = DefaultMaxCPU
	}
	if s.MaxSendLag == 0 {
		s.MaxSendLag = DefaultMaxSendLag
	}
	return s
}
