package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/go-playground/validator/v10"
)

// RunNameRE is what an experiment name (the `runname` validation tag) must
// match: it names the run folder.
var RunNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// experimentValidator is built once; validator.Validate is safe for
// concurrent use after registration.
var experimentValidator = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	if err := v.RegisterValidation("runname", func(fl validator.FieldLevel) bool {
		return RunNameRE.MatchString(fl.Field().String())
	}); err != nil {
		panic(err)
	}
	return v
})

// Validate checks an experiment built or changed in code (call
// ApplyDefaults first): the struct tags of experiment.go, then the rules
// that span fields (exactly one of base_url and emulate, one way to get
// the API key, the baseline names a platform, the dataset source and its
// own rules, the slice, arrival laws, export formats and extraction steps
// known to reg, the query stage's rules on base_url and params.extra,
// unique names, expressions that compile). Relative dataset
// paths are resolved against baseDir. reg must not be nil: the components'
// names and rules come from it. The diagnostics carry paths but no file positions; use
// LoadExperiment for located ones.
func (e *Experiment) Validate(reg CatalogSource, baseDir string) Diagnostics {
	return validateExperiment(e, &locator{origins: map[string]string{}}, nil, reg.ComponentCatalog(), baseDir).Sort()
}

// validation collects diagnostics, skipping those about values the lint
// already rejected.
type validation struct {
	loc   *locator
	bad   []yamlPath
	diags Diagnostics
}

// blocked reports whether any of ps is at or under a rejected value.
func (v *validation) blocked(ps ...yamlPath) bool {
	for _, p := range ps {
		for _, b := range v.bad {
			if p.hasPrefix(b) {
				return true
			}
		}
	}
	return false
}

// add reports a problem at p unless p, or one of the values it depends
// on, was rejected by the lint.
func (v *validation) add(p yamlPath, deps []yamlPath, format string, args ...any) {
	if v.blocked(append(deps, p)...) {
		return
	}
	v.diags = append(v.diags, v.loc.at(p, nil, format, args...))
}

func pathOf(s string) yamlPath { return parsePath(s) }

// skipFileChecks as baseDir turns the dataset file check off.
const skipFileChecks = "\x00skip"

func validateExperiment(e *Experiment, loc *locator, bad []yamlPath, reg *Catalog, baseDir string) Diagnostics {
	v := &validation{loc: loc, bad: bad}
	v.tags(e)
	v.platforms(e, reg)
	v.loads(e)
	v.blocks(e)
	v.zeros(e, reg)
	v.requests(e, reg)
	v.dataset(e, reg, baseDir)
	v.tokenizers(e, reg, baseDir)
	v.prompt(e.Prompt)
	v.matrix(e)
	for i, c := range e.Checks {
		v.checkNames(pathOf("checks").index(i), c, e)
	}
	v.names(e, reg)
	if loc.root == nil {
		// Not linted from a file: compile the expressions here.
		v.expressions(e)
	}
	return v.diags
}

// tags checks the struct tags of experiment.go.
func (v *validation) tags(e *Experiment) {
	err := experimentValidator().Struct(e)
	var fes validator.ValidationErrors
	if errors.As(err, &fes) {
		for _, fe := range fes {
			_, ns, _ := strings.Cut(fe.Namespace(), ".")
			p := parsePath(ns)
			if fe.Tag() == "unique" {
				// Duplicates are reported below, at the duplicate; a failed
				// unique stops the validator before it dives, so validate
				// the elements one by one.
				v.elements(p, reflect.ValueOf(fe.Value()))
				continue
			}
			if zeroRuled(p) {
				continue // v.zeros words these, below
			}
			v.add(p, nil, "%s", fieldMessage(fe))
		}
	} else if err != nil {
		v.diags = append(v.diags, Diagnostic{File: v.loc.file, Message: fmt.Sprintf("validate: %v", err)})
	}
}

