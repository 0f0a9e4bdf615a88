package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/internal/retry"
)

// HF paging and retry settings.
const (
	// HFPageSize is the rows requested per page; the rows API serves at most 100.
	HFPageSize = 100
	// DefaultHFRetries is how often one page request is retried after a 429,
	// a 5xx or a transport error.
	DefaultHFRetries = 5
	// HFBackoff is the first wait between attempts; it doubles each retry.
	HFBackoff = time.Second
	// HFMaxWait caps any single wait, including a server's Retry-After.
	HFMaxWait = time.Minute
)

// hfBackoff waits HFBackoff, then twice as long each retry, up to HFMaxWait.
var hfBackoff = retry.Backoff{Base: HFBackoff, Max: HFMaxWait}

// HF loads a dataset through the HuggingFace dataset viewer rows API,
// GET {endpoint}/rows?dataset=&config=&split=&offset=&length=. It fetches
// only the pages of HFPageSize rows that hold the selected questions (pages
// are aligned to multiples of HFPageSize so that different slices share
// them). The first page requested is the one holding the slice start; its
// num_rows_total resolves the rest of the slice. A slice with a negative
// start needs the total first, so it also reads the page at offset 0.
//
// Every page is cached as received in LoadEnv.CacheDir/hf, keyed by
// endpoint, dataset, config, split, revision, offset and length, so a
// repeated load makes no request. A 429, a 5xx or a transport error is
// retried up to Retries times with exponential backoff from HFBackoff,
// honouring Retry-After, each wait capped at HFMaxWait. When HFSpec.TokenEnv
// is set, that environment variable must hold a token, which is sent as a
// bearer token and never logged or echoed in errors.
//
// Limitation: the rows API has no revision parameter and always serves the
// dataset's current main revision; HFSpec.Revision is recorded in
// Dataset.Revision and in the cache key, but cannot pin what the server
// returns. Dataset.SHA256 is the sha256 of the canonical JSON (encoding/json
// of []config.Sample) of the selected samples, so a changed upstream is
// visible in the manifest.
//
// Rows map onto samples through DatasetSpec.Fields like JSONL (answers as
// {"text": [...], "answer_start": [...]}); a row without answers is an
// unanswerable (SQuAD v2) question and makes Dataset.Version "v2.0". A
// missing id becomes "row-<row_idx>".
//
// The zero value is ready to use; an HF is safe for concurrent use if Sleep is.
type HF struct {
	// Sleep waits d or until ctx is done (returning ctx.Err()); nil means a
	// real timer. Tests inject one that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retries overrides DefaultHFRetries when > 0; < 0 means no retries.
	Retries int
}

// hfPage is one response of the rows API.
type hfPage struct {
	Rows []struct {
		RowIdx         int            `json:"row_idx"`
		Row            map[string]any `json:"row"`
		TruncatedCells []string       `json:"truncated_cells"`
	} `json:"rows"`
	NumRowsTotal   *int `json:"num_rows_total"`
	NumRowsPerPage int  `json:"num_rows_per_page"`
	Partial        bool `json:"partial"`
}

// Load implements pipeline.Loader.
func (h *HF) Load(ctx context.Context, spec config.DatasetSpec, env pipeline.LoadEnv) (*config.Dataset, error) {
	sl, err := config.ParseSlice(spec.Slice)
	if err != nil {
		return nil, fmt.Errorf("dataset.slice: %w", err)
	}
	f, err := h.fetcher(spec, env)
	if err != nil {
		return nil, err
	}
	hs := f.spec
	first := 0
	if sl.Start != nil && *sl.Start > 0 {
		first = *sl.Start / HFPageSize * HFPageSize
	}
	p, err := f.page(ctx, first)
	if err != nil {
		return nil, err
	}
	total := *p.NumRowsTotal
	if p.Partial {
		logger(env).Warn("hf: the dataset viewer serves only part of this split; num_rows_total counts that part", "dataset", hs.Dataset, "rows", total)
	}
	fields, err := fieldsOf(spec)
	if err != nil {
		return nil, err
	}
	cols := resolveColumns(fields)
	idx := sl.Indices(total)
	samples, err := f.samples(ctx, cols, idx, total)
	if err != nil {
		return nil, err
	}
	canon, err := json.Marshal(samples)
	if err != nil {
		return nil, fmt.Errorf("hf: checksum: %w", err)
	}
	sum := hexSum(canon)
	if err := verifySum("hf "+f.where(), sum, spec.SHA256); err != nil {
		return nil, err
	}
	return &config.Dataset{
		Samples:  samples,
		Source:   SourceHF,
		Location: f.location(),
		SHA256:   sum,
		Revision: hs.Revision,
		Version:  datasetVersion(spec.Version, samples),
		Total:    total,
	}, nil
}

