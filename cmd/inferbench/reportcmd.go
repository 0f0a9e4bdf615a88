package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/runfolder"
	"github.com/inferbench/inferbench/stages"
	"github.com/inferbench/inferbench/stages/export"
)

func newRescoreCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "rescore RUN_DIR",
		Short: "Recompute scores, statistics and every export from records.jsonl (no endpoint is called)",
		Long: `Rescore re-reads a run folder, applies --set overrides to the experiment recorded in its
manifest (e.g. --set 'score.extract=[strip_reasoning,first_line]'), re-scores every record,
rewrites records.jsonl and re-runs aggregate and export. --set may change only what is computed
after querying: score, slo, stats, metrics, checks, export, client and baseline (anything else exits 1).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return reopenAndFinish(cmd.Context(), args[0], sets, true, nil, stdout, stderr, logger())
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. score.extract=... (repeatable)")
	return c
}

// detailFlag asks run and report for the detailed console (export.detail).
const (
	detailFlag  = "detail"
	detailUsage = "print the full per-group block of vLLM's bench serve and the client health table (export.detail=true)"
)

func newReportCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var sets []string
	var detail bool
	var format string
	c := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Recompute statistics and every export from records.jsonl (no endpoint is called)",
		Long: `Report re-reads a run folder and recomputes statistics and exports. --set may change only
slo, stats, metrics, checks, export, client, baseline and score.report_raw (anything else exits 1; a new
score.extract needs rescore). Outputs of formats not written this time are removed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if detail {
				sets = append(sets, "export.detail=true")
			}
			var also func(context.Context, *pipeline.Run) error
			switch format {
			case "":
			case "analysis":
				also = export.Analysis
			default:
				return withCode(exitUsage, fmt.Errorf("--format %q: the only extra format is analysis", format))
			}
			return reopenAndFinish(cmd.Context(), args[0], sets, false, also, stdout, stderr, logger())
		},
	}
	c.Flags().StringVar(&format, "format", "", "also write "+export.AnalysisFile+", a homework-style analysis skeleton with every figure filled (analysis)")
	c.Flags().StringArrayVar(&sets, "set", nil, "override an experiment value, e.g. export.formats=[xlsx] or slo.ttft=500ms (repeatable)")
	c.Flags().BoolVar(&detail, detailFlag, false, detailUsage)
	return c
}

// reopenAndFinish reopens run folder dir and runs report (or rescore) on
// it; also, when set, writes one more output from the result (--format).
func reopenAndFinish(ctx context.Context, dir string, sets []string, rescore bool, also func(context.Context, *pipeline.Run) error, stdout, stderr io.Writer, log *slog.Logger) error {
	name := "report"
	if rescore {
		name = "rescore"
	}
	if err := config.CheckPostQuerySets(name, sets, rescore); err != nil {
		return withCode(exitError, err)
	}
	reg := stages.NewRegistry()
	// Both rewrite files of the folder (rescore the journal too): never
	// beside a run, resume, rescore or report of the same folder.
	lock, err := runfolder.LockRunDir(dir, true)
	if err != nil {
		return withCode(exitError, err)
	}
	defer lock.Unlock()
	run, err := pipeline.Reopen(dir)
	if err != nil {
		return withCode(exitError, err)
	}
	if len(sets) > 0 {
		exp, diags := config.ReloadExperiment(filepath.Join(dir, runfolder.ManifestFile), &run.Manifest.Experiment,
			config.LoadOptions{Sets: sets, Registry: reg})
		if err := diags.Err(); err != nil {
			fmt.Fprintln(stderr, err)
			return withCode(exitError, errSilent)
		}
		run.Experiment = exp
		run.Manifest.Experiment = *exp
		run.Manifest.Overrides = append(run.Manifest.Overrides, exp.Overrides()...)
	}
	eng, err := newEngine(reg, log)
	if err != nil {
		return err
	}
	// Both swap the folder's new state in at once (see runfolder.Staged).
	if rescore {
		err = eng.Rescore(ctx, run, nil)
	} else {
		err = eng.Report(ctx, run, nil)
	}
	if err == nil && also != nil {
		if err = also(ctx, run); err == nil {
			fmt.Fprintf(stdout, "analysis: %s\n", filepath.Join(dir, export.AnalysisFile))
		}
	}
	return finishRun(run, reg, stdout, stderr, err)
}
