package export

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"html/template"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/inferbench/inferbench/pipeline"
)

// HTML is the pipeline.Exporter of format "html": it writes report.html,
// the same report as report.md (built from the same model) as one
// self-contained file with inline CSS and the SVG plots inlined. Every text
// from users and models is escaped by html/template. It fails when run has
// no Results.
func HTML(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	images, err := renderPlots(run)
	if err != nil {
		return err
	}
	m := buildReport(run, images)
	var buf bytes.Buffer
	if err := htmlTemplate().Execute(&buf, m); err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	return writeFileAtomic(filepath.Join(run.Dir, HTMLFile), func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

var (
	boldRe = regexp.MustCompile(`\*\*(.+?)\*\*`)
	codeRe = regexp.MustCompile("`([^`]+)`")
	// xmlDeclRe strips the XML declaration of an SVG before inlining it.
	xmlDeclRe = regexp.MustCompile(`^<\?xml[^>]*\?>\s*`)
)

// inline escapes s and renders the two inline marks the report model uses:
// **bold** and `code`.
func inline(s string) template.HTML {
	e := html.EscapeString(s)
	e = codeRe.ReplaceAllString(e, "<code>$1</code>")
	e = boldRe.ReplaceAllString(e, "<strong>$1</strong>")
	return template.HTML(e)
}

// inlineSVG returns a plot for inlining. The SVG is produced by gonum/plot,
// which escapes every text it draws (group names included).
func inlineSVG(b []byte) template.HTML {
	return template.HTML(xmlDeclRe.ReplaceAllString(strings.TrimSpace(string(b)), ""))
}

// htmlTemplate is parsed on first use: only the HTML report needs it, and
// a package-level parse would cost every command its start-up time.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"inline": inline,
		"svg":    inlineSVG,
		"right":  func(t reportTable, i int) bool { return i < len(t.Right) && t.Right[i] },
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d6dbe3;padding-bottom:.2rem}
.sub{color:#5b6575;margin-top:0}
.failed{color:#b00020}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem;display:block;overflow-x:auto}
th,td{border:1px solid #d6dbe3;padding:.3rem .55rem;vertical-align:top}
th{background:#eef2f7;text-align:left}td.r{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f1f3f6;padding:0 .2rem;border-radius:3px}
figure{margin:1rem 0}figcaption{color:#5b6575;font-size:.85rem}
figure svg{max-width:100%;height:auto}
</style>
</head>
<body>
{{with .Failure}}<p class="failed"><strong>{{.}}</strong></p>
{{end}}<h1>{{.Title}}</h1>
{{with .Subtitle}}<p class="sub">{{.}}</p>{{end}}
{{range .Sections}}<section>
<h2>{{.Title}}</h2>
{{range .Paragraphs}}<p>{{inline .}}</p>
{{end}}{{with .Bullets}}<ul>
{{range .}}<li>{{inline .}}</li>
{{end}}</ul>
{{end}}{{range $t := .Tables}}<table>
<thead><tr>{{range $t.Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $t.Rows}}<tr>{{range $i, $c := .}}<td{{if right $t $i}} class="r"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{end}}{{range .Images}}<figure>
{{svg .SVG}}
<figcaption>{{.Alt}}</figcaption>
</figure>
{{end}}</section>
{{end}}</body>
</html>
`))
})
