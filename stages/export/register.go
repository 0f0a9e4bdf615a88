package export

import "github.com/inferbench/inferbench/pipeline"

// Register adds the export formats json, csv, xlsx, markdown and html to reg
// and sets reg.Console. It panics if a format is already registered (a
// programming error, see pipeline.Registry.AddExporter).
func Register(reg *pipeline.Registry) {
	reg.AddExporter("json", JSON)
	reg.AddExporter("csv", CSV)
	reg.AddExporter("xlsx", XLSX)
	reg.AddExporter("markdown", Markdown)
	reg.AddExporter("html", HTML)
	reg.Console = Console
}
