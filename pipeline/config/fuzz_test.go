package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSlice: any string either parses, and then selects indices in
// order within bounds, or is rejected with an error; never a panic.
func FuzzParseSlice(f *testing.F) {
	for _, s := range []string{"", "[:10]", "[5:20:3]", "[-3:]", "[7]", "[::0]", "[a:]", "[1:2:3:4]", "[-9999999999999999999:]"} {
		f.Add(s, 25)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 10000 {
			return
		}
		sl, err := ParseSlice(s)
		if err != nil {
			return
		}
		idx := sl.Indices(n)
		for i, j := range idx {
			if j < 0 || j >= n || (i > 0 && j <= idx[i-1]) {
				t.Fatalf("%q over %d: indices %v", s, n, idx)
			}
		}
	})
}

// FuzzLoadExperiment: any bytes give either an experiment or located
// diagnostics, never a panic, and an experiment only without diagnostics.
func FuzzLoadExperiment(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nplatforms: [{name: a, emulate: {}, models: [m]}]\ndataset: {source: demo}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exp, diags := loadExperiment("fuzz.yaml", data, LoadOptions{Registry: testRegistry()})
		if (exp == nil) == (len(diags) == 0) {
			t.Fatalf("experiment %v with %d diagnostics", exp != nil, len(diags))
		}
		for _, d := range diags {
			if d.Message == "" || strings.TrimSpace(d.Error()) == "" {
				t.Fatalf("empty diagnostic %+v", d)
			}
		}
	})
}
