package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/pipeline/config"
)

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chatRequest is the part of the request body the emulator reads.
type chatRequest struct {
	Model               string           `json:"model"`
	Messages            []config.Message `json:"messages"`
	Stream              bool             `json:"stream"`
	StreamOptions       *streamOptions   `json:"stream_options"`
	MaxTokens           *int             `json:"max_tokens"`
	MaxCompletionTokens *int             `json:"max_completion_tokens"`
	Temperature         *float64         `json:"temperature"`
	// MinTokens and IgnoreEOS are vLLM's extensions: the answer is at
	// least min_tokens long, and with ignore_eos it goes on to max_tokens.
	MinTokens *int `json:"min_tokens"`
	IgnoreEOS bool `json:"ignore_eos"`
}

// reset empties r for the next request, keeping the messages' memory.
// The old messages are cleared: json.Unmarshal decodes into the elements
// it reuses without zeroing them, so a message without a role would keep
// the role of an earlier request's.
func (r *chatRequest) reset() {
	msgs := r.Messages[:0]
	clear(msgs[:cap(msgs)])
	*r = chatRequest{Messages: msgs}
}

// budget is the token budget of the answer: the smaller of max_tokens and
// max_completion_tokens, -1 when neither is set.
func (r *chatRequest) budget() int {
	budget := -1
	for _, p := range [...]*int{r.MaxTokens, r.MaxCompletionTokens} {
		if p != nil && (budget < 0 || *p < budget) {
			budget = *p
		}
	}
	return budget
}

// least is the answer length the request asks for at least: max_tokens
// with ignore_eos, else min_tokens (0: none).
func (r *chatRequest) least() int {
	n := 0
	if r.MinTokens != nil {
		n = *r.MinTokens
	}
	if b := r.budget(); r.IgnoreEOS && b > n {
		n = b
	}
	return n
}

// temperature is the request's temperature, 1 (the API's default) when absent.
func (r *chatRequest) temperature() float64 {
	if r.Temperature != nil {
		return *r.Temperature
	}
	return 1
}

// roles are the message roles the chat completions API accepts.
var roles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// readRequest reads and decodes the body of a chat request into sc.req.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, sc *scratch) (*chatRequest, *apiError) {
	sc.body.Reset()
	if _, err := sc.body.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, message: "Request body too large: at most " + strconv.Itoa(maxBodyBytes) + " bytes.", typ: typeInvalidRequest}
		}
		return nil, invalid("", "", "We could not read the body of your request: "+err.Error())
	}
	req := &sc.req
	req.reset()
	if err := json.Unmarshal(sc.body.Bytes(), req); err != nil {
		return nil, invalid("", "", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.) "+err.Error())
	}
	return req, nil
}

// check rejects what the chat completions API rejects, with its status,
// message, param and code, in the order the API checks them.
func (s *Server) check(req *chatRequest) *apiError {
	if req.Model == "" {
		return invalid("", "", "you must provide a model parameter")
	}
	if len(req.Messages) == 0 {
		return invalid("messages", "empty_array", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	}
	for i := range req.Messages {
		if role := req.Messages[i].Role; !slices.Contains(roles, role) {
			param := "messages[" + strconv.Itoa(i) + "].role"
			if role == "" {
				return invalid(param, "", "Missing required parameter: '"+param+"'.")
			}
			return invalid(param, "invalid_value", "Invalid value: '"+role+"'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.")
		}
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		code, bound := "decimal_above_max_value", "<= 2"
		if *t < 0 {
			code, bound = "decimal_below_min_value", ">= 0"
		}
		return invalid("temperature", code, "Invalid 'temperature': "+strings.ReplaceAll(code, "_", " ")+". Expected a value "+bound+", but got "+strconv.FormatFloat(*t, 'g', -1, 64)+" instead.")
	}
	for _, f := range [...]struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if f.v != nil && *f.v < 1 {
			return invalid(f.name, "integer_below_min_value", "Invalid '"+f.name+"': integer below minimum value. Expected a value >= 1, but got "+strconv.Itoa(*f.v)+" instead.")
		}
	}
	if m := req.MinTokens; m != nil && (*m < 0 || (req.budget() >= 0 && *m > req.budget())) {
		return invalid("min_tokens", "", "min_tokens="+strconv.Itoa(*m)+" must be less than or equal to max_tokens="+strconv.Itoa(req.budget())+" and >= 0.")
	}
	if req.StreamOptions != nil {
		if !req.Stream {
			return invalid("stream_options", "invalid_value", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
		}
		if s.profile.RejectStreamOptions {
			return invalid("stream_options", "", "Unrecognized request argument supplied: stream_options")
		}
	}
	if s.known != nil && !slices.Contains(s.known, req.Model) {
		return &apiError{status: http.StatusNotFound, typ: typeInvalidRequest, code: "model_not_found",
			message: "The model `" + req.Model + "` does not exist or you do not have access to it."}
	}
	return nil
}

// noteModel remembers a model name for GET /v1/models (without WithModels).
func (s *Server) noteModel(model string) {
	if s.known != nil {
		return
	}
	if _, ok := s.models.Load(model); !ok {
		s.models.LoadOrStore(strings.Clone(model), struct{}{})
	}
}

// authorize checks the bearer token with the WithAuth function.
func (s *Server) authorize(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return &apiError{status: http.StatusUnauthorized, typ: typeInvalidRequest,
			message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."}
	}
	if !s.auth(token) {
		return &apiError{status: http.StatusUnauthorized, typ: typeInvalidRequest, code: "invalid_api_key",
			message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."}
	}
	return nil
}

// listModels answers GET /v1/models: the models given by WithModels in
// their order, else the models seen so far (sorted), or DefaultModel
// before any.
func (s *Server) listModels(w http.ResponseWriter) {
	names := s.known
	if names == nil {
		s.models.Range(func(k, _ any) bool {
			names = append(names, k.(string))
			return true
		})
		if len(names) == 0 {
			names = []string{DefaultModel}
		}
		slices.Sort(names)
	}
	b := []byte(`{"object":"list","data":[`)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, n)
		b = append(b, `,"object":"model","created":0,"owned_by":"inferbench-emulator","root":`...)
		b = appendJSONString(b, n)
		b = append(b, `,"parent":null}`...)
	}
	b = append(b, "]}"...)
	w.Header()["Content-Type"] = hdrJSON
	_, _ = w.Write(b)
}
