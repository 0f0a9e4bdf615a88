package export

import "github.com/inferbench/inferbench/pipeline"

// Register adds the export formats json, csv, xlsx, markdown and html to reg,
// each with the files it writes, and sets reg.Console. It panics if a format is already registered (a
// programming error, see pipeline.Registry.AddExporter).
func Register(reg *pipeline.Registry) {
	reg.AddExporter("json", JSON, ResultsJSONFile)
	reg.AddExporter("csv", CSV, RequestsCSVFile, SummaryCSVFile)
	reg.AddExporter("xlsx", XLSX, XLSXFile)
	reg.AddExporter("markdown", Markdown, append([]string{MarkdownFile}, plotFiles...)...)
	reg.AddExporter("html", HTML, HTMLFile)
	reg.Console = Console
}