// names checks the names that must refer to something: the baseline
// platform, the export formats and extraction steps known to reg, and
// unique metric names.
func (v *validation) names(e *Experiment, reg *Catalog) {
	if len(e.Platforms) > 0 && e.Baseline != "" {
		names := make([]string, len(e.Platforms))
		for i, p := range e.Platforms {
			names[i] = p.Name
		}
		if !slices.Contains(names, e.Baseline) {
			v.add(pathOf("baseline"), nil, "names no platform: %q%s", e.Baseline, orKnown(e.Baseline, "platforms", names))
		}
	}
	known := reg.sortedNames(KindFormat)
	for i, f := range e.Export.Formats {
		if !slices.Contains(known, f) {
			v.add(pathOf("export.formats").index(i), nil, "unknown format %q%s", f, orKnown(f, "formats", known))
		}
	}
	if len(reg.ExtractSteps) > 0 {
		for i, s := range e.Score.Extract.Steps {
			if !slices.Contains(reg.ExtractSteps, s) {
				v.add(pathOf("score.extract").index(i), nil, "unknown extraction step %q%s", s, orKnown(s, "steps", reg.ExtractSteps))
			}
		}
	}
	seen := map[string]int{}
	for i, m := range e.Metrics {
		if j, dup := seen[m.Name]; dup && m.Name != "" {
			v.add(pathOf("metrics").index(i).child("name"), nil, "duplicate metric name %q (also metrics[%d])", m.Name, j)
		} else {
			seen[m.Name] = i
		}
	}
}

// expressions compiles the expressions of an experiment that was not
// linted from a file (lint compiles them otherwise).
func (v *validation) expressions(e *Experiment) {
	v.compile(pathOf("dataset.filter"), e.Dataset.Filter, func(s string) error { _, err := CompileFilter(s); return err })
	v.compile(pathOf("score.extract.expr"), e.Score.Extract.Expr, func(s string) error { _, err := CompileExtract(s); return err })
	if e.Score.Extract.Regex != "" {
		if _, err := regexp.Compile(e.Score.Extract.Regex); err != nil {
			v.add(pathOf("score.extract.regex"), nil, "invalid regular expression: %v", err)
		}
	}
	for i, m := range e.Metrics {
		v.compile(pathOf("metrics").index(i).child("expr"), m.Expr, func(s string) error { _, err := CompileMetric(s); return err })
	}
	for i, c := range e.Checks {
		v.compile(pathOf("checks").index(i), c, func(s string) error { _, err := CompileCheck(s); return err })
	}
}

// elements validates each struct of the list at p separately.
func (v *validation) elements(p yamlPath, list reflect.Value) {
	if list.Kind() != reflect.Slice {
		return
	}
	for i := 0; i < list.Len(); i++ {
		var fes validator.ValidationErrors
		if !errors.As(experimentValidator().Struct(list.Index(i).Interface()), &fes) {
			continue
		}
		for _, fe := range fes {
			_, ns, _ := strings.Cut(fe.Namespace(), ".")
			v.add(append(p.index(i), parsePath(ns)...), nil, "%s", fieldMessage(fe))
		}
	}
}

func (v *validation) compile(p yamlPath, src string, c func(string) error) {
	if strings.TrimSpace(src) == "" {
		return
	}
	if err := c(src); err != nil {
		v.add(p, nil, "%v", err)
	}
}

// platforms checks the rules that span a platform's fields.
func (v *validation) platforms(e *Experiment, reg *Catalog) {
	seen := map[string]int{}
	for i, p := range e.Platforms {
		at := pathOf("platforms").index(i)
		base, emu := at.child("base_url"), at.child("emulate")
		switch {
		case p.BaseURL != "" && p.Emulate != nil:
			v.add(emu, []yamlPath{base}, "set exactly one of base_url and emulate, not both")
		case p.BaseURL == "" && p.Emulate == nil:
			v.add(at, []yamlPath{base, emu}, "needs base_url (a real endpoint) or emulate (the built-in emulator)")
		}
		if u, err := url.Parse(p.BaseURL); err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
			v.add(base, nil, "must be an http:// or https:// URL, got %q", p.BaseURL)
		}
		v.metricsURL(at, p)
		auth := 0
		var last string
		for _, a := range []struct{ key, val string }{{"api_key", string(p.APIKey)}, {"api_key_env", p.APIKeyEnv}, {"api_key_command", p.APIKeyCommand}} {
			if a.val != "" {
				auth++
				last = a.key
			}
		}
		if auth > 1 {
			v.add(at.child(last), nil, "set only one of api_key, api_key_env and api_key_command")
		}
		if p.Concurrency == 0 && p.Rate == 0 && !e.meta.present[at.child("concurrency").String()] {
			v.add(at, []yamlPath{at.child("concurrency"), at.child("rate")}, "needs concurrency > 0 or rate > 0")
		}
		v.arrival(at, p, reg)
		if p.Arrival != "" && p.Rate <= 0 && !p.OpenLoopLevels() {
			v.add(at.child("arrival"), nil, "applies only with rate > 0 (an open-loop schedule)")
		}
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			v.add(at.child("name"), nil, "duplicate platform name %q (also platforms[%d])", p.Name, j)
		} else {
			seen[p.Name] = i
		}
	}
}

