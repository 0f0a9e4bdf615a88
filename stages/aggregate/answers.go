package aggregate

import "github.com/inferbench/inferbench/stages/score"

// AnswersDiffer reports whether the answers are not all the same after
// the official SQuAD normalization (score.Normalize), the comparison that
// answer agreement makes: two answers differ exactly when EM can tell them
// apart.
func AnswersDiffer(answers []string) bool {
	for _, a := range answers[min(1, len(answers)):] {
		if score.Normalize(a) != score.Normalize(answers[0]) {
			return true
		}
	}
	return false
}
