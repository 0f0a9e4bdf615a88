package emulator

import (
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/inferbench/inferbench/pipeline/config"
	"github.com/inferbench/inferbench/stages/tokenize"
)

// FixedAnswer is what the emulator answers when it knows neither the sample
// nor a "Context:" section in the prompt.
const FixedAnswer = "The context does not say."

// reasoningFiller is the text that reasoning deltas are cut from. It reads
// like the scratchpad of a reasoning model and is cycled as long as the
// profile asks for reasoning tokens.
const reasoningFiller = "We need to find the answer in the context. " +
	"The question asks about a specific detail, so let me scan the passage for it. " +
	"The relevant sentence should mention the key terms of the question. " +
	"Let me check the surrounding sentences to be sure the span is complete. " +
	"The answer should be a short span copied from the context. "

// chattyTemplates phrase an answer the way reasoning models do; the answer
// goes between the two parts.
var chattyTemplates = [...][2]string{
	{"The answer is **", "**."},
	{"Based on the context, **", "**."},
	{"**", "**"},
	{"According to the passage, the answer is **", "**."},
}

// Salts separate the independent random choices made from one request key.
// They are arbitrary odd 64-bit constants.
const (
	saltAccuracy  uint64 = 0x9e3779b97f4a7c15
	saltGold      uint64 = 0x3c6ef372fe94f82b
	saltSpan      uint64 = 0xdaa66d2c7ddf743f
	saltStyle     uint64 = 0x78dde6e5fd29f055
	saltReasoning uint64 = 0x1715609d7c746c6b
	saltFault     uint64 = 0xb54cda56fbbee881
	saltFaultAt   uint64 = 0x53845410fb09e497
	saltTTFT      uint64 = 0xf1bbcdc8fa53e0ad
	saltGap       uint64 = 0x8ff34781f99ddcc3
)

// mix is the splitmix64 finalizer: a bijective, well-spread hash of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit maps (key, salt) to a uniform float64 in [0, 1).
func unit(key, salt uint64) float64 {
	return float64(mix(key^salt)>>11) * (1.0 / (1 << 53))
}

// fnv64 is FNV-1a over s, continuing from h (start with fnvOffset).
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

const fnvOffset uint64 = 0xcbf29ce484222325

// requestKey is the request's identity without the seed: the X-Request-Id
// header when present, else a hash of the messages, mixed with the model and
// the temperature (absent temperature counts as 1, OpenAI's default).
func requestKey(requestID string, msgs []config.Message, model string, temperature float64) uint64 {
	var id uint64
	if requestID != "" {
		id = fnv64(fnvOffset, "id\x00"+requestID)
	} else {
		id = fnvOffset
		for i := range msgs {
			id = fnv64(id, msgs[i].Role)
			id = fnv64(id, "\x00")
			id = fnv64(id, msgs[i].Content)
			id = fnv64(id, "\x01")
		}
	}
	h := mix(id)
	h = mix(h ^ fnv64(fnvOffset, model))
	h = mix(h ^ math.Float64bits(temperature))
	return h
}

// contentKey is the identity that decides a response's content (answer,
// right or wrong span, style, reasoning text), without the seed. At
// temperature 0 a model is greedy, so the same prompt gets the same answer
// whatever the request id (which names the repeat): the key is the messages,
// model and temperature only. Above 0 it is requestKey, so repeats differ.
func contentKey(requestID string, msgs []config.Message, model string, temperature float64) uint64 {
	if temperature == 0 {
		return requestKey("", msgs, model, 0) // 0, not -0: one key for both
	}
	return requestKey(requestID, msgs, model, temperature)
}

// nextPiece returns the end of the token that starts at i in s. A token is a
// word piece: optional leading whitespace, then either a run of letters and
// digits or one other character. Concatenating the tokens gives s back.
func nextPiece(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			j++
			continue
		}
		break
	}
	if j == len(s) {
		return j
	}
	if isWordAt(s, j) {
		for j < len(s) && isWordAt(s, j) {
			if s[j] < utf8.RuneSelf {
				j++
			} else {
				_, n := utf8.DecodeRuneInString(s[j:])
				j += n
			}
		}
		return j
	}
	if s[j] < utf8.RuneSelf {
		return j + 1
	}
	_, n := utf8.DecodeRuneInString(s[j:])
	return j + n
}

