package score

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Matcher computes SQuAD exact match and F1 of one prediction against its
// gold answers exactly as the official scripts do. It reuses its buffers,
// so a long-lived Matcher scores without allocating. The zero value is
// ready for use; a Matcher is not safe for concurrent use (use one per
// goroutine, or the package-level functions, which pool them).
type Matcher struct {
	pred, gold Tokens
	used       []bool
}

// overlap returns sum((Counter(pred) & Counter(gold)).values()): the size
// of the multiset intersection of the two token lists.
func (m *Matcher) overlap() int {
	ng := m.gold.Len()
	if cap(m.used) < ng {
		m.used = make([]bool, ng)
	}
	used := m.used[:ng]
	clear(used)
	same := 0
	for i := 0; i < m.pred.Len(); i++ {
		p := m.pred.Token(i)
		for j := 0; j < ng; j++ {
			if !used[j] && bytes.Equal(p, m.gold.Token(j)) {
				used[j] = true
				same++
				break
			}
		}
	}
	return same
}

// f1 combines an overlap as f1_score does, in Python's operation order:
// precision = 1.0*same/len(pred); recall = 1.0*same/len(gold);
// f1 = (2*precision*recall)/(precision+recall).
func f1(same, npred, ngold int) float64 {
	precision := float64(same) / float64(npred)
	recall := float64(same) / float64(ngold)
	return (2 * precision * recall) / (precision + recall)
}

// f1V1 is evaluate-v1.1.py's f1_score on the normalized pred and gold.
func (m *Matcher) f1V1() float64 {
	same := m.overlap()
	if same == 0 {
		return 0
	}
	return f1(same, m.pred.Len(), m.gold.Len())
}

// f1V2 is evaluate-v2.0.py's compute_f1: when either token list is empty
// the score is 1 if both are, else 0.
func (m *Matcher) f1V2() float64 {
	if m.pred.Len() == 0 || m.gold.Len() == 0 {
		if m.pred.Len() == m.gold.Len() {
			return 1
		}
		return 0
	}
	return m.f1V1()
}

// ScoreV1 returns evaluate-v1.1.py's metric_max_over_ground_truths of
// exact_match_score (as 0 or 1) and of f1_score (0..1) for pred against
// golds. With no gold answers (where the script would fail) both are 0.
func (m *Matcher) ScoreV1(pred string, golds []string) (em, f1 float64) {
	m.pred.Normalize(pred)
	for _, g := range golds {
		m.gold.Normalize(g)
		if em == 0 && m.pred.Equal(&m.gold) {
			em = 1
		}
		if s := m.f1V1(); s > f1 {
			f1 = s
		}
	}
	return em, f1
}

// ScoreV2 returns evaluate-v2.0.py's scores for pred: the maxima of
// compute_exact (0 or 1) and compute_f1 (0..1) over the gold answers whose
// normalization is not empty, or over [""] when there is none (an
// unanswerable question, whose only correct answer is the empty one).
func (m *Matcher) ScoreV2(pred string, golds []string) (em, f1 float64) {
	m.pred.Normalize(pred)
	valid := 0
	for _, g := range golds {
		m.gold.Normalize(g)
		if m.gold.Len() == 0 {
			continue
		}
		valid++
		m.scoreV2Gold(&em, &f1)
	}
	if valid == 0 {
		m.gold.Normalize("")
		m.scoreV2Gold(&em, &f1)
	}
	return em, f1
}

func (m *Matcher) scoreV2Gold(em, f1 *float64) {
	if *em == 0 && m.pred.Equal(&m.gold) {
		*em = 1
	}
	if s := m.f1V2(); s > *f1 {
		*f1 = s
	}
}

var matchers = sync.Pool{New: func() any { return new(Matcher) }}

// ExactMatch reports whether normalize_answer(pred) == normalize_answer(gold).
// Safe for concurrent use; does not allocate in steady state.
func ExactMatch(pred, gold string) bool {
	m := matchers.Get().(*Matcher)
	m.pred.Normalize(pred)
	m.gold.Normalize(gold)
	eq := m.pred.Equal(&m.gold)
	matchers.Put(m)
	return eq
}

