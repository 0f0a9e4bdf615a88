package export

import (
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/stages/aggregate"
)

// maxAnswerText caps an answer or question quoted in the answers table.
const maxAnswerText = 120

// answerCell is one group's answer to one question: the answer of its
// first repeat, and the F1 over every repeat.
type answerCell struct {
	answer   string
	repeat   int
	failed   string // the error class when the first repeat failed
	f1Sum    float64
	n        int
	answered bool
}

// answerQuestions are the questions the report's answers table shows:
// export.answers of them (config.DefaultAnswers when 0, none when -1),
// every question when there are no more, else a sample drawn with the
// experiment's seed, in the dataset's order.
func answerQuestions(run *pipeline.Run) []string {
	n := config.DefaultAnswers
	var seed int64
	if run.Experiment != nil {
		seed = run.Experiment.Seed
		if a := run.Experiment.Export.Answers; a != 0 {
			n = a
		}
	}
	var ids []string
	if run.Manifest != nil {
		ids = slices.Clone(run.Manifest.Dataset.IDs)
	}
	if len(ids) == 0 {
		ids = sortedKeys(run.Samples)
	}
	if n < 0 || len(ids) == 0 {
		return nil
	}
	if len(ids) <= n {
		return ids
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x616e7377657273)) // "answers"
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	pick := order[:n]
	slices.Sort(pick)
	out := make([]string, n)
	for i, k := range pick {
		out[i] = ids[k]
	}
	return out
}

// addAnswer records what non-warmup record r says of its question, when
// the question is one of those shown.
func addAnswer(cells map[string]map[results.GroupKey]*answerCell, r *results.Record) {
	byGroup, ok := cells[r.SampleID]
	if !ok {
		return
	}
	c := byGroup[r.Group()]
	if c == nil {
		c = &answerCell{repeat: r.Repeat}
		byGroup[r.Group()] = c
	}
	c.f1Sum += r.F1
	c.n++
	if !c.answered || r.Repeat < c.repeat {
		c.answered, c.repeat, c.answer, c.failed = true, r.Repeat, r.Answer, ""
		if !r.OK() {
			c.failed = r.Error
		}
	}
}

// answersSection is the report's side-by-side table of a few questions
// (answerQuestions): the question, its gold answers, each group's
// extracted answer and F1, and ≠ where the groups' answers differ after
// the official SQuAD normalization. ok is false when it shows nothing.
func answersSection(run *pipeline.Run) (reportSection, bool) {
	d := digestOf(run)
	if _, noGold := noGoldLine(run.Results.Groups); len(d.questions) == 0 || len(run.Results.Groups) == 0 || noGold {
		return reportSection{}, false // no gold answers: nothing to set side by side
	}
	names := labels(run.Results.Groups)
	t := reportTable{Header: []string{"Question", "Gold answers"}, Right: []bool{false, false}}
	for _, n := range names {
		t.Header = append(t.Header, n, "F1")
		t.Right = append(t.Right, false, true)
	}
	t.Header = append(t.Header, "Differ")
	t.Right = append(t.Right, false)
	for _, id := range d.questions {
		question, gold := id, missing
		if s := run.Samples[id]; s != nil {
			question, gold = truncateText(s.Question, maxAnswerText), truncateText(strings.Join(uniqueAnswers(s.Answers), " / "), maxAnswerText)
		}
		row := []string{question, gold}
		var given []string
		for i := range run.Results.Groups {
			c := d.answers[id][run.Results.Groups[i].GroupKey]
			switch {
			case c == nil:
				row = append(row, missing, missing)
				continue
			case c.failed != "":
				row = append(row, "(failed: "+c.failed+")")
			default:
				row = append(row, truncateText(c.answer, maxAnswerText))
			}
			given = append(given, c.answer)
			row = append(row, fnum(100*c.f1Sum/float64(c.n), 0))
		}
		differ := ""
		if aggregate.AnswersDiffer(given) {
			differ = "≠"
		}
		t.Rows = append(t.Rows, append(row, differ))
	}
	s := reportSection{Title: "Answers side by side",
		Paragraphs: []string{"A few questions chosen with the experiment's seed (export.answers sets how many; all of them when there are no more): each group's extracted answer (of its first repeat) and its F1 in percent (mean over the repeats); ≠ marks a question the groups answered differently after the official SQuAD normalization. Every answer is in the workbook's per-question sheets and samples.json."},
		Tables:     []reportTable{t}}
	return s, true
}

// uniqueAnswers are the gold answers without repeats (SQuAD lists the
// answer of each annotator), in their first order.
func uniqueAnswers(answers []string) []string {
	var out []string
	for _, a := range answers {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
