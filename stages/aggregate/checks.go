package aggregate

import (
	"github.com/inferbench/inferbench/pipeline"
)

// runChecks evaluates every `checks:` expression against res, in order.
// A check that does not compile or fails to evaluate (e.g. group("x") names
// no group) is a failed check with Error set; it never aborts the run.
func runChecks(checks []string, res *pipeline.Results) []pipeline.CheckResult {
	if len(checks) == 0 {
		return nil
	}
	env := pipeline.NewCheckEnv(res)
	out := make([]pipeline.CheckResult, 0, len(checks))
	for _, src := range checks {
		cr := pipeline.CheckResult{Expr: src}
		p, err := pipeline.CompileCheck(src)
		if err != nil {
			cr.Error = err.Error()
			out = append(out, cr)
			continue
		}
		v, err := pipeline.RunExpr(p, env)
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
