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
)

// SheetNames lists the workbook's sheets in order.
var SheetNames = []string{SheetSummary, SheetComparison, SheetAccuracy, SheetRequests, SheetSamples, SheetConfig, SheetCharts}

// XLSX is the pipeline.Exporter of format "xlsx": it writes results.xlsx
// with the sheets of SheetNames. Summary holds plain numbers (no formulas),
// one header row (SummaryHeader) and one row per group; Requests is written
// with a stream writer; cells holding user data or model output are always
// strings. It fails when run has no Results.
func XLSX(ctx context.Context, run *pipeline.Run) error {
	if err := checkRun(run); err != nil {
		return err
	}
	b, err := newBook()
	if err != nil {
		return fmt.Errorf("xlsx styles: %w", err)
	}
	defer b.f.Close()
	if err := b.f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, s := range SheetNames[1:] {
		if _, err := b.f.NewSheet(s); err != nil {
			return err
		}
	}
	steps := []struct {
		sheet string
		write func() error
	}{
		{SheetSummary, func() error { return b.writeTable(SheetSummary, summaryTable(run.Results)) }},
		{SheetComparison, func() error { return b.writeTable(SheetComparison, comparisonTable(run.Results)) }},
		{SheetAccuracy, func() error { return b.writeTable(SheetAccuracy, accuracyTable(run.Results)) }},
		{SheetRequests, func() error { return b.writeRequests(ctx, run) }},
		{SheetSamples, func() error { return b.writeTable(SheetSamples, samplesTable(run, b.answers)) }},
		{SheetConfig, func() error { return b.writeTable(SheetConfig, configTable(run)) }},
		{SheetCharts, func() error { return b.writeCharts(run.Results) }},
	}
	if sw := run.Results.Sweep; sw != nil {
		if _, err := b.f.NewSheet(SheetSweep); err != nil {
			return err
		}
		steps = append(steps, struct {
			sheet string
			write func() error
		}{SheetSweep, func() error { return b.writeSweep(sw, anyClient(run.Results.Groups)) }})
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.write(); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", s.sheet, err)
		}
	}
	b.f.SetActiveSheet(0)
	// excelize builds the whole package in memory unless given a zip
	// writer: write it to a temporary file instead (a million request rows
	// make a package of hundreds of MB), compressed at flate's best speed.
	pkg, err := os.CreateTemp(run.Dir, ".results-*.xlsx.tmp")
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
	return writeFileAtomic(filepath.Join(run.Dir, XLSXFile), func(w io.Writer) error {
		return cacheChartValues(w, pkg, size, b.charts)
	})
}
