package query

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// tokenSource hands out a platform's bearer token. A token from
// api_key_command is cached and refreshed (the command re-run) at most once
// per generation, however many requests see the same 401 at once. It is safe
// for concurrent use. Its errors never contain the token.
type tokenSource struct {
	command string // empty: the token is static
	timeout time.Duration
	sec     *secrets
	mu      sync.Mutex
	token   string
	gen     int // the number of refreshes: the command re-run after a 401
}

// newTokenSource resolves a platform's token: api_key_env, then
// api_key_command, then the literal api_key; no token at all is allowed
// (local servers). A missing variable or a failing command is an error.
// Every token it hands out, refreshed ones included, is added to sec
// before it is used.
func newTokenSource(ctx context.Context, p config.Platform, sec *secrets) (*tokenSource, error) {
	switch {
	case p.APIKeyEnv != "":
		v := strings.TrimSpace(os.Getenv(p.APIKeyEnv))
		if v == "" {
			return nil, fmt.Errorf("api_key_env: environment variable %s is unset or empty", p.APIKeyEnv)
		}
		sec.add(v)
		return &tokenSource{token: v, sec: sec}, nil
	case p.APIKeyCommand != "":
		t := &tokenSource{command: p.APIKeyCommand, timeout: p.APIKeyCommandTimeout.D(), sec: sec}
		tok, err := runTokenCommand(ctx, p.APIKeyCommand, t.timeout, sec)
		if err != nil {
			return nil, err
		}
		sec.add(tok)
		t.token = tok
		return t, nil
	default:
		sec.add(p.APIKey.Reveal())
		return &tokenSource{token: p.APIKey.Reveal(), sec: sec}, nil
	}
}

// errCommandTimeout is the cause given when api_key_command_timeout fires.
var errCommandTimeout = errors.New("api_key_command_timeout")

// Limits on what a failing api_key_command's error quotes of its stderr.
const (
	stderrKeep  = 4096 // bytes kept from the end of stderr
	stderrLines = 5    // lines quoted
)

// runTokenCommand runs command through sh -c in its own process group and
// returns the first line it printed. It gives up after timeout (zero:
// config.DefaultAPIKeyCommandTimeout) and when ctx ends, killing the
// whole group (so a helper the command started goes too); the error then
// wraps ctx's error (context.Canceled on Ctrl-C). A failing command's error
// says how it ended and quotes the last lines of its stderr, with the
// first line it printed to stdout and every value in sec (which may be
// nil) redacted; it never quotes stdout nor the command line, which might
// embed a token.
func runTokenCommand(ctx context.Context, command string, timeout time.Duration, sec *secrets) (string, error) {
	if timeout <= 0 {
		timeout = config.DefaultAPIKeyCommandTimeout.D()
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout, errCommandTimeout)
	defer cancel()
	c := exec.CommandContext(cctx, "sh", "-c", command)
	var out bytes.Buffer
	stderr := &tailBuffer{max: stderrKeep}
	c.Stdout, c.Stderr = &out, stderr
	killGroup(c)
	// A child that keeps stdout or stderr open (a helper left running)
	// must not hold Wait forever once the command has exited or been killed.
	c.WaitDelay = time.Second
	err := c.Run()
	line, _, _ := bufio.NewReader(&out).ReadLine()
	tok := strings.TrimSpace(string(line))
	if errors.Is(err, exec.ErrWaitDelay) && tok != "" && cctx.Err() == nil {
		err = nil // it exited fine; only a leftover child kept the pipes open
	}
	quote := func() string {
		lines := stderr.lastLines(stderrLines)
		if lines == "" {
			return " (no stderr)"
		}
		if tok != "" {
			lines = strings.ReplaceAll(lines, tok, config.Redacted)
		}
		return "; stderr: " + sec.redact(lines)
	}
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("api_key_command stopped: %w", ctx.Err())
	case errors.Is(context.Cause(cctx), errCommandTimeout):
		return "", fmt.Errorf("api_key_command printed no token within %v (api_key_command_timeout)%s", timeout, quote())
	case err != nil:
		// An *exec.ExitError says only how the process ended ("exit
		// status 1"); its stderr is quoted separately.
		return "", fmt.Errorf("api_key_command failed: %w%s", err, quote())
	case tok == "":
		return "", fmt.Errorf("api_key_command printed no token%s", quote())
	}
	return tok, nil
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use (exec copies stderr from its own goroutine).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// lastLines returns the last n non-empty lines, joined with " | ".
func (t *tailBuffer) lastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(strings.ToValidUTF8(string(t.b), "?"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// get returns the current token and its generation.
func (t *tokenSource) get() (string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token, t.gen
}

// refreshCount returns how many times the token was refreshed.
func (t *tokenSource) refreshCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// refreshable reports whether a 401 can be cured by re-running a command.
func (t *tokenSource) refreshable() bool { return t.command != "" }

// refresh re-runs the command unless another request already refreshed the
// token since generation seen; it returns the token to retry with.
func (t *tokenSource) refresh(ctx context.Context, seen int) (string, int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != seen {
		return t.token, t.gen, nil
	}
	tok, err := runTokenCommand(ctx, t.command, t.timeout, t.sec)
	if err != nil {
		return "", t.gen, err
	}
	t.sec.add(tok)
	t.token = tok
	t.gen++
	return t.token, t.gen, nil
}
