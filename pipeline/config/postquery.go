package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// PostQueryKeys are the top-level experiment keys that `report` and
// `rescore` may override: what is computed after querying. baseline is
// one of them since it only changes the comparisons. Every other key
// (platforms, dataset, params, prompt, repeats, seed, name, ...) defined
// the requests already sent, and a changed value would make the run folder
// describe requests that were never made.
var PostQueryKeys = []string{"baseline", "checks", "client", "export", "metrics", "score", "slo", "stats"}

// CheckPostQuerySets returns an error naming every --set override in sets
// that `report` (rescore false) or `rescore` may not apply: a top-level key
// outside PostQueryKeys, and for report also score.extract, which changes
// the records' scores and so needs rescore. A set without '=' is left to
// the loader's diagnostics. cmd is the command's name, for the message.
func CheckPostQuerySets(cmd string, sets []string, rescore bool) error {
	var errs []error
	for _, s := range sets {
		key, _, ok := strings.Cut(s, "=")
		segs := splitSetKey(strings.ToLower(key))
		if !ok || len(segs) == 0 {
			continue
		}
		key = strings.TrimSpace(key)
		switch {
		case !slices.Contains(PostQueryKeys, segs[0]):
			errs = append(errs, fmt.Errorf("--set %s: %s cannot change %s, which defined the requests already sent (run a new experiment instead); %s accepts only %s",
				key, cmd, segs[0], cmd, strings.Join(PostQueryKeys, ", ")))
		case !rescore && segs[0] == "score" && (len(segs) == 1 || segs[1] == "extract"):
			errs = append(errs, fmt.Errorf("--set %s: %s cannot change the extraction, which is stored in each record's answer and scores; use rescore (report accepts score.report_raw)",
				key, cmd))
		}
	}
	return errors.Join(errs...)
}
