package emulator

import (
	"net/http"
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
	p.prompt = PromptTokens(req.Messages)
	p.id = s.nextID()
	p.reasoningOff = s.fillerStarts[mix(ckey^saltReasoning)%uint64(len(s.fillerStarts))]
	p.fitBudget(req.budget(), s.profile.ReasoningTokens, countPieces(p.content))
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
