package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
)

// portalServer answers every request with 200 and an HTML login page, the
// way a captive portal does.
func portalServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!DOCTYPE html>\n<html><body>Please log in to the guest Wi-Fi</body></html>\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// cacheFiles lists every file under the cache's downloads folder, temp files included.
func cacheFiles(t *testing.T, env pipeline.LoadEnv) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(filepath.Join(env.CacheDir, "downloads"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestDownloadCacheKeepsOnlyFilesThatParse(t *testing.T) {
	t.Run("an HTML page served with 200 for a squad URL fails and leaves nothing in the cache", func(t *testing.T) {
		srv, n := portalServer(t)
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: srv.URL + "/dev-v1.1.json"}
		_, err := Squad{}.Load(context.Background(), spec, env)
		if err == nil {
			t.Fatal("loading an HTML page as SQuAD succeeded")
		}
		for _, want := range []string{spec.Path, "text/html"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to mention %q", err, want)
			}
		}
		if files := cacheFiles(t, env); len(files) != 0 {
			t.Errorf("cache holds %v after a download that does not parse", files)
		}
		if _, err := (Squad{}).Load(context.Background(), spec, env); err == nil {
			t.Fatal("second load succeeded")
		}
		if got := n.Load(); got != 2 {
			t.Errorf("requests = %d, want 2 (a download that does not parse must not be cached)", got)
		}
	})
	t.Run("an HTML page served with 200 for a jsonl URL leaves nothing in the cache", func(t *testing.T) {
		srv, _ := portalServer(t)
		env := testEnv(t)
		_, err := JSONL{}.Load(context.Background(), config.DatasetSpec{Source: "jsonl", Path: srv.URL + "/q.jsonl"}, env)
		if err == nil {
			t.Fatal("loading an HTML page as JSONL succeeded")
		}
		if files := cacheFiles(t, env); len(files) != 0 {
			t.Errorf("cache holds %v after a download that does not parse", files)
		}
	})
	t.Run("a corrupted cached file is an error that names the file and how to clear it", func(t *testing.T) {
		srv, n := squadServer(t)
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: srv.URL + "/dev.json"}
		if _, err := (Squad{}).Load(context.Background(), spec, env); err != nil {
			t.Fatal(err)
		}
		files := cacheFiles(t, env)
		if len(files) != 1 {
			t.Fatalf("cache files = %v, want one", files)
		}
		if err := os.WriteFile(files[0], []byte("<html>truncated"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Squad{}.Load(context.Background(), spec, env)
		if err == nil {
			t.Fatal("loading a corrupted cached file succeeded")
		}
		for _, want := range []string{"delete " + files[0], CacheDirEnv, spec.Path} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to contain %q", err, want)
			}
		}
		if got := n.Load(); got != 1 {
			t.Errorf("requests = %d, want 1 (the cached copy was read, not downloaded again)", got)
		}
	})
}
