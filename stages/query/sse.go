package query

import (
	"bufio"
	"bytes"
	"io"
	"time"
)

// sseEvent is one item read from a server-sent event stream: a dispatched
// event, or a comment line (a keep-alive). Type and Data alias the reader's
// buffers and are valid until the next call to next.
type sseEvent struct {
	// Comment is true for a ": ..." line; Type and Data are then empty.
	Comment bool
	// Type is the event's "event:" field; empty means "message".
	Type []byte
	// Data is the event's data lines joined with '\n'.
	Data []byte
	// At is the monotonic time the event's first line was read.
	At time.Time
}

// sseReader parses the text/event-stream format by hand over a bufio.Reader,
// reusing its buffers: reading an event allocates nothing once the buffers
// have grown to the stream's largest event. It is not safe for concurrent use.
type sseReader struct {
	r       *bufio.Reader
	data    []byte
	typ     []byte
	long    []byte // assembles lines longer than the bufio buffer
	hasData bool
	started bool
	// dispatched is set when the last event was returned; its buffers are
	// cleared on the next call to next, not before (ev aliases them).
	dispatched bool
	at         time.Time
	now        func() time.Time
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 4096), now: time.Now}
}

// reset makes s read a new stream from r, keeping its buffers.
func (s *sseReader) reset(r io.Reader) {
	s.r.Reset(r)
	s.clearEvent()
}

// clearEvent forgets the event being assembled.
func (s *sseReader) clearEvent() {
	s.data, s.typ, s.hasData, s.started, s.dispatched = s.data[:0], s.typ[:0], false, false, false
}

// line returns the next line without its terminator ("\n" or "\r\n"). A last
// line without terminator is returned before io.EOF.
func (s *sseReader) line() ([]byte, error) {
	l, err := s.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.long = append(s.long[:0], l...)
		for err == bufio.ErrBufferFull {
			l, err = s.r.ReadSlice('\n')
			s.long = append(s.long, l...)
		}
		l = s.long
	}
	if err != nil && (err != io.EOF || len(l) == 0) {
		return nil, err
	}
	if n := len(l); n > 0 && l[n-1] == '\n' {
		l = l[:n-1]
	}
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// next reads the next event or comment into ev. It returns io.EOF at the end
// of the stream; an event not terminated by a blank line before the end is
// discarded, as the SSE specification says. Other read errors are returned
// as they are.
func (s *sseReader) next(ev *sseEvent) error {
	if s.dispatched {
		s.clearEvent()
	}
	for {
		l, err := s.line()
		if err != nil {
			return err
		}
		if len(l) == 0 { // blank line: dispatch
			if s.hasData {
				*ev = sseEvent{Type: s.typ, Data: s.data, At: s.at}
				s.dispatched = true
				return nil
			}
			s.typ, s.started = s.typ[:0], false
			continue
		}
		if l[0] == ':' {
			*ev = sseEvent{Comment: true, At: s.now()}
			return nil
		}
		if !s.started {
			s.started, s.at = true, s.now()
		}
		field, value := l, []byte(nil)
		if i := bytes.IndexByte(l, ':'); i >= 0 {
			field, value = l[:i], l[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			s.hasData = true
		case "event":
			s.typ = append(s.typ[:0], value...)
		}
	}
}
