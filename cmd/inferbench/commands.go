package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages"
	"github.com/inferbench/inferbench/stages/load"
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "inferbench",
		Short: "Benchmark OpenAI-compatible LLM inference platforms from a YAML experiment",
		Long: `inferbench runs a declarative experiment (load -> query -> score -> aggregate -> export)
against OpenAI-compatible endpoints or its built-in emulator, scores answers like the official
SQuAD scorer, and writes JSON, CSV, an Excel workbook and a report into a run folder.`,
		Version:       readBuild().Text(version),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	var verbose bool
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log every stage to stderr")
	logger := func() *slog.Logger {
		lvl := slog.LevelWarn
		if verbose {
			lvl = slog.LevelInfo
		}
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	}
	root.AddCommand(
		newRunCmd(stdout, stderr, logger),
		newValidateCmd(stdout, stderr),
		newPlanCmd(stdout, stderr, logger),
		newScoreCmd(stdout, stderr),
		newRescoreCmd(stdout, stderr, logger),
		newReportCmd(stdout, stderr, logger),
		newCompareCmd(stdout, stderr),
		newEmulateCmd(stdout, stderr),
		newMergeCmd(stdout, stderr, logger),
	)
	return root
}

// loadExperiment loads, lints and validates path with overrides, printing
// every diagnostic to stderr.
func loadExperiment(path string, sets []string, reg *pipeline.Registry, stderr io.Writer) (*config.Experiment, error) {
	exp, diags := config.LoadExperiment(path, config.LoadOptions{Sets: sets, Environ: os.Environ(), Registry: reg})
	if err := diags.Err(); err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", path, len(diags))
		return nil, withCode(exitError, errSilent)
	}
	warnUnusedEnv(stderr, os.Environ(), exp.Overrides())
	for _, w := range config.PairingWarnings(exp, exp.Baseline) {
		fmt.Fprintf(stderr, "inferbench: warning: %s: %s\n", path, w)
	}
	return exp, nil
}

// notExperimentEnv are INFERBENCH_ variables with another purpose (the
// dataset cache folder; the tests' path to the real SQuAD file), never
// experiment overrides; nor is any INFERBENCH_REQUIRE_ variable (the
// tests' switches that make a skippable test mandatory in CI: LibreOffice,
// scipy, the openai npm client, js-tiktoken), as no experiment key starts
// with "require".
var notExperimentEnv = []string{load.CacheDirEnv, "INFERBENCH_SQUAD_DEV"}

// requireEnvPrefix starts the tests' switches (see notExperimentEnv).
const requireEnvPrefix = "INFERBENCH_REQUIRE_"

// warnUnusedEnv names the INFERBENCH_ variables in environ that override
// nothing, so that a misspelt one (INFERBENCH_REPEAT) does not go unnoticed
// the way an unknown key in the file never does. applied are the
// experiment's overrides, "NAME=value".
func warnUnusedEnv(w io.Writer, environ, applied []string) {
	used := map[string]bool{}
	for _, o := range applied {
		name, _, _ := strings.Cut(o, "=")
		used[name] = true
	}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.EnvPrefix) && !used[name] && !slices.Contains(notExperimentEnv, name) && !strings.HasPrefix(name, requireEnvPrefix) {
			fmt.Fprintf(w, "inferbench: warning: $%s names no experiment value and is ignored (names are %s + the upper-cased key path with _ for ., e.g. %sPARAMS_MAX_TOKENS)\n",
				name, config.EnvPrefix, config.EnvPrefix)
		}
	}
}

