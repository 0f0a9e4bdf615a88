package runfolder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/inferbench/inferbench/pipeline/results"
)

// ServerMetricsFile holds the scrapes of the platforms' metrics endpoints,
// one results.ServerSample per line, in the order they were taken.
const ServerMetricsFile = "server_metrics.jsonl"

// ServerMetricsLog appends samples to server_metrics.jsonl like the
// journal appends records: one line per sample with a single write(2), so
// that a crash loses at most the sample being written, and a resumed run
// appends to what an earlier attempt wrote. The file is created with the
// first sample: a run that scrapes nothing has none. It is safe for
// concurrent use.
type ServerMetricsLog struct {
	path string
	mu   sync.Mutex
	f    *os.File
	buf  bytes.Buffer
}

// NewServerMetricsLog returns the log of path; nothing is opened yet.
func NewServerMetricsLog(path string) *ServerMetricsLog {
	return &ServerMetricsLog{path: path}
}

// Append writes s as one line, opening the file at the first call. A
// file whose last line was torn by a crash gets a newline first, so that
// the torn line stays one line that readers skip.
func (l *ServerMetricsLog) Append(s results.ServerSample) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("server metrics: %w", err)
		}
		l.f = f
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			last := make([]byte, 1)
			if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				l.buf.WriteByte('\n')
			}
		}
	}
	enc := json.NewEncoder(&l.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("server metrics: encode: %w", err)
	}
	if _, err := l.f.Write(l.buf.Bytes()); err != nil {
		return fmt.Errorf("server metrics: write: %w", err)
	}
	return nil
}

// Close syncs and closes the file, if it was opened.
func (l *ServerMetricsLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("server metrics: sync: %w", err)
	}
	return f.Close()
}

// ReadServerMetrics reads the samples of a server_metrics.jsonl file in
// file order. Lines that are not a sample (torn by a crash mid-write) are
// skipped and counted in torn. A missing file is no samples and no error:
// a run that scraped nothing has none.
func ReadServerMetrics(path string) (samples []results.ServerSample, torn int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("server metrics: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, rerr := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var s results.ServerSample
			if json.Unmarshal(line, &s) == nil {
				samples = append(samples, s)
			} else {
				torn++
			}
		}
		if rerr == io.EOF {
			return samples, torn, nil
		}
		if rerr != nil {
			return nil, 0, fmt.Errorf("server metrics: %w", rerr)
		}
	}
}
