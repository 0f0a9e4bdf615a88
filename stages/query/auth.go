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

	"github.com/inferbench/inferbench/pipeline"
)

// tokenSource hands out a platform's bearer token. A token from
// api_key_command is cached and refreshed (the command re-run) at most once
// per generation, however many requests see the same 401 at once. It is safe
// for concurrent use. Its errors never contain the token.
type tokenSource struct {
	command string // empty: the token is static
	sec     *secrets
	mu      sync.Mutex
	token   string
	gen     int
}

// newTokenSource resolves a platform's token: api_key_env, then
// api_key_command, then the literal api_key; no token at all is allowed
// (local servers). A missing variable or a failing command is an error.
// Every token it hands out, refreshed ones included, is added to sec
// before it is used.
func newTokenSource(ctx context.Context, p pipeline.Platform, sec *secrets) (*tokenSource, error) {
	switch {
	case p.APIKeyEnv != "":
		v := strings.TrimSpace(os.Getenv(p.APIKeyEnv))
		if v == "" {
			return nil, fmt.Errorf("api_key_env: environment variable %s is unset or empty", p.APIKeyEnv)
		}
		sec.add(v)
		return &tokenSource{token: v, sec: sec}, nil
	case p.APIKeyCommand != "":
		t := &tokenSource{command: p.APIKeyCommand, sec: sec}
		tok, err := runTokenCommand(ctx, p.APIKeyCommand)
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

// runTokenCommand runs cmd through sh -c and returns the first line it
// printed. The error says how the command failed, never what it printed
// (nor the command line, which might embed a token).
func runTokenCommand(ctx context.Context, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	var out bytes.Buffer
	c.Stdout = &out
	c.Stderr = nil
	if err := c.Run(); err != nil {
		// An *exec.ExitError says only how the process ended ("exit
		// status 1"); its captured stderr is not part of its message.
		return "", fmt.Errorf("api_key_command failed: %w", err)
	}
	line, _, _ := bufio.NewReader(&out).ReadLine()
	tok := strings.TrimSpace(string(line))
	if tok == "" {
		return "", errors.New("api_key_command printed no token")
	}
	return tok, nil
}

// get returns the current token and its generation.
func (t *tokenSource) get() (string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token, t.gen
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
	tok, err := runTokenCommand(ctx, t.command)
	if err != nil {
		return "", t.gen, err
	}
	t.sec.add(tok)
	t.token = tok
	t.gen++
	return t.token, t.gen, nil
}
