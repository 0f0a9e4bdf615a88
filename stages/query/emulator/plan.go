package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/inferbench/inferbench/pipeline/config"
)

// plan is everything decided about one response before its first byte.
type plan struct {
	key          uint64 // decides timing jitter and faults
	id           uint64 // the response's id, fresh for each response
	model        string
	content      string
	prompt       int
	reasoningOff int
	reasoningN   int // reasoning tokens sent
	contentN     int // content tokens sent
	finish       string
	fault        fault
	faultAt      int // token events sent before a mid-stream fault fires
	start        time.Time
}

// newPlan decides the answer to a checked request that arrived at start:
// its keys, the fault of this attempt, the content and reasoning, and how
// much of them the token budget lets through.
func (s *Server) newPlan(r *http.Request, req *chatRequest, start time.Time) plan {
	temperature := req.temperature()
	requestID := r.Header.Get("X-Request-Id")
	// key decides timing jitter and faults (per request id and attempt);
	// ckey decides the content, which at temperature 0 ignores the id.
	key := mix(s.seed ^ requestKey(requestID, req.Messages, req.Model, temperature))
	ckey := key
	if temperature == 0 {
		ckey = mix(s.seed ^ contentKey(requestID, req.Messages, req.Model, temperature))
	}
	p := plan{key: key, model: req.Model, start: start}
	if s.faulty {
		p.fault = s.pickFault(key, s.attempt(key))
	}
	if p.fault == fault429 || p.fault == fault500 {
		return p // answered at once: no answer is needed
	}
	var sample *config.Sample
	if s.lookup != nil {
		sample = s.lookup(req.Messages)
	}
	p.content = styleAnswer(ckey, s.profile.Style, answerFor(ckey, s.profile.Accuracy, sample, req.Messages))
	p.prompt = s.prompts.count(req.Messages)
	p.id = s.nextID()
	p.reasoningOff = s.fillerStarts[mix(ckey^saltReasoning)%uint64(len(s.fillerStarts))]
	n := countPieces(p.content)
	least := req.least() - min(s.profile.ReasoningTokens, max(req.budget(), 0))
	lengthened := n < least
	if lengthened {
		p.content, n = lengthen(p.content, n, least)
	}
	p.fitBudget(req.budget(), s.profile.ReasoningTokens, n)
	if b := req.budget(); lengthened && p.reasoningN+p.contentN == b {
		p.finish = "length" // made to reach max_tokens (ignore_eos), not ended
	}
	if p.fault != faultNone {
		p.faultAt = faultPoint(key, p.reasoningN+p.contentN)
	}
	return p
}

// fitBudget cuts the reasoning and then the content to budget (-1: none)
// and sets the finish reason: "length" when either was cut.
func (p *plan) fitBudget(budget, reasoning, content int) {
	p.reasoningN, p.contentN, p.finish = reasoning, content, "stop"
	if budget < 0 {
		return
	}
	if p.reasoningN > budget {
		p.reasoningN = budget
	}
	if rest := budget - p.reasoningN; p.contentN > rest {
		p.contentN = rest
		p.finish = "length"
	}
	if p.reasoningN < reasoning {
		p.finish = "length"
	}
}

// continuation is the text an answer goes on with when the request asks
// for more tokens than it has (min_tokens, ignore_eos): its pieces all
// start with a space or are punctuation, so that appended to any text
// each stays one token.
const continuation = " The passage gives more detail on this point, and the answer goes on in the same plain words until it is long enough."

// lengthen appends continuation pieces to content (n pieces) until it has
// want pieces; it returns the text and its piece count.
func lengthen(content string, n, want int) (string, int) {
	parts := pieces(continuation)
	var sb strings.Builder
	sb.WriteString(content)
	for i := 0; n < want; i++ {
		sb.WriteString(parts[i%len(parts)])
		n++
	}
	return sb.String(), n
}
