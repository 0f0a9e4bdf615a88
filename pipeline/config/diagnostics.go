package config

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one located problem with an experiment, modelled on HCL's
// diagnostics. File is the experiment file's path as given, or the override
// that introduced the problem ("--set platforms.0.rate=-1",
// "$INFERBENCH_SEED"). Line and Col are 1-based positions in File; Line 0
// means the problem has no position (an override, an unreadable file). Path
// is the YAML path of the offending value ("platforms[1].concurrency"),
// empty when the problem concerns the whole file. Message is lower case and
// in plain words.
type Diagnostic struct {
	File      string
	Line, Col int
	Path      string
	Message   string
}

// Error formats d as "file:line:col: path: message", leaving out the parts
// that are empty or zero.
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
		}
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is every problem found in one experiment. The zero value (nil)
// means no problem. It implements error; use Err to get a nil error when
// there is nothing to report.
type Diagnostics []Diagnostic

// Error returns one Diagnostic.Error line per problem, in order.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil when ds is empty and ds otherwise, so that callers can
// write `if err := diags.Err(); err != nil`.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	return ds
}

// Unwrap returns each diagnostic as an error, for errors.Is and errors.As.
func (ds Diagnostics) Unwrap() []error {
	out := make([]error, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

// Sort orders ds in place: problems with a position first, by file, line,
// column and path; then problems without a position (overrides), by origin
// and path. Exact duplicates are removed and the result returned.
func (ds Diagnostics) Sort() Diagnostics {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Path < b.Path
	})
	out := ds[:0]
	for i, d := range ds {
		if i > 0 && d == ds[i-1] {
			continue
		}
		out = append(out, d)
	}
	return out
}

// levenshtein is the edit distance between a and b, by runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// didYouMean returns the candidate closest to s when it is close enough to
// be a plausible typo (at most 2 edits, or a third of the candidate's
// length), else "".
func didYouMean(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d <= 2 || d*3 <= len(c) {
			if bestD < 0 || d < bestD {
				best, bestD = c, d
			}
		}
	}
	return best
}

// suggest formats a did-you-mean suffix, or "" when nothing is close.
func suggest(s string, candidates []string) string {
	if m := didYouMean(s, candidates); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	return ""
}