// setup is what run and plan share: the registry, the validated
// experiment and an engine.
func setup(path string, sets []string, stderr io.Writer, log *slog.Logger) (*pipeline.Registry, *config.Experiment, *pipeline.Engine, error) {
	reg := stages.NewRegistry()
	exp, err := loadExperiment(path, sets, reg, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	eng, err := newEngine(reg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, exp, eng, nil
}

func newEngine(reg *pipeline.Registry, log *slog.Logger) (*pipeline.Engine, error) {
	cache, err := load.DefaultCacheDir()
	if err != nil {
		return nil, withCode(exitError, err)
	}
	eng := &pipeline.Engine{Registry: reg, Log: log, CacheDir: cache, Version: version}
	if b := readBuild(); b.Known() {
		eng.Build = &b
		if version == "dev" && b.Version != "" {
			eng.Version = b.Version
		}
	}
	return eng, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the column count of the terminal w is, less one so
// that a line never reaches the last column (where some terminals wrap),
// or 0 when w is not a terminal.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols < 2 {
		return 0
	}
	return cols - 1
}

// finishRun prints the table and where the files are, and turns a
// platform without a successful request into exit code 4 and failed checks
// into exit code 3 (see the exit code constants for the precedence). A run
// without a single record (every platform failed its setup, say, with a
// failing api_key_command) prints no table: it would be empty. A run whose
// setup Ctrl-C cut short exits as interrupted.
func finishRun(run *pipeline.Run, reg *pipeline.Registry, stdout, stderr io.Writer, runErr error) error {
	if run != nil && run.Results != nil && reg.Console != nil && run.Count > 0 {
		if err := reg.Console(stdout, run); err != nil {
			fmt.Fprintln(stderr, "inferbench: console:", err)
		}
	}
	if run != nil {
		fmt.Fprintf(stdout, "\nrun folder: %s\n", run.Dir)
		printStops(stderr, run.Manifest)
	}
	interrupted := run != nil && run.Manifest != nil && run.Manifest.StopReason == runfolder.StopInterrupted
	// Interrupted while querying, or before a run folder existed (the
	// dataset loading, the plan): only Ctrl-C cancels the run's context.
	if runErr != nil && (interrupted || run == nil) && errors.Is(runErr, context.Canceled) {
		fmt.Fprintln(stderr, "inferbench:", runErr)
		return withCode(exitInterrupted, errSilent)
	}
	var fdErr *pipeline.FDLimitError
	if errors.As(runErr, &fdErr) {
		return withCode(exitClientResource, runErr)
	}
	if runErr != nil {
		return withCode(exitError, runErr)
	}
	if interrupted {
		how := "--resume " + run.Dir
		if run.Manifest.Shard != nil {
			how += ", or run the same --shard command again"
		}
		fmt.Fprintf(stderr, "inferbench: interrupted; finished requests are in %s (continue with %s)\n", run.Dir, how)
		return withCode(exitInterrupted, errSilent)
	}
	code := exitOK
	var shard *runfolder.ShardInfo // a sharded run's shard, else nil
	if run != nil && run.Manifest != nil {
		shard = run.Manifest.Shard
	}
	if shard != nil && run.Manifest.CellTotal == 0 {
		fmt.Fprintf(stderr, "inferbench: note: shard %s has nothing to send: its share of every load level rounds to 0 (merge it with the others as usual)\n", shard.Shard)
		return nil
	}
	if shard != nil && run.Results != nil && !run.Results.ChecksPassed() {
		fmt.Fprintf(stderr, "inferbench: note: checks fail over shard %s's records alone; checks belong to the merged run (inferbench merge evaluates them), so they do not set this shard's exit code\n", shard.Shard)
	} else if run != nil && run.Results != nil && !run.Results.ChecksPassed() {
		fmt.Fprintln(stderr, "inferbench: checks failed:")
		for _, c := range run.Results.Checks {
			if !c.Passed {
				msg := c.Expr
				if c.Error != "" {
					msg += " (" + c.Error + ")"
				}
				fmt.Fprintln(stderr, "  FAIL", msg)
			}
		}
		code = exitChecksFailed
	}
	if run != nil && run.Results != nil {
		for _, p := range run.Results.FailedPlatforms() {
			if shard != nil && run.Manifest.Cells[p] == 0 {
				continue // none of this platform's cells are the shard's
			}
			fmt.Fprintf(stderr, "inferbench: no request to platform %s succeeded (%s)\n", p, platformErrors(run.Results, p))
			code = exitTotalFailure
		}
		if cr := run.Results.ClientResource; cr != nil {
			fmt.Fprintf(stderr, "inferbench: WARNING: the client, not the platforms, failed: %s\n", cr.Warning())
			code = exitClientResource
		}
	}
	if code != exitOK {
		return withCode(code, errSilent)
	}
	return nil
}

// platformErrors sums the error classes of platform's groups in res as
// "class=n, ..." (sorted by class), or "no request was sent".
func platformErrors(res *results.Results, platform string) string {
	counts := map[string]int{}
	for _, g := range res.Groups {
		if g.Platform == platform {
			for class, n := range g.Errors {
				counts[class] += n
			}
		}
	}
	if len(counts) == 0 {
		return "no request was sent"
	}
	classes := make([]string, 0, len(counts))
	for c := range counts {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for i, c := range classes {
		classes[i] = fmt.Sprintf("%s=%d", c, counts[c])
	}
	return strings.Join(classes, ", ")
}

// printStops tells the user why a platform stopped before its last cell
// (max_errors, max_error_rate, max_duration), which the table only sums up
// as "stopped: partial", and what the run learned about the endpoints.
func printStops(w io.Writer, m *runfolder.Manifest) {
	if m == nil {
		return
	}
	names := make([]string, 0, len(m.PlatformStops))
	for n := range m.PlatformStops {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasPrefix(m.PlatformStops[n], "setup failed: ") {
			continue // the run's error says it, located
		}
		fmt.Fprintf(w, "inferbench: platform %s stopped early: %s\n", n, m.PlatformStops[n])
	}
	for _, note := range m.Notes {
		fmt.Fprintf(w, "inferbench: note: %s\n", note)
	}
}

func newRunCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var (
		sets    []string
		out     string
		resume  string
		shard   string
		startAt string
		noProg  bool
		detail  bool
	)
	c := &cobra.Command{
		Use:   "run FILE.yaml",
		Short: "Run an experiment and print the comparison table",
		Long: `Run loads the dataset, queries every platform (side by side), scores every answer,
aggregates and exports into a new run folder DIR/<name>-<UTC timestamp>/ (DIR = export.dir or --out).
With --resume RUN_DIR it reruns only the matrix cells without a successful record in that folder.
With --shard i/n (0 <= i < n) it runs shard i's share of every load level (its part of the level's
concurrency and rate, and of its cells) into DIR/<name>-shard-i-of-n-<stamp>/; run again, the same
command resumes that folder if it is unfinished, or leaves it alone if it finished. A shard with
nothing to send exits 0, and its checks: do not set the exit code (they belong to the merged run);
inferbench merge joins the n folders (see docs/cluster.md).
Ctrl-C stops scheduling, lets in-flight requests finish (10s grace) and still exports what finished;
a second Ctrl-C cancels the requests in flight at once (they are journaled as canceled and rerun
by --resume), and a third kills the process.
Exit codes: 0 ok, 1 error, 2 usage, 3 a checks: assertion failed, 4 a platform had no successful
request, 5 the client was too small for the load (requests failed on this machine's resources:
error class client_resource; or, before sending, the file-descriptor limit is below what the
plan needs, see inferbench plan), 130 interrupted (130 before 5 before 4 before 3).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if detail {
				sets = append(sets, "export.detail=true")
			}
			reg, exp, eng, err := setup(args[0], sets, stderr, logger())
			if err != nil {
				return err
			}
			sh, err := runfolder.ParseShard(shard)
			if err != nil {
				return withCode(exitUsage, err)
			}
			var at time.Time
			if startAt != "" {
				if at, err = pipeline.ParseStartAt(startAt, time.Now()); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if !noProg {
				prog := NewProgress(stderr, isTerminal(stderr))
				prog.Width = terminalWidth(stderr)
				eng.Progress = prog
			}
			eng.Abort = abortOf(cmd.Context())
			run, err := eng.Run(cmd.Context(), exp, pipeline.RunOptions{
				ExperimentFile: args[0], OutDir: out, ResumeDir: resume, Overrides: exp.Overrides(), Shard: sh, StartAt: at,
				Note: func(s string) { fmt.Fprintln(stderr, "inferbench: note:", s) },
			})
			if errors.Is(err, pipeline.ErrShardFinished) {
				// A rerun of a finished shard (a resubmitted array task)
				// must not block the merge that waits for it.
				fmt.Fprintln(stderr, "inferbench: note:", err)
				return nil
			}
			return finishRun(run, reg, stdout, stderr, err)
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. --set params.max_tokens=256 (repeatable)")
	c.Flags().StringVar(&out, "out", "", "parent folder of the run folder (default: export.dir)")
	c.Flags().StringVar(&resume, "resume", "", "continue the run in this run folder")
	c.Flags().StringVar(&shard, "shard", "", "send only shard i of n of the matrix, e.g. 0/4 (i from 0; see inferbench merge)")
	c.Flags().StringVar(&startAt, "start-at", "", "prepare, then wait and begin sending at this time: RFC 3339 (2026-12-05T07:30:00Z) or +DURATION from now (+30s); give every shard the same time")
	c.Flags().BoolVar(&noProg, "no-progress", false, "do not show progress on stderr")
	c.Flags().BoolVar(&detail, detailFlag, false, detailUsage)
	return c
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "validate FILE.yaml...",
		Short: "Check experiment files; list every problem with file:line:col",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := stages.NewRegistry()
			bad := 0
			for _, f := range args {
				if _, err := loadExperiment(f, sets, reg, stderr); err != nil {
					bad++
					continue
				}
				fmt.Fprintf(stdout, "%s: ok\n", f)
			}
			if bad > 0 {
				return withCode(exitError, errSilent)
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value (repeatable)")
	return c
}

func newPlanCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var (
		sets  []string
		shard string
	)
	c := &cobra.Command{
		Use:   "plan FILE.yaml",
		Short: "Show the expanded matrix and request count without calling any endpoint",
		Long: `Plan loads and selects the dataset (a URL is downloaded once into the cache), expands
platforms x load levels x models x temperatures x repeats x questions (plus each platform's warmup requests)
and prints the requests each platform would get, each load level's expected sending time
where it can be known (requests / rate, a level's duration, a max_duration bound), and the file
descriptors the run may hold at once against this process's limit (the preflight of run, which
raises the soft limit to the hard one when needed and refuses with exit 5 when the hard limit is
too low). No endpoint is called and no run folder is made.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sh, err := runfolder.ParseShard(shard)
			if err != nil {
				return withCode(exitUsage, err)
			}
			_, exp, eng, err := setup(args[0], sets, stderr, logger())
			if err != nil {
				return err
			}
			if err := pipeline.ShardableLoads(exp, sh); err != nil {
				return withCode(exitError, err)
			}
			ds, plan, _, err := eng.Prepare(cmd.Context(), exp, args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			if err := printPlan(stdout, exp, ds, plan); err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(stdout, "file descriptors: %s\n", pipeline.CheckFDs(exp, runfolder.Shard{}))
			if err := printShardPlan(stdout, sh, plan); err != nil {
				return withCode(exitError, err)
			}
			if sh.Count > 1 {
				fmt.Fprintf(stdout, "file descriptors of shard %s: %s\n", sh, pipeline.CheckFDs(exp, sh))
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value (repeatable)")
	c.Flags().StringVar(&shard, "shard", "", "also show shard i of n's share of every level and its requests, e.g. 0/4 (see run --shard)")
	return c
}

func printPlan(w io.Writer, exp *config.Experiment, ds *config.Dataset, plan *pipeline.Plan) error {
	fmt.Fprintf(w, "experiment  %s\n", exp.Name)
	fmt.Fprintf(w, "dataset     %s %s: %d of %d questions (slice %q, filter %q, sample %d, seed %d)\n",
		ds.Source, ds.Location, len(ds.Samples), ds.Total, exp.Dataset.Slice, exp.Dataset.Filter, exp.Dataset.Sample, exp.Seed)
	fmt.Fprintf(w, "matrix      platforms x models x temperatures %v x repeats %d x samples %d\n\n", exp.Params.Temperature, exp.Repeats, len(ds.Samples))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tENDPOINT\tMODELS\tWARMUP\tREQUESTS\tLOAD")
	timed := false
	for _, j := range plan.Jobs {
		p := j.Platform
		ep := p.BaseURL
		if p.Emulate != nil {
			ep = "emulated"
		}
		load := fmt.Sprintf("concurrency %d", p.Concurrency)
		if p.Rate > 0 {
			load = fmt.Sprintf("%s %.3g req/s", p.Arrival, p.Rate)
			if p.Concurrency > 0 {
				load += fmt.Sprintf(", at most %d in flight", p.Concurrency)
			}
		}
		if p.Levels != nil {
			load = p.Levels.Type + " levels " + levelLabels(&p) + ", one after the other"
			if n := p.Levels.Requests; n > 0 {
				load += fmt.Sprintf(", %d requests each per model and temperature", n)
			}
			if d := p.Levels.Duration; d > 0 {
				load += fmt.Sprintf(", each for %s", d)
			} else if d := p.AtLevel(config.Level{}).MaxDuration; d > 0 {
				load += fmt.Sprintf(", each for at most %s", d)
			}
			if w := p.Levels.Warmup; w.Requests > 0 {
				load += fmt.Sprintf(", the first %d of each a warmup", w.Requests)
			} else if w.Duration > 0 {
				load += fmt.Sprintf(", the first %s of each a warmup", w.Duration)
			}
		} else if p.MaxDuration > 0 {
			load += fmt.Sprintf(", for at most %s", p.MaxDuration)
		}
		requests := strconv.Itoa(j.Cells.Planned())
		if j.Cells.Timed() {
			requests += " + timed"
			timed = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", p.Name, ep, strings.Join(p.Models, ","), p.Warmup, requests, load)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printLevelEstimates(w, plan); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ntotal requests: %d (before retries)\n", plan.Total())
	if timed {
		fmt.Fprintln(w, "plus what the levels sized by duration send in their time")
	}
	return nil
}

// printShardPlan shows shard sh's share of every platform's load levels
// and the requests it sends (nothing for the whole matrix).
func printShardPlan(w io.Writer, sh runfolder.Shard, plan *pipeline.Plan) error {
	if sh.Count <= 1 {
		return nil
	}
	fmt.Fprintf(w, "\nshard %s: its share of every load level (run --shard %s)\n", sh, sh)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tLEVEL\tSEGMENT\tSHARE\tREQUESTS")
	total := 0
	for _, l := range pipeline.ShardLevels(sh, plan) {
		load := "-"
		if l.Level != "" {
			load = l.Level
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", l.Platform, load, l.Segment, l.Share("none"), l.Cells)
		total += l.Cells
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ntotal requests of shard %s: %d of %d (before retries)\n", sh, total, plan.Total())
	return nil
}

// levelLabels lists a platform's load levels for the plan ("c=1, c=8";
// levels whose rates are chosen at run time as "sweep-1..sweep-4 (rates
// chosen at run time)").
func levelLabels(p *config.Platform) string {
	var out, later []string
	for _, lv := range p.RunLevels(nil) {
		if lv.RateIndex > 0 {
			later = append(later, lv.Label)
			continue
		}
		out = append(out, lv.Label)
	}
	if len(later) > 0 {
		out = append(out, later[0]+".."+later[len(later)-1]+" (rates chosen at run time)")
	}
	return strings.Join(out, ", ")
}
