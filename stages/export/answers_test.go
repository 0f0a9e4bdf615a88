package export

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The report shows a few questions side by side: the question, the gold
// answers, each group's answer and F1, and ≠ where the groups differ.
func TestTheReportShowsAnswersSideBySide(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	_, md, _ := outputs(t, run)
	i := strings.Index(md, "## Answers side by side")
	if i < 0 {
		t.Fatalf("no answers section in report.md")
	}
	sec := md[i:]
	sec = sec[:strings.Index(sec[3:], "\n## ")+3]
	if l := lineWith(sec, "What is the capital of France?"); !strings.Contains(l, "| Paris | Paris | 100 | Paris | 100 |  |") {
		t.Errorf("q1 row %q: want both groups answering Paris, F1 100, no marker", l)
	}
	if l := lineWith(sec, "What is the answer"); !strings.HasSuffix(l, "| ≠ |") || !strings.Contains(l, "forty-two / 42") {
		t.Errorf("q2 row %q: want the gold answers and ≠", l)
	}
	if l := lineWith(sec, "Where is 東京?"); !strings.Contains(l, "(failed: http_429)") {
		t.Errorf("q3 row %q: want the failed first repeat", l)
	}
	html, _ := os.ReadFile(filepath.Join(run.Dir, HTMLFile))
	if len(html) > 0 && !strings.Contains(string(html), "Answers side by side") {
		t.Errorf("report.html has no answers section")
	}
}

func TestTheAnswersShownAreASeededChoice(t *testing.T) {
	run := fixtureRun(t, t.TempDir())
	run.Experiment.Export.Answers = 2
	a := answerQuestions(run)
	if len(a) != 2 || !slices.Equal(a, answerQuestions(run)) {
		t.Fatalf("got %v then %v: want the same 2", a, answerQuestions(run))
	}
	seen := map[string]bool{}
	for seed := int64(0); seed < 20; seed++ {
		run.Experiment.Seed = seed
		seen[strings.Join(answerQuestions(run), ",")] = true
	}
	if len(seen) < 2 {
		t.Errorf("every seed picks the same questions")
	}
	run.Experiment.Export.Answers = -1
	if got := answerQuestions(run); got != nil {
		t.Errorf("answers: -1 shows %v", got)
	}
	run.Experiment.Export.Answers = 100
	if got := answerQuestions(run); len(got) != len(run.Manifest.Dataset.IDs) {
		t.Errorf("with few questions all are shown: %v", got)
	}
}
