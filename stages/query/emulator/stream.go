package emulator

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// token returns the text of token event i: reasoning first, then content.
func (s *Server) token(p *plan, i int, contentAt *int) (field string, tok string) {
	if i < p.reasoningN {
		return s.reasoningField, s.reasoningPiece(p, i)
	}
	j := nextPiece(p.content, *contentAt)
	tok = p.content[*contentAt:j]
	*contentAt = j
	return "content", tok
}

// reasoningPiece is reasoning token i of the response: the filler cycled
// from the plan's sentence, the first piece without its leading space.
func (s *Server) reasoningPiece(p *plan, i int) string {
	tok := s.filler[(p.reasoningOff+i)%len(s.filler)]
	if i == 0 {
		tok = strings.TrimLeft(tok, " ")
	}
	return tok
}

// sseWriter collects the events of a stream in a reused buffer and writes
// (and flushes) them when the next event has to wait, and at the end.
type sseWriter struct {
	w       http.ResponseWriter
	flusher http.Flusher
	out     []byte
	prefix  []byte // the part every chunk of the response shares
}

func (sw *sseWriter) flush() {
	if len(sw.out) > 0 {
		_, _ = sw.w.Write(sw.out)
		sw.out = sw.out[:0]
	}
	if sw.flusher != nil {
		sw.flusher.Flush()
	}
}

// chunk appends one chat.completion.chunk event whose choices are body.
func (sw *sseWriter) chunk(body ...string) {
	sw.out = append(sw.out, sw.prefix...)
	for _, b := range body {
		sw.out = append(sw.out, b...)
	}
	sw.out = append(sw.out, sseEnd...)
}

// stream writes the SSE response: the role chunk, the token events on
// their schedule (with the plan's fault, if any), then the finish chunk,
// the usage chunk and [DONE].
func (s *Server) stream(w http.ResponseWriter, ctx context.Context, sc *scratch, p *plan, includeUsage bool) {
	sw := s.openStream(w, sc, p)
	defer func() { sw.w, sw.flusher, sw.out = nil, nil, sw.out[:0] }()
	sched := s.newSchedule(p)
	var shift time.Duration // stalls push every later event back
	var firstTok, lastTok time.Time
	total := p.reasoningN + p.contentN
	contentAt := 0
	var pend pending
	for i := 0; i <= total; i++ {
		if p.fault != faultNone && i == p.faultAt {
			stalled, goOn := s.injectFault(ctx, sc, sw, p.fault)
			if !goOn {
				return
			}
			shift += stalled
		}
		var off time.Duration
		if i < total || total == 0 {
			off = sched.next() + shift
		} else {
			off = sched.off + shift // the finish chunk follows the last token at once
		}
		// A zero offset is already due: no clock read on the zero-delay path.
		if deadline := p.start.Add(off); off > 0 && time.Until(deadline) > 0 {
			sw.flush()
			if !sc.wait(ctx, deadline) {
				return
			}
		}
		if i == total {
			break
		}
		if k := s.profile.TokensPerChunk; k > 1 {
			s.addToken(sw, &pend, p, i, &contentAt, k)
		} else {
			s.appendToken(sw, p, i, &contentAt)
		}
		if s.sambanova && (i == 0 || i == total-1) {
			// The server timings are when the first and the last token
			// were handed to the kernel: write them at once and read the
			// clock when the write returns, not before it.
			sw.flush()
			lastTok = time.Now()
			if i == 0 {
				firstTok = lastTok
			}
		}
	}
	s.closeStream(sw, p, includeUsage, firstTok, lastTok)
}

// openStream sends the event-stream headers and queues the role chunk. The
// role chunk is not a token. It goes out at once whenever the first token
// has to wait (the stream flushes before every wait, like vLLM sends it
// before the first token); with zero delays the whole response is one
// write.
func (s *Server) openStream(w http.ResponseWriter, sc *scratch, p *plan) *sseWriter {
	flusher, _ := w.(http.Flusher)
	h := w.Header()
	h["Content-Type"] = hdrSSE
	h["Cache-Control"] = hdrNoCa
	w.WriteHeader(http.StatusOK)
	sw := &sc.sw
	sw.w, sw.flusher, sw.out = w, flusher, sw.out[:0]
	sw.prefix = appendChunkPrefix(sw.prefix[:0], p.id, time.Now().Unix(), p.model)
	sw.chunk(roleDelta)
	return sw
}

// injectFault fires a mid-stream fault: disconnect aborts the connection,
// stall waits stall_for (returned, to shift the later events), malformed
// queues a chunk that is not JSON, error_event sends an error event and
// ends the stream. goOn is false when the stream is over.
func (s *Server) injectFault(ctx context.Context, sc *scratch, sw *sseWriter, f fault) (stalled time.Duration, goOn bool) {
	switch f {
	case faultDisconnect:
		sw.flush()
		panic(http.ErrAbortHandler)
	case faultStall:
		sw.flush()
		if !sc.wait(ctx, time.Now().Add(s.stallFor)) {
			return 0, false
		}
		return s.stallFor, true
	case faultMalformed:
		sw.chunk(malformedChunk)
	case faultErrorEvent:
		sw.out = append(sw.out, errorEvent...)
		sw.flush()
		return 0, false
	}
	return 0, true
}

// pending is the event being filled with tokens (tokens_per_chunk > 1).
type pending struct {
	text []byte
	n    int
}

// addToken adds token i to the pending event and queues the event once
// it holds k tokens, or token i is the last of the reasoning or of the
// answer.
func (s *Server) addToken(sw *sseWriter, pend *pending, p *plan, i int, contentAt *int, k int) {
	field, tok := s.token(p, i, contentAt)
	pend.text = append(pend.text, tok...)
	pend.n++
	if pend.n == k || i == p.reasoningN-1 || i == p.reasoningN+p.contentN-1 {
		appendDelta(sw, field, string(pend.text))
		pend.text, pend.n = pend.text[:0], 0
	}
}

// appendToken queues token event i: one reasoning or content delta.
func (s *Server) appendToken(sw *sseWriter, p *plan, i int, contentAt *int) {
	field, tok := s.token(p, i, contentAt)
	appendDelta(sw, field, tok)
}

// appendDelta queues one event whose delta sets field to tok.
func appendDelta(sw *sseWriter, field, tok string) {
	sw.out = append(sw.out, sw.prefix...)
	sw.out = append(sw.out, deltaOpen...)
	sw.out = append(sw.out, field...)
	sw.out = append(sw.out, '"', ':')
	sw.out = appendJSONString(sw.out, tok)
	sw.out = append(sw.out, deltaClose...)
	sw.out = append(sw.out, sseEnd...)
}

// closeStream sends the finish chunk, the usage chunk when asked for, and
// [DONE].
func (s *Server) closeStream(sw *sseWriter, p *plan, includeUsage bool, firstTok, lastTok time.Time) {
	sw.chunk(finishOpen, p.finish, finishClose)
	if includeUsage {
		u := s.usage(p, firstTok, lastTok)
		sw.out = append(sw.out, sw.prefix...)
		sw.out = append(sw.out, usageOpen...)
		sw.out = appendUsage(sw.out, &u, s.sambanova)
		sw.out = append(sw.out, '}')
		sw.out = append(sw.out, sseEnd...)
	}
	sw.out = append(sw.out, sseDone...)
	sw.flush()
}
