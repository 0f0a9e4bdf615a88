package stages

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// builtins are the components every registry from NewRegistry holds, by
// kind, in registration order.
var builtins = map[config.ComponentKind][]string{
	config.KindSource:       {"squad", "demo", "hf", "jsonl", "csv", "synthetic"},
	config.KindLevelModel:   {"concurrency", "rate", "sweep"},
	config.KindArrival:      {"constant", "poisson", "gamma"},
	config.KindFormat:       {"json", "csv", "xlsx", "markdown", "html"},
	config.KindEmulator:     {"emulate"},
	config.KindDatasetBlock: {"hf", "fields", "synthetic"},
}

// TestEveryBuiltInComponentRegistersThroughTheRegistry checks that each
// built-in loader, level model, arrival law, export format, the
// emulator's profile block and the loaders' dataset blocks is known to pipeline only through the one
// registration mechanism (Registry.Add*, listed by Components), with
// nothing reachable that did not register.
func TestEveryBuiltInComponentRegistersThroughTheRegistry(t *testing.T) {
	reg := NewRegistry()
	for kind, want := range builtins {
		if got := reg.Components(kind); !slices.Equal(got, want) {
			t.Errorf("%s: registered %v, want %v", kind, got, want)
		}
	}
	// Every lookup table holds exactly the registered names.
	tables := map[config.ComponentKind][]string{
		config.KindSource:     keys(reg.Loaders),
		config.KindLevelModel: keys(reg.LevelModels),
		config.KindArrival:    keys(reg.Arrivals),
		config.KindFormat:     keys(reg.Exporters),
	}
	blocks := append(reg.Components(config.KindEmulator), reg.Components(config.KindDatasetBlock)...)
	if got, want := keys(reg.Blocks), slices.Sorted(slices.Values(blocks)); !slices.Equal(got, want) {
		t.Errorf("blocks: table holds %v, registered %v", got, want)
	}
	for kind, names := range tables {
		want := slices.Sorted(slices.Values(reg.Components(kind)))
		if !slices.Equal(names, want) {
			t.Errorf("%s: table holds %v, registered %v", kind, names, want)
		}
	}
	if got, want := reg.DefaultFormats(), builtins[config.KindFormat]; !slices.Equal(got, want) {
		t.Errorf("default formats %v, want the registration order %v", got, want)
	}
	if got := reg.DefaultArrival(); got != "poisson" {
		t.Errorf("default arrival law %q, want poisson", got)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestPipelineNamesNoComponent keeps the components' names out of
// pipeline (and the packages under it): no string literal in its non-test
// sources is the name of a registered component, so that adding or
// renaming one touches only the package that registers it. A name that
// is also a key of the experiment file pipeline owns (the shorthand
// `concurrency: [1, 4]` reads the key concurrency) is allowed as a key.
func TestPipelineNamesNoComponent(t *testing.T) {
	reg := NewRegistry()
	owner := map[string]config.ComponentKind{}
	for kind := range builtins {
		for _, name := range reg.Components(kind) {
			owner[name] = kind
		}
	}
	fileKeys := map[string]bool{}
	yamlKeys(reflect.TypeOf(config.Experiment{}), fileKeys, map[reflect.Type]bool{})
	err := filepath.WalkDir(filepath.Join("..", "pipeline"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
			return err
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		tagKeys := map[ast.Node]bool{} // f.Tag.Get("json"): a tag key, not a format
		ast.Inspect(file, func(n ast.Node) bool {
			if f, ok := n.(*ast.Field); ok && f.Tag != nil {
				f.Tag = nil // struct tags are YAML and JSON keys, not names
			}
			if c, ok := n.(*ast.CallExpr); ok && len(c.Args) == 1 {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Get" {
					tagKeys[c.Args[0]] = true
				}
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || tagKeys[lit] {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if kind, named := owner[s]; err == nil && named && !fileKeys[s] {
				t.Errorf("%s: names the %s %q; pipeline must learn it from the registry", fset.Position(lit.Pos()), kind, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// yamlKeys collects every yaml key of t and the structs below it.
func yamlKeys(t reflect.Type, into map[string]bool, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if key, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); key != "" && key != "-" {
			into[key] = true
		}
		yamlKeys(f.Type, into, seen)
	}
}

// TestComponentBlocksAreLintedFromTheirRegisteredType checks that the keys
// of the blocks components own are checked where they are written, with a
// did-you-mean, from the registered type alone, and that overrides reach
// them.
func TestComponentBlocksAreLintedFromTheirRegisteredType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.yaml")
	src := "name: x\ndataset:\n  source: hf\n  hf: {dataset: a/b, config: c, splt: v}\n" +
		"platforms:\n  - name: p\n    models: [m]\n    emulate: {ttft: 1s, tokens_per_secnd: 5}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := config.LoadExperiment(path, config.LoadOptions{Registry: NewRegistry()})
	got := diags.Error()
	for _, want := range []string{
		`x.yaml:4:33: dataset.hf.splt: unknown key (did you mean "split"?)`,
		`x.yaml:8:25: platforms[0].emulate.tokens_per_secnd: unknown key (did you mean "tokens_per_second"?)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics:\n%s\nwant a line %q", got, want)
		}
	}
	fixed := strings.NewReplacer("splt", "split", "tokens_per_secnd", "tokens_per_second").Replace(src)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	e, diags := config.LoadExperiment(path, config.LoadOptions{Registry: NewRegistry(), Sets: []string{"platforms.0.emulate.ttft=2s"}})
	if len(diags) > 0 {
		t.Fatalf("with the keys fixed: %v", diags)
	}
	var prof struct {
		TTFT     config.Duration `json:"ttft"`
		Accuracy float64         `json:"accuracy"`
	}
	if err := e.Platforms[0].Emulate.Decode(&prof); err != nil || prof.TTFT.D() != 2e9 || prof.Accuracy != 1 {
		t.Errorf("emulate = %+v (%v), want ttft 2s from --set and the registered default accuracy 1", prof, err)
	}
}

// TestQuerierRulesApplyWithTheFullRegistry checks that the querier's rules
// on base_url and params.extra, which pipeline does not know, reach
// validation through the registry NewRegistry builds, located in the file.
func TestQuerierRulesApplyWithTheFullRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.yaml")
	src := "name: x\ndataset: {source: demo}\nplatforms:\n  - name: p\n    models: [m]\n" +
		"    base_url: http://h/v1/completions\nparams:\n  extra: {n: 2, reasoning_effort: low}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := config.LoadExperiment(path, config.LoadOptions{Registry: NewRegistry()})
	want := path + ":6:5: platforms[0].base_url: should end before /completions: inferbench appends /chat/completions; use http://h/v1\n" +
		path + ":8:11: params.extra.n: inferbench scores one choice per request; set repeats instead"
	if got := diags.Error(); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}
