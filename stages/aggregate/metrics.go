package aggregate

import (
	"fmt"

	"github.com/expr-lang/expr/vm"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
)

// applyMetrics computes exp.Metrics for every group, in declaration order,
// so that a metric can read earlier ones through metrics["name"]. A metric
// that does not compile is a configuration error (fatal). A metric that
// fails to evaluate, or gives NaN or an infinity, gets the value 0 and a
// group warning, so that one bad group does not lose the run's results.
func applyMetrics(specs []config.MetricSpec, groups []results.GroupStats) error {
	if len(specs) == 0 {
		return nil
	}
	progs := make([]*vm.Program, len(specs))
	for i, m := range specs {
		p, err := config.CompileMetric(m.Expr)
		if err != nil {
			return fmt.Errorf("metric %q: %w", m.Name, err)
		}
		progs[i] = p
	}
	for gi := range groups {
		g := &groups[gi]
		env := results.NewGroupEnv(g)
		for i, m := range specs {
			v, err := config.RunExpr(progs[i], env)
			val, ok := v.(float64)
			switch {
			case err != nil:
				g.Warnings = append(g.Warnings, fmt.Sprintf("metric %q: %v", m.Name, err))
				val = 0
			case !ok:
				g.Warnings = append(g.Warnings, fmt.Sprintf("metric %q: got %T, want a number", m.Name, v))
				val = 0
			case finite(val) != val:
				g.Warnings = append(g.Warnings, fmt.Sprintf("metric %q: %v is not a finite number; reported as 0", m.Name, val))
				val = 0
			}
			g.Metrics = append(g.Metrics, results.NamedValue{Name: m.Name, Value: val})
			env.Metrics[m.Name] = val
		}
	}
	return nil
}
