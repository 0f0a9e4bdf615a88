package emulator

import "sync/atomic"

// fault is the failure injected into one attempt.
type fault uint8

const (
	faultNone fault = iota
	fault429
	fault500
	faultDisconnect
	faultStall
	faultMalformed
	faultErrorEvent
)

// pickFault decides the fault of one attempt: a single uniform draw is cut
// into consecutive shares in the order 429, 500, disconnect, stall,
// malformed, error_event, so each share is exact when they sum to <= 1.
func (s *Server) pickFault(key uint64, attempt uint32) fault {
	if !s.faulty {
		return faultNone
	}
	u := unit(key^mix(uint64(attempt)+1), saltFault)
	f := s.profile.Faults
	shares := [...]float64{f.Rate429, f.Rate500, f.Disconnect, f.Stall, f.Malformed, f.ErrorEvent}
	acc := 0.0
	for i, p := range shares {
		acc += p
		if u < acc {
			return fault(i + 1)
		}
	}
	return faultNone
}

// attempt returns how many earlier requests had this key (0 for the first).
func (s *Server) attempt(key uint64) uint32 {
	v, ok := s.attempts.Load(key)
	if !ok {
		v, _ = s.attempts.LoadOrStore(key, new(atomic.Uint32))
	}
	return v.(*atomic.Uint32).Add(1) - 1
}

// faultPoint is the token event before which a mid-stream fault fires: 1
// to half of the response's token events, drawn from key.
func faultPoint(key uint64, total int) int {
	half := total / 2
	if half < 1 {
		half = 1
	}
	return min(1+int(unit(key, saltFaultAt)*float64(half)), total)
}
