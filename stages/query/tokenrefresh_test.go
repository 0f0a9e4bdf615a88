package query

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// rotatingAuth lets through requests bearing "tok<gen>" and moves on to
// the next generation after every `uses` requests it let through, so that
// the token a client holds expires mid-run, as ALCF's tokens do.
func rotatingAuth(uses int) fakeOpt {
	var mu sync.Mutex
	gen, served := 1, 0
	return wrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ok := r.Header.Get("Authorization") == "Bearer tok"+strconv.Itoa(gen)
			if ok {
				if served++; served == uses {
					gen, served = gen+1, 0
				}
			}
			mu.Unlock()
			if !ok {
				jsonError(w, http.StatusUnauthorized, `{"error":{"message":"Invalid or expired token","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
}

func TestRefreshedTokensAreCountedInANote(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "n")
	f := newFake(t, nil, rotatingAuth(2))
	job := newJob(f.URL+"/v1", "a", "b", "c", "d", "e", "f", "g")
	job.Platform.Concurrency = 1
	job.Platform.APIKeyCommand = `n=$(cat ` + counter + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + counter + `; echo tok$n`
	recs, rep, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	assertGood(t, recs, "a", "b", "c", "d", "e", "f", "g")
	// a b with tok1; c is refused, refreshes to tok2 and goes again; d; e
	// refreshes to tok3; f; g refreshes to tok4.
	want := "the token was refreshed 3 times; 3 requests were retried"
	if len(rep.Notes) != 1 || rep.Notes[0] != want {
		t.Errorf("notes %q, want [%q]", rep.Notes, want)
	}
}

func TestTokenNoteCountsInTheSingular(t *testing.T) {
	if got := tokenNote(1, 1); got != "the token was refreshed 1 time; 1 request was retried" {
		t.Errorf("got %q", got)
	}
	if got := tokenNote(1, 4); got != "the token was refreshed 1 time; 4 requests were retried" {
		t.Errorf("got %q", got)
	}
}
