#!/bin/sh
# Regenerates the PNG renderings in docs/example/: the quickstart's and the
# sweep's report.html as Chromium draws them (report.png,
# sweep/report.png), and the Charts, Timeline and Sweep sheets of their
# workbooks as LibreOffice prints them (workbook-charts.png,
# workbook-timeline.png, sweep/workbook-sweep.png). It runs both
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
qs=$(ls -d "$tmp"/qs/*/ | head -1)
sw=$(ls -d "$tmp"/sw/*/ | head -1)

small() { # small PNG: fewer colours when pngquant is there
	if command -v pngquant >/dev/null; then
		pngquant --force --quality 60-90 --output "$1" "$1" || true
	fi
}

# shot HTML PNG: the whole page, 1000 CSS pixels wide at 0.8 scale.
shot() {
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=0.8 \
		--window-size=1000,16000 --screenshot="$tmp/shot.png" "file://$1" >/dev/null 2>&1
	"$tmp/pngtool" trim "$2" "$tmp/shot.png"
	small "$2"
}

# sheet XLSX FIRSTWORD PNG: the printed pages of the sheet whose repeated
# header row starts with FIRSTWORD, stacked.
sheet() {
	soffice --headless --norestore "-env:UserInstallation=file://$tmp/lo" --convert-to pdf --outdir "$tmp" "$1" >/dev/null 2>&1
	pdf="$tmp/$(basename "$1" .xlsx).pdf"
	pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
	set --  "$2" "$3"
	list=""
	i=1
	while [ "$i" -le "$pages" ]; do
		if [ "$(pdftotext -f "$i" -l "$i" "$pdf" - | head -1)" = "$1" ]; then
			pdftoppm -f "$i" -l "$i" -r 70 -png "$pdf" "$tmp/page-$i"
			"$tmp/pngtool" trim "$tmp/trim-$i.png" "$(ls "$tmp"/page-"$i"*.png)"
			list="$list $tmp/trim-$i.png"
		fi
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one argument per page image
	"$tmp/pngtool" stack "$2" $list
	rm -f "$tmp"/page-*.png "$tmp"/trim-*.png
	small "$2"
}

shot "$qs/report.html" "$out/report.png"
shot "$sw/report.html" "$out/sweep/report.png"
cp "$qs/results.xlsx" "$tmp/quickstart.xlsx"
cp "$sw/results.xlsx" "$tmp/sweep.xlsx"
sheet "$tmp/quickstart.xlsx" group "$out/workbook-charts.png"
sheet "$tmp/quickstart.xlsx" "Time (s)" "$out/workbook-timeline.png"
sheet "$tmp/sweep.xlsx" Curve "$out/sweep/workbook-sweep.png"
ls -l "$out"/*.png "$out"/sweep/*.png
