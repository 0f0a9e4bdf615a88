package export

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// pointLabels label the points of scatter series with text from cells:
// excelize can only label a point with its value, its category or its
// series name, so the labels are written into the chart part after it
// (see cacheChartValues). A series is named by its x and y references;
// the value is the reference of its labels (one cell per point).
type pointLabels map[[2]string]string

var (
	scatterSerRe = regexp.MustCompile(`(?s)<ser>.*?</ser>`)
	serXYRe      = regexp.MustCompile(`<xVal><numRef><f>([^<]+)</f>.*<yVal><numRef><f>([^<]+)</f>`)
)

// add returns x (a chart part) with the labels of every series of
// scatter charts that pl names, from the cells' values.
func (pl pointLabels) add(x []byte, cells chartCells) []byte {
	if len(pl) == 0 || !strings.Contains(string(x), "<scatterChart>") {
		return x
	}
	return scatterSerRe.ReplaceAllFunc(x, func(ser []byte) []byte {
		m := serXYRe.FindSubmatch(ser)
		if m == nil {
			return ser
		}
		ref, ok := pl[[2]string{string(m[1]), string(m[2])}]
		if !ok {
			return ser
		}
		texts, ok := cells.expand(ref)
		if !ok {
			return ser
		}
		s := string(ser)
		i := strings.Index(s, "<xVal>")
		return []byte(s[:i] + dataLabels(texts) + s[i:])
	})
}

// dataLabels is a series' dLbls element giving point i the text
// texts[i], right of the point, in the chart text colour at 8 pt.
func dataLabels(texts []string) string {
	const show = `<showLegendKey val="0"/><showVal val="1"/><showCatName val="0"/><showSerName val="0"/><showPercent val="0"/><showBubbleSize val="0"/>`
	var b strings.Builder
	b.WriteString("<dLbls>")
	for i, t := range texts {
		b.WriteString(`<dLbl><idx val="` + strconv.Itoa(i) + `"/><tx><rich><a:bodyPr/><a:p><a:r><a:rPr sz="800"><a:solidFill><a:srgbClr val="` +
			chartTextColor + `"/></a:solidFill></a:rPr><a:t>` + html.EscapeString(t) + `</a:t></a:r></a:p></rich></tx><dLblPos val="r"/>` + show + `</dLbl>`)
	}
	b.WriteString(`<spPr><a:noFill/><a:ln><a:noFill/></a:ln></spPr><dLblPos val="r"/>` +
		`<showLegendKey val="0"/><showVal val="0"/><showCatName val="0"/><showSerName val="0"/><showPercent val="0"/><showBubbleSize val="0"/></dLbls>`)
	return b.String()
}
