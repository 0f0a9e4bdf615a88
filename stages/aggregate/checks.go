package aggregate

import (
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// runChecks evaluates every `checks:` expression against res, in order.
// A check that does not compile or fails to evaluate (e.g. group("x") names
// no group) is a failed check with Error set; it never aborts the run.
func runChecks(checks []string, res *results.Results) []results.CheckResult {
	if len(checks) == 0 {
		return nil
	}
	env := results.NewCheckEnv(res)
	out := make([]results.CheckResult, 0, len(checks))
	for _, src := range checks {
		cr := results.CheckResult{Expr: src}
		p, err := config.CompileCheck(src)
		if err != nil {
			cr.Error = err.Error()
			out = append(out, cr)
			continue
		}
		v, err := config.RunExpr(p, env)
		if err != nil {
			cr.Error = err.Error()
			out = append(out, cr)
			continue
		}
		b, ok := v.(bool)
		if !ok {
			cr.Error = "check did not give a bool"
		}
		cr.Passed = ok && b
		out = append(out, cr)
	}
	return out
}
