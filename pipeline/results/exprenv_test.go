package results

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

func TestEveryExpressionEnvironmentCompilesItsDocumentedExamples(t *testing.T) {
	for _, s := range []string{`len(context) < 3000`, `group("a").f1 >= 1`, `all(groups, .error_rate < 0.01)`} {
		var err error
		switch s {
		case `len(context) < 3000`:
			_, err = config.CompileFilter(s)
		default:
			_, err = config.CompileCheck(s)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := config.CompileMetric(`output_tokens / 1000 * 0.6`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = config.CompileExtract(`trim(split(content, "\n")[0])`)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := config.CompileCheck(`group("a").f1 >= 1`)
	res := &Results{Groups: []GroupStats{{GroupKey: GroupKey{Platform: "a"}, F1: Dist{Mean: 2}}}}
	v, err := config.RunExpr(p, NewCheckEnv(res))
	if err != nil || v != true {
		t.Fatal(v, err)
	}
}

// request_rate meant "sent" in a group and "completed" in a sweep point;
// it is gone, and an expression still using it is told the two new names.
func TestTheOldRequestRateNameIsRefusedWithTheNewNames(t *testing.T) {
	for _, s := range []string{`request_rate * 2`, `all(groups, .request_rate > 1)`} {
		var err error
		if s == `request_rate * 2` {
			_, err = config.CompileMetric(s)
		} else {
			_, err = config.CompileCheck(s)
		}
		if err == nil || !strings.Contains(err.Error(), "use request_throughput for completed requests/s or send_rate for requests sent/s") {
			t.Errorf("%s: error %v", s, err)
		}
	}
	p, err := config.CompileCheck(`group("a").request_throughput == 0 && group("a").send_rate > 100`)
	if err != nil {
		t.Fatal(err)
	}
	res := &Results{Groups: []GroupStats{{GroupKey: GroupKey{Platform: "a"}, Count: 400, SendRate: 4000}}}
	if v, err := config.RunExpr(p, NewCheckEnv(res)); err != nil || v != true {
		t.Fatal(v, err)
	}
}
