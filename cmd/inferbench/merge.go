package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages"
)

func newMergeCmd(stdout, stderr io.Writer, logger func() *slog.Logger) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "merge RUN_DIR... --out DIR",
		Short: "Join the run folders of a sharded run (run --shard i/n) into one run folder",
		Long: `Merge checks that the folders are the shards 0..n-1 of one experiment (the same hash of the
defaulted experiment and questions, each shard once) and that their records cover every matrix cell
exactly once, then writes DIR as a run folder of its own: records.jsonl with every shard's records,
a manifest listing each shard and its host, and every export, aggregated exactly as one process
over the same records would (results.json differs only in run_id, started_at and finished_at).
Exit codes as for run.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := stages.NewRegistry()
			eng, err := newEngine(reg, logger())
			if err != nil {
				return err
			}
			run, err := eng.Merge(cmd.Context(), pipeline.MergeOptions{Dirs: args, Out: out})
			if run == nil {
				return withCode(exitError, err)
			}
			return finishRun(run, reg, stdout, stderr, err)
		},
	}
	c.Flags().StringVar(&out, "out", "", "the merged run folder to create (required)")
	_ = c.MarkFlagRequired("out")
	return c
}
