package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/atomicfile"
	"github.com/inferbench/inferbench/pipeline/config"
)

// fetched is the content of one dataset file and where it came from.
type fetched struct {
	data     []byte
	location string // resolved path or URL, for the Dataset and error messages
	sha256   string // hex
	// cacheFile is the cache file the data was read from ("" for a local
	// file or a fresh download).
	cacheFile string
	// cacheName is where keep writes a fresh download ("" for any other
	// source) once the caller's parser accepted it.
	cacheName string
	// contentType is a fresh download's Content-Type header.
	contentType string
}

// keep writes a fresh download into the cache (atomically); call it once
// the data has parsed as the expected format. It does nothing for other
// sources, and nothing is cached for a download that is not kept.
func (f *fetched) keep() error {
	if f.cacheName == "" {
		return nil
	}
	if err := writeAtomic(f.cacheName, f.data); err != nil {
		return err
	}
	f.cacheFile, f.cacheName = f.cacheName, ""
	return nil
}

// parseError explains why data that did not parse came from where it did:
// a cached copy names its cache file and how to clear it, a fresh download
// that came as HTML hints at a login page or captive portal.
func (f *fetched) parseError(err error) error {
	switch {
	case f.cacheFile != "":
		return fmt.Errorf("cached download %s does not parse (delete %s, or set %s to another folder): %w",
			f.cacheFile, f.cacheFile, CacheDirEnv, err)
	case f.cacheName != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(f.contentType)), "text/html"):
		return fmt.Errorf("download %s: the server sent an HTML page (%s; a login page or captive portal?), not the dataset; nothing was cached: %w",
			f.location, f.contentType, err)
	case f.cacheName != "":
		return fmt.Errorf("download %s: nothing was cached: %w", f.location, err)
	}
	return err
}

// readSource reads spec.Path: a local file (relative to env.BaseDir) or an
// http(s) URL downloaded once into the cache. spec.SHA256, when set, must
// match the content. The caller must call keep (once the data parsed) or
// discard on the result.
func readSource(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (fetched, error) {
	if strings.TrimSpace(spec.Path) == "" {
		return fetched{}, fmt.Errorf("dataset.path: required for source %q", spec.Source)
	}
	if isURL(spec.Path) {
		return download(ctx, spec.Path, spec.SHA256, env)
	}
	p := spec.Path
	if !filepath.IsAbs(p) && env.BaseDir != "" {
		p = filepath.Join(env.BaseDir, p)
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fetched{}, fmt.Errorf("dataset file not found: %s: %w", p, fs.ErrNotExist)
	}
	if err != nil {
		return fetched{}, fmt.Errorf("read dataset file: %w", err)
	}
	f := fetched{data: data, location: p, sha256: hexSum(data)}
	if err := verifySum(f.location, f.sha256, spec.SHA256); err != nil {
		return fetched{}, err
	}
	return f, nil
}

// isURL reports whether p is an http or https URL.
func isURL(p string) bool {
	u, err := url.Parse(p)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// download returns the content of rawURL, from the cache when a copy is
// there (and matches want, if set), else over HTTP. A fresh download is
// written to a temp file in the cache folder as it arrives and verified
// against want; it enters the cache (a rename) only when the caller calls
// keep after its parser accepted the data, so the cache never holds a
// partial file, a file that failed its checksum or one that does not parse
// (an HTML page from a captive portal, say). The caller must call keep or
// discard on the result.
func download(ctx context.Context, rawURL, want string, env pipeline.LoadEnv) (fetched, error) {
	dir, err := cacheDir(env)
	if err != nil {
		return fetched{}, err
	}
	dir = filepath.Join(dir, "downloads")
	name := filepath.Join(dir, hexSum([]byte(rawURL))[:32]+urlExt(rawURL))
	if data, err := os.ReadFile(name); err == nil {
		sum := hexSum(data)
		if want == "" || strings.EqualFold(sum, want) {
			logger(env).Debug("dataset from cache", "url", rawURL, "file", name)
			return fetched{data: data, location: rawURL, sha256: sum, cacheFile: name}, nil
		}
		logger(env).Info("cached download does not match dataset.sha256; downloading again", "url", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fetched{}, fmt.Errorf("download %s: %w", rawURL, err)
	}
	logger(env).Info("downloading dataset", "url", rawURL)
	resp, err := httpClient(env).Do(req)
	if err != nil {
		return fetched{}, fmt.Errorf("download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fetched{}, fmt.Errorf("download %s: http status %s%s", rawURL, resp.Status, bodySnippet(resp.Body))
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return fetched{}, fmt.Errorf("download %s: %w", rawURL, err)
	}
	f := fetched{data: buf.Bytes(), location: rawURL, sha256: hexSum(buf.Bytes()),
		cacheName: name, contentType: resp.Header.Get("Content-Type")}
	if err := verifySum(rawURL, f.sha256, want); err != nil {
		return fetched{}, err
	}
	return f, nil
}

// urlExt keeps a recognisable extension on cached downloads.
func urlExt(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	switch e := strings.ToLower(path.Ext(u.Path)); e {
	case ".json", ".jsonl", ".csv":
		return e
	}
	return ""
}

// verifySum fails when want is set and differs from got.
func verifySum(what, got, want string) error {
	if want == "" || strings.EqualFold(got, want) {
		return nil
	}
	return fmt.Errorf("sha256 mismatch for %s: the content has %s but dataset.sha256 is %s", what, got, strings.ToLower(want))
}

// writeAtomic writes data to name with atomicfile.WriteFile, making its
// folder first, so readers never see a partial file. Cache files are 0600,
// as they were when the temporary file was renamed as it was made.
func writeAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(name, data, 0o600)
}

// cacheDir is env.CacheDir, or DefaultCacheDir when the engine left it empty.
func cacheDir(env pipeline.LoadEnv) (string, error) {
	if env.CacheDir != "" {
		return env.CacheDir, nil
	}
	return DefaultCacheDir()
}

func httpClient(env pipeline.LoadEnv) *http.Client {
	if env.HTTP != nil {
		return env.HTTP
	}
	return http.DefaultClient
}

func logger(env pipeline.LoadEnv) *slog.Logger {
	if env.Log != nil {
		return env.Log
	}
	return slog.New(slog.DiscardHandler)
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// bodySnippet returns ": <first line of the body>" for error messages, or "".
func bodySnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 300))
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return ""
	}
	return ": " + s
}

