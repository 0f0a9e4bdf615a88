package query

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// After [DONE], the rest of a body is read for at most drainTimeout and
// maxDrain bytes.
const (
	drainTimeout = time.Second
	maxDrain     = 64 << 10
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// tokenTimes accumulates the timing of token-bearing events.
type tokenTimes struct {
	t0, first, firstContent, last time.Time
	events, reasoningEvents       int
	itl                           []float64
}

func (tt *tokenTimes) add(at time.Time, content, reasoning bool) {
	if tt.events == 0 {
		tt.first = at
	} else {
		if tt.itl == nil {
			tt.itl = make([]float64, 0, 64)
		}
		tt.itl = append(tt.itl, ms(at.Sub(tt.last)))
	}
	if content && tt.firstContent.IsZero() {
		tt.firstContent = at
	}
	if reasoning {
		tt.reasoningEvents++
	}
	tt.last = at
	tt.events++
}

// streamState is what reading one SSE answer has learned so far.
type streamState struct {
	c         chunk
	content   strings.Builder
	reasoning strings.Builder
	tt        tokenTimes
	sawDone   bool
	usage     []byte
	streamErr error // the read error that ended the stream, nil at EOF
	// refusesOpts is set when the stream's first event is an error that
	// names stream_options: the server refused them inside a 200 stream.
	refusesOpts bool
	// tk is the model's tokenizer (nil: none); with one, marks keeps where
	// each token-bearing event ended, for per-token ITL. toolCalls is set
	// by a delta with tool calls.
	tk        tokenize.Tokenizer
	marks     []chunkMark
	toolCalls bool
}

// readStream reads an SSE answer into rec. It reports whether the server
// refused stream_options inside the stream (an error event naming them
// before any token), which the retry loop answers by resending without.
func (r *run) readStream(ctx, actx context.Context, cancel context.CancelCauseFunc, first *time.Timer, body io.Reader, t0 time.Time, rec *results.Record) (refusesOpts bool) {
	sr := r.sse.Get().(*sseReader)
	sr.reset(body)
	defer r.sse.Put(sr)
	st := streamState{tt: tokenTimes{t0: t0}, tk: r.tok[rec.Model]}
	r.readEvents(sr, cancel, first, rec, &st)
	if st.sawDone {
		// Read on to the end of the body so that the connection can be
		// reused; a server that keeps the stream open after [DONE] gets
		// drainTimeout, then the connection is dropped (the record stands).
		drain := time.AfterFunc(drainTimeout, func() { cancel(errDrained) })
		_, _ = io.Copy(io.Discard, io.LimitReader(sr.r, maxDrain))
		drain.Stop()
	}
	rec.CloseMs = ms(time.Since(t0))
	r.closeStream(ctx, actx, rec, &st)
	return st.refusesOpts
}

// readEvents reads events until [DONE], an error event, a bad event or
// the end of the body, re-arming the idle timeout on every event.
func (r *run) readEvents(sr *sseReader, cancel context.CancelCauseFunc, first *time.Timer, rec *results.Record, st *streamState) {
	var ev sseEvent
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		if err := sr.next(&ev); err != nil {
			if err != io.EOF {
				st.streamErr = err
			}
			return
		}
		if r.idle > 0 {
			if idle == nil {
				idle = time.AfterFunc(r.idle, func() { cancel(errIdleTimeout) })
			} else {
				idle.Reset(r.idle)
			}
		}
		if ev.Comment {
			continue
		}
		if !r.onEvent(&ev, first, rec, st) {
			return
		}
	}
}

// onEvent takes one event into st and rec; it reports whether the stream
// goes on.
func (r *run) onEvent(ev *sseEvent, first *time.Timer, rec *results.Record, st *streamState) bool {
	if string(ev.Type) == "error" {
		r.streamError(ev.Data, rec, st)
		return false
	}
	if string(ev.Data) == "[DONE]" {
		st.sawDone = true
		return false
	}
	c := &st.c
	if err := decodeChunk(ev.Data, c); err != nil {
		rec.Error, rec.ErrorDetail = results.ErrBadJSON, r.detail(err.Error()+": "+string(ev.Data))
		return false
	}
	if c.hasError() {
		r.streamError(c.errorVal, rec, st)
		return false
	}
	if c.hasUsage() {
		st.usage = append(st.usage[:0], c.usage...)
	}
	if c.choices == 0 {
		return true
	}
	d := &c.delta
	if d.tokenBearing() {
		if st.tt.events == 0 && first != nil {
			first.Stop()
		}
		rs := d.reasoningText()
		st.tt.add(ev.At, len(d.content) > 0, len(rs) > 0)
		if len(d.content) > 0 {
			if st.content.Cap() == 0 {
				st.content.Grow(256)
			}
			st.content.Write(d.content)
		}
		if len(rs) > 0 {
			if st.reasoning.Cap() == 0 {
				st.reasoning.Grow(1024)
			}
			st.reasoning.Write(rs)
		}
		st.toolCalls = st.toolCalls || d.toolCalls
		if st.tk != nil {
			st.marks = append(st.marks, chunkMark{at: ev.At, reasoningEnd: st.reasoning.Len(), contentEnd: st.content.Len()})
		}
	}
	if len(c.finishReason) > 0 {
		rec.FinishReason = string(c.finishReason)
	}
	return true
}

// streamError records an error event (its error object, of either shape,
// or the data of an "event: error"). Before any token, one that names
// stream_options is the server refusing them (st.refusesOpts).
func (r *run) streamError(errJSON []byte, rec *results.Record, st *streamState) {
	rec.Error, rec.ErrorDetail = results.ErrSSEErrorEvent, r.detail(string(errJSON))
	st.refusesOpts = st.tt.events == 0 && namesStreamOptions(errJSON)
}