// F1 is evaluate-v1.1.py's f1_score: the token-overlap F1 (0..1) of the
// normalized prediction and gold answer, 0 when they share no token. Safe
// for concurrent use; does not allocate in steady state.
func F1(pred, gold string) float64 {
	m := matchers.Get().(*Matcher)
	m.pred.Normalize(pred)
	m.gold.Normalize(gold)
	s := m.f1V1()
	matchers.Put(m)
	return s
}

// F1V2 is evaluate-v2.0.py's compute_f1: like F1, except that when either
// normalized answer is empty the score is 1 if both are, else 0. Safe for
// concurrent use; does not allocate in steady state.
func F1V2(pred, gold string) float64 {
	m := matchers.Get().(*Matcher)
	m.pred.Normalize(pred)
	m.gold.Normalize(gold)
	s := m.f1V2()
	matchers.Put(m)
	return s
}

// EvaluateV1 is evaluate-v1.1.py's evaluate: it scores every question of ds
// in file order and returns exact_match and f1 as percentages. A question
// without a prediction scores 0, counts in the total, and (when stderr is
// not nil) gets the script's line "Unanswered question <id> will receive
// score 0."; predictions for unknown ids are ignored. The sums are taken in
// the script's order, so the results equal its output bit for bit. An
// empty dataset (where the script divides by zero) gives NaN.
func EvaluateV1(ds *Dataset, preds map[string]string, stderr io.Writer) (em, f1 float64, missing int) {
	// Questions are scored in parallel; the sums are then taken one by one
	// in file order, so the result does not depend on the scheduling.
	scores := scoreParallel(ds.Questions, preds)
	exact := 0 // the script adds booleans: an exact integer count
	f1Sum := 0.0
	for i, s := range scores {
		if s.missing {
			missing++
			if stderr != nil {
				fmt.Fprintf(stderr, "Unanswered question %s will receive score 0.\n", ds.Questions[i].ID)
			}
			continue
		}
		if s.em == 1 {
			exact++
		}
		f1Sum += s.f1
	}
	total := float64(len(ds.Questions))
	if total == 0 {
		return math.NaN(), math.NaN(), missing
	}
	return 100.0 * float64(exact) / total, 100.0 * f1Sum / total, missing
}

type qScore struct {
	em, f1  float64
	missing bool
}

// parallelMin is the number of questions below which one goroutine scores.
const parallelMin = 2048

