package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/query/emulator"
)

// profileYAMLPaths lists the YAML paths of every leaf field of the
// emulator profile ("ttft", "faults.rate_429", ...).
func profileYAMLPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, profileYAMLPaths(f.Type, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

func TestEmulateHasAFlagForEveryProfileField(t *testing.T) {
	c := newEmulateCmd(io.Discard, io.Discard)
	paths := profileYAMLPaths(reflect.TypeOf(emulator.Profile{}), "")
	if len(paths) < 18 {
		t.Fatalf("found only %d profile fields: %v", len(paths), paths)
	}
	for _, p := range paths {
		_, leaf, _ := strings.Cut(p, "faults.")
		if leaf == "" {
			leaf = p
		}
		name := strings.ReplaceAll(leaf, "_", "-")
		f := c.Flags().Lookup(name)
		if f == nil {
			t.Errorf("profile field %s has no --%s flag", p, name)
			continue
		}
		if f.Usage == "" {
			t.Errorf("--%s has no help", name)
		}
	}
}

func TestEmulateFlagsOverrideThePresetFieldByField(t *testing.T) {
	c := newEmulateCmd(io.Discard, io.Discard)
	if err := c.Flags().Parse([]string{"--profile", "metis-like", "--max-batch", "4", "--batch-slowdown", "0.5", "--rate-429", "0.1", "--stall-for", "2s", "--ttft", "7ms"}); err != nil {
		t.Fatal(err)
	}
	got, err := emulateProfile(c)
	if err != nil {
		t.Fatal(err)
	}
	want := emulator.Profiles()["metis-like"]
	want.MaxBatch, want.BatchSlowdown, want.Faults.Rate429 = 4, 0.5, 0.1
	want.Faults.StallFor, want.TTFT = config.Duration(2*time.Second), config.Duration(7*time.Millisecond)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("profile\n%+v\nwant\n%+v", got, want)
	}
}

func TestEmulateFlagsWithoutAPresetKeepTheirDefaults(t *testing.T) {
	c := newEmulateCmd(io.Discard, io.Discard)
	if err := c.Flags().Parse([]string{"--max-batch", "2"}); err != nil {
		t.Fatal(err)
	}
	got, err := emulateProfile(c)
	if err != nil {
		t.Fatal(err)
	}
	want := emulator.Profile{Accuracy: 1, Style: "plain", Usage: "vllm", MaxBatch: 2,
		Faults: emulator.Faults{RetryAfter: config.Duration(time.Second), StallFor: config.Duration(30 * time.Second)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("profile\n%+v\nwant\n%+v", got, want)
	}
}