// loadFile is the Load of every file-based source: parse the slice, read
// the path or URL (cached, checksummed), decode it with decode (which
// returns the samples in file order and their SQuAD version), and select
// the slice.
func loadFile(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv, source string,
	decode func(fetched) ([]config.Sample, string, error)) (*config.Dataset, error) {
	sl, err := config.ParseSlice(spec.Slice)
	if err != nil {
		return nil, fmt.Errorf("dataset.slice: %w", err)
	}
	f, err := readSource(ctx, spec, env)
	if err != nil {
		return nil, err
	}
	all, version, err := decode(f)
	if err != nil {
		return nil, f.parseError(err)
	}
	if err := f.keep(); err != nil {
		return nil, fmt.Errorf("cache download of %s: %w", f.location, err)
	}
	ds, err := selectAll(source, sl, all, version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.location, err)
	}
	ds.Location, ds.SHA256 = f.location, f.sha256
	return ds, nil
}

// loadTable is loadFile for the sources whose rows map onto samples through
// DatasetSpec.Fields (jsonl, csv): decode reads the rows of the file named
// name, and the version is datasetVersion's.
func loadTable(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv, source string,
	decode func(ctx context.Context, data []byte, name string, cols columns) ([]config.Sample, error)) (*config.Dataset, error) {
	fields, err := fieldsOf(spec)
	if err != nil {
		return nil, err
	}
	cols := resolveColumns(fields)
	return loadFile(ctx, spec, env, source, func(f fetched) ([]config.Sample, string, error) {
		all, err := decode(ctx, f.data, f.location, cols)
		return all, datasetVersion(spec.Version, all), err
	})
}

// selectAll applies the slice to every sample of a source, checks that ids
// are unique over the whole source and fills the common Dataset fields
// (Source is the loader's own name).
func selectAll(source string, sl config.Slice, all []config.Sample, version string) (*config.Dataset, error) {
	seen := make(map[string]int, len(all))
	for i := range all {
		if j, dup := seen[all[i].ID]; dup {
			return nil, fmt.Errorf("duplicate question id %q (questions %d and %d)", all[i].ID, j, i)
		}
		seen[all[i].ID] = i
	}
	return &config.Dataset{
		Samples: sl.Apply(all),
		Source:  source,
		Version: version,
		Total:   len(all),
	}, nil
}

// datasetVersion is v2.0 when the spec asks for it or any sample is
// unanswerable, else v1.1.
func datasetVersion(specVersion string, samples []config.Sample) string {
	if specVersion == VersionV2 {
		return VersionV2
	}
	for i := range samples {
		if samples[i].IsImpossible {
			return VersionV2
		}
	}
	return VersionV1
}

// SQuAD versions as Dataset.Version reports them.
const (
	VersionV1 = "v1.1"
	VersionV2 = "v2.0"
)
