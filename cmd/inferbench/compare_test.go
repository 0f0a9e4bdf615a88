package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/xuri/excelize/v2"
)

// downExperiment has a platform that fails every request.
const downExperiment = `name: down
seed: 3
dataset: {source: demo, slice: "[:4]"}
platforms:
  - name: up
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1}
    models: [m]
  - name: down
    emulate: {ttft: 1ms, tokens_per_second: 0, accuracy: 1, faults: {rate_500: 1}}
    models: [m]
    retries: 0
export: {formats: [json]}
`

// compareRows reads compare.xlsx's Compare sheet.
func compareRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Compare")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column returns the cell of row under header name, "" when row is short.
func column(t *testing.T, header, row []string, name string) string {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no column %q in %q", name, header)
	}
	if i >= len(row) {
		return ""
	}
	return row[i]
}

func TestCompareShowsADashWhereAGroupHasNoSuccessfulRequest(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "down.yaml", downExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress"); code != exitTotalFailure {
		t.Fatalf("run: exit %d, want %d\n%s\n%s", code, exitTotalFailure, stdout, stderr)
	}
	run := runDir(t, out)
	cmp := filepath.Join(dir, "cmp")
	code, stdout, stderr := inferbench(t, "compare", run, run, "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare: exit %d\n%s\n%s", code, stdout, stderr)
	}
	timing := []string{"latency_p50", "latency_mean", "ttft_p50", "tokens_per_sec_mean"}
	t.Run("the console shows a dash for every number of a timing figure of the failed group", func(t *testing.T) {
		block := stdout[strings.Index(stdout, "down / m"):]
		for _, f := range timing {
			i := strings.Index(block, "  "+f+" (")
			if i < 0 {
				t.Fatalf("no %s line in:\n%s", f, block)
			}
			line := block[i:]
			line = line[:strings.IndexByte(line, '\n')]
			fields := strings.Fields(line)
			// FIGURE (UNIT) A B CHANGE CI P
			if got := fields[2:]; !slices.Equal(got, []string{"-", "-", "-", "-", "-"}) {
				t.Errorf("%q: want a dash for A, B, change, CI and p", line)
			}
		}
	})
	files := map[string][][]string{
		"compare.csv":  readCSVRows(t, filepath.Join(cmp, "compare.csv")),
		"compare.xlsx": compareRows(t, filepath.Join(cmp, "compare.xlsx")),
	}
	for name, rows := range files {
		t.Run(name+" writes a dash, never 0, for the failed group's timing figures", func(t *testing.T) {
			seen := 0
			for _, r := range rows[1:] {
				if column(t, rows[0], r, "platform") != "down" || !slices.Contains(timing, column(t, rows[0], r, "figure")) {
					continue
				}
				seen++
				for _, c := range []string{"a", "b", "change", "ratio", "ci_low", "ci_high", "p_value"} {
					if v := column(t, rows[0], r, c); v != "-" {
						t.Errorf("%s %s = %q, want -", column(t, rows[0], r, "figure"), c, v)
					}
				}
				if v := column(t, rows[0], r, "significant"); v != "false" && v != "FALSE" {
					t.Errorf("significant = %q", v)
				}
			}
			if seen != len(timing) {
				t.Errorf("%d timing rows of the failed group, want %d", seen, len(timing))
			}
		})
		t.Run(name+" says every row compares all the questions when the runs asked the same ones", func(t *testing.T) {
			for _, r := range rows[1:] {
				if v := column(t, rows[0], r, "questions"); v != "all 4" {
					t.Fatalf("questions = %q, want %q", v, "all 4")
				}
			}
		})
	}
}

func TestCompareSharedOnlyFilesSayOnlySharedQuestionsWereCompared(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runA := runDir(t, out)
	m, _ := runfolder.ReadManifest(runA)
	runB := filepath.Join(dir, "b")
	subsetRun(t, runA, runB, m.Dataset.IDs[1:6])
	cmp := filepath.Join(dir, "cmp")
	code, stdout, stderr := inferbench(t, "compare", runA, runB, "--shared-only", "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare --shared-only: exit %d\n%s\n%s", code, stdout, stderr)
	}
	const want = "shared 5 (A asked 8, B asked 5)"
	for name, rows := range map[string][][]string{
		"compare.csv":  readCSVRows(t, filepath.Join(cmp, "compare.csv")),
		"compare.xlsx": compareRows(t, filepath.Join(cmp, "compare.xlsx")),
	} {
		t.Run(name+" carries the shared-questions warning on every row", func(t *testing.T) {
			if len(rows) < 2 {
				t.Fatalf("%d rows", len(rows))
			}
			for _, r := range rows[1:] {
				if v := column(t, rows[0], r, "questions"); v != want {
					t.Fatalf("questions = %q, want %q", v, want)
				}
			}
		})
	}
	t.Run("the console names the compared questions too", func(t *testing.T) {
		if !strings.Contains(stdout, "questions: "+want) {
			t.Errorf("stdout lacks %q:\n%s", "questions: "+want, stdout)
		}
	})
}

func TestCompareRefusesRunsOfOtherQuestionsUnlessToldToUseTheSharedOnes(t *testing.T) {
	dir := t.TempDir()
	exp := writeFile(t, dir, "fast.yaml", fastExperiment)
	out := filepath.Join(dir, "results")
	if code, stdout, stderr := inferbench(t, "run", exp, "--out", out, "--no-progress", "--set", "export.formats=[json]"); code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runA := runDir(t, out)
	m, _ := runfolder.ReadManifest(runA)
	if len(m.Dataset.IDs) != 8 {
		t.Fatalf("%d questions", len(m.Dataset.IDs))
	}
	// B is A restricted to 3 of its questions: on those, the two runs
	// hold the very same records.
	runB := filepath.Join(dir, "b")
	subsetRun(t, runA, runB, m.Dataset.IDs[2:5])

	code, stdout, stderr := inferbench(t, "compare", runA, runB)
	if code != exitError {
		t.Fatalf("compare of different selections: exit %d, want %d\n%s\n%s", code, exitError, stdout, stderr)
	}
	for _, want := range []string{"selected questions differ: 8 in A, 3 in B, 3 shared (5 only in A, 0 only in B)", "--shared-only"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "latency_p50") {
		t.Errorf("a refused compare printed a comparison:\n%s", stdout)
	}

	cmp := filepath.Join(dir, "cmp")
	code, stdout, stderr = inferbench(t, "compare", runA, runB, "--shared-only", "--out", cmp)
	if code != exitOK {
		t.Fatalf("compare --shared-only: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "only the 3 questions both runs share (A has 8, B has 3)") {
		t.Errorf("no loud warning with the counts:\n%s", stderr)
	}
	rows := readCSVRows(t, filepath.Join(cmp, "compare.csv"))
	if len(rows) < 2 {
		t.Fatalf("compare.csv has %d rows", len(rows))
	}
	ia, ib := slices.Index(rows[0], "a"), slices.Index(rows[0], "b")
	for _, r := range rows[1:] {
		if r[ia] != r[ib] {
			t.Errorf("%v: A %s and B %s differ although both sides are the same records of the shared questions", r[:4], r[ia], r[ib])
		}
	}
}
