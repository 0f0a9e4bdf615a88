package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
)

// Progress shows per-platform progress, each figure labelled: the current
// load level (its position among the platform's levels), its target
// (concurrency, or the open-loop rate) and achieved rates (requests sent
// against the target, completed requests per second), requests done of
// total, failed requests, the level's aggregate output tokens/s and an
// ETA. Completed req/s and aggregate tok/s are the quantities of the
// final table's columns of those names (successful non-warmup requests,
// and their output tokens, over the level's sending time: from its first
// send to its last response), taken over all of the platform's models and
// temperatures in the current level. On a terminal it redraws one line per
// platform in place; otherwise it writes a plain log line per platform
// every Every. It is safe for concurrent use.
type Progress struct {
	w   io.Writer
	tty bool
	// Every is the interval between plain lines (non-terminal); the
	// terminal view redraws every 200ms.
	Every time.Duration
	// Width, when > 0, clips terminal lines to that many characters, so
	// that a line never wraps and the redraw stays in place (plain lines
	// are never clipped).
	Width int

	mu     sync.Mutex
	order  []string
	stat   map[string]*platformProgress
	timed  map[string]bool // platforms whose levels are sized by duration (see Timed)
	start  time.Time
	drawn  int
	quit   chan struct{}
	exited chan struct{}
}

type platformProgress struct {
	total, done, prior, errors int
	last                       time.Time
	// lv is the level sending now (see Level), and cur what its records
	// so far add up to.
	lv  pipeline.LevelProgress
	cur levelTally
	// waits holds the end of every retry wait in progress, by an id.
	waits  map[int]time.Time
	nextID int
	// timed: the platform's levels are sized by duration, so total counts
	// only its warmups; level is the level sending since levelStart, for
	// levelFor (see TimedLevel).
	timed      bool
	level      string
	levelStart time.Time
	levelFor   time.Duration
}

// levelTally is what the records of the current level add up to: the
// non-warmup ones sent, those that succeeded and their output tokens, and
// their sending time's ends (first send, retry waits included, and last
// response).
type levelTally struct {
	sent, ok, tokens int
	from, to         time.Time
}

// add counts r, a record of the level.
func (t *levelTally) add(r *results.Record, now time.Time) {
	if r.Warmup || r.StartedAt.IsZero() || r.Error == results.ErrClientResource {
		return // not sent, or not the platform's (as in the group figures)
	}
	t.sent++
	if r.OK() {
		t.ok++
		t.tokens += r.OutputTokens
	}
	from := r.StartedAt.Add(-time.Duration(r.RetryWaitMs * float64(time.Millisecond)))
	if t.from.IsZero() || from.Before(t.from) {
		t.from = from
	}
	t.to = now
}

// Level shows that platform starts sending level lv: the rates shown from
// now on are that level's.
func (p *Progress) Level(platform string, lv pipeline.LevelProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.stat[platform]; s != nil {
		s.lv, s.cur = lv, levelTally{}
	}
}

// Timed marks platform's levels as sized by duration: its line shows the
// requests done and the current level's time instead of a done/total, a
// percentage and an ETA that a count of unknown cells would make up.
func (p *Progress) Timed(platform string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timed == nil {
		p.timed = map[string]bool{}
	}
	p.timed[platform] = true
	if s := p.stat[platform]; s != nil {
		s.timed = true
	}
}

// TimedLevel shows that platform sends level load for d from now.
func (p *Progress) TimedLevel(platform, load string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.stat[platform]; s != nil {
		s.level, s.levelStart, s.levelFor = load, time.Now(), d
	}
}

// plainWaitMin is the shortest retry wait that the plain (non-terminal)
// view announces with a line of its own.
const plainWaitMin = time.Second