// scoreParallel scores every question (v1.1 rules) on GOMAXPROCS goroutines.
func scoreParallel(qs []Question, preds map[string]string) []qScore {
	out := make([]qScore, len(qs))
	work := func(lo, hi int) {
		var m Matcher
		for i := lo; i < hi; i++ {
			pred, ok := preds[qs[i].ID]
			if !ok {
				out[i].missing = true
				continue
			}
			out[i].em, out[i].f1 = m.ScoreV1(pred, qs[i].Answers)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(qs) < parallelMin || workers < 2 {
		work(0, len(qs))
		return out
	}
	var wg sync.WaitGroup
	chunk := (len(qs) + workers - 1) / workers
	for lo := 0; lo < len(qs); lo += chunk {
		hi := min(lo+chunk, len(qs))
		wg.Go(func() { work(lo, hi) })
	}
	wg.Wait()
	return out
}

// V2Eval is the output of evaluate-v2.0.py run without a no-answer
// probability file: percentages and question counts. The HasAns fields are
// meaningful only when HasAnsTotal > 0 and the NoAns fields only when
// NoAnsTotal > 0 (the script omits the keys otherwise).
type V2Eval struct {
	Exact, F1             float64
	Total                 int
	HasAnsExact, HasAnsF1 float64
	HasAnsTotal           int
	NoAnsExact, NoAnsF1   float64
	NoAnsTotal            int
}

// MissingError is returned by EvaluateV2 when predictions are missing: the
// official v2.0 script prints "Missing prediction for <id>" for each and
// then fails with a KeyError while computing the HasAns/NoAns breakdown.
type MissingError struct {
	// IDs are the unanswered question ids in file order.
	IDs []string
}

// Error names the first missing id like the script's KeyError.
func (e *MissingError) Error() string {
	what := "questions have"
	if len(e.IDs) == 1 {
		what = "question has"
	}
	return fmt.Sprintf("%d %s no prediction (the official v2.0 script fails with KeyError: %s)",
		len(e.IDs), what, pyRepr(e.IDs[0]))
}

// EvaluateV2 is evaluate-v2.0.py without a no-answer probability file
// (every na_prob is 0, below the default threshold 1.0, so the thresholded
// scores equal the raw ones). Questions are keyed by id in file order (a
// repeated id keeps its first position and its last scores, as the
// script's dicts do); an answerable question (HasAns) is one with at least
// one answer in the file. Gold answers that normalize to "" are dropped
// and a question left with none is scored against [""] (ScoreV2).
//
// For every question without a prediction the script prints "Missing
// prediction for <id>" to stdout; this function writes the same lines to
// stdout when it is not nil and then returns a *MissingError, because the
// script itself crashes at that point. Predictions for unknown ids are
// ignored. Sums use Python 3.11's sum(): plain left-to-right float
// addition in dict order (Python 3.12 and later compensate rounding, which
// may change the last digit).
func EvaluateV2(ds *Dataset, preds map[string]string, stdout io.Writer) (V2Eval, error) {
	type qscore struct {
		hasAns    bool
		scored    bool
		exact, f1 float64
	}
	order := make([]string, 0, len(ds.Questions))
	byID := make(map[string]*qscore, len(ds.Questions))
	var missing []string
	var m Matcher
	for i := range ds.Questions {
		q := &ds.Questions[i]
		s := byID[q.ID]
		if s == nil {
			s = new(qscore)
			byID[q.ID] = s
			order = append(order, q.ID)
		}
		s.hasAns = len(q.Answers) > 0
		pred, ok := preds[q.ID]
		if !ok {
			if stdout != nil {
				fmt.Fprintf(stdout, "Missing prediction for %s\n", q.ID)
			}
			missing = append(missing, q.ID)
			continue
		}
		s.exact, s.f1 = m.ScoreV2(pred, q.Answers)
		s.scored = true
	}
	var out V2Eval
	for _, id := range order {
		if !byID[id].scored {
			return out, &MissingError{IDs: missing}
		}
	}
	var exact, f1, hasExact, hasF1, noExact, noF1 float64
	for _, id := range order {
		s := byID[id]
		exact += s.exact
		f1 += s.f1
		if s.hasAns {
			out.HasAnsTotal++
			hasExact += s.exact
			hasF1 += s.f1
		} else {
			out.NoAnsTotal++
			noExact += s.exact
			noF1 += s.f1
		}
	}
	out.Total = len(order)
	if out.Total == 0 {
		return out, errors.New("dataset has no questions")
	}
	pct := func(sum float64, n int) float64 { return 100.0 * sum / float64(n) }
	out.Exact, out.F1 = pct(exact, out.Total), pct(f1, out.Total)
	if out.HasAnsTotal > 0 {
		out.HasAnsExact, out.HasAnsF1 = pct(hasExact, out.HasAnsTotal), pct(hasF1, out.HasAnsTotal)
	}
	if out.NoAnsTotal > 0 {
		out.NoAnsExact, out.NoAnsF1 = pct(noExact, out.NoAnsTotal), pct(noF1, out.NoAnsTotal)
	}
	return out, nil
}

// JSON renders e as the script prints it: json.dumps(out_eval, indent=2)
// followed by a newline, keys in the script's order, HasAns_* and NoAns_*
// only when that group has questions.
func (e V2Eval) JSON() string {
	var b strings.Builder
	b.WriteString("{\n")
	item := func(first bool, key, val string) {
		if !first {
			b.WriteString(",\n")
		}
		b.WriteString(`  "` + key + `": ` + val)
	}
	item(true, "exact", FormatPythonFloat(e.Exact))
	item(false, "f1", FormatPythonFloat(e.F1))
	item(false, "total", strconv.Itoa(e.Total))
	if e.HasAnsTotal > 0 {
		item(false, "HasAns_exact", FormatPythonFloat(e.HasAnsExact))
		item(false, "HasAns_f1", FormatPythonFloat(e.HasAnsF1))
		item(false, "HasAns_total", strconv.Itoa(e.HasAnsTotal))
	}
	if e.NoAnsTotal > 0 {
		item(false, "NoAns_exact", FormatPythonFloat(e.NoAnsExact))
		item(false, "NoAns_f1", FormatPythonFloat(e.NoAnsF1))
		item(false, "NoAns_total", strconv.Itoa(e.NoAnsTotal))
	}
	b.WriteString("\n}\n")
	return b.String()
}

// V1JSON renders v1.1 results as the script prints them:
// json.dumps({'exact_match': em, 'f1': f1}) followed by a newline.
func V1JSON(em, f1 float64) string {
	return `{"exact_match": ` + FormatPythonFloat(em) + `, "f1": ` + FormatPythonFloat(f1) + "}\n"
}

// FormatPythonFloat formats f as Python's json.dumps does (float.__repr__):
// the shortest digits that round-trip; scientific notation ("1e-05",
// "1.5e+16") when the decimal exponent is below -4 or at least 16, else
// positional notation with at least one fractional digit ("100.0"); NaN and
// infinities as json.dumps writes them (NaN, Infinity, -Infinity).
func FormatPythonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	// Go's shortest 'e' form has Python's exponent style: sign and at
	// least two digits.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp < -4 || exp >= 16 {
		return e
	}
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch point := exp + 1; {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
		b.WriteString(".0")
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String()
}

// pyRepr quotes s roughly as Python's repr of a str does (for messages).
func pyRepr(s string) string {
	if !strings.ContainsRune(s, '\'') {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

// ScoreFiles is the file-level scorer behind `inferbench score`: it reads
// an official SQuAD JSON dataset and a {question id: answer} predictions
// JSON file and writes to w exactly what the official script prints to
// stdout, and to stderr what it prints there. With v2 false that is
// evaluate-v1.1.py (`{"exact_match": X, "f1": Y}`; a dataset whose version
// is not "1.1" gets the script's warning on stderr, unanswered questions a
// line each on stderr); with v2 true it is evaluate-v2.0.py without a
// no-answer probability file (the indented JSON of V2Eval.JSON; missing
// predictions are listed on w and then returned as a *MissingError, as the
// script fails). Errors are for unreadable or malformed files; nothing is
// written to w when the inputs cannot be read.
func ScoreFiles(w io.Writer, stderr io.Writer, datasetPath, predictionsPath string, v2 bool) error {
	// The two files are read and parsed side by side.
	var preds map[string]string
	var perr error
	var wg sync.WaitGroup
	wg.Go(func() {
		data, err := os.ReadFile(predictionsPath)
		if err != nil {
			perr = fmt.Errorf("read predictions: %w", err)
			return
		}
		if preds, err = ParsePredictions(data); err != nil {
			perr = fmt.Errorf("predictions %s: %w", predictionsPath, err)
		}
	})
	data, err := os.ReadFile(datasetPath)
	if err != nil {
		err = fmt.Errorf("read dataset: %w", err)
	}
	var ds *Dataset
	if err == nil {
		if ds, err = ParseDataset(data); err != nil {
			err = fmt.Errorf("dataset %s: %w", datasetPath, err)
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	if v2 {
		res, err := EvaluateV2(ds, preds, w)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, res.JSON())
		return err
	}
	if len(ds.Questions) == 0 {
		return errors.New("dataset has no questions")
	}
	if ds.Version != "1.1" && stderr != nil {
		fmt.Fprintf(stderr, "Evaluation expects v-1.1, but got dataset with v-%s\n", ds.Version)
	}
	em, f1, _ := EvaluateV1(ds, preds, stderr)
	_, err = io.WriteString(w, V1JSON(em, f1))
	return err
}
