package emulator

import (
	"strconv"
	"unicode/utf8"
)

// Constant parts of the wire format, kept as strings so that writing an
// event is a few appends and no formatting.
const (
	ssePrefix      = "data: "
	sseEnd         = "\n\n"
	sseDone        = "data: [DONE]\n\n"
	chunkObject    = `,"object":"chat.completion.chunk","created":`
	completionObj  = `,"object":"chat.completion","created":`
	modelKey       = `,"model":`
	choicesOpen    = `,"choices":[`
	roleDelta      = `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`
	deltaOpen      = `{"index":0,"delta":{"`
	deltaClose     = `},"logprobs":null,"finish_reason":null}]}`
	finishOpen     = `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`
	finishClose    = `","stop_reason":null}]}`
	usageOpen      = `],"usage":`
	malformedChunk = `{"index":0,"delta":{"content":"` // deliberately never closed
	hexDigits      = "0123456789abcdef"
)

// appendID appends the completion id, "chatcmpl-" and 16 hex digits of id.
func appendID(b []byte, id uint64) []byte {
	return appendHex(append(b, "chatcmpl-"...), id)
}

// appendHex appends the 16 hex digits of v.
func appendHex(b []byte, v uint64) []byte {
	for s := 60; s >= 0; s -= 4 {
		b = append(b, hexDigits[v>>uint(s)&0xf])
	}
	return b
}

// appendChunkPrefix appends `data: {"id":...,"object":"chat.completion.chunk",
// "created":...,"model":...,"choices":[`, the part every chunk shares.
func appendChunkPrefix(b []byte, id uint64, created int64, model string) []byte {
	b = append(b, ssePrefix...)
	b = append(b, `{"id":"`...)
	b = appendID(b, id)
	b = append(b, '"')
	b = append(b, chunkObject...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, modelKey...)
	b = appendJSONString(b, model)
	b = append(b, choicesOpen...)
	return b
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONChars(b, s)
	return append(b, '"')
}

// appendJSONChars appends s escaped for the inside of a JSON string.
func appendJSONChars(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	return append(b, s[start:]...)
}

// usageFigures are the counts and server timings of one response.
type usageFigures struct {
	prompt, completion, reasoning int
	// Server timings (sambanova only), seconds since the request arrived,
	// and the wall-clock arrival as Unix seconds.
	ttft, total float64
	startUnix   float64
	finish      string
}

// appendUsage appends the usage object. With sambanova it adds SambaNova's
// timing fields (seconds, and tokens per second).
func appendUsage(b []byte, u *usageFigures, sambanova bool) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt+u.completion), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	b = append(b, `,"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, int64(u.reasoning), 10)
	b = append(b, '}')
	if sambanova {
		b = appendFloatField(b, "time_to_first_token", u.ttft)
		b = appendFloatField(b, "total_latency", u.total)
		b = appendFloatField(b, "completion_tokens_per_sec", ratio(float64(u.completion), u.total))
		b = appendFloatField(b, "completion_tokens_after_first_per_sec", ratio(float64(u.completion-1), u.total-u.ttft))
		b = appendFloatField(b, "total_tokens_per_sec", ratio(float64(u.prompt+u.completion), u.total))
		b = appendFloatField(b, "start_time", u.startUnix)
		b = appendFloatField(b, "end_time", u.startUnix+u.total)
		b = append(b, `,"is_last_response":true,"stop_reason":`...)
		b = appendJSONString(b, u.finish)
	}
	return append(b, '}')
}

func appendFloatField(b []byte, name string, v float64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// ratio is a/b, or 0 when either is not positive (no division by zero and no
// negative rates in a response).
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// appendError appends e's body:
// {"error":{"message":...,"type":...,"param":...,"code":...}}, an empty
// param or code as null.
func appendError(b []byte, e *apiError) []byte {
	b = append(b, `{"error":{"message":`...)
	b = appendJSONString(b, e.message)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.typ)
	b = append(b, `,"param":`...)
	b = appendStringOrNull(b, e.param)
	b = append(b, `,"code":`...)
	b = appendStringOrNull(b, e.code)
	return append(b, "}}"...)
}

// appendStringOrNull appends s as a JSON string, or null when it is empty.
func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}
