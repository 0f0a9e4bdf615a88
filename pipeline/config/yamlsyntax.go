package config

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxSyntaxSearchLines bounds the prefix search of yamlSyntaxDiagnostic,
// which parses up to one prefix per line (quadratic: about half a second
// at this size); past it the line go.yaml.in/yaml/v3 reports is used as it
// is. Experiment files are far shorter.
const maxSyntaxSearchLines = 500

// yamlErrRE takes apart a go.yaml.in/yaml/v3 syntax error.
var yamlErrRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// sliceRE finds an unquoted Python slice written as a YAML value.
var sliceRE = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_-]*):[ \t]*(\[[-+0-9 \t]*:[-+0-9 \t:]*\])`)

// yamlSyntaxDiagnostic locates a YAML syntax error where the user must
// look. go.yaml.in/yaml/v3 names a line but no column, and the line is the
// 0-based line of the enclosing collection for parser errors (so often the
// line before the problem). The line used here is the first from which
// every longer prefix of the file fails to parse: the line that breaks the
// file. The column is the unclosed "{", "[" or quote on that line, or the
// unquoted slice (with a hint to quote it), or the line's first character.
func yamlSyntaxDiagnostic(path string, data []byte, err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlErrRE.FindStringSubmatch(err.Error())
	if m != nil {
		msg = m[2]
	}
	d := Diagnostic{File: path, Message: "invalid YAML: " + msg}
	lines := bytes.SplitAfter(data, []byte("\n"))
	line := 0
	if len(lines) <= maxSyntaxSearchLines {
		line = breakingLine(lines)
	} else if m != nil && m[1] != "" {
		fmt.Sscan(m[1], &line)
	}
	if line < 1 || line > len(lines) {
		return d
	}
	text := strings.TrimRight(string(lines[line-1]), "\r\n")
	// Columns count characters, like yaml.Node.Column.
	col := func(off int) int { return utf8.RuneCountInString(text[:off]) + 1 }
	d.Line, d.Col = line, col(len(text)-len(strings.TrimLeft(text, " \t")))
	open, quote := unclosed(text)
	switch {
	case sliceRE.MatchString(text):
		sm := sliceRE.FindStringSubmatchIndex(text)
		key, val := text[sm[2]:sm[3]], text[sm[4]:sm[5]]
		d.Col = col(sm[4])
		d.Message += fmt.Sprintf("; quote it: %s: %q", key, val)
	case strings.Contains(msg, "expected ',' or '}'") && lastOpen(text, open, '{') >= 0:
		d.Col = col(lastOpen(text, open, '{'))
		d.Message += `: the "{" here is never closed`
	case strings.Contains(msg, "expected ',' or ']'") && lastOpen(text, open, '[') >= 0:
		d.Col = col(lastOpen(text, open, '['))
		d.Message += `: the "[" here is never closed`
	case quote >= 0:
		d.Col = col(quote)
		d.Message += fmt.Sprintf(": the %c here is never closed", text[quote])
	}
	return d
}

// breakingLine returns the 1-based line after the longest prefix of lines
// that parses, when every longer prefix fails; 0 when the whole input
// parses.
func breakingLine(lines [][]byte) int {
	// ends[k] is the byte length of the first k lines: a prefix is a
	// slice of the file, not a copy.
	data := bytes.Join(lines, nil)
	ends := make([]int, len(lines)+1)
	for i, l := range lines {
		ends[i+1] = ends[i] + len(l)
	}
	ok := func(k int) bool {
		var n yaml.Node
		return yaml.Unmarshal(data[:ends[k]], &n) == nil
	}
	for k := len(lines); k > 0; k-- {
		if ok(k - 1) {
			if k == len(lines) && ok(k) {
				return 0
			}
			return k
		}
	}
	return 1
}

// unclosed scans one line of YAML and returns the byte offsets of the flow
// openers ("{" and "[") not closed on it, and of a quote not closed on it
// (-1 for none). Comments are skipped; a quote or bracket counts only
// where a value can start.
func unclosed(text string) (open []int, quote int) {
	quote = -1
	valueStart := func(i int) bool {
		if strings.TrimSpace(text[:i]) == "" {
			return true
		}
		switch text[i-1] {
		case ' ', '\t', '[', '{', ',':
			return true
		}
		return len(open) > 0 && text[i-1] == ':'
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '#':
			if i == 0 || text[i-1] == ' ' || text[i-1] == '\t' {
				return open, quote
			}
		case '\'', '"':
			if !valueStart(i) {
				continue
			}
			j := i + 1
			for ; j < len(text); j++ {
				if c == '"' && text[j] == '\\' {
					j++
					continue
				}
				if text[j] == c {
					if c == '\'' && j+1 < len(text) && text[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(text) {
				return open, i
			}
			i = j
		case '{', '[':
			if len(open) > 0 || valueStart(i) {
				open = append(open, i)
			}
		case '}', ']':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
	return open, quote
}

// lastOpen returns the offset of the innermost unclosed opener c, or -1.
func lastOpen(text string, open []int, c byte) int {
	for k := len(open) - 1; k >= 0; k-- {
		if text[open[k]] == c {
			return open[k]
		}
	}
	return -1
}
