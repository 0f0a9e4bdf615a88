package export

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/pipeline"
)

// Markdown is the pipeline.Exporter of format "markdown": it writes
// report.md, a report that stands on its own (setup, results, speedups with
// verdicts, accuracy, checks, failures, warnings, plots, metric
// definitions), and the SVG plots latency.svg, ttft_cdf.svg,
// tokens_per_sec.svg and f1.svg next to it, linked relatively (a plot
// without data is not drawn, and its file from an earlier export removed). Text from
// users and models is escaped so it cannot break the Markdown structure or
// inject HTML. It fails when run has no Results.
func Markdown(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	images, err := renderPlots(run)
	if err != nil {
		return err
	}
	for _, im := range images {
		if err := ctx.Err(); err != nil {
			return err
		}
		data := im.SVG
		if err := writeFileAtomic(filepath.Join(run.Dir, im.File), func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return err
		}
	}
	// A plot drawn by an earlier export but without data now would sit
	// beside a report that no longer shows it.
	for _, f := range plotFiles {
		if slices.ContainsFunc(images, func(im reportImage) bool { return im.File == f }) {
			continue
		}
		if err := os.Remove(filepath.Join(run.Dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	m := buildReport(run, images)
	return writeFileAtomic(filepath.Join(run.Dir, MarkdownFile), func(w io.Writer) error {
		_, err := io.WriteString(w, renderMarkdown(m))
		return err
	})
}

// mdEscaper escapes text for Markdown: HTML-significant characters become
// entities and table pipes are escaped; inline code spans stay as written.
var mdEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`)

// codeEscaper escapes inside a code span, where Markdown shows text
// literally (no HTML, no entities) and only a table pipe needs escaping.
var codeEscaper = strings.NewReplacer("|", `\|`)

// mdText escapes one line of prose: whitespace runs (newlines included)
// become one space, code spans (text between backticks) are escaped with
// codeEscaper and everything else with mdEscaper. An unpaired backtick is
// treated as text.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // unpaired backtick: no code spans
		return mdEscaper.Replace(strings.ReplaceAll(s, "`", "'"))
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("`" + codeEscaper.Replace(p) + "`")
		} else {
			b.WriteString(mdEscaper.Replace(p))
		}
	}
	return b.String()
}

func renderMarkdown(m *reportModel) string {
	var b strings.Builder
	if m.Failure != "" {
		b.WriteString("**" + mdText(m.Failure) + "**\n\n")
	}
	b.WriteString("# " + mdText(m.Title) + "\n\n")
	if m.Subtitle != "" {
		b.WriteString("_" + mdText(m.Subtitle) + "_\n\n")
	}
	for _, s := range m.Sections {
		b.WriteString("## " + mdText(s.Title) + "\n\n")
		for _, p := range s.Paragraphs {
			b.WriteString(mdText(p) + "\n\n")
		}
		for _, l := range s.Bullets {
			b.WriteString("- " + mdText(l) + "\n")
		}
		if len(s.Bullets) > 0 {
			b.WriteString("\n")
		}
		for _, t := range s.Tables {
			writeMDTable(&b, t)
		}
		for _, im := range s.Images {
			b.WriteString("![" + mdText(im.Alt) + "](" + im.File + ")\n\n")
		}
	}
	return b.String()
}

func writeMDTable(b *strings.Builder, t reportTable) {
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + mdText(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Header {
		if i < len(t.Right) && t.Right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdText(c) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
