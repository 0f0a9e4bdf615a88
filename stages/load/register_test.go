package load

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
)

func TestRegister(t *testing.T) {
	reg := pipeline.NewRegistry()
	Register(reg)
	want := []string{"csv", "demo", "hf", "jsonl", "squad", "synthetic"}
	if got := reg.LoaderNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("loaders = %v, want %v", got, want)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Run("the environment variable overrides the user cache folder", func(t *testing.T) {
		t.Setenv(CacheDirEnv, "/tmp/somewhere")
		if d, err := DefaultCacheDir(); err != nil || d != "/tmp/somewhere" {
			t.Errorf("DefaultCacheDir() = %q, %v", d, err)
		}
	})
	t.Run("without it the folder is inferbench under the user cache folder", func(t *testing.T) {
		t.Setenv(CacheDirEnv, "")
		t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
		base, err := os.UserCacheDir()
		if err != nil {
			t.Skip("no user cache folder here:", err)
		}
		if d, err := DefaultCacheDir(); err != nil || d != filepath.Join(base, "inferbench") {
			t.Errorf("DefaultCacheDir() = %q, %v; want %q", d, err, filepath.Join(base, "inferbench"))
		}
	})
}
