package score

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/expr-lang/expr/vm"
	"github.com/inferbench/inferbench/pipeline/config"
)

// Extractor turns a model's output into the answer to score. The input is
// the extraction environment of score.extract.expr (content, reasoning,
// question, context). An error is a runtime failure of an expr extraction;
// built-in steps and regexes never fail. Extractors returned by
// NewExtractor are safe for concurrent use.
type Extractor func(in config.ExtractEnv) (string, error)

// step is one built-in extraction step: a pure string transformation.
type step func(string) string

var steps = map[string]step{
	"strip_reasoning": StripReasoning,
	"bold_span":       BoldSpan,
	"first_line":      FirstLine,
	"strip_prefix":    StripPrefix,
	"trim_period":     TrimPeriod,
	"unquote":         Unquote,
}

// StepNames lists the built-in extraction step names, sorted, for config
// validation (pipeline.Registry.ExtractSteps).
func StepNames() []string {
	names := make([]string, 0, len(steps))
	for n := range steps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewExtractor builds the extractor of spec. Exactly one of Steps, Regex
// and Expr may be set; when none is, config.DefaultExtractSteps are used.
//   - Steps are applied in order, each to the previous one's output,
//     starting from the raw content.
//   - Regex (Go RE2 syntax) is matched against the raw content; the answer
//     is the first capture group of the first match if the pattern has one
//     and it took part in the match, else the whole match. When the pattern
//     does not match, the answer is the content with surrounding space
//     trimmed (extraction never turns a scorable answer into nothing).
//   - Expr is compiled with config.CompileExtract and run against
//     config.ExtractEnv; its result is trimmed of surrounding space.
//
// Errors (an unknown step name, listing the valid ones; a bad regex or
// expr; more than one kind set) are configuration errors.
func NewExtractor(spec config.ExtractSpec) (Extractor, error) {
	set := 0
	for _, b := range []bool{len(spec.Steps) > 0, spec.Regex != "", spec.Expr != ""} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("extract: set only one of a step list, regex and expr")
	}
	switch {
	case spec.Regex != "":
		re, err := regexp.Compile(spec.Regex)
		if err != nil {
			return nil, fmt.Errorf("extract: regex: %w", err)
		}
		return func(in config.ExtractEnv) (string, error) { return regexExtract(re, in.Content), nil }, nil
	case spec.Expr != "":
		prog, err := config.CompileExtract(spec.Expr)
		if err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		return exprExtractor(prog), nil
	}
	names := spec.Steps
	if len(names) == 0 {
		names = config.DefaultExtractSteps
	}
	chain := make([]step, len(names))
	for i, n := range names {
		s, ok := steps[n]
		if !ok {
			return nil, fmt.Errorf("extract: unknown step %q (valid steps: %s)", n, strings.Join(StepNames(), ", "))
		}
		chain[i] = s
	}
	return func(in config.ExtractEnv) (string, error) {
		s := in.Content
		for _, f := range chain {
			s = f(s)
		}
		return s, nil
	}, nil
}

func exprExtractor(prog *vm.Program) Extractor {
	return func(in config.ExtractEnv) (string, error) {
		out, err := config.RunExpr(prog, in)
		if err != nil {
			return "", fmt.Errorf("extract expr: %w", err)
		}
		s, ok := out.(string)
		if !ok {
			return "", fmt.Errorf("extract expr: result is %T, not a string", out)
		}
		return strings.TrimSpace(s), nil
	}
}

func regexExtract(re *regexp.Regexp, content string) string {
	m := re.FindStringSubmatchIndex(content)
	switch {
	case m == nil:
		return strings.TrimSpace(content)
	case len(m) >= 4 && m[2] >= 0:
		return strings.TrimSpace(content[m[2]:m[3]])
	default:
		return strings.TrimSpace(content[m[0]:m[1]])
	}
}

// Harmony (gpt-oss) special tokens that can leak into content when a
// server does not parse the channels.
const (
	hChannel = "<|channel|>"
	hMessage = "<|message|>"
	hFinal   = "<|channel|>final<|message|>"
)

var harmonyEnds = []string{"<|end|>", "<|return|>", "<|call|>", "<|start|>"}

