package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/pipeline/results"
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
// sending marks (see runfolder.SendSpan), never by the time inferred from
// the gaps between records.
func compareAggregate(ctx context.Context, agg pipeline.Aggregator, r *pipeline.Run) (*results.Results, error) {
	recs := r.Records
	if recs == nil {
		recs = []results.Record{} // no record: none, not the journal
	}
	res, _, err := pipeline.AggregateRun(ctx, agg, &pipeline.Run{Dir: r.Dir, Experiment: r.Experiment, Manifest: r.Manifest, Records: recs})
	return res, err
}

func newEmulateCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		listen, dataset, apiKey string
		seed                    int64
		models                  []string
	)
	c := &cobra.Command{
		Use:   "emulate --listen 127.0.0.1:8000 [profile flags]",
		Short: "Serve the built-in emulator as a standalone OpenAI-compatible endpoint",
		Long: `Emulate serves POST /v1/chat/completions (streaming and not) and GET /v1/models with the
timing, reasoning, accuracy, usage style and faults of a profile. --profile starts from a preset
(metis-like, sophia-like) and the other flags given override it. With --dataset (official SQuAD
JSON) it knows the gold answers of the questions it is asked; without it, it answers with spans
of the prompt's context. It answers like the OpenAI API: its error object and status codes, a
fresh id per response and an X-Request-Id header; it rejects a missing model, an unknown role, a
temperature outside [0, 2] and empty messages, and with --models any other model (404), with
--api-key any other bearer token (401). It prints the profile it serves when it starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			prof, err := emulateProfile(cmd)
			if err != nil {
				return withCode(exitUsage, err)
			}
			var lookup emulator.Lookup
			if dataset != "" {
				reg := stages.NewRegistry()
				ds, err := reg.Loaders["squad"].Load(cmd.Context(), config.DatasetSpec{Source: "squad", Path: dataset}, pipeline.LoadEnv{})
				if err != nil {
					return withCode(exitError, err)
				}
				lookup = questionLookup(ds.Samples)
				fmt.Fprintf(stderr, "emulate: knows the answers of %d questions from %s\n", len(ds.Samples), dataset)
			}
			opts := []emulator.Option{emulator.WithModels(models...)}
			if apiKey != "" {
				opts = append(opts, emulator.WithAuth(func(tok string) bool { return tok == apiKey }))
			}
			base, shutdown, err := emulator.Start(listen, emulator.New(prof, seed, lookup, opts...))
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(stdout, "emulator serving %s (POST /chat/completions, GET /models); Ctrl-C stops\n", base)
			preset, _ := cmd.Flags().GetString("profile")
			fmt.Fprintln(stdout, profileLine(preset, prof))
			if len(models) > 0 {
				fmt.Fprintf(stdout, "models: %s (any other is a 404)\n", strings.Join(models, ", "))
			} else {
				fmt.Fprintln(stdout, "models: any name (--models restricts them)")
			}
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
	f.String("profile", "", "start from a preset: metis-like or sophia-like")
	f.StringVar(&dataset, "dataset", "", "official SQuAD JSON whose gold answers the emulator knows")
	f.Int64Var(&seed, "seed", 42, "seed of every random choice")
	f.StringSliceVar(&models, "models", nil, "the only models served, comma-separated (others get 404); default any")
	f.StringVar(&apiKey, "api-key", "", "require this bearer token (others get 401); default none")
	addProfileFlags(f)
	return c
}

// emulateProfile is the profile emulate serves: the flags' values, or
// with --profile the preset with the flags given on top of it.
func emulateProfile(cmd *cobra.Command) (emulator.Profile, error) {
	var prof emulator.Profile
	fs := cmd.Flags()
	preset, _ := fs.GetString("profile")
	if preset != "" {
		pp, ok := emulator.Profiles()[preset]
		if !ok {
			return prof, fmt.Errorf("unknown --profile %q (have metis-like, sophia-like)", preset)
		}
		prof = pp
	}
	dst := reflect.ValueOf(&prof).Elem()
	fs.VisitAll(func(f *pflag.Flag) {
		if pf, ok := f.Value.(*profileField); ok && (preset == "" || f.Changed) {
			dst.FieldByIndex(pf.index).Set(pf.v)
		}
	})
	return prof, nil
}

// profileLine is the start-up line that says which profile emulate
// serves: "profile metis-like: ttft 250ms, tokens_per_second 420, ...;
// faults: none", every field by its YAML name; the faults' fields only
// when set, and "none" when no fault share is set (their waits then do
// not matter). It reads the fields from the type (by their yaml tags), so
// a new profile field shows without a change here.
func profileLine(preset string, prof any) string {
	name := "profile " + preset
	if preset == "" {
		name = "profile (from flags)"
	}
	var fields, faults []string
	shares := false // a fault share is set
	v := reflect.ValueOf(prof)
	for i := range v.NumField() {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		f := v.Field(i)
		if f.Kind() != reflect.Struct {
			fields = append(fields, key+" "+fieldText(f))
			continue
		}
		for j := range f.NumField() {
			fk, _, _ := strings.Cut(f.Type().Field(j).Tag.Get("yaml"), ",")
			if fk != "" && fk != "-" && !f.Field(j).IsZero() {
				faults = append(faults, fk+" "+fieldText(f.Field(j)))
				shares = shares || f.Field(j).Kind() == reflect.Float64
			}
		}
	}
	if !shares {
		faults = []string{"none"}
	}
	return name + ": " + strings.Join(fields, ", ") + "; faults: " + strings.Join(faults, ", ")
}

// fieldText formats one profile field as its flag shows it.
func fieldText(v reflect.Value) string {
	s := (&profileField{v: v}).String()
	if s == "" {
		return `""`
	}
	return s
}

// profileFlagHelp is the help and the default of the emulate flag of each
// profile field, by the field's YAML path; a flag's name is the last key
// with dashes ("faults.rate_429" is --rate-429). addProfileFlags panics on
// a field missing here, and a test builds the command.
var profileFlagHelp = map[string]struct{ usage, def string }{
	"ttft":                  {"time to first token", ""},
	"tokens_per_second":     {"token rate (0 = as fast as possible)", ""},
	"prefill_ms_per_token":  {"prefill cost: milliseconds added to TTFT per prompt token", ""},
	"jitter":                {"relative jitter of TTFT and token gaps (0..1)", ""},
	"reasoning_tokens":      {"reasoning tokens streamed before the answer", ""},
	"tokens_per_chunk":      {"tokens per stream event, as servers that batch their output send them (0 or 1 = one)", ""},
	"accuracy":              {"share of questions answered with a gold answer", "1"},
	"style":                 {"answer style: plain or chatty", "plain"},
	"usage":                 {"usage reporting: vllm, sambanova or none", "vllm"},
	"max_batch":             {"requests decoded at once; later ones wait for a free slot (0 = no limit)", ""},
	"batch_slowdown":        {"slowdown per other request in the batch: times x (1 + batch_slowdown x (batch - 1))", ""},
	"kv_cache_tokens":       {"emulated KV cache size in tokens, reported by /metrics (0 = 65536)", ""},
	"reject_stream_options": {"answer 400 to requests with stream_options", ""},
	"faults.rate_429":       {"share of requests answered 429", ""},
	"faults.retry_after":    {"Retry-After of 429 answers", "1s"},
	"faults.rate_500":       {"share of requests answered 500", ""},
	"faults.disconnect":     {"share of streams cut mid-way", ""},
	"faults.stall":          {"share of streams that stall", ""},
	"faults.stall_for":      {"how long a stall lasts", "30s"},
	"faults.malformed":      {"share of streams with a malformed chunk", ""},
	"faults.error_event":    {"share of streams ending in an SSE error event", ""},
}

// addProfileFlags adds a flag for each field of emulator.Profile
// (its faults' fields too), generated from the type.
func addProfileFlags(fs *pflag.FlagSet) {
	var walk func(t reflect.Type, path string, index []int)
	walk = func(t reflect.Type, path string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			idx := append(slices.Clone(index), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, path+key+".", idx)
				continue
			}
			help, ok := profileFlagHelp[path+key]
			if !ok {
				panic("emulate: no flag help for profile field " + path + key)
			}
			pf := &profileField{v: reflect.New(sf.Type).Elem(), index: idx}
			name := strings.ReplaceAll(key, "_", "-")
			fl := fs.VarPF(pf, name, "", help.usage)
			fl.DefValue = "" // --help shows no default for a zero one
			if help.def != "" {
				if err := pf.Set(help.def); err != nil {
					panic("emulate: default of --" + name + ": " + err.Error())
				}
				fl.DefValue = pf.String()
			}
			if sf.Type.Kind() == reflect.Bool {
				fl.NoOptDefVal = "true"
			}
		}
	}
	walk(reflect.TypeOf(emulator.Profile{}), "", nil)
}

// profileField is the pflag.Value of one profile field's flag.
type profileField struct {
	v     reflect.Value // the value, of the field's type
	index []int         // the field in emulator.Profile
}

var durationType = reflect.TypeOf(config.Duration(0))

func (p *profileField) String() string {
	if p.v.Type() == durationType {
		return time.Duration(p.v.Int()).String()
	}
	switch p.v.Kind() {
	case reflect.Float64:
		return strconv.FormatFloat(p.v.Float(), 'g', -1, 64)
	default:
		return fmt.Sprint(p.v.Interface())
	}
}

func (p *profileField) Set(s string) error {
	if p.v.Type() == durationType {
		d, err := time.ParseDuration(s)
		p.v.SetInt(int64(d))
		return err
	}
	switch p.v.Kind() {
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		p.v.SetFloat(f)
		return err
	case reflect.Int:
		n, err := strconv.ParseInt(s, 0, 0)
		p.v.SetInt(n)
		return err
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		p.v.SetBool(b)
		return err
	case reflect.String:
		p.v.SetString(s)
		return nil
	}
	return fmt.Errorf("emulate: a flag for a %s field", p.v.Type())
}

// Type names the value in --help as pflag's own flags do.
func (p *profileField) Type() string {
	if p.v.Type() == durationType {
		return "duration"
	}
	return map[reflect.Kind]string{reflect.Float64: "float64", reflect.Int: "int", reflect.Bool: "bool", reflect.String: "string"}[p.v.Kind()]
}

// questionLookup maps a request to a sample by the question text that
// follows the last "Question:" in its last user message (the default
// prompt's shape), up to the end of that line. It returns nil when that
// message has no "Question:" or the question is not one of samples.
func questionLookup(samples []config.Sample) emulator.Lookup {
	byQ := make(map[string]*config.Sample, len(samples))
	for i := range samples {
		byQ[strings.TrimSpace(samples[i].Question)] = &samples[i]
	}
	return func(msgs []config.Message) *config.Sample {
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