func isWordAt(s string, j int) bool {
	c := s[j]
	if c < utf8.RuneSelf {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// countPieces counts the tokens of s, as nextPiece cuts them.
func countPieces(s string) int {
	n := 0
	for i := 0; i < len(s); i = nextPiece(s, i) {
		n++
	}
	return n
}

// pieces cuts s into its tokens.
func pieces(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// countWords counts whitespace-separated words, like strings.Fields.
func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return countWordsSlow(s)
		}
		if c == ' ' || c >= '\t' && c <= '\r' {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// countWordsSlow is countWords for text with non-ASCII runes.
func countWordsSlow(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// PromptTokens is the prompt_tokens the emulator reports, as a server
// counts them: the o200k_base tokens of the messages' text (GPT-OSS's
// encoding) plus templateTokens per message for the chat template, which
// a client counting only the text leaves out.
func PromptTokens(msgs []config.Message) int {
	n := 0
	for i := range msgs {
		n += promptTokenizer().Count(msgs[i].Content) + templateTokens
	}
	return n
}

// promptCounts caches PromptTokens by the messages' hash: a benchmark asks
// the same prompts again (repeats, temperatures, models, levels), and
// encoding a long prompt costs milliseconds the emulator would add to
// every request. The cache is emptied when it reaches maxPromptCounts
// prompts, so a long-lived emulator's memory stays bounded.
type promptCounts struct {
	mu sync.Mutex
	n  map[uint64]int
}

const maxPromptCounts = 1 << 16

func (c *promptCounts) count(msgs []config.Message) int {
	key := requestKey("", msgs, "", 0)
	c.mu.Lock()
	n, ok := c.n[key]
	c.mu.Unlock()
	if ok {
		return n
	}
	n = PromptTokens(msgs)
	c.mu.Lock()
	if c.n == nil || len(c.n) >= maxPromptCounts {
		c.n = map[uint64]int{}
	}
	c.n[key] = n
	c.mu.Unlock()
	return n
}

// templateTokens is the chat template's share of each message (harmony
// wraps one in <|start|>role<|message|>...<|end|>).
const templateTokens = 4

// promptTokenizer is o200k_base, loaded on the first prompt.
var promptTokenizer = sync.OnceValue(func() tokenize.Tokenizer {
	t, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		panic("emulator: the built-in o200k_base tokenizer: " + err.Error())
	}
	return t
})

// contextFromPrompt returns the text after the last "Context:" in the
// messages, up to "Question:" if one follows, trimmed; "" if none.
func contextFromPrompt(msgs []config.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		c := msgs[i].Content
		k := strings.LastIndex(c, "Context:")
		if k < 0 {
			continue
		}
		c = c[k+len("Context:"):]
		if q := strings.Index(c, "Question:"); q >= 0 {
			c = c[:q]
		}
		return strings.TrimSpace(c)
	}
	return ""
}

// answerFor decides the answer text (before styling) for a request.
// sample may be nil. The choice is a pure function of key and the inputs.
func answerFor(key uint64, accuracy float64, sample *config.Sample, msgs []config.Message) string {
	correct := unit(key, saltAccuracy) < accuracy
	switch {
	case sample != nil && sample.IsImpossible:
		if correct {
			return ""
		}
		return wrongSpan(key, sample.Context, nil)
	case sample != nil:
		if correct && len(sample.Answers) > 0 {
			return sample.Answers[mix(key^saltGold)%uint64(len(sample.Answers))]
		}
		return wrongSpan(key, sample.Context, sample.Answers)
	default:
		ctx := contextFromPrompt(msgs)
		if ctx == "" {
			return FixedAnswer
		}
		return wrongSpan(key, ctx, nil)
	}
}

// spanTrim is what is trimmed from both ends of a span cut from a context.
const spanTrim = " \t\n\r.,;:!?\"'()[]"

// wrongSpan picks 1 to 4 consecutive words of ctx that are not (after SQuAD
// normalization) one of gold. It returns FixedAnswer when ctx has no such span.
func wrongSpan(key uint64, ctx string, gold []string) string {
	n := countWords(ctx)
	if n == 0 {
		return FixedAnswer
	}
	for try := uint64(0); try < 16; try++ {
		h := mix(key ^ saltSpan ^ mix(try+1))
		l := 1 + int(h%4)
		if l > n {
			l = n
		}
		start := int((h >> 8) % uint64(n-l+1))
		span := strings.Trim(wordSpan(ctx, start, l), spanTrim)
		if span != "" && !isGold(span, gold) {
			return span
		}
	}
	return FixedAnswer
}

// wordSpan returns the substring of s from the start of word start to the
// end of word start+l-1 (words separated by Unicode white space).
func wordSpan(s string, start, l int) string {
	w, in, from := -1, false, 0
	for i, r := range s {
		if unicode.IsSpace(r) {
			if in && w == start+l-1 {
				return s[from:i]
			}
			in = false
			continue
		}
		if !in {
			in = true
			w++
			if w == start {
				from = i
			}
		}
	}
	return s[from:]
}

// isGold reports whether span normalizes to one of gold.
func isGold(span string, gold []string) bool {
	if len(gold) == 0 {
		return false
	}
	ns := normalize(span)
	for _, g := range gold {
		if normalize(g) == ns {
			return true
		}
	}
	return false
}

// normalize is SQuAD's normalize_answer in short: lower case, ASCII
// punctuation removed, the articles a/an/the removed, white space collapsed.
// It only guards wrong spans against being gold; scoring lives in stages/score.
func normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && unicode.IsPunct(r) || strings.ContainsRune("$+<=>^`|~", r) {
			return -1
		}
		return r
	}, s)
	f := strings.Fields(s)
	out := f[:0]
	for _, w := range f {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// styleAnswer phrases answer by style: plain is the answer itself, chatty a
// sentence with the answer in bold (template chosen by key). The empty
// answer (a SQuAD v2 abstention) stays empty in every style.
func styleAnswer(key uint64, style, answer string) string {
	if style != "chatty" || answer == "" {
		return answer
	}
	t := chattyTemplates[mix(key^saltStyle)%uint64(len(chattyTemplates))]
	return t[0] + answer + t[1]
}
