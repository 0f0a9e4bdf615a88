package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Slice is a parsed Python-style slice "[start:stop:step]". Nil bounds mean
// "from the start" / "to the end"; negative bounds count from the end.
type Slice struct {
	Start, Stop *int
	Step        int
}

// ParseSlice parses "", "[:10]", "[5:20]", "[-100:]", "[::2]" or "[7]"
// (a single index). The empty string selects everything.
func ParseSlice(s string) (Slice, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Slice{Step: 1}, nil
	}
	if !strings.HasPrefix(t, "[") || !strings.HasSuffix(t, "]") {
		return Slice{}, fmt.Errorf("slice %q: want Python slice syntax like \"[:10]\" or \"[100:200]\"", s)
	}
	inner := t[1 : len(t)-1]
	parts := strings.Split(inner, ":")
	if len(parts) > 3 {
		return Slice{}, fmt.Errorf("slice %q: too many colons", s)
	}
	num := func(p string) (*int, error) {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("slice %q: %q is not an integer", s, p)
		}
		return &n, nil
	}
	out := Slice{Step: 1}
	var err error
	if len(parts) == 1 {
		i, err := num(parts[0])
		if err != nil || i == nil {
			return Slice{}, fmt.Errorf("slice %q: want an index or start:stop[:step]", s)
		}
		out.Start = i
		stop := *i + 1
		if *i == -1 {
			out.Stop = nil
		} else {
			out.Stop = &stop
		}
		return out, nil
	}
	if out.Start, err = num(parts[0]); err != nil {
		return Slice{}, err
	}
	if out.Stop, err = num(parts[1]); err != nil {
		return Slice{}, err
	}
	if len(parts) == 3 {
		st, err := num(parts[2])
		if err != nil {
			return Slice{}, err
		}
		if st != nil {
			if *st <= 0 {
				return Slice{}, fmt.Errorf("slice %q: step must be a positive integer", s)
			}
			out.Step = *st
		}
	}
	return out, nil
}

// Bounds resolves the slice against n items the way Python does, returning
// start and stop with 0 <= start <= stop <= n.
func (s Slice) Bounds(n int) (start, stop int) {
	clamp := func(p *int, def int) int {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += n
			if v < 0 {
				v = 0
			}
		}
		if v > n {
			v = n
		}
		return v
	}
	start, stop = clamp(s.Start, 0), clamp(s.Stop, n)
	if stop < start {
		stop = start
	}
	return start, stop
}

// Indices lists the selected indices of n items, in order.
func (s Slice) Indices(n int) []int {
	start, stop := s.Bounds(n)
	step := s.Step
	if step <= 0 {
		step = 1
	}
	out := make([]int, 0, (stop-start+step-1)/step)
	for i := start; i < stop; i += step {
		out = append(out, i)
	}
	return out
}

// Apply returns the selected samples of all, in order.
func (s Slice) Apply(all []Sample) []Sample {
	idx := s.Indices(len(all))
	out := make([]Sample, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}
