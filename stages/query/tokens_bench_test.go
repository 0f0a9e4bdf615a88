package query

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/stages/tokenize"
)

// BenchmarkTokenEnds measures where the tokens of a 500-token answer end
// (o200k_base), done for every answer counted with a tokenizer.
func BenchmarkTokenEnds(b *testing.B) {
	tk, err := tokenize.Get(tokenize.O200kBase)
	if err != nil {
		b.Fatal(err)
	}
	answer := strings.Repeat("A benchmark answer of plain words, numbers such as 1,024 and 4096, and punctuation. ", 25)
	b.ReportAllocs()
	for b.Loop() {
		tokenEnds(tk, answer)
	}
}
