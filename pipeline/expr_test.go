package pipeline

import "testing"

func TestEveryExpressionEnvironmentCompilesItsDocumentedExamples(t *testing.T) {
	for _, s := range []string{`len(context) < 3000`, `group("a").f1 >= 1`, `all(groups, .error_rate < 0.01)`} {
		var err error
		switch s {
		case `len(context) < 3000`:
			_, err = CompileFilter(s)
		default:
			_, err = CompileCheck(s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := CompileMetric(`output_tokens / 1000 * 0.6`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = CompileExtract(`trim(split(content, "\n")[0])`)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := CompileCheck(`group("a").f1 >= 1`)
	res := &Results{Groups: []GroupStats{{GroupKey: GroupKey{Platform: "a"}, F1: Dist{Mean: 2}}}}
	v, err := RunExpr(p, NewCheckEnv(res))
	if err != nil || v != true {
		t.Fatal(v, err)
	}
}
