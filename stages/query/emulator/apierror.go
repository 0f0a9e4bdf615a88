package emulator

import (
	"net/http"
	"strconv"
	"time"
)

// Error types of the OpenAI API.
const (
	typeInvalidRequest = "invalid_request_error"
	typeServer         = "server_error"
	typeRateLimit      = "requests"
)

// apiError is an error answer in the OpenAI API's shape:
// {"error":{"message":...,"type":...,"param":...,"code":...}} with HTTP
// status. An empty param or code is sent as null, as the API does.
type apiError struct {
	status  int
	message string
	typ     string
	param   string
	code    string
}

// invalid is a 400 invalid_request_error about param.
func invalid(param, code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: typeInvalidRequest, param: param, code: code, message: message}
}

// errInjected500 is the answer of an injected rate_500 fault and of a
// non-streamed error_event.
var errInjected500 = &apiError{status: http.StatusInternalServerError, typ: typeServer,
	message: "The server had an error while processing your request. Sorry about that! (fault injection)"}

// errorEvent is the SSE event of an injected error_event fault: the error
// object of errInjected500, as OpenAI sends one inside a 200 stream.
var errorEvent = "data: " + string(appendError(nil, errInjected500)) + sseEnd

func errNotFound(r *http.Request) *apiError {
	return &apiError{status: http.StatusNotFound, typ: typeInvalidRequest, message: "Invalid URL (" + r.Method + " " + r.URL.Path + ")"}
}

func errMethod(r *http.Request) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, typ: typeInvalidRequest, message: "Invalid method for URL (" + r.Method + " " + r.URL.Path + ")"}
}

// writeError sends e with its status.
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(e.status)
	_, _ = w.Write(appendError(make([]byte, 0, 128+len(e.message)), e))
}

// writeRateLimit answers an injected rate_429 fault: Retry-After in whole
// seconds (rounded up), Retry-After-Ms, and the API's rate-limit error.
func (s *Server) writeRateLimit(w http.ResponseWriter) {
	ra := s.retryAfter
	secs := int64((ra + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	w.Header().Set("Retry-After-Ms", strconv.FormatInt(ra.Milliseconds(), 10))
	s.writeError(w, &apiError{status: http.StatusTooManyRequests, typ: typeRateLimit, code: "rate_limit_exceeded",
		message: "Rate limit reached (fault injection). Please try again in " + ra.String() + "."})
}
