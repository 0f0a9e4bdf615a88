package runfolder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/inferbench/inferbench/pipeline/atomicfile"
	"github.com/inferbench/inferbench/pipeline/results"
)

// JournalFile is the name of the record journal inside a run folder.
const JournalFile = "records.jsonl"

// Journal appends records to records.jsonl, one JSON line per record, each
// written with a single write(2) as soon as the record is final, so that a
// crash (even SIGKILL) loses at most the requests still in flight. It is
// safe for concurrent use.
type Journal struct {
	mu  sync.Mutex
	f   *os.File
	buf bytes.Buffer
	enc *json.Encoder
}

// OpenJournal opens path for appending, creating it if needed.
func OpenJournal(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{f: f}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j, nil
}

// Append writes r as one line.
func (j *Journal) Append(r *results.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	if err := j.enc.Encode(r); err != nil { // Encode adds the newline
		return fmt.Errorf("journal: encode %s: %w", r.CellKey, err)
	}
	if _, err := j.f.Write(j.buf.Bytes()); err != nil {
		return fmt.Errorf("journal: write: %w", err)
	}
	return nil
}

// Close syncs and closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		j.f.Close()
		return fmt.Errorf("journal: sync: %w", err)
	}
	return j.f.Close()
}

// ReadJournal reads every record of a journal file, the counterpart of
// WriteJournal for callers that hold a run in memory (the engine streams
// with ScanJournal; the command tests read runs back with this). A torn last line (a
// crash in the middle of a write) is skipped and reported through torn;
// a malformed line anywhere else is an error naming its line number. A
// missing file is an error that wraps fs.ErrNotExist.
func ReadJournal(path string) (recs []results.Record, torn bool, err error) {
	torn, err = ScanJournal(path, func(_ int, r *results.Record) error {
		recs = append(recs, *r)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return recs, torn, nil
}

// WriteJournal replaces path with recs atomically (write a temporary file,
// sync, rename).
func WriteJournal(path string, recs []results.Record) error {
	return RewriteJournal(path, func(write func(*results.Record) error) error {
		for i := range recs {
			if err := write(&recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// RewriteJournal replaces path atomically with the records fill writes
// (see atomicfile.Write); fill may read path while it writes. An error
// leaves path as it was.
func RewriteJournal(path string, fill func(write func(*results.Record) error) error) error {
	// The new journal keeps the mode of the old one (0644, the mode
	// OpenJournal asks for, when there is none yet).
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	var fillErr error
	err := atomicfile.Write(path, mode, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		fillErr = fill(func(r *results.Record) error {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("journal: encode: %w", err)
			}
			return nil
		})
		return fillErr
	})
	if fillErr != nil {
		return fillErr
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