// fetcher checks the hf block of spec (dataset, config and split given,
// the token's variable set) and returns the fetcher of its pages, cached
// in env's cache folder.
func (h *HF) fetcher(spec config.DatasetSpec, env pipeline.LoadEnv) (*hfFetcher, error) {
	hs, err := hfOf(spec)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"dataset", hs.Dataset}, {"config", hs.Config}, {"split", hs.Split}} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("dataset.hf.%s: required for source hf", f.name)
		}
	}
	endpoint := strings.TrimRight(hs.Endpoint, "/")
	if endpoint == "" {
		endpoint = DefaultHFEndpoint
	}
	token := ""
	if hs.TokenEnv != "" {
		if token = os.Getenv(hs.TokenEnv); token == "" {
			return nil, fmt.Errorf("dataset.hf.token_env: environment variable %s is not set", hs.TokenEnv)
		}
	}
	dir, err := cacheDir(env)
	if err != nil {
		return nil, err
	}
	return &hfFetcher{h: h, env: env, endpoint: endpoint, spec: hs, token: token, dir: filepath.Join(dir, "hf"), pages: map[int]*hfPage{}}, nil
}

// samples reads the rows idx of a split of total rows as samples, in
// order, through the columns cols, refusing a row the viewer truncated and
// a question id that comes twice.
func (f *hfFetcher) samples(ctx context.Context, cols columns, idx []int, total int) ([]config.Sample, error) {
	samples := make([]config.Sample, 0, len(idx))
	for _, i := range idx {
		off := i / HFPageSize * HFPageSize
		p, err := f.page(ctx, off)
		if err != nil {
			return nil, err
		}
		k := i - off
		if k >= len(p.Rows) || p.Rows[k].RowIdx != i {
			return nil, fmt.Errorf("hf %s: page at offset %d has %d rows and lacks row %d of %d", f.where(), off, len(p.Rows), i, total)
		}
		r := p.Rows[k]
		if len(r.TruncatedCells) > 0 {
			return nil, fmt.Errorf("hf %s: row %d: the viewer truncated cells %v, so the row cannot be read whole", f.where(), i, r.TruncatedCells)
		}
		s, err := cols.sample(func(c string) (any, bool) { v, ok := r.Row[c]; return v, ok }, i)
		if err != nil {
			return nil, fmt.Errorf("hf %s: row %d: %w", f.where(), i, err)
		}
		samples = append(samples, s)
	}
	seen := make(map[string]int, len(samples))
	for i, s := range samples {
		if j, dup := seen[s.ID]; dup {
			return nil, fmt.Errorf("hf %s: duplicate question id %q (rows %d and %d)", f.where(), s.ID, idx[j], idx[i])
		}
		seen[s.ID] = i
	}
	return samples, nil
}

// hfFetcher fetches and memoizes the pages of one load.
type hfFetcher struct {
	h        *HF
	env      pipeline.LoadEnv
	endpoint string
	spec     HFSpec
	token    string
	dir      string
	pages    map[int]*hfPage
}

func (f *hfFetcher) where() string {
	return f.spec.Dataset + "/" + f.spec.Config + "/" + f.spec.Split
}

// location is the rows URL without paging, for Dataset.Location.
func (f *hfFetcher) location() string {
	q := url.Values{"dataset": {f.spec.Dataset}, "config": {f.spec.Config}, "split": {f.spec.Split}}
	return f.endpoint + "/rows?" + q.Encode()
}