// metricsURL checks that a platform's metrics_url is none or an http(s)
// URL with a host, and its metrics_interval.
func (v *validation) metricsURL(at yamlPath, p Platform) {
	if m := p.MetricsURL; m != "" && m != MetricsNone {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(at.child("metrics_url"), nil, "must be an http:// or https:// URL (e.g. http://localhost:8000/metrics) or none, got %q", m)
		}
	}
	if d := p.MetricsInterval; d != 0 && d < MinMetricsInterval {
		v.add(at.child("metrics_interval"), nil, "must be at least %s, got %s", MinMetricsInterval, d)
	}
}

// arrival checks a platform's arrival law against the registered ones,
// and that burstiness is set only for a law that takes a shape.
func (v *validation) arrival(at yamlPath, p Platform, reg *Catalog) {
	laws := reg.Components(KindArrival)
	if _, ok := reg.Arrivals[p.Arrival]; !ok && p.Arrival != "" {
		v.add(at.child("arrival"), nil, "must be one of: %s, got %q", strings.Join(laws, " "), p.Arrival)
	}
	if p.Burstiness != 0 && !reg.Arrivals[p.Arrival].Shaped {
		v.add(at.child("burstiness"), nil, "applies only to arrival: %s", strings.Join(reg.shapedArrivals(), " or "))
	}
}

// zeroRuled reports whether p is a value whose bounds v.zeros checks
// (with the explicit-zero rule) instead of the struct tags.
func zeroRuled(p yamlPath) bool {
	if p.String() == "params.max_tokens" || p.String() == "repeats" {
		return true
	}
	return len(p) == 3 && p[0].key == "platforms" && p[1].key == "" && (p[2].key == "concurrency" || p[2].key == "burstiness")
}

// zeros applies the explicit-zero rule: repeats, params.max_tokens,
// platforms[].concurrency and platforms[].burstiness left out get their
// default, but written as 0 (in the file or by an override) they are an
// error, because 0 tokens, 0 workers and a gamma shape of 0 are
// meaningless and a silent default would record a number the user did
// not ask for.
func (v *validation) zeros(e *Experiment, reg *Catalog) {
	explicit := func(p yamlPath) bool { return e.meta.present[p.String()] }
	if mt := e.Params.MaxTokens; mt < 0 || (mt == 0 && explicit(pathOf("params.max_tokens"))) {
		v.add(pathOf("params.max_tokens"), nil, "must be >= 1, got %d; leave it out for the default %d", mt, DefaultMaxTokens)
	} else if mt == 0 {
		v.add(pathOf("params.max_tokens"), nil, "must be >= 1, got 0")
	}
	if r := e.Repeats; r < 1 { // left out, ApplyDefaults made it 1; 0 repeats send nothing
		v.add(pathOf("repeats"), nil, "must be >= 1, got %d; leave it out for the default 1", r)
	}
	if mc := e.MaxCells; mc < 0 || (mc == 0 && explicit(pathOf("max_cells"))) {
		v.add(pathOf("max_cells"), nil, "must be >= 1, got %d; leave it out for the default %d", mc, DefaultMaxCells)
	} else if uint64(mc) > MaxCellsCeiling {
		v.add(pathOf("max_cells"), nil, "must be at most %s (2^53, the largest count a record's seq holds exactly in JSON), got %s", thousands(MaxCellsCeiling), thousands(uint64(mc)))
	}
	for i, p := range e.Platforms {
		at := pathOf("platforms").index(i)
		c := at.child("concurrency")
		switch {
		case p.Concurrency < 0:
			v.add(c, nil, "must be >= 1, got %d", p.Concurrency)
		case p.Concurrency == 0 && explicit(c) && p.Rate > 0:
			v.add(c, nil, "must be >= 1, got 0; with rate > 0, leave it out for no cap on requests in flight")
		case p.Concurrency == 0 && explicit(c):
			v.add(c, nil, "must be >= 1, got 0; leave it out for the default %d", DefaultConcurrency)
		}
		b := at.child("burstiness")
		if p.Burstiness < 0 || (p.Burstiness == 0 && explicit(b)) {
			law := p.Arrival
			if shaped := reg.shapedArrivals(); !reg.Arrivals[law].Shaped && len(shaped) > 0 {
				law = shaped[0]
			}
			v.add(b, nil, "must be > 0, got %v (a %s shape of 0 is meaningless); leave it out for the default %v", p.Burstiness, law, reg.Arrivals[law].DefaultShape)
		}
	}
}

