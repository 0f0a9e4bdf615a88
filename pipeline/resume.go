package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// MatrixChanges lists, in words, how two experiments differ in ways that
// change the set of matrix cells or what a cell means: platforms, models,
// temperatures, repeats, warmups, the selected questions (their ids, and
// their texts when both manifests have their digest), each
// platform's endpoint (base_url or emulate profile) and header names, and
// the request parameters and prompt, and each platform's load (its
// levels' concurrency and rate, and the arrival law of open-loop ones; see
// loadChanges). Header values are redacted in the
// manifest, so a changed value is found by the records' RequestHash
// instead (see resume). Empty means resuming is safe.
func MatrixChanges(old *runfolder.Manifest, exp *config.Experiment, ds runfolder.DatasetInfo) []string {
	var out []string
	o := &old.Experiment
	diff := func(what string, a, b any) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			out = append(out, fmt.Sprintf("%s: %s -> %s", what, ja, jb))
		}
	}
	names := func(ps []config.Platform) []string {
		var n []string
		for _, p := range ps {
			n = append(n, p.Name)
		}
		return n
	}
	diff("platforms", names(o.Platforms), names(exp.Platforms))
	if slices.Equal(names(o.Platforms), names(exp.Platforms)) {
		for i := range exp.Platforms {
			diff(fmt.Sprintf("platforms[%d].models", i), o.Platforms[i].Models, exp.Platforms[i].Models)
			diff(fmt.Sprintf("platforms[%d].warmup", i), o.Platforms[i].Warmup, exp.Platforms[i].Warmup)
			if a, b := o.Platforms[i].BaseURL, exp.Platforms[i].BaseURL; a != b {
				out = append(out, fmt.Sprintf("platforms[%d].base_url: %s -> %s", i, orNone(a), orNone(b)))
			}
			if a, b := o.Platforms[i].Emulate, exp.Platforms[i].Emulate; keyed(a) != keyed(b) {
				diff(fmt.Sprintf("platforms[%d].emulate", i), a, b)
			}
			// Names only: the values are secrets (and redacted in old).
			diff(fmt.Sprintf("platforms[%d].headers names", i), headerNames(o.Platforms[i].Headers), headerNames(exp.Platforms[i].Headers))
			out = append(out, loadChanges(i, &o.Platforms[i], &exp.Platforms[i])...)
			// The lengths a sample group asks for (its label names only one).
			diff(fmt.Sprintf("platforms[%d] sample groups", i), o.Platforms[i].SampleGroups, exp.Platforms[i].SampleGroups)
			// How each level is sized and which of its requests are warmups.
			for _, k := range []string{"requests", "duration", "warmup"} {
				diff(fmt.Sprintf("platforms[%d].load.%s", i, k), levelSizing(o.Platforms[i].Levels, k), levelSizing(exp.Platforms[i].Levels, k))
			}
		}
	}
	diff("params.temperature", o.Params.Temperature, exp.Params.Temperature)
	diff("params.max_tokens", o.Params.MaxTokens, exp.Params.MaxTokens)
	diff("params.top_p", o.Params.TopP, exp.Params.TopP)
	diff("params.stream", o.Params.Stream, exp.Params.Stream)
	diff("params.extra", o.Params.Extra, exp.Params.Extra)
	diff("prompt", o.Prompt, exp.Prompt)
	diff("repeats", o.Repeats, exp.Repeats)
	if !slices.Equal(old.Dataset.IDs, ds.IDs) {
		out = append(out, fmt.Sprintf("dataset: selected questions differ (%d before, %d now; check dataset.slice, filter, sample and seed)", len(old.Dataset.IDs), len(ds.IDs)))
	} else if a, b := old.Dataset.SamplesSHA256, ds.SamplesSHA256; a != "" && b != "" && a != b {
		out = append(out, "dataset: the selected questions' text differs under the same ids (check the seed and the dataset block, e.g. dataset.synthetic)")
	}
	return out
}