// namesStreamOptions reports whether an error answer (a body or an error
// event, in the OpenAI API's shape or vLLM's) is about stream_options: the
// API names it in param, vLLM and others in the message.
func namesStreamOptions(errJSON []byte) bool {
	return bytes.Contains(errJSON, []byte("stream_options"))
}

// closeStream judges a stream that ended: its texts, timings, token
// counts and, unless an event already failed it, how it ended (cut short,
// timed out, or finished).
func (r *run) closeStream(ctx, actx context.Context, rec *results.Record, st *streamState) {
	rec.Content, rec.Reasoning = st.content.String(), st.reasoning.String()
	r.fillTimes(rec, &st.tt)
	if st.usage != nil {
		if err := applyUsage(rec, st.usage); err != nil && rec.Error == "" {
			rec.Error, rec.ErrorDetail = results.ErrBadJSON, r.detail("usage: "+err.Error())
		}
	} else {
		rec.OutputTokens, rec.ReasoningTokens, rec.TokensEstimated = st.tt.events, st.tt.reasoningEvents, true
	}
	if st.tk != nil {
		countOutput(rec, st.tk, st.usage != nil, st.toolCalls, st.marks)
	}
	r.fillRates(rec)
	if rec.Error != "" {
		return
	}
	switch {
	case st.sawDone:
		r.checkLength(rec)
	case st.streamErr != nil && (ctx.Err() != nil || context.Cause(actx) != nil):
		rec.Error, rec.ErrorDetail = r.classify(ctx, actx, st.streamErr)
	case rec.FinishReason == "":
		rec.Error = results.ErrStreamTruncated
		rec.ErrorDetail = "stream ended without finish_reason or [DONE]"
		if st.streamErr != nil {
			rec.ErrorDetail = r.detail(rec.ErrorDetail + ": " + st.streamErr.Error())
		}
	default:
		r.checkLength(rec)
	}
}

// readWhole reads a non-streamed chat.completion into rec.
func (r *run) readWhole(ctx, actx context.Context, body io.Reader, t0 time.Time, rec *results.Record) {
	b, err := io.ReadAll(body)
	at := time.Now()
	if err != nil {
		rec.Error, rec.ErrorDetail = r.classify(ctx, actx, err)
		return
	}
	rec.CloseMs = ms(at.Sub(t0))
	var c chunk
	if err := decodeChunk(b, &c); err != nil {
		rec.Error, rec.ErrorDetail = results.ErrBadJSON, r.detail(err.Error()+": "+string(b))
		return
	}
	if c.hasError() {
		rec.Error, rec.ErrorDetail = results.ErrSSEErrorEvent, r.detail(string(c.errorVal))
		return
	}
	if c.choices == 0 {
		rec.Error, rec.ErrorDetail = results.ErrBadJSON, r.detail("no choices: "+string(b))
		return
	}
	m := &c.msg
	if !m.hasContent && !m.hasReasoning && !m.hasReasoningContent && !m.toolCalls {
		m = &c.delta // a chunk-shaped body
	}
	rec.Content, rec.Reasoning = string(m.content), string(m.reasoningText())
	rec.FinishReason = string(c.finishReason)
	tt := tokenTimes{t0: t0}
	if m.tokenBearing() {
		tt.add(at, rec.Content != "", rec.Reasoning != "")
	}
	r.fillTimes(rec, &tt)
	if c.hasUsage() {
		if err := applyUsage(rec, c.usage); err != nil {
			rec.Error, rec.ErrorDetail = results.ErrBadJSON, r.detail("usage: "+err.Error())
			return
		}
	} else {
		rec.OutputTokens = (len(rec.Content) + len(rec.Reasoning) + 3) / 4
		rec.ReasoningTokens = (len(rec.Reasoning) + 3) / 4
		rec.TokensEstimated = true
	}
	if tk := r.tok[rec.Model]; tk != nil {
		countOutput(rec, tk, c.hasUsage(), m.toolCalls, nil)
	}
	r.fillRates(rec)
	r.checkLength(rec)
}

// fillTimes sets TTFT, TTFC, E2E and ITL from the token-bearing events.
func (r *run) fillTimes(rec *results.Record, tt *tokenTimes) {
	if tt.events == 0 {
		return
	}
	rec.TTFTMs = ms(tt.first.Sub(tt.t0))
	if !tt.firstContent.IsZero() {
		rec.TTFCMs = ms(tt.firstContent.Sub(tt.t0))
	}
	rec.LatencyMs = ms(tt.last.Sub(tt.t0))
	rec.ITLMs = tt.itl
}

// fillRates sets TPOT and tokens/s from the token counts and timings.
func (r *run) fillRates(rec *results.Record) {
	if rec.OutputTokens >= 2 && rec.LatencyMs > rec.TTFTMs {
		rec.TPOTMs = (rec.LatencyMs - rec.TTFTMs) / float64(rec.OutputTokens-1)
	}
	if rec.LatencyMs > 0 {
		rec.TokensPerSec = float64(rec.OutputTokens) / (rec.LatencyMs / 1000)
	}
}

// checkLength marks a successful answer that hit max_tokens before any content.
func (r *run) checkLength(rec *results.Record) {
	if rec.FinishReason == "length" && strings.TrimSpace(rec.Content) == "" {
		rec.Error = results.ErrEmptyContentLength
		rec.ErrorDetail = "finish_reason length with empty content: reasoning used the whole max_tokens budget"
		rec.Truncated = true
	}
}