func (f *hfFetcher) page(ctx context.Context, offset int) (*hfPage, error) {
	if p, ok := f.pages[offset]; ok {
		return p, nil
	}
	key := hexSum([]byte(strings.Join([]string{f.endpoint, f.spec.Dataset, f.spec.Config, f.spec.Split,
		f.spec.Revision, strconv.Itoa(offset), strconv.Itoa(HFPageSize)}, "\x00")))
	name := filepath.Join(f.dir, key[:40]+".json")
	if body, err := os.ReadFile(name); err == nil {
		if p, err := decodeHFPage(body); err == nil {
			f.pages[offset] = p
			return p, nil
		}
		// A damaged cache entry: drop it and fetch again. (No retry through
		// the cache, so an entry that cannot be removed cannot loop.)
		os.Remove(name)
	}
	body, err := f.fetch(ctx, offset)
	if err != nil {
		return nil, err
	}
	p, err := decodeHFPage(body)
	if err != nil {
		return nil, fmt.Errorf("hf %s: page at offset %d: %w", f.where(), offset, err)
	}
	if err := writeAtomic(name, body); err != nil {
		return nil, fmt.Errorf("hf: cache page: %w", err)
	}
	f.pages[offset] = p
	return p, nil
}

func decodeHFPage(body []byte) (*hfPage, error) {
	var p hfPage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("want the rows API's JSON {\"rows\": [...], \"num_rows_total\": N}: %w", err)
	}
	if p.NumRowsTotal == nil || p.Rows == nil {
		return nil, fmt.Errorf("want the rows API's JSON {\"rows\": [...], \"num_rows_total\": N}: missing rows or num_rows_total")
	}
	return &p, nil
}

// fetch requests one page, retrying 429, 5xx and transport errors.
func (f *hfFetcher) fetch(ctx context.Context, offset int) ([]byte, error) {
	q := url.Values{
		"dataset": {f.spec.Dataset}, "config": {f.spec.Config}, "split": {f.spec.Split},
		"offset": {strconv.Itoa(offset)}, "length": {strconv.Itoa(HFPageSize)},
	}
	u := f.endpoint + "/rows?" + q.Encode()
	retries := DefaultHFRetries
	if f.h.Retries > 0 {
		retries = f.h.Retries
	} else if f.h.Retries < 0 {
		retries = 0
	}
	var last error
	for attempt := 0; ; attempt++ {
		body, retryAfter, err := f.get(ctx, u)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = err
		if retryAfter < 0 || attempt >= retries {
			break
		}
		wait := min(hfBackoff.Wait(attempt, retryAfter, nil), HFMaxWait)
		logger(f.env).Info("hf: retrying page", "offset", offset, "after", wait, "error", err)
		if err := f.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	gaveUp := ""
	if retries > 0 {
		gaveUp = fmt.Sprintf(" (gave up after %d retries)", retries)
	}
	return nil, fmt.Errorf("hf %s: page at offset %d: %w%s; %s", f.where(), offset, last, gaveUp, f.offlineHint())
}

// offlineHint says how to run when the rows API cannot be reached: from a
// local file, or from the page cache filled by a run that could reach it.
func (f *hfFetcher) offlineHint() string {
	return fmt.Sprintf("to use a local copy instead, save the split as JSON Lines and add --set dataset.source=jsonl --set dataset.path=/path/to/FILE.jsonl "+
		"(dataset.fields maps its columns), or run once where %s is reachable: its pages are cached in %s (%s sets the cache folder)",
		f.endpoint, f.dir, CacheDirEnv)
}

// get makes one request. retryAfter < 0 means the error is final; > 0 is
// the server's Retry-After; 0 means retry with the default backoff.
func (f *hfFetcher) get(ctx context.Context, u string) (body []byte, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, -1, err
	}
	req.Header.Set("Accept", "application/json")
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := httpClient(f.env).Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("http status %s%s", resp.Status, bodySnippet(resp.Body))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, retry.Delay(resp.Header, time.Now()), err
		}
		return nil, -1, err
	}
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("read response: %w", err)
	}
	return body, 0, nil
}

func (f *hfFetcher) sleep(ctx context.Context, d time.Duration) error {
	if f.h.Sleep != nil {
		return f.h.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