// loadChanges lists, in words, how platform i's load differs between the
// old experiment o and the new one n: its levels (labels, concurrency and
// rate; a sweep's rate levels by their place, their rates being decided at
// run time) and, when either runs a level open loop, its arrival law and
// gamma burstiness. Records measured at one load must never be reported
// under another. Stopping rules (max_duration, max_error_rate, max_queue)
// are not load and may change.
func loadChanges(i int, o, n *config.Platform) []string {
	var out []string
	ol, nl := o.RunLevels(nil), n.RunLevels(nil)
	if len(ol) == 1 && len(nl) == 1 && ol[0].Label == "" && nl[0].Label == "" {
		if a, b := ol[0].Concurrency, nl[0].Concurrency; a != b {
			out = append(out, fmt.Sprintf("platforms[%d].concurrency: %d -> %d", i, a, b))
		}
		if a, b := ol[0].Rate, nl[0].Rate; a != b {
			out = append(out, fmt.Sprintf("platforms[%d].rate: %g -> %g", i, a, b))
		}
	} else if a, b := describeLevels(ol), describeLevels(nl); a != b {
		out = append(out, fmt.Sprintf("platforms[%d] load levels: %s -> %s", i, a, b))
	}
	if !o.OpenLoopLevels() && !n.OpenLoopLevels() {
		return out
	}
	// An open-loop platform always has its arrival law (LoadExperiment
	// fills in the registry's default), except one recorded before
	// platforms with rate-chosen levels got it: that ran the default law,
	// which n carries when it sets none.
	if a, b := o.Arrival, n.Arrival; a != b && a != "" {
		out = append(out, fmt.Sprintf("platforms[%d].arrival: %s -> %s", i, a, b))
	} else if o.Burstiness != n.Burstiness {
		out = append(out, fmt.Sprintf("platforms[%d].burstiness: %g -> %g", i, o.Burstiness, n.Burstiness))
	}
	return out
}

// describeLevels writes levels as "[c=1 (concurrency 1), r=8 (rate 8/s,
// at most 64 in flight)]" for loadChanges.
func describeLevels(levels []config.Level) string {
	parts := make([]string, len(levels))
	for k, lv := range levels {
		var what string
		switch {
		case lv.RateIndex > 0:
			what = fmt.Sprintf("rate decided at run time, #%d", lv.RateIndex)
		case lv.Rate > 0:
			what = fmt.Sprintf("rate %g/s", lv.Rate)
		default:
			what = fmt.Sprintf("concurrency %d", lv.Concurrency)
		}
		if (lv.Rate > 0 || lv.RateIndex > 0) && lv.Concurrency > 0 {
			what += fmt.Sprintf(", at most %d in flight", lv.Concurrency)
		}
		if lv.Label != "" {
			what = lv.Label + " (" + what + ")"
		}
		parts[k] = what
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func headerNames(hs []config.Header) []string {
	n := make([]string, 0, len(hs))
	for _, h := range hs {
		n = append(n, h.Name)
	}
	return n
}

// requestChanges lists, in words, the platforms of exp whose records were
// sent with another request than exp would send now: bad counts them by
// platform (see requestMismatch). Words name the headers when the
// platform has any, since a header value is the one part of a request
// that MatrixChanges cannot see.
func requestChanges(exp *config.Experiment, bad map[string]int) []string {
	var out []string
	for i, p := range exp.Platforms {
		n := bad[p.Name]
		if n == 0 {
			continue
		}
		if len(p.Headers) > 0 {
			out = append(out, fmt.Sprintf("platforms[%d].headers changed (values not shown; %d earlier records of %s were sent with other headers or another request)", i, n, p.Name))
		} else {
			out = append(out, fmt.Sprintf("platforms[%d]: %d earlier records of %s were sent with another request (request_hash differs)", i, n, p.Name))
		}
	}
	return out
}

// requestMismatch reports whether r was sent with another request than
// want (the experiment's RequestHash by group) says. A record with an
// empty hash was written before hashes existed: its request is unknown,
// and it is kept as before (only MatrixChanges guards it).
func requestMismatch(want map[results.GroupKey]string, r *results.Record) bool {
	h, ok := want[results.GroupKey{Platform: r.Platform, Model: r.Model, Temperature: r.Temperature}]
	return ok && r.RequestHash != "" && r.RequestHash != h
}

// resume prepares dir for continuing: it checks the matrix (and shard) is
// unchanged, reads the journal as a stream (tolerating a torn last line),
// keeps the first successful record of every cell of the plan (and of the
// run's shard) and rewrites the journal with only those, so that the
// resumed run ends with exactly one record per cell. It returns, per plan
// job, the positions (Seq) of the cells kept. Nothing is rewritten when it refuses.
func (e *Engine) resume(dir string, fresh *runfolder.Manifest, plan *Plan, shard runfolder.Shard) ([]*seqSet, levelSpans, *runfolder.Manifest, error) {
	old, err := resumable(dir, fresh, shard)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("resume: %w", err)
	}
	shard = old.RecordedShard()
	done, spans, kept, err := e.keepFinished(dir, fresh, old, plan, shard)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("resume: %w", err)
	}
	m := e.resumedManifest(fresh, old, shard, plan)
	e.log().Info("resume", "run", dir, "kept", kept, "to_run", m.CellTotal-kept)
	return done, spans, m, nil
}

// resumable reads dir's manifest and checks that the fresh one has the
// same matrix and, when shard is a shard, that dir holds that shard.
func resumable(dir string, fresh *runfolder.Manifest, shard runfolder.Shard) (*runfolder.Manifest, error) {
	old, err := runfolder.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if ch := MatrixChanges(old, &fresh.Experiment, fresh.Dataset); len(ch) > 0 {
		return nil, fmt.Errorf("the experiment changed since %s was started, refusing to mix results:\n  %s", dir, strings.Join(ch, "\n  "))
	}
	if shard.Count > 1 && shard != old.RecordedShard() {
		return nil, fmt.Errorf("%s %s, not shard %s (leave --shard out to resume a run folder's own shard)", dir, shardName(old.RecordedShard()), shard)
	}
	return old, nil
}

