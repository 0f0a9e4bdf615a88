package export

import (
	"archive/zip"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// excelize writes every chart series as a bare reference with an empty
// cache: Excel and LibreOffice read the cells again, but a viewer that does
// not recalculate (a file previewer, a web viewer) draws empty charts.
// cacheChartValues fills the caches from the values the Charts sheet holds.
var (
	// A scatter's x values are numbers; excelize references them as text,
	// which a viewer reading the cache would plot as 1, 2, 3.
	xValStrRe = regexp.MustCompile(`<xVal><strRef><f>([^<]+)</f></strRef></xVal>`)
	strRefRe  = regexp.MustCompile(`<strRef><f>([^<]+)</f></strRef>`)
	numRefRe  = regexp.MustCompile(`<numRef><f>([^<]+)</f><numCache>(?:<formatCode>[^<]*</formatCode>|<formatCode/>)?</numCache></numRef>`)
)

// chartCells are the literal values of the Charts sheet by absolute
// reference ("Charts!$B$2"), as the cells store them (numbers in the
// cell's own text, so that cache and cell agree to the last digit).
type chartCells map[string]string

// expand returns the values of a one-row or one-column reference such as
// "Charts!$B$2:$C$2", and false when a cell is not known.
func (c chartCells) expand(ref string) ([]string, bool) {
	sheet, rng, ok := strings.Cut(ref, "!")
	if !ok {
		return nil, false
	}
	from, to, isRange := strings.Cut(strings.ReplaceAll(rng, "$", ""), ":")
	if !isRange {
		to = from
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(from)
	c2, r2, err2 := excelize.CellNameToCoordinates(to)
	if err1 != nil || err2 != nil || (c1 != c2 && r1 != r2) {
		return nil, false
	}
	var out []string
	for r := r1; r <= r2; r++ {
		for col := c1; col <= c2; col++ {
			v, ok := c[sheet+"!$"+colName(col)+"$"+strconv.Itoa(r)]
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
	}
	return out, true
}

// cache renders the values of ref as a strCache or numCache body; ok is
// false when ref names a cell that is not known (then nothing is cached).
func (c chartCells) cache(ref string, numeric bool) (string, bool) {
	vals, ok := c.expand(ref)
	if !ok {
		return "", false
	}
	var b strings.Builder
	if numeric {
		b.WriteString("<formatCode>General</formatCode>")
	}
	fmt.Fprintf(&b, `<ptCount val="%d"/>`, len(vals))
	for i, v := range vals {
		if numeric && v == "" {
			continue // an empty cell is a gap: no point, as Excel caches it
		}
		if numeric {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return "", false
			}
		}
		fmt.Fprintf(&b, `<pt idx="%d"><v>%s</v></pt>`, i, html.EscapeString(v))
	}
	return b.String(), true
}

// fill returns a chart part's XML with every series reference cached.
func (c chartCells) fill(x []byte) []byte {
	num := func(ref string) string {
		body, ok := c.cache(ref, true)
		if !ok {
			return "<numRef><f>" + ref + "</f><numCache></numCache></numRef>"
		}
		return "<numRef><f>" + ref + "</f><numCache>" + body + "</numCache></numRef>"
	}
	x = xValStrRe.ReplaceAllFunc(x, func(m []byte) []byte {
		ref := string(xValStrRe.FindSubmatch(m)[1])
		if _, ok := c.cache(ref, true); !ok {
			return m
		}
		return []byte("<xVal>" + num(ref) + "</xVal>")
	})
	x = numRefRe.ReplaceAllFunc(x, func(m []byte) []byte {
		ref := string(numRefRe.FindSubmatch(m)[1])
		if _, ok := c.cache(ref, true); !ok {
			return m
		}
		return []byte(num(ref))
	})
	return strRefRe.ReplaceAllFunc(x, func(m []byte) []byte {
		ref := string(strRefRe.FindSubmatch(m)[1])
		body, ok := c.cache(ref, false)
		if !ok {
			return m
		}
		return []byte("<strRef><f>" + ref + "</f><strCache>" + body + "</strCache></strRef>")
	})
}

// cacheChartValues copies the workbook package src to w with the series
// caches of every chart part (xl/charts/chartN.xml) filled from cells
// and the point labels of labels added;
// every other part is copied as it is, without recompressing.
func cacheChartValues(w io.Writer, src io.ReaderAt, size int64, cells chartCells, labels pointLabels) error {
	zr, err := zip.NewReader(src, size)
	if err != nil {
		return fmt.Errorf("read workbook package: %w", err)
	}
	zw := zip.NewWriter(w)
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/charts/chart") || !strings.HasSuffix(f.Name, ".xml") {
			if err := zw.Copy(f); err != nil {
				return fmt.Errorf("copy %s: %w", f.Name, err)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("open %s: %w", f.Name, err)
		}
		x, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		hdr := f.FileHeader
		out, err := zw.CreateHeader(&zip.FileHeader{Name: hdr.Name, Method: zip.Deflate, Modified: hdr.Modified})
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		if _, err := out.Write(labels.add(cells.fill(x), cells)); err != nil {
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	return zw.Close()
}
