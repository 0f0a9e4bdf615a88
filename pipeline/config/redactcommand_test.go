package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactCommandHidesTokensAndKeepsTheRest(t *testing.T) {
	cases := map[string]string{
		"cat /run/secrets/llm-token":                                   "cat /run/secrets/llm-token",
		"vault kv get -field=token secret/llm":                         "vault kv get -field=token secret/llm",
		"get-token --token abc123":                                     "get-token --token [redacted]",
		"get-token --token=abc123 --region eu":                         "get-token --token=[redacted] --region eu",
		"get-token --api-key 'a b c'":                                  "get-token --api-key [redacted]",
		"TOKEN=abc123 get-token":                                       "TOKEN=[redacted] get-token",
		"env MY_API_KEY=\"zzz\" ./fetch":                               "env MY_API_KEY=[redacted] ./fetch",
		`curl -s -H "Authorization: Bearer xyz987" https://auth/token`: `curl -s -H "Authorization: Bearer [redacted]" https://auth/token`,
		"echo sk-9f8e7d6c5b4a39281706f5e4d3c2b1a0":                     "echo [redacted]",
		"curl https://user:hunter2@auth.example/token":                 "curl https://user:[redacted]@auth.example/token",
		"login --password hunter2 && print-token":                      "login --password [redacted] && print-token",
		"oauth2l fetch --credentials ~/.creds.json --scope cloud":      "oauth2l fetch --credentials [redacted] --scope cloud",
		"echo eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl":       "echo [redacted]",
	}
	for in, want := range cases {
		if got := RedactCommand(in); got != want {
			t.Errorf("RedactCommand(%q)\n  = %q\nwant %q", in, got, want)
		}
	}
}

func TestTheManifestsExperimentRedactsTheAPIKeyCommand(t *testing.T) {
	p := Platform{Name: "p", Models: []string{"m"}, APIKeyCommand: "get-token --token abc123 && TOKEN=def456 x"}
	b, err := json.Marshal(Experiment{Name: "x", Platforms: []Platform{p}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "abc123") || strings.Contains(string(b), "def456") || !strings.Contains(string(b), "get-token --token [redacted]") {
		t.Errorf("experiment JSON: %s", b)
	}
	if p.APIKeyCommand != "get-token --token abc123 && TOKEN=def456 x" {
		t.Errorf("marshalling changed the command to run: %q", p.APIKeyCommand)
	}
}

func TestAnAPIKeyCommandOverrideIsRedactedInTheOverrides(t *testing.T) {
	e := mustLoad(t, "testdata/full.good.yaml", LoadOptions{Sets: []string{"platforms.metis.api_key_command=get-token --token abc123"}})
	want := "platforms.metis.api_key_command=get-token --token " + Redacted
	if got := e.Overrides(); len(got) != 1 || got[0] != want {
		t.Errorf("overrides %q, want %q", got, want)
	}
}
