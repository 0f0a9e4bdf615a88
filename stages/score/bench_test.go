package score

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScoreFiles scores the full SQuAD v1.1 dev set (10,570 questions)
// against the BERT reference predictions, end to end: reading both files,
// parsing, normalizing and printing.
func BenchmarkScoreFiles(b *testing.B) {
	dev := squadDev(b)
	pred := filepath.Join(filepath.Dir(dev), "reference", "pred-dev-v1.1-bert-ensemble-google.json")
	b.ReportAllocs()
	for b.Loop() {
		if err := ScoreFiles(io.Discard, io.Discard, dev, pred, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseDataset is the dataset parse alone.
func BenchmarkParseDataset(b *testing.B) {
	data, err := os.ReadFile(squadDev(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDataset(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkF1 is one v1.1 F1 of a short answer pair, ASCII and Unicode.
func BenchmarkF1(b *testing.B) {
	for _, c := range []struct{ name, pred, gold string }{
		{"ascii", "the Denver Broncos, of course.", "Denver Broncos"},
		{"unicode", "Ὀδυσσεύς — the ΣΟΦΟΣ İstanbul", "Ὀδυσσεύς in İstanbul"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				F1(c.pred, c.gold)
			}
		})
	}
}

// BenchmarkMatcherScoreV1 is the per-question hot path over the dev set:
// one prediction against all its gold answers, EM and F1.
func BenchmarkMatcherScoreV1(b *testing.B) {
	dev := squadDev(b)
	data, err := os.ReadFile(dev)
	if err != nil {
		b.Fatal(err)
	}
	ds, err := ParseDataset(data)
	if err != nil {
		b.Fatal(err)
	}
	pdata, err := os.ReadFile(filepath.Join(filepath.Dir(dev), "reference", "pred-dev-v1.1-bert-ensemble-google.json"))
	if err != nil {
		b.Fatal(err)
	}
	preds, err := ParsePredictions(pdata)
	if err != nil {
		b.Fatal(err)
	}
	var m Matcher
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := &ds.Questions[i%len(ds.Questions)]
		m.ScoreV1(preds[q.ID], q.Answers)
		i++
	}
}
