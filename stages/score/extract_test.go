package score

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestExtractionSteps(t *testing.T) {
	cases := []struct {
		name string
		step func(string) string
		in   string
		want string
	}{
		{"strip_reasoning drops think blocks", StripReasoning, "<think>maybe Paris?</think>\nParis", "Paris"},
		{"strip_reasoning drops every think block", StripReasoning, "<think>a</think>X<think>b</think> Y", "X Y"},
		{"strip_reasoning drops an unclosed think block", StripReasoning, "Paris <think>but wait", "Paris"},
		{"strip_reasoning drops a prefix closed by a lone </think>", StripReasoning, "the user asks...</think>\n\nParis", "Paris"},
		{"strip_reasoning keeps the harmony final channel", StripReasoning,
			"<|channel|>analysis<|message|>Need the city.<|end|><|start|>assistant<|channel|>final<|message|>Paris<|return|>", "Paris"},
		{"strip_reasoning keeps the last final message", StripReasoning,
			"<|channel|>final<|message|>draft<|end|><|start|>assistant<|channel|>final<|message|>Paris", "Paris"},
		{"strip_reasoning drops harmony analysis without a final channel", StripReasoning,
			"<|start|>assistant<|channel|>analysis<|message|>thinking<|end|>Paris", "Paris"},
		{"strip_reasoning leaves plain text alone", StripReasoning, "  Denver Broncos ", "Denver Broncos"},
		{"bold_span takes the first bold span", BoldSpan, "The AFC was represented by the **Denver Broncos**, not **Panthers**.", "Denver Broncos"},
		{"bold_span accepts underscores", BoldSpan, "It was __Santa Clara__.", "Santa Clara"},
		{"bold_span skips a bold label", BoldSpan, "**Answer:** **Denver**", "Denver"},
		{"bold_span leaves text without bold alone", BoldSpan, "Denver Broncos", "Denver Broncos"},
		{"bold_span ignores spans across lines", BoldSpan, "**Denver\nBroncos**", "**Denver\nBroncos**"},
		{"first_line takes the first non-blank line", FirstLine, "\n  \n  Denver Broncos \nBecause...", "Denver Broncos"},
		{"first_line of blank text is empty", FirstLine, " \n\t\n", ""},
		{"strip_prefix removes Answer:", StripPrefix, "Answer: Denver", "Denver"},
		{"strip_prefix ignores case", StripPrefix, "ANSWER:Denver", "Denver"},
		{"strip_prefix removes A:", StripPrefix, "A: Denver", "Denver"},
		{"strip_prefix removes Final answer:", StripPrefix, "Final answer: Denver", "Denver"},
		{"strip_prefix removes The answer is", StripPrefix, "The answer is Denver", "Denver"},
		{"strip_prefix removes The answer is:", StripPrefix, "the answer is: Denver", "Denver"},
		{"strip_prefix removes The answer:", StripPrefix, "The answer: Denver", "Denver"},
		{"strip_prefix removes nested labels", StripPrefix, "Final answer: The answer is Denver", "Denver"},
		{"strip_prefix keeps a phrase that only starts like a label", StripPrefix, "The answer isn't known", "The answer isn't known"},
		{"strip_prefix keeps text without a label", StripPrefix, "Denver", "Denver"},
		{"trim_period removes trailing periods and space", TrimPeriod, "Denver Broncos. \n", "Denver Broncos"},
		{"trim_period removes an ellipsis", TrimPeriod, "etc...", "etc"},
		{"trim_period keeps inner periods", TrimPeriod, "U.S. Army", "U.S. Army"},
		{"unquote removes ASCII double quotes", Unquote, `"Denver"`, "Denver"},
		{"unquote removes single quotes", Unquote, "'Denver'", "Denver"},
		{"unquote removes curly double quotes", Unquote, "“Denver Broncos”", "Denver Broncos"},
		{"unquote removes curly single quotes", Unquote, "‘Denver’", "Denver"},
		{"unquote removes guillemets", Unquote, "« Denver »", "Denver"},
		{"unquote removes only one pair", Unquote, `""Denver""`, `"Denver"`},
		{"unquote keeps unmatched quotes", Unquote, `"Denver'`, `"Denver'`},
		{"unquote keeps a lone quote", Unquote, `"`, `"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.step(c.in); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestNewExtractor(t *testing.T) {
	chatty := "<think>The question asks who won.</think>\nThe AFC was represented by the **Denver Broncos**."
	cases := []struct {
		name    string
		spec    config.ExtractSpec
		content string
		want    string
	}{
		{"the default steps clean a chatty reasoning answer", config.ExtractSpec{}, chatty, "Denver Broncos"},
		{"the default steps handle a labelled first line", config.ExtractSpec{}, "Answer: Denver Broncos.\n\nExplanation: ...", "Denver Broncos"},
		{"steps run in the order given", config.ExtractSpec{Steps: []string{"first_line", "unquote"}}, "“Paris”\nmore", "Paris"},
		{"a regex returns its first capture group", config.ExtractSpec{Regex: `(?i)answer:\s*(.+)`}, "I think.\nAnswer: Paris", "Paris"},
		{"a regex without groups returns the whole match", config.ExtractSpec{Regex: `\d{4}`}, "In 1999 and 2001", "1999"},
		{"a regex that does not match leaves the content", config.ExtractSpec{Regex: `answer:\s*(.+)`}, " Paris ", "Paris"},
		{"an optional group that did not take part gives the whole match", config.ExtractSpec{Regex: `Paris(, France)?`}, "Paris!", "Paris"},
		{"an expr sees content", config.ExtractSpec{Expr: `trim(split(content, "\n")[0])`}, " Paris \nmore", "Paris"},
		{"an expr sees reasoning and question", config.ExtractSpec{Expr: `question + "|" + reasoning`}, "", "Q?|R"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex, err := NewExtractor(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ex(config.ExtractEnv{Content: c.content, Reasoning: "R", Question: "Q?"})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestNewExtractorRejectsBadSpecs(t *testing.T) {
	cases := []struct {
		name string
		spec config.ExtractSpec
		want string
	}{
		{"an unknown step lists the valid ones", config.ExtractSpec{Steps: []string{"first_line", "bold"}},
			`unknown step "bold" (valid steps: bold_span, first_line, strip_prefix, strip_reasoning, trim_period, unquote)`},
		{"a bad regex is an error", config.ExtractSpec{Regex: `(`}, "regex"},
		{"an expr that does not compile is an error", config.ExtractSpec{Expr: `content +`}, "expression"},
		{"an expr that is not a string is an error", config.ExtractSpec{Expr: `len(content)`}, "expression"},
		{"two kinds at once are an error", config.ExtractSpec{Regex: `x`, Expr: `content`}, "only one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewExtractor(c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestStepNamesMatchTheBuiltInSteps(t *testing.T) {
	names := StepNames()
	if len(names) != len(steps) {
		t.Fatalf("StepNames() = %v", names)
	}
	for _, n := range config.DefaultExtractSteps {
		if _, ok := steps[n]; !ok {
			t.Errorf("default step %q is not built in", n)
		}
	}
}