// requests applies the query stage's rules on the settings of its
// requests (see RequestChecker) to every platform and to params.
func (v *validation) requests(e *Experiment, reg *Catalog) {
	if reg.requests == nil {
		return
	}
	for i := range e.Platforms {
		at := pathOf("platforms").index(i)
		for _, pr := range reg.requests.CheckPlatform(&e.Platforms[i]) {
			v.add(append(at, parsePath(pr.Path)...), nil, "%s", pr.Message)
		}
	}
	for _, pr := range reg.requests.CheckParams(&e.Params) {
		v.add(append(pathOf("params"), parsePath(pr.Path)...), nil, "%s", pr.Message)
	}
}

// matrix refuses an experiment whose matrix exceeds max_cells for the
// most questions its slice and sample allow, or, when only the dataset
// can tell, for a single question. The problem is located at repeats (the
// usual culprit), else at max_cells, else at the file.
func (v *validation) matrix(e *Experiment) {
	if e.MaxCells < 0 {
		return // reported by zeros
	}
	q, upTo := questionBound(e.Dataset)
	if upTo && q == 0 {
		return // nothing selected: the loader says so with the dataset at hand
	}
	err := e.CheckMatrix(q, upTo)
	if err == nil {
		return
	}
	var at yamlPath
	for _, key := range []string{"repeats", "max_cells"} {
		if e.meta.present[key] {
			at = pathOf(key)
			break
		}
	}
	v.add(at, nil, "%v", err)
}

// groupCalls collects the group(...) and speedup(...) calls of a check
// whose argument is a constant string.
type groupCalls []struct{ fn, name string }

// Visit implements ast.Visitor.
func (gc *groupCalls) Visit(n *ast.Node) {
	call, ok := (*n).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || (id.Value != "group" && id.Value != "speedup") {
		return
	}
	if s, ok := call.Arguments[0].(*ast.StringNode); ok {
		*gc = append(*gc, struct{ fn, name string }{id.Value, s.Value})
	}
}

// checkNames resolves the constant names a check passes to group and
// speedup the way CheckEnv does (a platform, or "platform/model"), so that
// a misspelt name fails validation instead of the check after the run.
// Checks that do not compile are reported elsewhere.
func (v *validation) checkNames(at yamlPath, src string, e *Experiment) {
	prog, err := CompileCheck(src)
	if err != nil || len(e.Platforms) == 0 {
		return
	}
	var calls groupCalls
	node := prog.Node()
	ast.Walk(&node, &calls)
	names := make([]string, len(e.Platforms))
	for i, p := range e.Platforms {
		names[i] = p.Name
	}
	for _, c := range calls {
		call := fmt.Sprintf("%s(%q)", c.fn, c.name)
		platform := -1
		for i, p := range e.Platforms {
			if p.Name == c.name || (strings.HasPrefix(c.name, p.Name+"/") && slices.Contains(p.Models, c.name[len(p.Name)+1:])) {
				platform = i
				break
			}
		}
		if platform >= 0 {
			if p := e.Platforms[platform]; c.fn == "speedup" && p.Name == e.Baseline {
				v.add(at, nil, "%s: %s is the baseline; speedups are measured against it", call, p.Name)
			}
			continue
		}
		known := false
		for _, p := range e.Platforms {
			if model, ok := strings.CutPrefix(c.name, p.Name+"/"); ok {
				v.add(at, nil, "%s: platform %q has no model %q%s", call, p.Name, model, orKnown(model, "models", p.Models))
				known = true
				break
			}
		}
		if !known {
			name, _, _ := strings.Cut(c.name, "/")
			v.add(at, nil, "%s names no platform or platform/model%s", call, orKnown(name, "platforms", names))
		}
	}
}