// RetryWait shows that a request of platform waits d before a retry: the
// terminal line shows "retry wait 12s" until the wait ends, and the plain
// view prints a line when a wait of over a second starts that ends later
// than the platform's other waits. Call done when the wait ends.
func (p *Progress) RetryWait(platform string, d time.Duration) (done func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stat[platform]
	if s == nil {
		return func() {}
	}
	end := time.Now().Add(d)
	if !p.tty && d > plainWaitMin && end.Sub(s.waitEnd()) > plainWaitMin {
		fmt.Fprintf(p.w, "%-16s retry wait %s\n", platform, d.Round(time.Second))
	}
	if s.waits == nil {
		s.waits = map[int]time.Time{}
	}
	id := s.nextID
	s.nextID++
	s.waits[id] = end
	return func() {
		p.mu.Lock()
		delete(s.waits, id)
		p.mu.Unlock()
	}
}

// waitEnd is the end of the platform's longest retry wait in progress
// (zero when none is).
func (s *platformProgress) waitEnd() time.Time {
	var last time.Time
	for _, e := range s.waits {
		if e.After(last) {
			last = e
		}
	}
	return last
}

// waitText is " retry wait 12s" (with the count when several requests
// wait) while the platform waits on retries, else "".
func (s *platformProgress) waitText() string {
	if len(s.waits) == 0 {
		return ""
	}
	left := time.Until(s.waitEnd())
	text := "<1s"
	if left >= time.Second {
		text = ((left + time.Second - 1) / time.Second * time.Second).String() // rounded up
	}
	if len(s.waits) > 1 {
		return fmt.Sprintf("  retry wait %s (%d requests)", text, len(s.waits))
	}
	return "  retry wait " + text
}

// NewProgress writes progress to w; tty selects the redrawing view.
func NewProgress(w io.Writer, tty bool) *Progress {
	return &Progress{w: w, tty: tty, Every: 5 * time.Second}
}

// Begin starts the display; done counts cells finished before (resume).
func (p *Progress) Begin(totals, done map[string]int, order []string) {
	p.mu.Lock()
	p.order = order
	p.stat = map[string]*platformProgress{}
	for _, n := range order {
		p.stat[n] = &platformProgress{total: totals[n], done: done[n], prior: done[n], timed: p.timed[n]}
	}
	p.start = time.Now()
	p.quit, p.exited = make(chan struct{}), make(chan struct{})
	p.mu.Unlock()
	every := p.Every
	if p.tty {
		every = 200 * time.Millisecond
	}
	go func() {
		defer close(p.exited)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw(false)
			case <-p.quit:
				return
			}
		}
	}()
}

// Observe counts one finished record.
func (p *Progress) Observe(r *results.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stat[r.Platform]
	if s == nil {
		return
	}
	s.done++
	if !r.OK() && r.Error != results.ErrClientResource { // the client's failure, not the platform's
		s.errors++
	}
	s.last = time.Now()
	if r.Level == s.lv.Label {
		s.cur.add(r, s.last)
	}
}

// End draws the final state and stops the display.
func (p *Progress) End() {
	if p.quit == nil {
		return
	}
	close(p.quit)
	<-p.exited
	p.draw(true)
}

