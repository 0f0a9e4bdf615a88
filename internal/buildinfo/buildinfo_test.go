package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	cases := []struct {
		name    string
		bi      *debug.BuildInfo
		ok      bool
		ldflags string
		want    string
		info    Info
	}{
		{"a go build in a dirty checkout", &debug.BuildInfo{
			Main:     debug.Module{Path: "github.com/inferbench/inferbench", Version: "v0.0.0-20261205082702-25e02ebf553d+dirty"},
			Settings: settings("vcs", "git", "vcs.revision", "25e02ebf553d4cf63e3e7f62bea667a6d150dab6", "vcs.time", "2026-12-05T08:27:02Z", "vcs.modified", "true"),
		}, true, "dev",
			"v0.0.0-20261205082702-25e02ebf553d+dirty (revision 25e02ebf553d, modified, committed 2026-12-05T08:27:02Z)",
			Info{Version: "v0.0.0-20261205082702-25e02ebf553d+dirty", Revision: "25e02ebf553d4cf63e3e7f62bea667a6d150dab6", Time: "2026-12-05T08:27:02Z", Modified: true}},
		{"a clean tagged build with a version set by -ldflags", &debug.BuildInfo{
			Main:     debug.Module{Version: "v1.2.0"},
			Settings: settings("vcs.revision", "abcdef", "vcs.modified", "false"),
		}, true, "1.2.0-rc1",
			"1.2.0-rc1 (revision abcdef)",
			Info{Version: "v1.2.0", Revision: "abcdef"}},
		{"go run or go test: no VCS information", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "dev",
			"dev (revision unknown)", Info{}},
		{"no build information at all", nil, false, "",
			"dev (revision unknown)", Info{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := From(tc.bi, tc.ok)
			if in != tc.info {
				t.Errorf("info %+v, want %+v", in, tc.info)
			}
			if got := in.Text(tc.ldflags); got != tc.want {
				t.Errorf("text %q, want %q", got, tc.want)
			}
			if in.Known() != (tc.info != Info{}) {
				t.Errorf("Known() = %v", in.Known())
			}
		})
	}
}

func TestDetailsOfNoInfoIsUnknown(t *testing.T) {
	var in *Info
	if got := in.Details(); got != "revision unknown" {
		t.Errorf("got %q", got)
	}
}

func TestReadUnderGoTestDoesNotFail(t *testing.T) {
	// go test binaries have no VCS settings; Read must still answer.
	if got := Read().Text("dev"); got == "" {
		t.Error("empty version text")
	}
}
