package aggregate

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/results"
)

// The example: a paired bootstrap interval that excludes 0 beside a
// sign-flip p-value that does not reject must not read "no significant
// accuracy difference".
func TestAccuracyVerdictNeverContradictsItsInterval(t *testing.T) {
	c := results.Comparison{SpeedupMedian: 1, CILow: 0.9, CIHigh: 1.1, PValue: 0.5,
		DeltaF1: -33.3, DeltaF1CILow: -58.3, DeltaF1CIHigh: -8.3, DeltaF1PValue: 0.12, NPaired: 5}
	v := Verdict("metis", "sophia", c, 0.95, 10, 10)
	if strings.Contains(v, "no significant accuracy difference") {
		t.Errorf("verdict contradicts its interval: %q", v)
	}
	if !strings.Contains(v, "too few questions to call: 5") || !strings.Contains(v, "CI -58.3 to -8.3") {
		t.Errorf("verdict does not say why the interval and the test differ: %q", v)
	}

	// Many questions: the two disagree for another reason, and say so.
	c.NPaired, c.DeltaF1PValue = 40, 0.07
	v = Verdict("metis", "sophia", c, 0.95, 10, 10)
	if strings.Contains(v, "no significant accuracy difference") || !strings.Contains(v, "the interval excludes 0 but the test does not reject") {
		t.Errorf("verdict %q", v)
	}
	// The test rejects while the interval holds 0.
	c.DeltaF1CILow, c.DeltaF1CIHigh, c.DeltaF1PValue = -20, 1, 0.03
	v = Verdict("metis", "sophia", c, 0.95, 10, 10)
	if strings.Contains(v, "no significant accuracy difference") || !strings.Contains(v, "the test rejects but the interval holds 0") {
		t.Errorf("verdict %q", v)
	}
	// Both agree: no difference.
	c.DeltaF1PValue = 0.4
	if v = Verdict("metis", "sophia", c, 0.95, 10, 10); !strings.Contains(v, "no significant accuracy difference") {
		t.Errorf("verdict %q", v)
	}
}
