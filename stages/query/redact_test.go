package query

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/pipeline/config"
)

// echoSecrets answers every request by echoing its Authorization header and
// its X-Tenant header somewhere a record keeps, chosen by the sample id.
func echoSecrets(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	sample := id[strings.LastIndex(id, "/")+1:]
	echo := "auth=" + r.Header.Get("Authorization") + " hdr=" + r.Header.Get("X-Tenant")
	quoted, _ := json.Marshal(echo) // escapes < > & as \u003c...
	switch sample {
	case "bad-401":
		http.Error(w, `{"error":{"message":"invalid token","echo":`+string(quoted)+`}}`, http.StatusUnauthorized)
	case "bad-500":
		http.Error(w, `{"error":{"message":"boom","echo":`+string(quoted)+`}}`, http.StatusInternalServerError)
	case "bad-500-at-the-cut":
		// The echo straddles the 200-byte cut of error_detail.
		http.Error(w, strings.Repeat("x", maxDetail-20)+echo, http.StatusInternalServerError)
	case "bad-content":
		s := startSSE(w)
		s.data(delta(map[string]any{"content": "you sent "}, nil))
		s.data(delta(map[string]any{"content": echo[:12]}, nil)) // split across deltas
		s.data(delta(map[string]any{"content": echo[12:]}, "stop"))
		s.done()
	case "bad-reasoning":
		s := startSSE(w)
		s.data(delta(map[string]any{"reasoning_content": "the header says " + echo}, nil))
		s.data(delta(map[string]any{"content": "Denver"}, "stop"))
		s.data(usageChunk(3, 2, 1, map[string]any{echo: 1.5})) // even a usage key
		s.done()
	case "bad-error-event":
		s := startSSE(w)
		s.raw("event: error\ndata: " + echo + "\n\n")
	case "bad-error-key":
		s := startSSE(w)
		s.data(map[string]any{"error": map[string]any{"message": echo}})
	case "bad-json":
		s := startSSE(w)
		s.raw("data: {not json " + echo + "\n\n")
	default:
		streamAnswer(w, "answer "+sample)
	}
}

var echoCells = []string{"bad-401", "bad-500", "bad-500-at-the-cut", "bad-content", "bad-reasoning",
	"bad-error-event", "bad-error-key", "bad-json", "good"}

