package score

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// These tests ask the local python3 (when there is one) for the ground
// truth. Python 3.11 knows Unicode 14.0, Go 1.21+ Unicode 15.0: code points
// that Python does not assign are left out of the comparison.

func needPython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping python comparison in -short mode")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	return py
}

// pyProps prints, for every code point Python assigns, its isspace,
// word-character status, lowercase and its class for the Final_Sigma rule,
// probed through str.lower() itself: I (case-ignorable), C (cased, not
// case-ignorable) or - (neither).
const pyProps = `
import sys, unicodedata
w = sys.stdout.write
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    c = chr(cp)
    if unicodedata.category(c) == 'Cn':
        continue
    p1 = ('A' + c + '\u03a3').lower()[-1] == '\u03c2'
    p2 = ('1' + c + '\u03a3').lower()[-1] == '\u03c2'
    p3 = ('A\u03a3' + c).lower()[1] == '\u03c2'
    cls = {(True, False, True): 'I', (True, True, False): 'C', (False, False, True): '-'}.get((p1, p2, p3), '?')
    w('%x %d %d %s %s\n' % (cp, c.isspace(), c.isalnum() or c == '_', '.'.join('%x' % ord(x) for x in c.lower()), cls))
`

func goProps(r rune) string {
	var lower []string
	switch r {
	case 0x130:
		lower = []string{"69", "307"}
	default:
		lower = []string{strconv.FormatInt(int64(unicode.ToLower(r)), 16)}
	}
	cls := "-"
	switch {
	case isCaseIgnorable(r):
		cls = "I"
	case isCased(r):
		cls = "C"
	}
	b2i := map[bool]int{false: 0, true: 1}
	return fmt.Sprintf("%x %d %d %s %s", r, b2i[isSpace(r)], b2i[isWord(r)], strings.Join(lower, "."), cls)
}

func TestCodePointPropertiesMatchPython(t *testing.T) {
	t.Parallel() // waits on a python3 process
	py := needPython(t)
	out, err := exec.Command(py, "-c", pyProps).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	n, bad := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		hex, _, _ := strings.Cut(line, " ")
		cp, err := strconv.ParseInt(hex, 16, 32)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		n++
		if got := goProps(rune(cp)); got != line {
			bad++
			if bad <= 20 {
				t.Errorf("U+%04X: go %q, python %q", cp, got, line)
			}
		}
	}
	if n < 100000 {
		t.Fatalf("python listed only %d code points", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d code points differ", bad, n)
	}
}

const pyNormalize = `
import sys, json, re, string
def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)
    def white_space_fix(text):
        return ' '.join(text.split())
    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)
    def lower(text):
        return text.lower()
    return white_space_fix(remove_articles(remove_punc(lower(s))))
for line in sys.stdin:
    sys.stdout.write(json.dumps(normalize_answer(json.loads(line))) + '\n')
`

// pythonAssigns returns the set test of code points the local python3 assigns.
func pythonAssigned(t *testing.T, py string) func(rune) bool {
	out, err := exec.Command(py, "-c", `
import unicodedata, sys
prev = None
for cp in range(0x110000):
    a = unicodedata.category(chr(cp)) != 'Cn'
    if a != prev:
        sys.stdout.write('%x %d\n' % (cp, a))
        prev = a
`).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	type edge struct {
		cp  rune
		set bool
	}
	var edges []edge
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		h, v, _ := strings.Cut(f, " ")
		cp, _ := strconv.ParseInt(h, 16, 32)
		edges = append(edges, edge{rune(cp), v == "1"})
	}
	return func(r rune) bool {
		set := false
		for _, e := range edges {
			if e.cp > r {
				break
			}
			set = e.set
		}
		return set
	}
}

func TestNormalizeMatchesPythonOnRandomStrings(t *testing.T) {
	t.Parallel() // waits on a python3 process
	py := needPython(t)
	assigned := pythonAssigned(t, py)
	rng := rand.New(rand.NewPCG(7, 11))
	inputs := make([]string, 0, 3000)
	for len(inputs) < cap(inputs) {
		s := randomAnswer(rng, assigned)
		if utf8.ValidString(s) {
			inputs = append(inputs, s)
		}
	}
	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, s := range inputs {
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-c", pyNormalize)
	cmd.Stdin = &stdin
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	bad := 0
	for _, s := range inputs {
		var want string
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("reading python output: %v", err)
		}
		if got := Normalize(s); got != want {
			bad++
			if bad <= 10 {
				t.Errorf("Normalize(%+q) = %+q, python %+q", s, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d strings differ", bad, len(inputs))
	}
}

// tricky are the code points that exercise every rule.
var tricky = []rune{
	'a', 'n', 't', 'h', 'e', 'A', 'N', 'T', 'H', 'E', ' ', '.', '-', '_', '\'', ':', '1',
	'\t', '\n', 0x1c, 0x1f, 0x85, 0xa0, 0x2003, 0x200b, 0x3000, 0x180e,
	0x130, 0x131, 0x3a3, 0x3c3, 0x3c2, 0x391, 0x301, 0x307, 0x345, 0x2019, 0x2014, 0x201c,
	0xe9, 0xc9, 0xdf, 0x1e9e, 0x212a, 0x2160, 0xb2, 0x660, 0x4e00, 0x10400, 0x1f600, 0xad, 0x2d9,
}

func randomAnswer(rng *rand.Rand, assigned func(rune) bool) string {
	n := rng.IntN(12)
	var b strings.Builder
	for i := 0; i < n; i++ {
		switch k := rng.IntN(10); {
		case k < 5:
			b.WriteRune(tricky[rng.IntN(len(tricky))])
		case k < 7:
			b.WriteString([]string{"the", "an", "a", "The", "AN", " the ", "éthe", "Σ"}[rng.IntN(8)])
		default:
			for {
				var r rune
				if rng.IntN(2) == 0 {
					r = rune(rng.IntN(0x3000))
				} else {
					r = rune(rng.IntN(0x110000))
				}
				if utf8.ValidRune(r) && assigned(r) {
					b.WriteRune(r)
					break
				}
			}
		}
	}
	return b.String()
}
