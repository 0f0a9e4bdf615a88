// Package buildinfo says which build of inferbench is running: the main
// module's version and the VCS revision, commit time and dirty flag that
// the Go toolchain records in a binary (runtime/debug.ReadBuildInfo). A
// binary built by `go build` or `go install` in a git checkout carries
// them; `go run`, `go test` and builds with -buildvcs=false do not, and
// then the fields are empty and the text says "unknown".
//
// Imports: the standard library only; pipeline (the manifest), the
// exporters and cmd/inferbench import it.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Info is what the toolchain recorded of a build. Empty fields are unknown.
type Info struct {
	// Version is the main module's version: a tag, or a pseudo-version
	// such as v0.0.0-20261205082702-25e02ebf553d (Go adds +dirty when
	// the tree was modified); empty for "(devel)".
	Version string `json:"version,omitempty"`
	// Revision is the commit (vcs.revision), Time its commit time
	// (vcs.time, RFC 3339), Modified whether the tree had uncommitted
	// changes (vcs.modified).
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

// Read returns the running binary's Info.
func Read() Info { return From(debug.ReadBuildInfo()) }

// From extracts Info from build information (ok false: none, as
// debug.ReadBuildInfo reports for a binary built without module support).
func From(bi *debug.BuildInfo, ok bool) Info {
	var in Info
	if !ok || bi == nil {
		return in
	}
	if v := bi.Main.Version; v != "(devel)" {
		in.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// Known reports whether anything about the build is known.
func (in Info) Known() bool { return in.Version != "" || in.Revision != "" }

// Details is the revision part of a version text: "revision
// 25e02ebf553d, modified, committed 2026-12-05T08:27:02Z" (the revision
// cut to 12 digits), or "revision unknown" (also for a nil Info, as a
// manifest without build information has).
func (in *Info) Details() string {
	if in == nil || in.Revision == "" {
		return "revision unknown"
	}
	parts := []string{"revision " + short(in.Revision)}
	if in.Modified {
		parts = append(parts, "modified")
	}
	if in.Time != "" {
		parts = append(parts, "committed "+in.Time)
	}
	return strings.Join(parts, ", ")
}

// Text is the whole version text: version (the one set at build time with
// -ldflags "-X main.version=...", when not "" or "dev"; else the module's;
// else "dev"), then the details in parentheses: "v1.2.0 (revision
// 25e02ebf553d, committed 2026-12-05T08:27:02Z)" or "dev (revision
// unknown)".
func (in Info) Text(version string) string {
	if version == "" || version == "dev" {
		version = in.Version
	}
	if version == "" {
		version = "dev"
	}
	return version + " (" + in.Details() + ")"
}

// short cuts a revision to 12 characters, as Go's pseudo-versions do.
func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
