package runfolder

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

func TestJournalAppendsOneLinePerRecordFromManyGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				r := results.Record{CellKey: results.CellKey{Platform: "p", Model: "m", Repeat: g, SampleID: string(rune('a' + i%26))}, Content: strings.Repeat("x", 100*g)}
				if err := j.Append(&r); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs, torn, err := ReadJournal(path)
	if err != nil || torn {
		t.Fatalf("read: %v torn=%v", err, torn)
	}
	if len(recs) != 400 {
		t.Fatalf("got %d records, want 400", len(recs))
	}
}

func TestReadJournalSkipsATornLastLineButRejectsAMalformedMiddleLine(t *testing.T) {
	dir := t.TempDir()
	good := `{"platform":"a","model":"m","temperature":0,"repeat":0,"sample_id":"q1","error":""}` + "\n"
	cases := []struct {
		name     string
		body     string
		wantN    int
		wantTorn bool
		wantErr  string
	}{
		{"a clean journal reads whole", good + good, 2, false, ""},
		{"a torn final write is skipped", good + `{"platform":"a","mod`, 1, true, ""},
		{"a final object without its newline is kept", good + strings.TrimSuffix(good, "\n"), 2, true, ""},
		{"garbage in the middle is an error with its line", good + "not json\n" + good, 0, false, ":2: bad record"},
		{"an empty journal has no records", "", 0, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			recs, torn, err := ReadJournal(p)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || len(recs) != c.wantN || torn != c.wantTorn {
				t.Fatalf("got %d records torn=%v err=%v; want %d torn=%v", len(recs), torn, err, c.wantN, c.wantTorn)
			}
		})
	}
}

func TestWriteJournalReplacesTheFileAtomically(t *testing.T) {
	p := filepath.Join(t.TempDir(), JournalFile)
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteJournal(p, []results.Record{{CellKey: results.CellKey{SampleID: "x"}}}); err != nil {
		t.Fatal(err)
	}
	recs, _, err := ReadJournal(p)
	if err != nil || len(recs) != 1 || recs[0].SampleID != "x" {
		t.Fatalf("%v %v", recs, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".records-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestReadJournalOfAMissingFileWrapsErrNotExist(t *testing.T) {
	_, _, err := ReadJournal(filepath.Join(t.TempDir(), JournalFile))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want one that wraps fs.ErrNotExist (resume relies on it)", err)
	}
}
