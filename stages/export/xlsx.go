package export

import (
	"archive/zip"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
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

// maxColWidth caps auto-fitted column widths (characters).
const maxColWidth = 60

// pValueFormat is the number format of every p-value cell: scientific, so
// that 0.0004 and 0.00000003 do not both read 0.0000.
const pValueFormat = "0.00E+00"

// headerFont is the font of every header row, named explicitly so that a
// viewer without the workbook's theme still shows the same font.
func headerFont() *excelize.Font {
	return &excelize.Font{Bold: true, Family: "Calibri", Size: 11, Color: "000000"}
}

// book wraps an excelize file with the styles every sheet uses.
type book struct {
	f                                             *excelize.File
	header, ms, num, share, pct, integer, p, best int
	// answers are the Samples sheet's cells, gathered while the Requests
	// sheet is written (one pass over the records for both).
	answers *sampleAnswers
	// charts are the Charts sheet's values, cached into the chart parts.
	charts chartCells
}

func newBook() (*book, error) {
	f := excelize.NewFile()
	b := &book{f: f}
	ms, num, sci := "0.0", "0.00", pValueFormat
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	b.header = mk(&excelize.Style{Font: headerFont(),
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F8C9D", Style: 1}}})
	b.ms = mk(&excelize.Style{CustomNumFmt: &ms})
	b.num = mk(&excelize.Style{CustomNumFmt: &num})
	b.pct = mk(&excelize.Style{CustomNumFmt: &num})
	b.share = mk(&excelize.Style{NumFmt: 10})  // 0.00%
	b.integer = mk(&excelize.Style{NumFmt: 1}) // 0
	b.p = mk(&excelize.Style{CustomNumFmt: &sci})
	if err != nil {
		return nil, err
	}
	b.best, err = f.NewConditionalStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "006100"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}})
	return b, err
}

// styleOf returns the number style of a value kind (0 for text and bools).
func (b *book) styleOf(k valueKind) int {
	switch k {
	case kindMs:
		return b.ms
	case kindNum:
		return b.num
	case kindPct:
		return b.pct
	case kindShare:
		return b.share
	case kindInt:
		return b.integer
	case kindP:
		return b.p
	}
	return 0
}

// cellName returns the A1 name of (col,row), both 1-based.
func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

func colName(col int) string {
	s, _ := excelize.ColumnNumberToName(col)
	return s
}

