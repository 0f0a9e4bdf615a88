package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/inferbench/inferbench/pipeline"
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
		Version:       version,
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
	)
	return root
}

// loadExperiment loads, lints and validates path with overrides, printing
// every diagnostic to stderr.
func loadExperiment(path string, sets []string, reg *pipeline.Registry, stderr io.Writer) (*pipeline.Experiment, error) {
	exp, diags := pipeline.LoadExperiment(path, pipeline.LoadOptions{Sets: sets, Environ: os.Environ(), Registry: reg})
	if err := diags.Err(); err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", path, len(diags))
		return nil, withCode(exitError, errSilent)
	}
	return exp, nil
}

func newEngine(reg *pipeline.Registry, log *slog.Logger) (*pipeline.Engine, error) {
	cache, err := load.DefaultCacheDir()
	if err != nil {
		return nil, withCode(exitError, err)
	}
	return &pipeline.Engine{Registry: reg, Log: log, CacheDir: cache, Version: version}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// finishRun prints the table and where the files are, and turns failed
// checks into exit code 3.
func finishRun(run *pipeline.Run, reg *pipeline.Registry, stdout, stderr io.Writer, runErr error) error {
	if run != nil && run.Results != nil && reg.Console != nil {
		if err := reg.Console(stdout, run); err != nil {
			fmt.Fprintln(stderr, "inferbench: console:", err)
		}
	}
	if run != nil {
		fmt.Fprintf(stdout, "\nrun folder: %s\n", run.Dir)
	}
	if runErr != nil {
		return withCode(exitError, runErr)
	}
	if run != nil && run.Manifest != nil && run.Manifest.StopReason == pipeline.StopInterrupted {
		fmt.Fprintf(stderr, "inferbench: interrupted; finished requests are in %s (continue with --resume %s)\n", run.Dir, run.Dir)
		return withCode(exitInterrupted, errSilent)
	}
	if run != nil && run.Results != nil && !run.Results.ChecksPassed() {
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
		return withCode(exitChecksFaild, errSilent)
	}
	return nil
}

func newRunCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var (
		sets   []string
		out    string
		resume string
		noProg bool
	)
	c := &cobra.Command{
		Use:   "run FILE.yaml",
		Short: "Run an experiment and print the comparison table",
		Long: `Run loads the dataset, queries every platform (side by side), scores every answer,
aggregates and exports into a new run folder DIR/<name>-<UTC timestamp>/ (DIR = export.dir or --out).
With --resume RUN_DIR it reruns only the matrix cells without a successful record in that folder.
Ctrl-C stops scheduling, lets in-flight requests finish (10s grace) and still exports what finished.
Exit codes: 0 ok, 1 error, 2 usage, 3 a checks: assertion failed, 130 interrupted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := stages.NewRegistry()
			exp, err := loadExperiment(args[0], sets, reg, stderr)
			if err != nil {
				return err
			}
			eng, err := newEngine(reg, logger())
			if err != nil {
				return err
			}
			if !noProg {
				eng.Progress = pipeline.NewProgress(stderr, isTerminal(stderr))
			}
			run, err := eng.Run(cmd.Context(), exp, pipeline.RunOptions{
				ExperimentFile: args[0], OutDir: out, ResumeDir: resume, Overrides: redactSets(sets),
			})
			return finishRun(run, reg, stdout, stderr, err)
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. --set params.max_tokens=256 (repeatable)")
	c.Flags().StringVar(&out, "out", "", "parent folder of the run folder (default: export.dir)")
	c.Flags().StringVar(&resume, "resume", "", "continue the run in this run folder")
	c.Flags().BoolVar(&noProg, "no-progress", false, "do not show progress on stderr")
	return c
}

// redactSets hides values of overrides that name a secret.
func redactSets(sets []string) []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		k, _, _ := strings.Cut(s, "=")
		lk := strings.ToLower(k)
		if strings.Contains(lk, "api_key") && !strings.HasSuffix(lk, "api_key_env") && !strings.HasSuffix(lk, "api_key_command") || strings.Contains(lk, "headers") {
			out[i] = k + "=" + pipeline.Redacted
			continue
		}
		out[i] = s
	}
	return out
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
	var sets []string
	c := &cobra.Command{
		Use:   "plan FILE.yaml",
		Short: "Show the expanded matrix and request count without calling any endpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := stages.NewRegistry()
			exp, err := loadExperiment(args[0], sets, reg, stderr)
			if err != nil {
				return err
			}
			eng, err := newEngine(reg, logger())
			if err != nil {
				return err
			}
			ds, plan, _, err := eng.Prepare(cmd.Context(), exp, args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			return withCode(exitError, printPlan(stdout, exp, ds, plan))
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value (repeatable)")
	return c
}

func printPlan(w io.Writer, exp *pipeline.Experiment, ds *pipeline.Dataset, plan *pipeline.Plan) error {
	fmt.Fprintf(w, "experiment  %s\n", exp.Name)
	fmt.Fprintf(w, "dataset     %s %s: %d of %d questions (slice %q, filter %q, sample %d, seed %d)\n",
		ds.Source, ds.Location, len(ds.Samples), ds.Total, exp.Dataset.Slice, exp.Dataset.Filter, exp.Dataset.Sample, exp.Seed)
	fmt.Fprintf(w, "matrix      platforms x models x temperatures %v x repeats %d x samples %d\n\n", exp.Params.Temperature, exp.Repeats, len(ds.Samples))
	fmt.Fprintf(w, "%-16s %-36s %-24s %8s %8s\n", "PLATFORM", "ENDPOINT", "MODELS", "WARMUP", "REQUESTS")
	for _, j := range plan.Jobs {
		p := j.Platform
		ep := p.BaseURL
		if p.Emulate != nil {
			ep = "emulated"
		}
		load := fmt.Sprintf("concurrency %d", p.Concurrency)
		if p.Rate > 0 {
			load = fmt.Sprintf("%s %.3g req/s", p.Arrival, p.Rate)
		}
		fmt.Fprintf(w, "%-16s %-36s %-24s %8d %8d   %s\n", p.Name, ep, strings.Join(p.Models, ","), p.Warmup, len(j.Cells), load)
	}
	fmt.Fprintf(w, "\ntotal requests: %d (before retries)\n", plan.Total())
	return nil
}

func newRescoreCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "rescore RUN_DIR",
		Short: "Recompute scores, statistics and every export from records.jsonl (no endpoint is called)",
		Long: `Rescore re-reads a run folder, applies --set overrides to the experiment recorded in its
manifest (e.g. --set 'score.extract=[strip_reasoning,first_line]'), re-scores every record,
rewrites records.jsonl and re-runs aggregate and export.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return reopenAndFinish(cmd.Context(), args[0], sets, true, stdout, stderr, logger())
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. score.extract=... (repeatable)")
	return c
}

func newReportCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Recompute statistics and every export from records.jsonl (no endpoint is called)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return reopenAndFinish(cmd.Context(), args[0], sets, false, stdout, stderr, logger())
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. export.formats=[xlsx] or slo.ttft=500ms (repeatable)")
	return c
}

func reopenAndFinish(ctx context.Context, dir string, sets []string, rescore bool, stdout, stderr io.Writer, log *slog.Logger) error {
	reg := stages.NewRegistry()
	run, err := pipeline.Reopen(dir)
	if err != nil {
		return withCode(exitError, err)
	}
	if len(sets) > 0 {
		exp, diags := pipeline.ReloadExperiment(filepath.Join(dir, pipeline.ManifestFile), &run.Manifest.Experiment,
			pipeline.LoadOptions{Sets: sets, Registry: reg})
		if err := diags.Err(); err != nil {
			fmt.Fprintln(stderr, err)
			return withCode(exitError, errSilent)
		}
		run.Experiment = exp
		run.Manifest.Experiment = *exp
		run.Manifest.Overrides = append(run.Manifest.Overrides, redactSets(sets)...)
	}
	eng, err := newEngine(reg, log)
	if err != nil {
		return err
	}
	if rescore {
		err = eng.Rescore(ctx, run, nil)
	} else {
		err = eng.Finish(ctx, run, nil)
	}
	return finishRun(run, reg, stdout, stderr, err)
}
