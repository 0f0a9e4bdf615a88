package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startEmulate runs `inferbench emulate args...` in this process on a free
// port until the test ends and returns its base URL and its stdout.
func startEmulate(t *testing.T, args ...string) (base string, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, append([]string{"emulate", "--listen", "127.0.0.1:0"}, args...), out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("emulate exited %d: %s", code, errb.String())
		}
	})
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/v1`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		// The profile line follows the URL: wait for the whole start-up.
		if base = urlRE.FindString(out.String()); base != "" && strings.Contains(out.String(), "models: ") {
			return base, out
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("emulate exited %d: %s", code, errb.String())
		default:
		}
	}
	t.Fatalf("no start-up lines printed; stdout %q stderr %q", out.String(), errb.String())
	return "", nil
}

func TestEmulatePrintsTheProfileItServes(t *testing.T) {
	_, out := startEmulate(t, "--profile", "metis-like", "--rate-429", "0.25", "--tokens-per-chunk", "3", "--models", "gpt-oss-120b,other")
	for _, want := range []string{
		"profile metis-like: ttft 250ms, tokens_per_second 420, jitter 0.1, reasoning_tokens 40, accuracy 0.86, style chatty, usage sambanova,",
		", tokens_per_chunk 3,",
		"; faults: rate_429 0.25\n",
		"models: gpt-oss-120b, other (any other is a 404)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up lacks %q:\n%s", want, out.String())
		}
	}
	_, out = startEmulate(t)
	if want := "profile (from flags): ttft 0s, tokens_per_second 0, jitter 0, reasoning_tokens 0, accuracy 1, style plain, usage vllm,"; !strings.Contains(out.String(), want) {
		t.Errorf("start-up lacks %q:\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "faults: none") || !strings.Contains(out.String(), "models: any name") {
		t.Errorf("start-up:\n%s", out.String())
	}
}

// openaiClientDir holds the Node script that drives the emulator with the
// official openai npm package, and its package.json pinning the version.
var openaiClientDir = filepath.Join("..", "..", "stages", "query", "emulator", "testdata", "openai-node")

// TestOfficialOpenAIClientAgainstEmulate runs the official openai npm
// client against `inferbench emulate`: streaming with usage, a completion,
// models.list, a 400 and a 429 with Retry-After (see the script). It
// skips when node or the installed package is missing, unless
// INFERBENCH_REQUIRE_OPENAI_NODE=1 (CI, whose .ci/run installs them).
func TestOfficialOpenAIClientAgainstEmulate(t *testing.T) {
	require := os.Getenv("INFERBENCH_REQUIRE_OPENAI_NODE") == "1"
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(openaiClientDir, "node_modules", "openai", "package.json")); err != nil || serr != nil {
		if require {
			t.Fatalf("INFERBENCH_REQUIRE_OPENAI_NODE=1 but node (%v) or the openai package (%v) is missing: run npm ci in %s", err, serr, openaiClientDir)
		}
		t.Skipf("node or the openai npm package is not installed (npm ci in %s)", openaiClientDir)
	}
	base, _ := startEmulate(t, "--profile", "sophia-like", "--ttft", "5ms", "--tokens-per-second", "0", "--models", "gpt-oss-120b", "--api-key", "sk-test")
	limited, _ := startEmulate(t, "--rate-429", "1", "--retry-after", "2s", "--api-key", "sk-test")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", base, limited)
	cmd.Dir = openaiClientDir
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=sk-test")
	out, err := cmd.CombinedOutput()
	t.Logf("node client.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the openai client failed: %v", err)
	}
	if !strings.Contains(string(out), "all checks passed") {
		t.Fatal("the script did not report success")
	}
}
