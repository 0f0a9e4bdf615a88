package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/stages"
	"github.com/inferbench/inferbench/stages/aggregate"
	"github.com/inferbench/inferbench/stages/export"
	"github.com/inferbench/inferbench/stages/query/emulator"
	"github.com/inferbench/inferbench/stages/score"
)

func newScoreCmd(stdout, stderr io.Writer) *cobra.Command {
	var dataset, preds string
	var v2 bool
	c := &cobra.Command{
		Use:   "score --dataset SQUAD.json --predictions PRED.json [--v2]",
		Short: "Score a SQuAD prediction file exactly like the official evaluation script",
		Long: `Score prints what the official SQuAD evaluation script prints for the same files:
{"exact_match": X, "f1": Y} for v1.1 (evaluate-v1.1.py), or the v2.0 script's keys with --v2.
For v1.1 a missing prediction scores 0 and is named on stderr, as the script does; with --v2 a
missing prediction is an error (exit 1), where evaluate-v2.0.py stops with a KeyError. Extra ids
are ignored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataset == "" || preds == "" {
				return withCode(exitUsage, errors.New("score needs --dataset and --predictions"))
			}
			return withCode(exitError, score.ScoreFiles(stdout, stderr, dataset, preds, v2))
		},
	}
	c.Flags().StringVar(&dataset, "dataset", "", "official SQuAD JSON (v1.1 or v2.0)")
	c.Flags().StringVar(&preds, "predictions", "", "JSON object {question_id: answer}")
	c.Flags().BoolVar(&v2, "v2", false, "score like evaluate-v2.0.py (unanswerable questions)")
	return c
}

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var out string
	var seed int64
	var sharedOnly bool
	c := &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Compare two run folders group by group: change, CI and significance",
		Long: `Compare shows, for each group present in both runs, the change of each headline figure with
a bootstrap CI and a p-value; EM and F1 are paired by question (the mean over each question's
repeats). A figure a run does not have shows "-", with no change. Two runs that asked different
questions (another dataset file or selection, or a question changed under the same id) are
refused, naming what differs; with --shared-only only the questions both runs asked are compared,
with a warning, and the questions column of compare.csv and compare.xlsx says so. Groups of
runs with load levels are compared level by level (the load column; the console labels each
block with its level). Runs whose answer extraction or scoring settings differ (score.extract,
dataset source or version) are compared with a warning on stderr.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg := stages.NewRegistry()
			var runs [2]*pipeline.Run
			for i, d := range args {
				r, err := pipeline.Reopen(d)
				if err == nil {
					err = r.LoadRecords() // compare pairs records: it holds both runs
				}
				if err != nil {
					return withCode(exitError, err)
				}
				runs[i] = r
			}
			diff := aggregate.CompareDatasets(runs[0], runs[1])
			if len(diff.Differences) > 0 {
				if !sharedOnly {
					return withCode(exitError, fmt.Errorf("the two runs did not ask the same questions, refusing to compare them:\n  %s\n"+
						"(--shared-only compares only the %d questions both runs share)", strings.Join(diff.Differences, "\n  "), len(diff.Shared)))
				}
				if len(diff.Shared) == 0 {
					return withCode(exitError, fmt.Errorf("the two runs share no question:\n  %s", strings.Join(diff.Differences, "\n  ")))
				}
				fmt.Fprintf(stderr, "inferbench: WARNING: the runs asked different questions; comparing only the %d questions both runs share (A has %d, B has %d):\n  %s\n",
					len(diff.Shared), diff.InA, diff.InB, strings.Join(diff.Differences, "\n  "))
				for _, r := range runs {
					r.Records = aggregate.OnlySamples(r.Records, diff.Shared)
				}
			}
			if sd := aggregate.ScoringDifferences(runs[0].Experiment, runs[1].Experiment); len(sd) > 0 {
				fmt.Fprintf(stderr, "inferbench: WARNING: the runs extract or score answers differently, so their EM and F1 changes are partly the scoring's (rescore one with the other's settings to compare answers alone):\n  %s\n",
					strings.Join(sd, "\n  "))
			}
			for i, r := range runs {
				d := args[i]
				res, err := compareAggregate(cmd.Context(), reg.Aggregate, r)
				if err != nil {
					return withCode(exitError, fmt.Errorf("%s: aggregate: %w", d, err))
				}
				r.Results = res
			}
			deltas := aggregate.CompareRuns(runs[0].Results, runs[1].Results, runs[0].Records, runs[1].Records, seed)
			if len(deltas) == 0 {
				return withCode(exitError, errors.New("the two runs have no group (platform, model, temperature) in common"))
			}
			if err := export.PrintRunDeltas(stdout, args[0], args[1], diff.Scope(), deltas); err != nil {
				return withCode(exitError, err)
			}
			if out != "" {
				if err := export.WriteRunDeltas(out, diff.Scope(), deltas); err != nil {
					return withCode(exitError, err)
				}
				fmt.Fprintf(stdout, "\nwrote %s\n", out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "also write the comparison to this folder (compare.csv, compare.xlsx)")
	c.Flags().Int64Var(&seed, "seed", 42, "bootstrap seed")
	c.Flags().BoolVar(&sharedOnly, "shared-only", false, "compare only the questions both runs asked, when they differ (with a warning)")
	return c
}

// compareAggregate aggregates a run's records (r.Records, which compare
// may have cut to the shared questions) as report does: under its
// manifest, so that every rate divides by the sending time of the run's
// sending marks (see pipeline.SendSpan), never by the time inferred from
// the gaps between records.
func compareAggregate(ctx context.Context, agg pipeline.Aggregator, r *pipeline.Run) (*pipeline.Results, error) {
	recs := r.Records
	if recs == nil {
		recs = []pipeline.Record{} // no record: none, not the journal
	}
	res, _, err := pipeline.AggregateRun(ctx, agg, &pipeline.Run{Dir: r.Dir, Experiment: r.Experiment, Manifest: r.Manifest, Records: recs})
	return res, err
}

func newEmulateCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		listen, preset, dataset string
		seed                    int64
		fp                      pipeline.EmulateProfile // the flags' values
		ttft, retryAfter, stall time.Duration
	)
	c := &cobra.Command{
		Use:   "emulate --listen 127.0.0.1:8000 [profile flags]",
		Short: "Serve the built-in emulator as a standalone OpenAI-compatible endpoint",
		Long: `Emulate serves POST /v1/chat/completions (streaming and not) and GET /v1/models with the
timing, reasoning, accuracy, usage style and faults of a profile. --profile starts from a preset
(metis-like, sophia-like) and the other flags given override it. With --dataset (official SQuAD
JSON) it knows the gold answers of the questions it is asked; without it, it answers with spans
of the prompt's context.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fp.TTFT = pipeline.Duration(ttft)
			fp.Faults.RetryAfter = pipeline.Duration(retryAfter)
			fp.Faults.StallFor = pipeline.Duration(stall)
			prof := fp
			if preset != "" {
				pp, ok := emulator.Profiles()[preset]
				if !ok {
					return withCode(exitUsage, fmt.Errorf("unknown --profile %q (have metis-like, sophia-like)", preset))
				}
				prof = pp
				cmd.Flags().Visit(func(f *pflag.Flag) { overlayProfileFlag(&prof, &fp, f.Name) })
			}
			var lookup emulator.Lookup
			if dataset != "" {
				reg := stages.NewRegistry()
				ds, err := reg.Loaders["squad"].Load(cmd.Context(), pipeline.DatasetSpec{Source: "squad", Path: dataset}, pipeline.LoadEnv{})
				if err != nil {
					return withCode(exitError, err)
				}
				lookup = questionLookup(ds.Samples)
				fmt.Fprintf(stderr, "emulate: knows the answers of %d questions from %s\n", len(ds.Samples), dataset)
			}
			base, shutdown, err := emulator.Start(listen, emulator.New(prof, seed, lookup))
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(stdout, "emulator serving %s (POST /chat/completions, GET /models); Ctrl-C stops\n", base)
			<-cmd.Context().Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil && err != http.ErrServerClosed {
				return withCode(exitError, err)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8000", "address to listen on")
	f.StringVar(&preset, "profile", "", "start from a preset: metis-like or sophia-like")
	f.StringVar(&dataset, "dataset", "", "official SQuAD JSON whose gold answers the emulator knows")
	f.Int64Var(&seed, "seed", 42, "seed of every random choice")
	f.DurationVar(&ttft, "ttft", 0, "time to first token")
	f.Float64Var(&fp.TokensPerSecond, "tokens-per-second", 0, "token rate (0 = as fast as possible)")
	f.Float64Var(&fp.Jitter, "jitter", 0, "relative jitter of TTFT and token gaps (0..1)")
	f.IntVar(&fp.ReasoningTokens, "reasoning-tokens", 0, "reasoning tokens streamed before the answer")
	f.Float64Var(&fp.Accuracy, "accuracy", 1, "share of questions answered with a gold answer")
	f.StringVar(&fp.Style, "style", "plain", "answer style: plain or chatty")
	f.StringVar(&fp.Usage, "usage", "vllm", "usage reporting: vllm, sambanova or none")
	f.BoolVar(&fp.RejectStreamOptions, "reject-stream-options", false, "answer 400 to requests with stream_options")
	f.Float64Var(&fp.Faults.Rate429, "rate-429", 0, "share of requests answered 429")
	f.DurationVar(&retryAfter, "retry-after", time.Second, "Retry-After of 429 answers")
	f.Float64Var(&fp.Faults.Rate500, "rate-500", 0, "share of requests answered 500")
	f.Float64Var(&fp.Faults.Disconnect, "disconnect", 0, "share of streams cut mid-way")
	f.Float64Var(&fp.Faults.Stall, "stall", 0, "share of streams that stall")
	f.DurationVar(&stall, "stall-for", 30*time.Second, "how long a stall lasts")
	f.Float64Var(&fp.Faults.Malformed, "malformed", 0, "share of streams with a malformed chunk")
	f.Float64Var(&fp.Faults.ErrorEvent, "error-event", 0, "share of streams ending in an SSE error event")
	return c
}

// overlayProfileFlag copies the field behind flag name from src to dst.
func overlayProfileFlag(dst, src *pipeline.EmulateProfile, name string) {
	switch name {
	case "ttft":
		dst.TTFT = src.TTFT
	case "tokens-per-second":
		dst.TokensPerSecond = src.TokensPerSecond
	case "jitter":
		dst.Jitter = src.Jitter
	case "reasoning-tokens":
		dst.ReasoningTokens = src.ReasoningTokens
	case "accuracy":
		dst.Accuracy = src.Accuracy
	case "style":
		dst.Style = src.Style
	case "usage":
		dst.Usage = src.Usage
	case "reject-stream-options":
		dst.RejectStreamOptions = src.RejectStreamOptions
	case "rate-429":
		dst.Faults.Rate429 = src.Faults.Rate429
	case "retry-after":
		dst.Faults.RetryAfter = src.Faults.RetryAfter
	case "rate-500":
		dst.Faults.Rate500 = src.Faults.Rate500
	case "disconnect":
		dst.Faults.Disconnect = src.Faults.Disconnect
	case "stall":
		dst.Faults.Stall = src.Faults.Stall
	case "stall-for":
		dst.Faults.StallFor = src.Faults.StallFor
	case "malformed":
		dst.Faults.Malformed = src.Faults.Malformed
	case "error-event":
		dst.Faults.ErrorEvent = src.Faults.ErrorEvent
	}
}

// questionLookup maps a request to a sample by the question text that
// follows the last "Question:" in its last user message (the default
// prompt's shape), up to the end of that line. It returns nil when that
// message has no "Question:" or the question is not one of samples.
func questionLookup(samples []pipeline.Sample) emulator.Lookup {
	byQ := make(map[string]*pipeline.Sample, len(samples))
	for i := range samples {
		byQ[strings.TrimSpace(samples[i].Question)] = &samples[i]
	}
	return func(msgs []pipeline.Message) *pipeline.Sample {
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Role != "user" {
				continue
			}
			c := msgs[i].Content
			if j := strings.LastIndex(c, "Question:"); j >= 0 {
				q := c[j+len("Question:"):]
				if k := strings.IndexByte(q, '\n'); k >= 0 {
					q = q[:k]
				}
				return byQ[strings.TrimSpace(q)]
			}
			return nil
		}
		return nil
	}
}
