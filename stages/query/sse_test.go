package query

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type gotEvent struct {
	comment   bool
	typ, data string
}

func readAll(t testing.TB, r io.Reader) ([]gotEvent, error) {
	s := newSSEReader(r)
	var out []gotEvent
	var ev sseEvent
	for {
		err := s.next(&ev)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if ev.At.IsZero() {
			t.Errorf("event without a timestamp")
		}
		out = append(out, gotEvent{ev.Comment, string(ev.Type), string(ev.Data)})
	}
}

func TestSSEReader(t *testing.T) {
	long := strings.Repeat("x", 10000)
	cases := []struct {
		name string
		in   string
		want []gotEvent
	}{
		{"one data line makes one event", "data: {\"a\":1}\n\n", []gotEvent{{data: `{"a":1}`}}},
		{"multi-line data is joined with newlines", "data: a\ndata: b\ndata:c\n\n", []gotEvent{{data: "a\nb\nc"}}},
		{"CRLF line endings are accepted", "data: a\r\n\r\ndata: [DONE]\r\n\r\n", []gotEvent{{data: "a"}, {data: "[DONE]"}}},
		{"comments are reported as keep-alives", ": ping\n\ndata: x\n\n", []gotEvent{{comment: true}, {data: "x"}}},
		{"the event type is kept and reset after dispatch", "event: error\ndata: bad\n\ndata: ok\n\n",
			[]gotEvent{{typ: "error", data: "bad"}, {data: "ok"}}},
		{"id and retry fields are ignored", "id: 7\nretry: 100\ndata: x\n\n", []gotEvent{{data: "x"}}},
		{"blank lines without data dispatch nothing", "\n\n\nevent: x\n\ndata: y\n\n", []gotEvent{{data: "y"}}},
		{"only one space after the colon is stripped", "data:  two\n\n", []gotEvent{{data: " two"}}},
		{"a field without a colon has an empty value", "data\n\n", []gotEvent{{data: ""}}},
		{"lines longer than the buffer are assembled", "data: " + long + "\n\n", []gotEvent{{data: long}}},
		{"an event cut off by the end of the stream is discarded", "data: a\n\ndata: torn", []gotEvent{{data: "a"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(c.in), iotest.OneByteReader(strings.NewReader(c.in))} {
				got, err := readAll(t, r)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(c.want) {
					t.Fatalf("got %d events %+v, want %+v", len(got), got, c.want)
				}
				for i := range got {
					if got[i] != c.want[i] {
						t.Errorf("event %d = %+v, want %+v", i, got[i], c.want[i])
					}
				}
			}
		})
	}
	t.Run("a read error is returned as it is", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := readAll(t, io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)))
		if !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
	})
}

func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{"data: a\n\n", "event: error\ndata: x\r\n\r\n", ": c\ndata\n\n", "data: a\ndata: b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := readAll(t, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		again, _ := readAll(t, iotest.HalfReader(strings.NewReader(in)))
		if len(got) != len(again) {
			t.Fatalf("chunking changed the events: %+v vs %+v", got, again)
		}
		for i := range got {
			if got[i] != again[i] {
				t.Fatalf("chunking changed event %d: %+v vs %+v", i, got[i], again[i])
			}
		}
	})
}
