package load

import (
	"context"
	"net"
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

// unreachableURL is an http URL on a local port that nothing listens on
// any more: connecting is refused at once, with no network needed.
func unreachableURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// A download that fails (offline, a proxy, a server error) says how to run
// with a local copy instead, as the README's ALCF section does: the
// --set dataset.path override, or the cache file the download would have
// been read from.
func TestAFailedDownloadSaysHowToUseALocalCopy(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	for _, tc := range []struct{ name, base string }{
		{"a server error", failing.URL},
		{"an unreachable address", unreachableURL(t)},
	} {
		t.Run(tc.name+" names the override and the cache file", func(t *testing.T) {
			env := testEnv(t)
			spec := config.DatasetSpec{Source: "squad", Path: tc.base + "/data/dev-v1.1.json"}
			_, err := Squad{}.Load(context.Background(), spec, env)
			if err == nil {
				t.Fatal("the download succeeded")
			}
			cached := filepath.Join(env.CacheDir, "downloads", hexSum([]byte(spec.Path))[:32]+".json")
			for _, want := range []string{"download " + spec.Path, "--set dataset.path=/path/to/dev-v1.1.json", "copy the file to " + cached, CacheDirEnv} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
	t.Run("a cache file put where the hint says is used without the network", func(t *testing.T) {
		env := testEnv(t)
		spec := config.DatasetSpec{Source: "squad", Path: unreachableURL(t) + "/dev-v1.1.json"}
		_, err := Squad{}.Load(context.Background(), spec, env)
		if err == nil {
			t.Fatal("the download succeeded")
		}
		_, after, _ := strings.Cut(err.Error(), "copy the file to ")
		cached, _, _ := strings.Cut(after, " ")
		data, rerr := os.ReadFile(filepath.Join("testdata", "mini-v1.json"))
		if rerr != nil {
			t.Fatal(rerr)
		}
		os.MkdirAll(filepath.Dir(cached), 0o755)
		if err := os.WriteFile(cached, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := (Squad{}).Load(context.Background(), spec, env); err != nil {
			t.Fatalf("with the file at %s: %v", cached, err)
		}
	})
	t.Run("the hf source names a local file source and its page cache", func(t *testing.T) {
		env := testEnv(t)
		_, err := (&HF{Retries: -1}).Load(context.Background(), hfSpec(failing.URL, ""), env)
		if err == nil {
			t.Fatal("the download succeeded")
		}
		for _, want := range []string{"503", "--set dataset.source=jsonl --set dataset.path=", filepath.Join(env.CacheDir, "hf"), CacheDirEnv} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\ndoes not contain %q", err, want)
			}
		}
	})
	t.Run("Ctrl-C during a download gives no advice", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Squad{}.Load(ctx, config.DatasetSpec{Source: "squad", Path: failing.URL + "/dev-v1.1.json"}, testEnv(t))
		if err == nil || strings.Contains(err.Error(), "dataset.path") {
			t.Errorf("error %v", err)
		}
	})
}
