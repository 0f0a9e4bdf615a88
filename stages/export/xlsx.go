package export

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/pipeline"
)

// Sheet names of results.xlsx, in workbook order. Summary is first and active.
const (
	SheetSummary    = "Summary"
	SheetComparison = "Comparison"
	SheetAccuracy   = "Accuracy"
	SheetRequests   = "Requests"
	SheetSamples    = "Samples"
	SheetConfig     = "Config"
	SheetCharts     = "Charts"
	SheetTimeline   = "Timeline"
)

// SheetNames lists the workbook's sheets in order (a run with load levels
// adds SheetSweep last).
var SheetNames = []string{SheetSummary, SheetComparison, SheetAccuracy, SheetRequests, SheetSamples, SheetConfig, SheetCharts, SheetTimeline}

// XLSX is the pipeline.Exporter of format "xlsx": it writes results.xlsx
// with the sheets of SheetNames. Summary holds plain numbers (no formulas),
// one header row (SummaryHeader) and one row per group; Requests is written
// with a stream writer; cells holding user data or model output are always
// strings. Every sheet declares its used range and prints landscape, one
// page wide, its header on every page and each chart on a page of its own
// (see printSetup, placeCharts). It fails when run has no Results.
func XLSX(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	b, err := newBook()
	if err != nil {
		return fmt.Errorf("xlsx styles: %w", err)
	}
	defer b.f.Close()
	for _, s := range b.sheetWriters(ctx, run) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.write(); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", s.sheet, err)
		}
	}
	b.f.SetActiveSheet(0)
	return b.save(run.Dir)
}

// sheetWriter writes one sheet.
type sheetWriter struct {
	sheet string
	write func() error
}

// sheetWriters creates the workbook's sheets (in SheetNames order, Sweep
// last when the run has load levels) and returns their writers.
func (b *book) sheetWriters(ctx context.Context, run *pipeline.Run) []sheetWriter {
	res := run.Results
	pal := paletteOf(res)
	steps := []sheetWriter{
		{SheetSummary, func() error {
			t := summaryTable(res)
			if err := b.writeTable(SheetSummary, t); err != nil {
				return err
			}
			return b.collapseDetail(SheetSummary, t.header)
		}},
		{SheetComparison, func() error { return b.writeTable(SheetComparison, comparisonTable(res)) }},
		{SheetAccuracy, func() error { return b.writeTable(SheetAccuracy, accuracyTable(res)) }},
		{SheetRequests, func() error { return b.writeRequests(ctx, run) }},
		{SheetSamples, func() error { return b.writeTable(SheetSamples, samplesTable(run, b.answers)) }},
		{SheetConfig, func() error {
			if err := b.writeTable(SheetConfig, configTable(run)); err != nil {
				return err
			}
			return b.portrait(SheetConfig)
		}},
		{SheetCharts, func() error { return b.writeCharts(res, pal) }},
		{SheetTimeline, func() error { return b.writeTimeline(digestOf(run).timeline, pal) }},
	}
	if sw := res.Sweep; sw != nil {
		steps = append(steps, sheetWriter{SheetSweep, func() error { return b.writeSweep(sw, anyClient(res.Groups), pal) }})
	}
	for i, s := range steps {
		create := func() error { _, err := b.f.NewSheet(s.sheet); return err }
		if i == 0 {
			create = func() error { return b.f.SetSheetName("Sheet1", s.sheet) }
		}
		write := s.write
		steps[i].write = func() error {
			if err := create(); err != nil {
				return err
			}
			return write()
		}
	}
	return steps
}

// save writes the package into dir as XLSXFile, with the chart caches
// filled (cacheChartValues). excelize builds the whole package in memory
// unless given a zip writer: it is written to a temporary file instead (a
// million request rows make a package of hundreds of MB), compressed at
// flate's best speed.
func (b *book) save(dir string) error {
	pkg, err := os.CreateTemp(dir, ".results-*.xlsx.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(pkg.Name())
	defer pkg.Close()
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(pkg)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	if err := b.f.Write(io.Discard); err != nil {
		return err
	}
	size, err := pkg.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, XLSXFile), func(w io.Writer) error {
		return cacheChartValues(w, pkg, size, b.charts, b.labels)
	})
}