// promptProbe is the sample the prompt templates are tried on when an
// experiment is validated, so that a misspelt field fails before any
// request is sent.
var promptProbe = Sample{ID: "probe", Title: "Title", Context: "Context.", Question: "Question?"}

// prompt checks that the prompt templates parse and render a sample.
func (v *validation) prompt(p PromptSpec) {
	for _, t := range []struct{ key, src string }{{"system", p.System}, {"user", p.User}} {
		if t.src == "" {
			continue
		}
		spec := PromptSpec{User: t.src}
		r, err := NewPromptRenderer(spec)
		if err == nil {
			_, err = r.Render(&promptProbe)
		}
		if err != nil {
			v.add(pathOf("prompt").child(t.key), nil, "%s (fields: .ID .Title .Context .Question)", templateMessage(err))
		}
	}
}

// templateErrRE takes apart a text/template error: the template's line,
// an optional column, and what went wrong.
var templateErrRE = regexp.MustCompile(`template: prompt\.\w+:(\d+)(?::\d+)?: (.*)$`)

// unknownFieldRE matches the execution error of a misspelt field.
var unknownFieldRE = regexp.MustCompile(`at <(\.[^>]*)>: can't evaluate field`)

// templateMessage words a text/template error for the user: the line in
// the template and what is wrong, an unknown field named as such.
func templateMessage(err error) string {
	msg := err.Error()
	m := templateErrRE.FindStringSubmatch(msg)
	if m == nil {
		return "invalid template: " + msg
	}
	what := m[2]
	if f := unknownFieldRE.FindStringSubmatch(what); f != nil {
		what = "unknown field " + f[1]
	}
	return fmt.Sprintf("invalid template (its line %s): %s", m[1], what)
}

// dataset checks the source, its location and the slice.
func (v *validation) dataset(e *Experiment, reg *Catalog, baseDir string) {
	d := e.Dataset
	if sources := reg.sortedNames(KindSource); !slices.Contains(sources, d.Source) && d.Source != "" {
		v.add(pathOf("dataset.source"), nil, "unknown source %q%s", d.Source, orKnown(d.Source, "sources", sources))
	} else if c := reg.checkers[d.Source]; c != nil {
		for _, pr := range c.CheckDataset(d) {
			v.add(append(pathOf("dataset"), parsePath(pr.Path)...), nil, "%s", pr.Message)
		}
	}
	if d.Path != "" && baseDir != skipFileChecks && !strings.HasPrefix(d.Path, "http://") && !strings.HasPrefix(d.Path, "https://") {
		p := d.Path
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				v.add(pathOf("dataset.path"), nil, "file not found: %s", p)
			} else {
				v.add(pathOf("dataset.path"), nil, "cannot read: %v", err)
			}
		}
	}
	if _, err := ParseSlice(d.Slice); err != nil {
		v.add(pathOf("dataset.slice"), nil, "%v", err)
	}
}

// orKnown lists the valid names, with a did-you-mean when one is close.
func orKnown(name, what string, known []string) string {
	return fmt.Sprintf("%s (%s: %s)", suggest(name, known), what, strings.Join(known, ", "))
}

// fieldMessage words a validator error in plain words.
func fieldMessage(fe validator.FieldError) string {
	param := fe.Param()
	got := func() string { return fmt.Sprintf(", got %v", fe.Value()) }
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		switch fe.Kind() {
		case reflect.Slice, reflect.Map, reflect.Array:
			if param == "1" {
				return "must have at least one entry"
			}
			return "must have at least " + param + " entries"
		case reflect.String:
			return "must be at least " + param + " characters long"
		}
		return "must be >= " + param + got()
	case "max":
		return "must be <= " + param + got()
	case "gte":
		return "must be >= " + param + got()
	case "lte":
		return "must be <= " + param + got()
	case "gt":
		return "must be > " + param + got()
	case "lt":
		return "must be < " + param + got()
	case "oneof":
		return fmt.Sprintf("must be one of: %s, got %q", param, fmt.Sprint(fe.Value()))
	case "url":
		return fmt.Sprintf("must be a URL like https://host/v1, got %q", fmt.Sprint(fe.Value()))
	case "len":
		return "must be " + param + " characters long"
	case "hexadecimal":
		return "must be hexadecimal"
	case "runname":
		return fmt.Sprintf("must start with a letter or digit and hold only letters, digits, '.', '_' and '-', got %q", fmt.Sprint(fe.Value()))
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag())
}
