package export

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/inferbench/inferbench/pipeline"
	"github.com/inferbench/inferbench/pipeline/results"
	"github.com/inferbench/inferbench/pipeline/runfolder"
)

// writeRequests streams every record into the Requests sheet, its
// dimension and print setup declared first (a stream writer writes them
// before the rows).
func (b *book) writeRequests(ctx context.Context, run *pipeline.Run) error {
	d := digestOf(run)
	server := d.server
	header := requestsHeader(server)
	rows := min(d.records, MaxSheetRows-3) + 1
	if d.records > MaxSheetRows-3 {
		rows += 2 // a blank row and the note
	}
	if err := b.setDimension(SheetRequests, len(header), rows); err != nil {
		return err
	}
	if err := b.printSetup(SheetRequests); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(SheetRequests)
	if err != nil {
		return err
	}
	b.answers = newSampleAnswers(run)
	if err := b.requestsHeaderRow(sw, header); err != nil {
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

// requestsHeaderRow freezes the Requests sheet's header row, sizes and
// formats its columns, and writes the header.
func (b *book) requestsHeaderRow(sw *excelize.StreamWriter, header []string) error {
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
	return sw.SetRow("A1", hdr, excelize.RowOpts{StyleID: b.header})
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