// keepFinished rewrites dir's journal with the first successful record
// of every cell of the plan in shard, sent with the request fresh's
// experiment sends, and returns by plan job the positions (Seq) of the
// cells kept, their sending spans (old holds the marks) and how many
// there are. It refuses, leaving the journal as it was, when a record
// was sent with another request.
func (e *Engine) keepFinished(dir string, fresh, old *runfolder.Manifest, plan *Plan, shard runfolder.Shard) ([]*seqSet, levelSpans, int, error) {
	in := shardMembers(shard, plan) // nil: every cell
	path := filepath.Join(dir, runfolder.JournalFile)
	jobs := map[string]int{}
	done := make([]*seqSet, len(plan.Jobs)) // one bit per kept cell
	for i, j := range plan.Jobs {
		jobs[j.Platform.Name] = i
		done[i] = &seqSet{}
	}
	want := requestHashes(&fresh.Experiment)
	bad := map[string]int{}
	spans := newLevelSpans(old.SendSpans)
	kept := 0
	torn := false
	// The kept records replace the journal only when nothing is refused:
	// an error from fill leaves it as it was.
	err := runfolder.RewriteJournal(path, func(write func(*results.Record) error) error {
		var err error
		torn, err = runfolder.ScanJournal(path, func(_ int, r *results.Record) error {
			ji, ok := jobs[r.Platform]
			if !ok || !r.OK() || (in != nil && !in[ji](r.Seq)) {
				return nil
			}
			if !plan.Jobs[ji].Cells.Has(r.Seq, r.CellKey) || done[ji].has(r.Seq) {
				return nil // not a cell of the plan, or not its first success
			}
			// Only a record resume would keep can mix two requests in one
			// group: failed records are sent again under the new definition.
			if requestMismatch(want, r) {
				bad[r.Platform]++
				return nil
			}
			done[ji].add(r.Seq)
			spans.add(r)
			kept++
			return write(r)
		})
		// ScanJournal wraps the open error, which os.IsNotExist would not
		// see through: a folder whose journal was never written resumes
		// from zero.
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if ch := requestChanges(&fresh.Experiment, bad); len(ch) > 0 {
			return fmt.Errorf("the requests changed since %s was started, refusing to mix results:\n  %s", dir, strings.Join(ch, "\n  "))
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	if torn {
		e.log().Warn("resume: skipped a torn last line in the journal", "file", path)
	}
	return done, spans, kept, nil
}

// resumedManifest is fresh (which it changes) carrying on old's run: its
// id, start, resumes, notes, sweep rates, level stops, sending marks and
// the host a shard started on.
func (e *Engine) resumedManifest(fresh, old *runfolder.Manifest, shard runfolder.Shard, plan *Plan) *runfolder.Manifest {
	m := fresh
	m.RunID = old.RunID
	m.StartedAt = old.StartedAt
	m.Resumes = append(old.Resumes, e.now().UTC())
	m.Notes = old.Notes
	m.SweepRates = old.SweepRates
	m.LevelStops = old.LevelStops // a level that saturated before stays marked
	m.SendSpans = old.SendSpans   // this process appends its own marks
	setShard(m, shard, plan)
	if old.Shard != nil {
		m.Shard.Host = old.Shard.Host // the host it started on; see Notes for others
		if host, _ := os.Hostname(); host != old.Shard.Host {
			m.Notes = appendUnique(m.Notes, fmt.Sprintf("resumed on host %s (started on %s)", host, old.Shard.Host))
		}
	}
	return m
}

// shardName says what a run folder of shard s holds.
func shardName(s runfolder.Shard) string {
	if s.Count <= 1 {
		return "holds the whole matrix"
	}
	return "is shard " + s.String()
}

// levelSizing is load block l's requests, duration or warmup (key), nil
// when unset, for MatrixChanges.
func levelSizing(l *config.LevelsSpec, key string) any {
	if l == nil {
		return nil
	}
	switch {
	case key == "requests" && l.Requests > 0:
		return l.Requests
	case key == "duration" && l.Duration > 0:
		return l.Duration
	case key == "warmup" && l.Warmup != (config.LevelWarmup{}):
		return l.Warmup
	}
	return nil
}

// keyed returns b's JSON with its keys sorted ("null" for no block), so
// that a block read back from a manifest (its settings) and one resolved
// to its config type compare alike.
func keyed(b *config.Block) string {
	if b == nil {
		return "null"
	}
	var m map[string]any
	if err := b.Decode(&m); err != nil {
		return "error: " + err.Error()
	}
	data, _ := json.Marshal(m)
	return string(data)
}
