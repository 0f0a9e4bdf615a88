package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A platform whose levels are sized by duration sends as many requests as
// their time allows, so its progress line shows the requests done and the
// level's time, never a done/total (which counted only the known cells,
// and so showed more done than total), a percentage or an ETA.
func TestProgressOfLevelsSizedByDurationShowsNoMadeUpTotal(t *testing.T) {
	dir := t.TempDir()
	body := strings.Replace(sizedLevels, "requests: 10", "duration: 200ms", 1)
	body = strings.Replace(body, "warmup: 3", "warmup: 2", 1)
	exp := writeFile(t, dir, "timed.yaml", body)
	code, stdout, stderr := inferbench(t, "run", exp, "--out", filepath.Join(dir, "results"))
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "fast ") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("no progress line for the platform:\n%s", stderr)
	}
	done := regexp.MustCompile(`^fast\s+level c=6 200ms/200ms  done \d+  failed 0  concurrency 6  completed \d+\.\d+ req/s  aggregate \d+\.\d+ tok/s$`)
	final := lines[len(lines)-1]
	if !done.MatchString(final) {
		t.Errorf("final progress line %q: want the requests done and the last level's 200ms/200ms", final)
	}
	for _, l := range lines {
		if strings.Contains(l, "/0 ") || strings.Contains(l, "%") || strings.Contains(l, "ETA") {
			t.Errorf("progress line %q shows a total, percentage or ETA of a timed level", l)
		}
	}
}