// StripReasoning removes reasoning that leaked into content: every
// <think>...</think> block (an unclosed <think> drops the rest of the
// text), everything up to a </think> that has no opening tag (servers that
// strip the opening tag), and OpenAI harmony channel markup: when a final
// channel message (<|channel|>final<|message|>) is present only its text
// is kept (up to <|end|>, <|return|>, <|call|> or <|start|>); otherwise
// every channel message and stray harmony token is dropped. The result is
// trimmed of surrounding space.
func StripReasoning(s string) string {
	// A closing tag before any opening tag: the reasoning's start was cut.
	if c := strings.Index(s, "</think>"); c >= 0 {
		if o := strings.Index(s, "<think>"); o < 0 || o > c {
			s = s[c+len("</think>"):]
		}
	}
	for {
		o := strings.Index(s, "<think>")
		if o < 0 {
			break
		}
		c := strings.Index(s[o:], "</think>")
		if c < 0 {
			s = s[:o]
			break
		}
		s = s[:o] + s[o+c+len("</think>"):]
	}
	if i := strings.LastIndex(s, hFinal); i >= 0 {
		s = s[i+len(hFinal):]
		s = cutAtAny(s, harmonyEnds)
	} else if strings.Contains(s, hChannel) || strings.Contains(s, hMessage) {
		s = dropHarmonyMessages(s)
	}
	return strings.TrimSpace(s)
}

// cutAtAny cuts s at the first occurrence of any of seps.
func cutAtAny(s string, seps []string) string {
	cut := len(s)
	for _, sep := range seps {
		if i := strings.Index(s, sep); i >= 0 && i < cut {
			cut = i
		}
	}
	return s[:cut]
}

// dropHarmonyMessages removes non-final harmony messages
// (<|channel|>NAME<|message|>TEXT up to an end token or the end) and the
// header tokens around them, keeping text outside any message.
func dropHarmonyMessages(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "<|")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, hChannel) || strings.HasPrefix(s, hMessage) {
			// A message header: drop up to and including its end token.
			m := strings.Index(s, hMessage)
			if m < 0 {
				break
			}
			rest := s[m+len(hMessage):]
			s = rest[len(cutAtAny(rest, harmonyEnds)):]
			continue
		}
		// Another special token (<|start|>assistant, <|end|>, ...): drop
		// the token, and the role name after <|start|>.
		j := strings.Index(s, "|>")
		if j < 0 {
			b.WriteString(s)
			break
		}
		tok := s[:j+2]
		s = s[j+2:]
		if tok == "<|start|>" {
			k := strings.Index(s, "<|")
			if k < 0 {
				k = len(s)
			}
			s = s[k:]
		}
	}
	return b.String()
}

// BoldSpan returns the text of the first Markdown bold span (**text** or
// __text__, on one line) whose text does not end with a colon (a label
// such as "**Answer:**" is skipped), trimmed; s unchanged when there is
// none.
func BoldSpan(s string) string {
	for _, m := range boldRE.FindAllStringSubmatch(s, -1) {
		inner := m[1]
		if inner == "" {
			inner = m[2]
		}
		inner = strings.TrimSpace(inner)
		if inner != "" && !strings.HasSuffix(inner, ":") {
			return inner
		}
	}
	return s
}

var boldRE = regexp.MustCompile(`\*\*([^*\n]+)\*\*|__([^_\n]+)__`)

// FirstLine returns the first line that is not blank, trimmed; "" when
// every line is blank.
func FirstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// answerPrefixes are removed by StripPrefix, longest first so that "The
// answer is:" wins over "The answer is".
var answerPrefixes = []string{"final answer:", "the answer is:", "the answer is", "the answer:", "answer:", "a:"}

// StripPrefix trims s and removes a leading answer label, ignoring case:
// "Final answer:", "The answer is:", "The answer is", "The answer:",
// "Answer:" or "A:" (repeatedly, so "Final answer: The answer is X"
// gives "X"). "The answer is" counts only as a whole phrase (followed by
// space or the end), so "The answer isn't known" is kept.
func StripPrefix(s string) string {
	s = strings.TrimSpace(s)
	for changed := true; changed; {
		changed = false
		for _, p := range answerPrefixes {
			if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
				continue
			}
			rest := s[len(p):]
			if !strings.HasSuffix(p, ":") && rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n' {
				continue
			}
			s = strings.TrimSpace(rest)
			changed = true
			break
		}
	}
	return s
}

// TrimPeriod removes trailing periods and surrounding white space ("Paris.
// " -> "Paris"; "etc..." -> "etc").
func TrimPeriod(s string) string {
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), ". \t\r\n"))
}

// quotePairs are the quote pairs Unquote removes.
var quotePairs = [][2]string{
	{`"`, `"`}, {`'`, `'`}, {"`", "`"},
	{"“", "”"}, {"‘", "’"}, {"«", "»"}, {"„", "“"}, {"‹", "›"}, {"「", "」"},
}

// Unquote trims s and removes one pair of matching surrounding quotes
// (ASCII ", ' and `, “ ”, ‘ ’, « », „ “, ‹ ›, 「 」); s trimmed when it is
// not quoted.
func Unquote(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range quotePairs {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return strings.TrimSpace(s[len(q[0]) : len(s)-len(q[1])])
		}
	}
	return s
}
