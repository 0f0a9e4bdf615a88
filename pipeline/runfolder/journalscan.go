package runfolder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"

	"github.com/inferbench/inferbench/pipeline/results"
)

// ScanJournal calls fn with every record of the journal file at path, in
// file order, holding one record in memory at a time; fn must not keep
// the pointer. A torn last line is skipped and reported through torn (as
// ReadJournal does); a malformed line elsewhere is an error naming its
// line number; an error from fn stops the scan and is returned as is.
func ScanJournal(path string, fn func(line int, r *results.Record) error) (torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	return scanLines(f, path, func(line int, b []byte, complete bool) (bool, error) {
		var rec results.Record
		if uerr := decodeRecord(b, &rec); uerr != nil {
			if !complete {
				return true, nil
			}
			return false, fmt.Errorf("%s:%d: bad record: %w", path, line, uerr)
		}
		return !complete, fn(line, &rec)
	})
}

// scanLines calls fn with every non-blank line of r (1-based line numbers)
// and whether it ended with a newline; fn returns whether the line was
// torn. The slice is only valid during the call.
func scanLines(r io.Reader, name string, fn func(line int, b []byte, complete bool) (torn bool, err error)) (bool, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var long []byte
	line := 0
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if len(b) > 0 {
			line++
			complete := b[len(b)-1] == '\n'
			if len(bytes.TrimSpace(b)) > 0 {
				torn, ferr := fn(line, b, complete)
				if ferr != nil {
					return false, ferr
				}
				if torn || !complete {
					return true, nil
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", name, err)
		}
	}
}

// keyPrefix is how every line the engine writes begins: the CellKey's
// fields come first, in declaration order, ending before "seq".
var keyPrefix = []byte(`{"platform":`)

// keySeed makes the cell-key hashes of one process comparable.
var keySeed = maphash.MakeSeed()

// lineKeyHash hashes the CellKey of one journal line: the bytes of its
// key fields when the line was written by the engine's encoder (which is
// deterministic), else the re-encoded key of the decoded line.
func lineKeyHash(b []byte) (uint64, bool) {
	if bytes.HasPrefix(b, keyPrefix) {
		if i := bytes.Index(b, []byte(`,"seq":`)); i > 0 {
			return maphash.Bytes(keySeed, b[:i]), true
		}
	}
	var k struct{ results.CellKey }
	if err := json.Unmarshal(b, &k); err != nil {
		return 0, false
	}
	kb, _ := json.Marshal(k.CellKey)
	// Encoded the same way as a line's prefix: the key object without its closing brace.
	return maphash.Bytes(keySeed, kb[:len(kb)-1]), true
}

// FinalSkips returns the line numbers of the journal at path that
// EachRecord drops (a cell's failed attempts before its first
// success or last failure, and its records after the first success), in
// two cheap passes: one hashing every line's key, and only when two lines
// share a hash, one decoding those lines to compare the keys exactly. A
// journal the engine wrote has one record per cell and no skips.
func FinalSkips(path string) (map[int]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	var hashes []uint64
	if _, err := scanLines(f, path, func(_ int, b []byte, complete bool) (bool, error) {
		h, ok := lineKeyHash(b)
		if !ok {
			if !complete {
				return true, nil
			}
			hashes = append(hashes, 0) // ScanJournal reports the bad line
			return false, nil
		}
		hashes = append(hashes, h)
		return false, nil
	}); err != nil {
		return nil, err
	}
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	dup := map[uint64]bool{}
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			dup[sorted[i]] = true
		}
	}
	if len(dup) == 0 {
		return nil, nil
	}
	// Lines are numbered from 1 among non-blank lines in hashes' order;
	// ScanJournal numbers every line, blank ones too, so map by position.
	type entry struct {
		line int
		ok   bool
	}
	byKey := map[results.CellKey][]entry{}
	pos := 0
	if _, err := ScanJournal(path, func(line int, r *results.Record) error {
		p := pos
		pos++
		if p < len(hashes) && dup[hashes[p]] {
			byKey[r.CellKey] = append(byKey[r.CellKey], entry{line, r.OK()})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	skips := map[int]bool{}
	for _, es := range byKey {
		keep := es[len(es)-1].line // the last failure...
		for _, e := range es {
			if e.ok { // ...unless one succeeded: the first success
				keep = e.line
				break
			}
		}
		for _, e := range es {
			if e.line != keep {
				skips[e.line] = true
			}
		}
	}
	return skips, nil
}
