package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// decodeExperiment decodes the linted tree through a fresh viper: the
// tree (without params.extra, whose keys viper would lower-case) as the
// config layer, and the environment values not shadowed by a --set
// (viperEnv, setPaths) as overrides, which it records in present. It
// returns nil when the tree cannot be read at all.
func decodeExperiment(path string, root *yaml.Node, viperEnv []envOverride, setPaths []yamlPath, present map[string]bool) (*Experiment, Diagnostics) {
	cfg, err := yaml.Marshal(withoutExtra(root))
	if err != nil {
		return nil, Diagnostics{{File: path, Message: fmt.Sprintf("re-encode experiment: %v", err)}}
	}
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetEnvPrefix(strings.TrimSuffix(EnvPrefix, "_"))
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	if err := v.ReadConfig(bytes.NewReader(cfg)); err != nil {
		return nil, Diagnostics{{File: path, Message: fmt.Sprintf("read experiment: %v", err)}}
	}
envLoop:
	for _, ev := range viperEnv {
		for _, sp := range setPaths {
			if ev.path.hasPrefix(sp) {
				continue envLoop
			}
		}
		v.Set(ev.viperKey, ev.value)
		present[ev.path.String()] = true
	}
	var e Experiment
	var diags Diagnostics
	if err := v.UnmarshalExact(&e, decoderConfig); err != nil {
		diags = append(diags, Diagnostic{File: path, Message: fmt.Sprintf("decode experiment: %v", err)})
	}
	if _, extra := mapEntry(resolveNode(mapValue(root, "params")), "extra"); extra != nil && !isNull(extra) {
		var m map[string]any
		if err := extra.Decode(&m); err == nil {
			e.Params.Extra = m
		}
	}
	return &e, diags
}

// withoutExtra returns root with params.extra left out, copying only the
// two mappings it changes.
func withoutExtra(root *yaml.Node) *yaml.Node {
	pk, pv := mapEntry(root, "params")
	pv = resolveNode(pv)
	if pk == nil || pv == nil || pv.Kind != yaml.MappingNode {
		return root
	}
	params := *pv
	params.Content = nil
	for i := 0; i+1 < len(pv.Content); i += 2 {
		if pv.Content[i].Value != "extra" {
			params.Content = append(params.Content, pv.Content[i], pv.Content[i+1])
		}
	}
	out := *root
	out.Content = make([]*yaml.Node, len(root.Content))
	copy(out.Content, root.Content)
	for i := 0; i+1 < len(out.Content); i += 2 {
		if out.Content[i] == pk {
			out.Content[i+1] = &params
		}
	}
	return &out
}

// decoderConfig makes viper's decoding strict: yaml tag names, no weak
// typing, every key used, and hooks for the experiment's special shapes
// and for environment strings.
func decoderConfig(c *mapstructure.DecoderConfig) {
	c.TagName = "yaml"
	c.WeaklyTypedInput = false
	c.DecodeHook = mapstructure.ComposeDecodeHookFunc(durationHook, warmupHook, temperatureHook, extractHook, envStringHook)
}

var (
	float64sType = reflect.TypeOf([]float64(nil))
	stringsType  = reflect.TypeOf([]string(nil))
)

// durationHook decodes a duration string (or the number 0) into Duration.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch x := data.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration: %w", x, err)
		}
		return Duration(d), nil
	case int, int64, uint64, float64:
		if reflect.ValueOf(x).IsZero() {
			return Duration(0), nil
		}
		return nil, fmt.Errorf("duration %v needs a unit, like \"%vs\"", x, x)
	}
	return data, nil
}

// temperatureHook decodes a number, a list of numbers or a "0,0.7" string
// into []float64.
func temperatureHook(from, to reflect.Type, data any) (any, error) {
	if to != float64sType {
		return data, nil
	}
	switch x := data.(type) {
	case string:
		out := []float64{}
		for _, f := range splitEnvList(x) {
			n, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", f)
			}
			out = append(out, n)
		}
		return out, nil
	case []any:
		out := make([]float64, 0, len(x))
		for _, e := range x {
			n, ok := numberToFloat(e)
			if !ok {
				return nil, fmt.Errorf("%v is not a number", e)
			}
			out = append(out, n)
		}
		return out, nil
	}
	if n, ok := numberToFloat(data); ok {
		return []float64{n}, nil
	}
	return data, nil
}

func numberToFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// extractHook decodes a list of step names into ExtractSpec.Steps; a map
// decodes field by field.
func extractHook(from, to reflect.Type, data any) (any, error) {
	if to != extractType {
		return data, nil
	}
	switch x := data.(type) {
	case []any:
		steps := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("extract step %v is not a name", e)
			}
			steps = append(steps, s)
		}
		return map[string]any{"steps": steps}, nil
	case string:
		return map[string]any{"steps": splitEnvList(x)}, nil
	}
	return data, nil
}

// envStringHook decodes environment strings strictly by the target kind:
// strconv for numbers and booleans, comma lists for []string. YAML values
// never reach it with a string for a non-string field (the lint rejects
// them first).
func envStringHook(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || from.Kind() != reflect.String {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, to.Bits())
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return reflect.ValueOf(n).Convert(to).Interface(), nil
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), to.Bits())
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return reflect.ValueOf(n).Convert(to).Interface(), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return b, nil
	case reflect.Slice:
		if to == stringsType {
			return splitEnvList(s), nil
		}
	}
	return data, nil
}

// splitEnvList reads "a,b", "[a, b]" or "" as a list of trimmed items.
func splitEnvList(s string) []string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"'`)
	}
	return parts
}
