// Command inferbench benchmarks OpenAI-compatible LLM inference platforms
// from a declarative YAML experiment file. See README.md.
//
// It owns the command line (cobra commands, flags, exit codes, the emulate
// and merge commands) and nothing a stage needs. Imports: pipeline, stages
// (the registry) and the stage packages whose helpers a command calls
// directly (aggregate, export, load, score, query/emulator); no package
// imports it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/inferbench/inferbench/internal/buildinfo"
)

// Exit codes.
const (
	exitOK           = 0
	exitError        = 1 // bad input, failed run
	exitUsage        = 2 // wrong command line
	exitChecksFailed = 3 // the run finished but a `checks:` assertion failed
	// exitTotalFailure: some platform had no successful request (every
	// non-warmup request failed, or none was sent); the results were still
	// aggregated and exported.
	exitTotalFailure = 4
	// exitClientResource: the client itself was too small for the load:
	// requests failed on this machine's resources (client_resource, left
	// out of every platform figure), or the preflight found the
	// file-descriptor limit below what the plan can open.
	exitClientResource = 5
	// exitInterrupted: Ctrl-C or SIGTERM stopped the run; what finished was
	// still aggregated and exported (128 + SIGINT, the shell convention).
	exitInterrupted = 130
	// When several apply, the first of exitInterrupted, exitClientResource,
	// exitTotalFailure and exitChecksFailed wins: a run that was cut short,
	// whose client failed, or that could not reach a platform says so
	// before what its checks concluded.
)

// version is set at build time with -ldflags "-X main.version=...". When
// it is not, --version and the manifest take the module version and the
// VCS revision that the Go toolchain recorded (see buildinfo).
var version = "dev"

// readBuild reads the binary's build information; tests replace it.
var readBuild = buildinfo.Read

// DefaultGCPercent is the garbage collector's target (GOGC) when the
// environment sets none: a run of a million requests keeps about 140
// bytes per request live in its aggregate, and Go's default of 100 lets
// the heap grow to twice what is live before collecting; 50 bounds it at
// 1.5 times, for some more collector CPU. GOGC (or GOMEMLIMIT) in the
// environment wins.
const DefaultGCPercent = 50

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// codeError carries an exit code through cobra to execute.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

// execute runs the command line args and returns the process exit code.
// Everything main does goes through here so that tests reach it.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != errSilent {
			fmt.Fprintln(stderr, "inferbench:", ce.err)
		}
		if ce.code == exitUsage {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "inferbench:", err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return exitUsage
}

// errSilent marks an exit whose explanation was already printed.
var errSilent = errors.New("silent")