// set writes one value: strings always as strings (never formulas), numbers
// at full precision, NaN and infinities as empty cells.
func (b *book) set(sheet string, col, row int, v any) error {
	c := cellName(col, row)
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return b.f.SetCellStr(sheet, c, v)
	case int:
		return b.f.SetCellInt(sheet, c, int64(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return b.f.SetCellFloat(sheet, c, v, -1, 64)
	case bool:
		return b.f.SetCellBool(sheet, c, v)
	}
	return fmt.Errorf("cell %s: unsupported value %T", c, v)
}

// table is a small sheet: a header and rows of values with per-column kinds.
type table struct {
	header []string
	kinds  []valueKind
	best   []better
	rows   [][]any
	// freezeCols is the number of leading columns kept visible when scrolling.
	freezeCols int
}

// writeTable writes t at A1 with a styled, frozen header, autofilter,
// number formats, fitted widths and best-value highlighting.
func (b *book) writeTable(sheet string, t *table) error {
	for i, h := range t.header {
		if err := b.set(sheet, i+1, 1, h); err != nil {
			return err
		}
	}
	for r, row := range t.rows {
		for c, v := range row {
			if err := b.set(sheet, c+1, r+2, v); err != nil {
				return err
			}
		}
	}
	last := colName(len(t.header))
	if err := b.f.SetCellStyle(sheet, "A1", last+"1", b.header); err != nil {
		return err
	}
	n := len(t.rows)
	for c, k := range t.kinds {
		if s := b.styleOf(k); s != 0 && n > 0 {
			col := colName(c + 1)
			if err := b.f.SetCellStyle(sheet, col+"2", col+strconv.Itoa(n+1), s); err != nil {
				return err
			}
		}
	}
	for c, w := range fitWidths(t) {
		if err := b.f.SetColWidth(sheet, colName(c+1), colName(c+1), w); err != nil {
			return err
		}
	}
	top := cellName(t.freezeCols+1, 2)
	if err := b.f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: t.freezeCols, YSplit: 1,
		TopLeftCell: top, ActivePane: activePane(t.freezeCols)}); err != nil {
		return err
	}
	if n > 0 {
		if err := b.f.AutoFilter(sheet, "A1:"+last+strconv.Itoa(n+1), nil); err != nil {
			return err
		}
	}
	if n > 1 {
		for c, bt := range t.best {
			if bt == betterNone {
				continue
			}
			typ := "bottom"
			if bt == betterHigh {
				typ = "top"
			}
			col := colName(c + 1)
			style := b.best
			if err := b.f.SetConditionalFormat(sheet, col+"2:"+col+strconv.Itoa(n+1), []excelize.ConditionalFormatOptions{
				{Type: typ, Criteria: "=", Value: "1", Format: &style},
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func activePane(freezeCols int) string {
	if freezeCols > 0 {
		return "bottomRight"
	}
	return "bottomLeft"
}

// fitWidths sizes each column to its longest rendered value.
func fitWidths(t *table) []float64 {
	w := make([]float64, len(t.header))
	for i, h := range t.header {
		w[i] = float64(utf8.RuneCountInString(h)) + 2
	}
	for _, row := range t.rows {
		for i, v := range row {
			var n int
			switch v := v.(type) {
			case string:
				n = utf8.RuneCountInString(v)
				if j := strings.IndexByte(v, '\n'); j >= 0 {
					n = utf8.RuneCountInString(v[:j])
				}
			case nil:
			default:
				n = 10
			}
			if float64(n)+2 > w[i] {
				w[i] = float64(n) + 2
			}
		}
	}
	for i := range w {
		w[i] = math.Min(w[i], maxColWidth)
	}
	return w
}

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

func summaryTable(res *results.Results) *table {
	cols := summaryColumns(res)
	t := &table{freezeCols: 3}
	for _, c := range cols {
		t.header = append(t.header, c.name)
		t.kinds = append(t.kinds, c.kind)
		t.best = append(t.best, c.best)
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		cmp := comparisonFor(res, g.GroupKey)
		row := make([]any, len(cols))
		for j, c := range cols {
			row[j] = c.value(g, cmp)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// comparisonHeader is the Comparison sheet's header: the speedup columns,
// then the paired accuracy columns (comparisonAccuracyColumns), then the
// verdict.
var comparisonHeader = append(append([]string{"platform", "model", "temperature", "baseline_platform", "baseline_model",
	"speedup_median", "ci_low", "ci_high", "speedup_mean", "p_value", "significant"}, accuracyColumnNames()...), "verdict")

func comparisonTable(res *results.Results) *table {
	t := &table{header: comparisonHeader, freezeCols: 1,
		kinds: []valueKind{kindText, kindText, kindNum, kindText, kindText, kindNum, kindNum, kindNum, kindNum, kindP, kindBool}}
	for _, a := range comparisonAccuracyColumns {
		t.kinds = append(t.kinds, a.kind)
	}
	t.kinds = append(t.kinds, kindText)
	// With load levels there is a comparison per level: a load column
	// after temperature tells them apart (as in summary.csv).
	levels := res.Sweep != nil
	if levels {
		t.header = slices.Insert(slices.Clone(t.header), 3, "load")
		t.kinds = slices.Insert(t.kinds, 3, kindText)
	}
	for _, c := range res.Comparisons {
		row := []any{c.Platform, c.Model, c.Temperature, c.Baseline.Platform, c.Baseline.Model,
			speedupValue(&c, c.SpeedupMedian), speedupValue(&c, c.CILow), speedupValue(&c, c.CIHigh), speedupValue(&c, c.SpeedupMean),
			speedupValue(&c, c.PValue), c.Significant}
		if levels {
			row = slices.Insert(row, 3, any(c.Load))
		}
		for _, a := range comparisonAccuracyColumns {
			row = append(row, a.value(&c))
		}
		t.rows = append(t.rows, append(row, verdictText(&c)))
	}
	return t
}

// MaxRepeatColumns bounds the Accuracy sheet's per-repeat columns
// (repeat_<i>_em, repeat_<i>_f1) to the first repeats: a sheet has at
// most 16,384 columns. The repeat mean and standard deviation columns
// cover every repeat; results.json lists them all.
const MaxRepeatColumns = 100

func accuracyTable(res *results.Results) *table {
	t := &table{freezeCols: 3}
	add := func(name string, k valueKind, bt better) {
		t.header = append(t.header, name)
		t.kinds = append(t.kinds, k)
		t.best = append(t.best, bt)
	}
	add("platform", kindText, betterNone)
	add("model", kindText, betterNone)
	add("temperature", kindNum, betterNone)
	for _, n := range []string{"em", "f1"} {
		add(n+"_mean", kindPct, betterHigh)
		add(n+"_ci_low", kindPct, betterNone)
		add(n+"_ci_high", kindPct, betterNone)
	}
	add("raw_em_mean", kindPct, betterHigh)
	add("raw_f1_mean", kindPct, betterHigh)
	add("extraction_gain_em", kindPct, betterNone)
	add("extraction_gain_f1", kindPct, betterNone)
	add("truncated", kindInt, betterNone)
	add("agreement", kindShare, betterNone)
	add("repeat_em_mean", kindPct, betterNone)
	add("repeat_em_stddev", kindPct, betterNone)
	add("repeat_f1_mean", kindPct, betterNone)
	add("repeat_f1_stddev", kindPct, betterNone)
	maxRep := 0
	for _, g := range res.Groups {
		maxRep = max(maxRep, len(g.RepeatEM), len(g.RepeatF1))
	}
	maxRep = min(maxRep, MaxRepeatColumns)
	for r := 0; r < maxRep; r++ {
		add(fmt.Sprintf("repeat_%d_em", r), kindPct, betterNone)
		add(fmt.Sprintf("repeat_%d_f1", r), kindPct, betterNone)
	}
	v2 := anyAnswerBreakdown(res.Groups)
	if v2 {
		for _, k := range []string{"has_ans", "no_ans"} {
			add(k+"_count", kindInt, betterNone)
			add(k+"_em", kindPct, betterHigh)
			add(k+"_f1", kindPct, betterHigh)
		}
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		emM, emS := meanStd(g.RepeatEM)
		f1M, f1S := meanStd(g.RepeatF1)
		var agree any = g.Agreement
		if len(g.RepeatEM) < 2 {
			agree = "-" // one repeat agrees with itself: n/a
		}
		row := []any{g.Platform, g.Model, g.Temperature,
			g.EM.Mean, g.EM.CILow, g.EM.CIHigh, g.F1.Mean, g.F1.CILow, g.F1.CIHigh,
			g.RawEM.Mean, g.RawF1.Mean, g.EM.Mean - g.RawEM.Mean, g.F1.Mean - g.RawF1.Mean,
			g.Truncated, agree, emM, emS, f1M, f1S}
		for r := 0; r < maxRep; r++ {
			row = append(row, at(g.RepeatEM, r), at(g.RepeatF1, r))
		}
		if v2 {
			row = append(row, breakdownValues(g.HasAns)...)
			row = append(row, breakdownValues(g.NoAns)...)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// breakdownValues are the Accuracy sheet cells of one kind of question:
// count, EM and F1, or empty cells when the group has none of that kind.
func breakdownValues(b *results.AnswerBreakdown) []any {
	if b == nil {
		return []any{nil, nil, nil}
	}
	return []any{b.Count, b.EM, b.F1}
}

// at returns xs[i] or nil when out of range.
func at(xs []float64, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return nil
}

// meanStd returns the mean and sample standard deviation of xs (nil, nil when empty).
func meanStd(xs []float64) (any, any) {
	if len(xs) == 0 {
		return nil, nil
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if len(xs) < 2 {
		return m, 0.0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

// writeRequests streams every record into the Requests sheet.
func (b *book) writeRequests(ctx context.Context, run *pipeline.Run) error {
	sw, err := b.f.NewStreamWriter(SheetRequests)
	if err != nil {
		return err
	}
	b.answers = newSampleAnswers(run)
	server := digestOf(run).server
	header := requestsHeader(server)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, h := range header {
		w := float64(len(h)) + 4
		kind := kindNum
		if i < len(requestColumns) {
			kind = requestColumns[i].kind
			switch requestColumns[i].name {
			case "answer", "error_detail":
				w = 30
			case "content", "reasoning":
				w = 50
			case "started_at":
				w = 28
			}
		}
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
		if s := b.styleOf(kind); s != 0 {
			if err := sw.SetColStyle(i+1, i+1, s); err != nil {
				return err
			}
		}
	}
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	if err := sw.SetRow("A1", hdr, excelize.RowOpts{StyleID: b.header}); err != nil {
		return err
	}
	row := make([]any, len(header))
	n, left := 0, 0 // rows written, records left out
	err = run.EachRecord(func(r *results.Record) error {
		b.answers.add(r)
		if n >= MaxSheetRows-3 { // keep a blank row and the note
			left++
			return nil
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for j, c := range requestColumns {
			row[j] = clean(c.value(r))
		}
		for j, s := range server {
			row[len(requestColumns)+j] = nil
			if v, ok := r.Server[s]; ok {
				row[len(requestColumns)+j] = clean(v)
			}
		}
		n++
		return sw.SetRow("A"+strconv.Itoa(n+1), row)
	})
	if err != nil {
		return err
	}
	if n > 0 {
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + cellName(len(header), n+1),
			Name: "RequestsTable", StyleName: "TableStyleLight1"}); err != nil {
			return err
		}
	}
	if left > 0 {
		note := []any{fmt.Sprintf("%d more requests are not shown: a sheet holds at most %d rows (Excel's limit); %s and %s have every request", left, MaxSheetRows, RequestsCSVFile, runfolder.JournalFile)}
		if err := sw.SetRow("A"+strconv.Itoa(n+3), note); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// MaxSheetRows is the most rows a worksheet holds (Excel's limit,
// 1,048,576, the header included). The Requests sheet shows the first
// MaxSheetRows - 3 records of the journal, then a blank row and a note
// saying how many are left out; requests.csv has them all. It is a
// variable for tests only.
var MaxSheetRows = 1_048_576

// MaxSampleRows bounds the Samples sheet (one row per question and
// repeat): it shows the repeats 0..k-1 for the largest k that keeps
// questions x k within it (at least one repeat), and says how many
// repeats it leaves out, so that the workbook of a million requests is
// written in bounded memory. requests.csv has every answer.
var MaxSampleRows = 10_000

// clean turns NaN and infinities into empty cells.
func clean(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil
	}
	return v
}

// sampleOrder returns the sample ids in manifest order, else sorted.
func sampleOrder(run *pipeline.Run) []string {
	if run.Manifest != nil && len(run.Manifest.Dataset.IDs) > 0 {
		return run.Manifest.Dataset.IDs
	}
	ids := make([]string, 0, len(run.Samples))
	for id := range run.Samples {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// sampleRepeat is one question in one repeat.
type sampleRepeat struct {
	id     string
	repeat int
}

// sampleAnswer is one group's answer to one question in one repeat.
type sampleAnswer struct {
	answer string
	f1     float64
}

// sampleAnswers gathers the Samples sheet's cells: the first non-warmup
// record's answer and F1 by group, question and repeat, for the repeats
// below limit (see MaxSampleRows), and the repeats seen of each question.
type sampleAnswers struct {
	limit   int
	per     map[results.GroupKey]map[sampleRepeat]sampleAnswer
	seen    map[sampleRepeat]bool
	repeats map[string][]int
	// maxRepeat is the largest repeat seen, kept or not.
	maxRepeat int
}

func newSampleAnswers(run *pipeline.Run) *sampleAnswers {
	q := max(len(sampleOrder(run)), 1)
	return &sampleAnswers{limit: max(MaxSampleRows/q, 1), per: map[results.GroupKey]map[sampleRepeat]sampleAnswer{},
		seen: map[sampleRepeat]bool{}, repeats: map[string][]int{}, maxRepeat: -1}
}

func (a *sampleAnswers) add(r *results.Record) {
	if r.Warmup {
		return
	}
	a.maxRepeat = max(a.maxRepeat, r.Repeat)
	if r.Repeat >= a.limit {
		return
	}
	k := r.Group()
	m := a.per[k]
	if m == nil {
		m = map[sampleRepeat]sampleAnswer{}
		a.per[k] = m
	}
	sr := sampleRepeat{r.SampleID, r.Repeat}
	if _, ok := m[sr]; !ok {
		m[sr] = sampleAnswer{r.Answer, r.F1}
	}
	if !a.seen[sr] {
		a.seen[sr] = true
		a.repeats[r.SampleID] = append(a.repeats[r.SampleID], r.Repeat)
	}
}

// samplesTable is the Samples sheet: one row per question and repeat (in
// manifest order, repeats ascending; a question no record reached gets one
// row with an empty repeat), with each group's answer and F1 (%) in that
// repeat side by side; empty cells where a group has no record. answers
// are the records' (nil reads them now); a last row says how many
// repeats MaxSampleRows left out.
func samplesTable(run *pipeline.Run, answers *sampleAnswers) *table {
	if answers == nil {
		answers = newSampleAnswers(run)
		_ = run.EachRecord(func(r *results.Record) error { answers.add(r); return nil })
	}
	t := &table{header: []string{"sample_id", "repeat", "title", "question", "gold_answers"},
		kinds: []valueKind{kindText, kindInt, kindText, kindText, kindText}, freezeCols: 2}
	groups := run.Results.Groups
	names := labels(groups)
	for _, n := range names {
		t.header = append(t.header, n+" answer", n+" F1 %")
		t.kinds = append(t.kinds, kindText, kindPct)
	}
	for _, rs := range answers.repeats {
		sort.Ints(rs)
	}
	for _, id := range sampleOrder(run) {
		reps := answers.repeats[id]
		if len(reps) == 0 {
			reps = []int{-1}
		}
		for _, rep := range reps {
			var repCell any = rep
			if rep < 0 {
				repCell = nil
			}
			row := []any{id, repCell, "", "", ""}
			if s := run.Samples[id]; s != nil {
				row = []any{id, repCell, s.Title, s.Question, strings.Join(s.Answers, " | ")}
			}
			for _, g := range groups {
				a, ok := answers.per[g.GroupKey][sampleRepeat{id, rep}]
				if !ok {
					row = append(row, nil, nil)
					continue
				}
				row = append(row, a.answer, 100*a.f1)
			}
			t.rows = append(t.rows, row)
		}
	}
	if answers.maxRepeat >= answers.limit {
		t.rows = append(t.rows, []any{fmt.Sprintf("repeats %d to %d are not shown (at most %d question-repeat rows); %s has every answer",
			answers.limit, answers.maxRepeat, MaxSampleRows, RequestsCSVFile)})
	}
	return t
}

func configTable(run *pipeline.Run) *table {
	t := &table{header: []string{"key", "value"}, kinds: []valueKind{kindText, kindText}, freezeCols: 1}
	add := func(k string, v any) {
		if s, ok := v.(string); ok && s == "" {
			return
		}
		t.rows = append(t.rows, []any{k, v})
	}
	res := run.Results
	add("run_id", res.RunID)
	add("stop_reason", res.StopReason)
	add("started_at", formatTime(res.StartedAt))
	add("finished_at", formatTime(res.FinishedAt))
	add("percentile_method", res.PercentileMethod)
	exp := run.Experiment
	if m := run.Manifest; m != nil {
		add("tool", m.Tool)
		add("version", m.Version)
		add("go_version", m.GoVersion)
		add("experiment_file", m.ExperimentFile)
		add("overrides", strings.Join(m.Overrides, "; "))
		add("dataset.source", m.Dataset.Source)
		add("dataset.location", m.Dataset.Location)
		add("dataset.sha256", m.Dataset.SHA256)
		add("dataset.revision", m.Dataset.Revision)
		add("dataset.version", m.Dataset.Version)
		add("dataset.total", m.Dataset.Total)
		add("dataset.ids_count", len(m.Dataset.IDs))
		add("cell_total", m.CellTotal)
		for _, p := range sortedKeys(m.Cells) {
			add("cells."+p, m.Cells[p])
		}
		for i, n := range m.Notes {
			add(fmt.Sprintf("notes[%d]", i), n)
		}
		exp = &m.Experiment
	}
	if exp != nil {
		// Through JSON so that config.Secret redacts every credential.
		if b, err := json.Marshal(exp); err == nil {
			var v any
			if json.Unmarshal(b, &v) == nil {
				flatten("experiment", v, add)
			}
		}
	}
	return t
}

// flatten emits every leaf of a decoded JSON value as a dotted path.
func flatten(prefix string, v any, add func(string, any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			flatten(prefix+"."+k, v[k], add)
		}
	case []any:
		for i, e := range v {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), e, add)
		}
	case string:
		add(prefix, v)
	case float64:
		add(prefix, v)
	case bool:
		add(prefix, strconv.FormatBool(v))
	case nil:
	}
}

// chartColumns are the data columns of the Charts sheet, after the group
// label. Their headers are the category labels of the bar charts.
var chartColumns = []figureColumn[*results.GroupStats]{
	{"Latency p50 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.P50) }},
	{"Latency p95 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.P95) }},
	{"TTFT p50 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.TTFTMs, g.TTFTMs.P50) }},
	{"TTFT p95 (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.TTFTMs, g.TTFTMs.P95) }},
	{"Output tokens/s (mean per request)", kindNum, func(g *results.GroupStats) any { return chartValue(g.TokensPerSec, g.TokensPerSec.Mean) }},
	{"F1 (%)", kindPct, func(g *results.GroupStats) any { return chartValue(g.F1, g.F1.Mean) }},
	{"Mean latency (ms)", kindMs, func(g *results.GroupStats) any { return chartValue(g.LatencyMs, g.LatencyMs.Mean) }},
}

// chartValue is v, a statistic of d, or nil when d has no values.
func chartValue(d results.Dist, v float64) any {
	if d.N == 0 {
		return nil
	}
	return v
}

// chartCol returns the 1-based Charts sheet column of the chartColumns
// entry name (the group label is column 1).
func chartCol(name string) int { return columnNumber(chartColumns, 2, name) }

// figureColumn is a numeric column of a sheet written from one value of S
// a row (the Charts and Sweep sheets).
type figureColumn[S any] struct {
	name string
	kind valueKind
	// get returns nil (an empty cell: no bar, no point) for a figure of
	// no values, such as the latency of a group without a successful
	// request.
	get func(S) any
}

// columnNumber returns the 1-based sheet column of the entry name of
// cols, whose first entry is column first.
func columnNumber[S any](cols []figureColumn[S], first int, name string) int {
	for i, c := range cols {
		if c.name == name {
			return first + i
		}
	}
	panic("export: no sheet column " + name)
}

// groupColors is the palette of the charts (Tableau 10): group i is drawn
// in groupColors[i % len] in every chart, so a group keeps its colour from
// one chart to the next.
var groupColors = []string{"4E79A7", "F28E2B", "E15759", "76B7B2", "59A14F", "EDC948", "B07AA1", "FF9DA7", "9C755F", "BAB0AC"}

// chartTextColor is the colour of every chart text (titles, axis labels,
// legend): Excel's default axis text is a light grey that is hard to read.
const chartTextColor = "262626"

// chartFont is the font of chart texts; bold for titles.
func chartFont(bold bool, size float64) excelize.Font {
	return excelize.Font{Color: chartTextColor, Bold: bold, Size: size, Family: "Calibri"}
}

// chartText is a title run in the chart text font.
func chartText(s string, bold bool, size float64) excelize.ChartTitle {
	f := chartFont(bold, size)
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: s, Font: &f}}}
}

// writeCharts writes the chart data table (literal values, never
// formulas, so that a viewer that does not recalculate draws the same
// bars) and five native charts. In the four bar charts every group is a
// series of its own colour (groupColors) over the statistics shown, the
// value axis starts at 0 and is titled with its unit; the scatter plots
// mean latency against F1, each group a marker of its colour, both axes
// from 0 (F1 up to 100).
func (b *book) writeCharts(res *results.Results) error {
	t := &table{header: []string{"group"}, kinds: []valueKind{kindText}, freezeCols: 1}
	for _, c := range chartColumns {
		t.header = append(t.header, c.name)
		t.kinds = append(t.kinds, c.kind)
	}
	names := labels(res.Groups)
	for i := range res.Groups {
		row := []any{names[i]}
		for _, c := range chartColumns {
			row = append(row, c.get(&res.Groups[i]))
		}
		t.rows = append(t.rows, row)
	}
	if err := b.writeTable(SheetCharts, t); err != nil {
		return err
	}
	if err := b.rememberChartCells(SheetCharts, t); err != nil {
		return err
	}
	n := len(res.Groups)
	if n == 0 {
		return nil
	}
	abs := func(col, row int) string { return "$" + colName(col) + "$" + strconv.Itoa(row) }
	fill := func(i int) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{groupColors[i%len(groupColors)]}}
	}
	// bars: one series per group over the columns from..to of its row.
	bars := func(from, to int) []excelize.ChartSeries {
		s := make([]excelize.ChartSeries, n)
		for i := range s {
			r := i + 2
			s[i] = excelize.ChartSeries{Name: SheetCharts + "!" + abs(1, r),
				Categories: SheetCharts + "!" + abs(from, 1) + ":" + abs(to, 1),
				Values:     SheetCharts + "!" + abs(from, r) + ":" + abs(to, r),
				Fill:       fill(i)}
		}
		return s
	}
	dim := excelize.ChartDimension{Width: 640, Height: 380}
	legend := excelize.ChartLegend{Position: "bottom", Font: &excelize.Font{Color: chartTextColor, Size: 9}}
	// Bars start at zero: an axis fitted to 92.1 vs 92.3 makes a 0.2-point
	// F1 difference look like a factor of three.
	zero, hundred := 0.0, 100.0
	valueAxis := func(title string, max *float64) excelize.ChartAxis {
		return excelize.ChartAxis{Minimum: &zero, Maximum: max, MajorGridLines: true,
			Font: chartFont(false, 9), Title: chartText(title, false, 10)}
	}
	catAxis := excelize.ChartAxis{Font: chartFont(false, 9)}
	vary := false // colours come from the series, never from the data point
	barChart := func(title, yTitle string, from, to int, max *float64) *excelize.Chart {
		return &excelize.Chart{Type: excelize.Col, Series: bars(from, to), Title: chartText(title, true, 12),
			Dimension: dim, Legend: legend, XAxis: catAxis, YAxis: valueAxis(yTitle, max), VaryColors: &vary}
	}
	charts := []struct {
		at    string
		chart *excelize.Chart
	}{
		{"J2", barChart("Latency p50 / p95 by group", "Latency (ms)", chartCol("Latency p50 (ms)"), chartCol("Latency p95 (ms)"), nil)},
		{"V2", barChart("TTFT p50 / p95 by group", "TTFT (ms)", chartCol("TTFT p50 (ms)"), chartCol("TTFT p95 (ms)"), nil)},
		{"J23", barChart("Output tokens/s by group (mean per request)", "Tokens/s", chartCol("Output tokens/s (mean per request)"), chartCol("Output tokens/s (mean per request)"), nil)},
		{"V23", barChart("F1 by group", "F1 (%)", chartCol("F1 (%)"), chartCol("F1 (%)"), &hundred)},
	}
	var scatter []excelize.ChartSeries
	xCol, yCol := chartCol("Mean latency (ms)"), chartCol("F1 (%)")
	for i := 0; i < n; i++ {
		if res.Groups[i].LatencyMs.N == 0 {
			continue // no latency: no point, rather than one at 0 ms
		}
		r := i + 2
		scatter = append(scatter, excelize.ChartSeries{
			Name:       SheetCharts + "!" + abs(1, r),
			Categories: SheetCharts + "!" + abs(xCol, r),
			Values:     SheetCharts + "!" + abs(yCol, r),
			// An explicit fill: without one excelize writes an empty
			// marker shape, which LibreOffice draws as nothing.
			Marker: excelize.ChartMarker{Symbol: "circle", Size: 9, Fill: fill(i)},
		})
	}
	if len(scatter) > 0 {
		charts = append(charts, struct {
			at    string
			chart *excelize.Chart
		}{"J44", &excelize.Chart{Type: excelize.Scatter, Series: scatter, Title: chartText("Mean latency vs F1 by group", true, 12),
			Dimension: dim, Legend: legend,
			XAxis: excelize.ChartAxis{Minimum: &zero, MajorGridLines: true, Font: chartFont(false, 9), Title: chartText("Mean latency (ms)", false, 10)},
			YAxis: valueAxis("F1 (%)", &hundred)}})
	}
	for _, c := range charts {
		if err := b.f.AddChart(SheetCharts, c.at, c.chart); err != nil {
			return fmt.Errorf("chart at %s: %w", c.at, err)
		}
	}
	return nil
}

// rememberChartCells records the cells of table t, as written on sheet,
// for the chart caches (see cacheChartValues): each cell's own text, so
// that cache and cell agree to the last digit. Sheets add to one map.
func (b *book) rememberChartCells(sheet string, t *table) error {
	if b.charts == nil {
		b.charts = chartCells{}
	}
	for c := range t.header {
		for r := 1; r <= len(t.rows)+1; r++ {
			v, err := b.f.GetCellValue(sheet, cellName(c+1, r), excelize.Options{RawCellValue: true})
			if err != nil {
				return err
			}
			b.charts[sheet+"!$"+colName(c+1)+"$"+strconv.Itoa(r)] = v
		}
	}
	return nil
}

// formatP renders a p-value for humans.
func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
