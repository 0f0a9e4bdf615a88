package config

import (
	"encoding/json"
	"regexp"
	"unicode"
)

// secretWord is what names a credential in a flag or a variable.
const secretWord = `(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|apikey|key|auth|credential|cred)`

var (
	// ://user:password@
	urlPassword = regexp.MustCompile(`(://[^\s:/@'"]+:)([^\s@/'"]+)(@)`)
	// Bearer x, Basic x
	authScheme = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)([^\s'"]+)`)
	// --token x, --api-key=x, -password 'x'
	secretFlag = regexp.MustCompile(`(?i)(^|\s)(--?[A-Za-z0-9_-]*` + secretWord + `s?[A-Za-z0-9_-]*)(=|\s+)('[^']*'|"[^"]*"|[^\s'"-][^\s'"]*)`)
	// TOKEN=x, MY_API_KEY="x"
	secretVar = regexp.MustCompile(`(?i)(^|[\s;&|(])([A-Za-z0-9_]*` + secretWord + `[A-Za-z0-9_]*)=('[^']*'|"[^"]*"|[^\s'";&|]*)`)
	// a word of a command, for the random-looking test
	commandWord = regexp.MustCompile(`[A-Za-z0-9_\-+=./~]+`)
)

// RedactCommand returns an api_key_command's text with every token and
// secret-looking argument replaced by Redacted, as the manifest and the
// workbook's Config sheet store it: the value after a flag or in a
// variable whose name says token, secret, password, key, auth or
// credential; the credential after Bearer or Basic; a URL's password; and
// any long word that looks random (letters and digits mixed). What the
// command does (the program, paths, other flags) stays readable.
func RedactCommand(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}"+Redacted+"${3}")
	s = authScheme.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = secretFlag.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	s = secretVar.ReplaceAllString(s, "${1}${2}="+Redacted)
	return commandWord.ReplaceAllStringFunc(s, func(w string) string {
		if randomLooking(w) {
			return Redacted
		}
		return w
	})
}

// randomLooking reports a word of 16 characters or more whose letters and
// digits alternate at least 4 times: an API key, a JWT, a hex or base64
// secret, not a path or a name with a year in it.
func randomLooking(w string) bool {
	if len(w) < 16 {
		return false
	}
	changes := 0
	prev := 0 // 1 letter, 2 digit
	for _, r := range w {
		c := 0
		switch {
		case unicode.IsLetter(r):
			c = 1
		case unicode.IsDigit(r):
			c = 2
		default:
			continue
		}
		if prev != 0 && c != prev {
			changes++
		}
		prev = c
	}
	return changes >= 4
}

// MarshalJSON writes p with its api_key_command redacted (RedactCommand),
// so that no echo of the experiment (the manifest, the workbook's Config
// sheet) holds a token written into the command.
func (p Platform) MarshalJSON() ([]byte, error) {
	type plain Platform
	q := plain(p)
	q.APIKeyCommand = RedactCommand(q.APIKeyCommand)
	return json.Marshal(q)
}
