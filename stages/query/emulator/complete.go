package emulator

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// usage gathers the usage figures of a finished response. firstTok and
// lastTok are when the first and the last token were sent (zero if none;
// a zero lastTok means now).
func (s *Server) usage(p *plan, firstTok, lastTok time.Time) usageFigures {
	u := usageFigures{
		prompt:     p.prompt,
		completion: p.reasoningN + p.contentN,
		reasoning:  p.reasoningN,
		finish:     p.finish,
	}
	if s.sambanova {
		if lastTok.IsZero() {
			lastTok = time.Now()
		}
		u.total = lastTok.Sub(p.start).Seconds()
		u.ttft = u.total
		if !firstTok.IsZero() {
			u.ttft = firstTok.Sub(p.start).Seconds()
		}
		u.startUnix = float64(p.start.UnixNano()) / 1e9
	}
	return u
}

// complete writes a non-streaming chat.completion after the time the whole
// stream would have taken. Faults: disconnect aborts the connection before
// any byte, stall delays the response by stall_for, malformed sends a body
// cut short, error_event answers 500 with an error body.
func (s *Server) complete(w http.ResponseWriter, ctx context.Context, sc *scratch, p *plan) {
	sched := s.newSchedule(p)
	total := p.reasoningN + p.contentN
	var off, first time.Duration
	for i := 0; i < total || i == 0; i++ {
		off = sched.next()
		if i == 0 {
			first = off
		}
	}
	switch p.fault {
	case faultStall:
		off += s.stallFor
	case faultErrorEvent:
		s.writeError(w, errInjected500)
		return
	case faultDisconnect:
		if sc.wait(ctx, p.start.Add(first)) {
			panic(http.ErrAbortHandler)
		}
		return
	}
	if !sc.wait(ctx, p.start.Add(off)) {
		return
	}
	firstTok := p.start.Add(first)
	if total == 0 {
		firstTok = time.Time{}
	}
	b := s.appendCompletion(sc.out[:0], p, firstTok)
	w.Header()["Content-Type"] = hdrJSON
	_, _ = w.Write(b)
	sc.out = b[:0]
}

// appendCompletion appends the chat.completion object of a plan whose
// first token was due at firstTok (zero: no token); a malformed fault cuts
// it short inside its first choice.
func (s *Server) appendCompletion(b []byte, p *plan, firstTok time.Time) []byte {
	b = append(b, `{"id":"`...)
	b = appendID(b, p.id)
	b = append(b, '"')
	b = append(b, completionObj...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, modelKey...)
	b = appendJSONString(b, p.model)
	b = append(b, choicesOpen...)
	if p.fault == faultMalformed {
		return append(b, malformedChunk...)
	}
	b = append(b, `{"index":0,"message":{"role":"assistant","content":`...)
	contentAt := 0
	for i := 0; i < p.contentN; i++ {
		contentAt = nextPiece(p.content, contentAt)
	}
	b = appendJSONString(b, p.content[:contentAt])
	b = append(b, ',', '"')
	b = append(b, s.reasoningField...)
	b = append(b, '"', ':', '"')
	for i := 0; i < p.reasoningN; i++ {
		b = appendJSONChars(b, s.reasoningPiece(p, i))
	}
	b = append(b, `","tool_calls":[]},"logprobs":null,"finish_reason":`...)
	b = appendJSONString(b, p.finish)
	b = append(b, `,"stop_reason":null}]`...)
	if !s.noUsage {
		u := s.usage(p, firstTok, time.Time{})
		b = append(b, `,"usage":`...)
		b = appendUsage(b, &u, s.sambanova)
	}
	return append(b, '}')
}
