package query

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
)

// chatPath is the path the querier appends to a platform's base_url.
const chatPath = "/chat/completions"

// requestRules are the querier's rules on the settings it builds requests
// from (config.RequestChecker), registered by Register: a base_url stops
// before the path the querier appends, and params.extra sets no body key
// that a setting owns.
type requestRules struct{}

// CheckPlatform rejects a base_url that already ends in the path the
// querier appends (chatPath), or in the legacy "/completions": the request
// would go to .../chat/completions/chat/completions. A base_url that is
// not an http:// or https:// URL is left to the experiment's own rules.
func (requestRules) CheckPlatform(p *config.Platform) []config.Problem {
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	path := strings.TrimRight(u.Path, "/")
	for _, suffix := range []string{chatPath, "/completions"} {
		if !strings.HasSuffix(path, suffix) {
			continue
		}
		fixed := *u
		fixed.Path = strings.TrimSuffix(path, suffix)
		fixed.RawPath = ""
		appends := "it"
		if suffix != chatPath {
			appends = chatPath
		}
		return []config.Problem{{Path: "base_url", Message: fmt.Sprintf("should end before %s: inferbench appends %s; use %s", suffix, appends, fixed.String())}}
	}
	return nil
}

// shadowedExtra are the request body keys that params.extra may not set,
// each with the setting that owns it: the querier writes these itself, and
// an extra value would either be dropped or silently replace the value the
// manifest records.
var shadowedExtra = map[string]string{
	"model":          "set platforms[].models instead",
	"messages":       "set prompt.system and prompt.user instead",
	"max_tokens":     "set params.max_tokens instead",
	"temperature":    "set params.temperature instead",
	"top_p":          "set params.top_p instead",
	"stream":         "set params.stream instead",
	"stream_options": "inferbench sends stream_options {include_usage: true} itself when params.stream is true",
	"n":              "inferbench scores one choice per request; set repeats instead",
}

// CheckParams refuses params.extra keys that shadow a request field.
func (requestRules) CheckParams(p *config.Params) []config.Problem {
	var out []config.Problem
	for k := range p.Extra {
		if msg, ok := shadowedExtra[k]; ok {
			out = append(out, config.Problem{Path: "extra." + k, Message: msg})
		}
	}
	return out
}