func TestSecretsNeverReachARecord(t *testing.T) {
	const (
		literal = "sk-literal-0123456789abcdef"
		fromEnv = "sk-env-0123456789abcdef"
		tenant  = "tenant<&>secret-42" // JSON escapes it as tenant\u003c\u0026\u003esecret-42
	)
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	// Prints sk-cmd-1-..., sk-cmd-2-..., one more each time it runs; a 401
	// makes it run again, so both tokens reach the server.
	command := `n=$(cat ` + counter + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + counter + `; echo sk-cmd-$n-0123456789abcdef`
	cases := []struct {
		name    string
		setup   func(*testing.T, *config.Platform)
		secrets []string
	}{
		{"a literal api_key is redacted", func(t *testing.T, p *config.Platform) { p.APIKey = literal },
			[]string{literal}},
		{"an api_key_env token is redacted", func(t *testing.T, p *config.Platform) {
			t.Setenv("INFERBENCH_TEST_ECHO_KEY", fromEnv)
			p.APIKeyEnv = "INFERBENCH_TEST_ECHO_KEY"
		}, []string{fromEnv}},
		{"an api_key_command token and the one refreshed after a 401 are redacted", func(t *testing.T, p *config.Platform) {
			os.Remove(counter)
			p.APIKeyCommand = command
		}, []string{"sk-cmd-1-0123456789abcdef", "sk-cmd-2-0123456789abcdef"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, echoSecrets)
			job := newJob(f.URL+"/v1", echoCells...)
			job.Platform.Retries = 0
			job.Platform.Concurrency = 1
			job.Platform.Headers = []config.Header{{Name: "X-Tenant", Value: tenant}}
			tc.setup(t, &job.Platform)
			recs, rep, err := collect(t, context.Background(), New(), job)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(echoCells) {
				t.Fatalf("%d records, want %d", len(recs), len(echoCells))
			}
			secrets := append([]string{tenant, `tenant\u003c\u0026\u003esecret-42`}, tc.secrets...)
			for _, id := range echoCells {
				r := recs[id]
				b, _ := json.Marshal(r)
				line := string(b) + fmt.Sprint(r.Server)
				for _, s := range secrets {
					if strings.Contains(line, s[:6]) {
						t.Errorf("record %s shows (part of) secret %q", id, s)
					}
				}
				if id == "bad-500-at-the-cut" {
					if !strings.Contains(r.ErrorDetail, "auth=Bearer [") {
						t.Errorf("record %s: the echo never reached it: %q", id, r.ErrorDetail)
					}
				} else if id != "good" && !strings.Contains(line, config.Redacted) {
					t.Errorf("record %s has no %s: the echo never reached it", id, config.Redacted)
				}
			}
			if r := recs["bad-content"]; r.Content != "you sent auth=Bearer [redacted] hdr=[redacted]" {
				t.Errorf("content %q", r.Content)
			}
			if r := recs["bad-401"]; !strings.HasPrefix(r.Error, "http_401") {
				t.Errorf("bad-401: %s %s", r.Error, r.ErrorDetail)
			}
			assertGood(t, recs, "good")
			for _, n := range rep.Notes {
				for _, s := range secrets {
					if strings.Contains(n, s) {
						t.Errorf("note shows a secret: %s", n)
					}
				}
			}
		})
	}
}

func TestSecretsAreRedactedInEveryForm(t *testing.T) {
	var s secrets
	s.add("sk-abc/def+ghi", "x", "")
	cases := []struct{ name, in, want string }{
		{"the plain value is replaced", "key sk-abc/def+ghi here", "key [redacted] here"},
		{"the value with escaped slashes is replaced", `{"k":"sk-abc\/def+ghi"}`, `{"k":"[redacted]"}`},
		{"every occurrence is replaced", "sk-abc/def+ghisk-abc/def+ghi", "[redacted][redacted]"},
		{"a value too short to be a secret is left alone", "x marks the spot", "x marks the spot"},
		{"text without a secret is returned as it is", "nothing to see", "nothing to see"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := s.redact(c.in); got != c.want {
				t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	t.Run("a longer secret that contains a shorter one is replaced whole", func(t *testing.T) {
		var s secrets
		s.add("abcd", "abcdefgh")
		if got := s.redact("abcdefgh"); got != config.Redacted {
			t.Errorf("got %q", got)
		}
	})
}

// TestOrdinaryHeaderValuesDoNotRewriteAnswers: a header such as
// X-Region: east is configuration, not a credential; replacing "east"
// inside answers ("the least") would change EM and F1. Model text loses
// only tokens, credential headers and values long enough to be secrets;
// error details still lose every header value.
func TestOrdinaryHeaderValuesDoNotRewriteAnswers(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		streamAnswer(w, "the least abcd1234 northeast")
	})
	job := newJob(f.URL+"/v1", "bad-ok")
	job.Platform.Retries = 0
	job.Platform.Headers = []config.Header{{Name: "X-Region", Value: "east"}, {Name: "X-Api-Key", Value: "abcd1234"}}
	recs, _, err := collect(t, context.Background(), New(), job)
	if err != nil {
		t.Fatal(err)
	}
	r := recs["bad-ok"]
	if want := "the least " + config.Redacted + " northeast"; r.Content != want {
		t.Errorf("content = %q, want %q: only the credential header is redacted from model text", r.Content, want)
	}
	s := &secrets{}
	s.addHeader("X-Region", "east")
	if got := s.redact("region east"); got != "region "+config.Redacted {
		t.Errorf("error text %q: every header value is redacted from error details", got)
	}
}
