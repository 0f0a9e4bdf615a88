#!/bin/sh
# Regenerates the PNG renderings in docs/example/: the quickstart's and the
# sweep's report.html as Chromium draws them (report.png: its top,
# report-plots.png: its plots; the same in sweep/), and the Charts,
# Timeline and Sweep sheets of their workbooks as LibreOffice prints them
# (workbook-charts.png, workbook-timeline.png, sweep/workbook-sweep.png);
# and copies the runs' report.md (report.html) and plots there. It runs both
# experiments (offline, about 10 seconds), then:
#   chromium --headless --screenshot     the reports
#   soffice --headless --convert-to pdf  the workbooks, one sheet's pages
#   pdftotext, pdftoppm (poppler-utils)  found by the header each page repeats
#   pngquant (optional)                  fewer colours, smaller files
# Debian: apt-get install chromium libreoffice-calc poppler-utils pngquant
# Usage: bench/render.sh            (from anywhere in the repository)
set -eu
cd "$(dirname "$0")/.."
out=docs/example
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/inferbench" ./cmd/inferbench
go build -o "$tmp/pngtool" ./bench/pngtool
"$tmp/inferbench" run experiments/quickstart.yaml --out "$tmp/qs" --no-progress >/dev/null
"$tmp/inferbench" run experiments/sweep.yaml --out "$tmp/sw" --no-progress >/dev/null
"$tmp/inferbench" run experiments/lengths.yaml --out "$tmp/ln" --no-progress >/dev/null
qs=$(ls -d "$tmp"/qs/*/ | head -1)
sw=$(ls -d "$tmp"/sw/*/ | head -1)
ln=$(ls -d "$tmp"/ln/*/ | head -1)

small() { # small PNG: fewer colours when pngquant is there
	if command -v pngquant >/dev/null; then
		pngquant --force --quality 60-90 --output "$1" "$1" || true
	fi
}

# chrome HTML PNG WIDTH HEIGHT: a screenshot of the page's top
# WIDTH x HEIGHT CSS pixels at 0.8 scale, its white bottom cut.
chrome() {
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=0.8 \
		--window-size="$3,$4" --screenshot="$tmp/shot.png" "file://$1" >/dev/null 2>&1
	"$tmp/pngtool" trim "$2" "$tmp/shot.png"
	small "$2"
}

# shot HTML PNG PLOTSPNG: the report's first screens (title, setup,
# results), and all its plots two by two: a page of the report's head and
# its <figure> blocks (the whole report is too long for one image).
shot() {
	chrome "$1" "$2" 1000 2200
	{
		sed -n '1,/<body>/p' "$1"
		echo '<style>body{max-width:none;display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}</style>'
		awk '/<figure>/ {p = 1} p {print} /<\/figure>/ {p = 0}' "$1"
		echo '</body></html>'
	} >"$tmp/plots.html"
	chrome "$tmp/plots.html" "$3" 1240 6000
}

# sheet XLSX HEADER1 HEADER2 PNG: the printed pages of the sheet whose
# header row (repeated on every page) has a cell HEADER1 and one that
# contains HEADER2, stacked.
sheet() {
	pdf="$tmp/$(basename "$1" .xlsx).pdf"
	[ -f "$pdf" ] || soffice --headless --norestore "-env:UserInstallation=file://$tmp/lo" --convert-to pdf --outdir "$tmp" "$1" >/dev/null 2>&1
	pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
	list=""
	i=1
	while [ "$i" -le "$pages" ]; do
		pdftotext -f "$i" -l "$i" "$pdf" "$tmp/page.txt"
		if grep -qx "$2" "$tmp/page.txt" && grep -q "$3" "$tmp/page.txt"; then
			pdftoppm -f "$i" -l "$i" -r 70 -png "$pdf" "$tmp/page-$i"
			"$tmp/pngtool" trim "$tmp/trim-$i.png" "$(ls "$tmp"/page-"$i"*.png)"
			list="$list $tmp/trim-$i.png"
		fi
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one argument per page image
	"$tmp/pngtool" stack "$4" $list
	rm -f "$tmp"/page-*.png "$tmp"/trim-*.png
	small "$4"
}

# The example reports and their plots, from the same runs as the PNGs.
rm -f "$out"/*.svg "$out"/sweep/*.svg
cp "$qs"/report.md "$qs"/report.html "$qs"/*.svg "$out/"
cp "$sw"/report.md "$sw"/*.svg "$out/sweep/"
shot "$qs/report.html" "$out/report.png" "$out/report-plots.png"
shot "$sw/report.html" "$out/sweep/report.png" "$out/sweep/report-plots.png"
mkdir -p "$out/lengths"
rm -f "$out"/lengths/*.svg
cp "$ln"/report.md "$ln"/*.svg "$out/lengths/"
shot "$ln/report.html" "$out/lengths/report.png" "$out/lengths/report-plots.png"
cp "$qs/results.xlsx" "$tmp/quickstart.xlsx"
cp "$sw/results.xlsx" "$tmp/sweep.xlsx"
sheet "$tmp/quickstart.xlsx" group Output "$out/workbook-charts.png"
# The Timeline sheet prints its charts alone (no header row): its pages
# are those with its charts' time axis (the quickstart's bins are 0.1 s).
sheet "$tmp/quickstart.xlsx" "Seconds since the first request was sent (bins of 0.1 s)" "Seconds" "$out/workbook-timeline.png"
sheet "$tmp/sweep.xlsx" Curve Level "$out/sweep/workbook-sweep.png"
ls -l "$out"/*.png "$out"/sweep/*.png "$out"/lengths/*.png