func (p *Progress) draw(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start)
	var b strings.Builder
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, n := range p.order {
		s := p.stat[n]
		line := p.line(n, s, el, final)
		if p.tty {
			line = clip(line, p.Width)
			b.WriteString("\r\x1b[2K")
		} else if !final && s.done == s.prior && s.total > 0 {
			continue // nothing happened yet for this platform
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if p.tty {
		p.drawn = len(p.order)
	}
	io.WriteString(p.w, b.String())
}

func (p *Progress) line(name string, s *platformProgress, el time.Duration, final bool) string {
	if s.timed {
		return p.timedLine(name, s, final)
	}
	newDone := s.done - s.prior
	if s.done >= s.total && !s.last.IsZero() {
		el = s.last.Sub(p.start) // a finished platform's ETA stops at its end
	}
	eta := "-"
	if newDone > 0 && s.done < s.total {
		left := time.Duration(float64(el) / float64(newDone) * float64(s.total-s.done))
		eta = left.Round(time.Second).String()
	} else if s.done >= s.total {
		eta = "done"
	}
	pct := 100.0
	if s.total > 0 {
		pct = 100 * float64(s.done) / float64(s.total)
	}
	// What matters most first: a narrow terminal cuts the end.
	ended := final || s.done >= s.total
	return fmt.Sprintf("%-16s done %d/%d (%.1f%%)  failed %d  ETA %s%s  %s%s", name, s.done, s.total, pct, s.errors, eta, s.waitText(), s.levelText(ended), s.tokensText(ended))
}

// timedLine is the line of a platform whose levels are sized by duration:
// the current level's elapsed time over its duration (the time the level
// sends for, not a count: no total, percentage or ETA) and the requests
// done.
func (p *Progress) timedLine(name string, s *platformProgress, final bool) string {
	level := "level timed  "
	if s.level != "" {
		in := min(time.Since(s.levelStart), s.levelFor)
		level = fmt.Sprintf("level %s %s/%s  ", s.level, roundProgress(in), roundProgress(s.levelFor))
	}
	return fmt.Sprintf("%-16s %sdone %d  failed %d%s  %s%s", name, level, s.done, s.errors, s.waitText(), s.rateText(final), s.tokensText(final))
}

// levelText is the current level and its rates, e.g. "level r=5 (2/4)
// sent 4.80/5 req/s  completed 4.70 req/s  ", or "concurrency 4
// completed 3.10 req/s  " for a platform's only level.
func (s *platformProgress) levelText(ended bool) string {
	if s.lv.Label == "" {
		return s.rateText(ended)
	}
	return fmt.Sprintf("level %s (%d/%d)  ", s.lv.Label, s.lv.Index, s.lv.Count) + s.rateText(ended)
}

// rateText is the current level's target and achieved rates: requests
// sent per second against an open-loop target, or the closed loop's
// concurrency, then completed requests per second; ended stops the
// level's clock at its last response.
func (s *platformProgress) rateText(ended bool) string {
	var b strings.Builder
	secs := s.cur.seconds(ended)
	if s.lv.Rate > 0 {
		fmt.Fprintf(&b, "sent %s/%g req/s  ", perSecond(s.cur.sent, secs, "%.2f"), s.lv.Rate)
	} else if s.lv.Concurrency > 0 {
		fmt.Fprintf(&b, "concurrency %d  ", s.lv.Concurrency)
	}
	fmt.Fprintf(&b, "completed %s req/s  ", perSecond(s.cur.ok, secs, "%.2f"))
	return b.String()
}

// tokensText is the level's aggregate output tokens/s, labelled as the
// table's column.
func (s *platformProgress) tokensText(ended bool) string {
	return "aggregate " + perSecond(s.cur.tokens, s.cur.seconds(ended), "%.1f") + " tok/s"
}

// seconds is the level's sending time so far: from its first send to now,
// or to its last response once ended (0 before a record of it ended).
func (t *levelTally) seconds(ended bool) float64 {
	if t.from.IsZero() {
		return 0
	}
	to := time.Now()
	if ended {
		to = t.to
	}
	return to.Sub(t.from).Seconds()
}

// perSecond formats n / secs with format, or "-" without a sending time.
func perSecond(n int, secs float64, format string) string {
	if secs <= 0 {
		return "-"
	}
	return fmt.Sprintf(format, float64(n)/secs)
}

// clip cuts line to width characters (no cut for width <= 0).
func clip(line string, width int) string {
	if width <= 0 {
		return line
	}
	r := []rune(line)
	if len(r) <= width {
		return line
	}
	return string(r[:width])
}

// roundProgress rounds d for the progress line: to the second from 10 s,
// to the tenth of a second below.
func roundProgress(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
