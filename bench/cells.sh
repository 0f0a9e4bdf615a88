#!/usr/bin/env bash
# bench/cells.sh: memory and time against the number of matrix cells
# (issue 13, "Cells are generated lazily").
#
# Uses bench/million.yaml (2 emulated zero-delay platforms x 48 demo
# questions x R repeats = 96 R cells) and measures with /usr/bin/time -v:
#   - `inferbench plan` wall time and peak RSS for about 10k, 100k, 1M and
#     10M cells (goal at 10M: < 2 s and < 100 MB);
#   - `inferbench run` peak RSS of a zero-delay emulated run for about
#     10k and 100k cells (and 1M with RUN_SIZES="105 1042 10417"), json
#     export only, so that the figure is the query stage's and the
#     aggregation's, not the workbook's.
# Writes bench/CELLS.md. Takes a few minutes on 2 shared cores.
#
# Usage: bash bench/cells.sh            (PLAN_SIZES / RUN_SIZES: repeats)
set -euo pipefail
cd "$(dirname "$0")/.."
PLAN_SIZES=${PLAN_SIZES:-"105 1042 10417 104167"}
RUN_SIZES=${RUN_SIZES:-"105 1042"}
OUT=bench/out/cells
rm -rf "$OUT"
mkdir -p "$OUT"
go build -o bench/out/inferbench ./cmd/inferbench
BIN=bench/out/inferbench
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
# measure LABEL CMD...: runs CMD under /usr/bin/time -v, prints "secs rss_mb".
measure() {
	local label=$1
	shift
	/usr/bin/time -v "$@" >"$OUT/$label.out" 2>"$OUT/$label.time" || { echo "failed: $*" >&2; tail -5 "$OUT/$label.time" >&2; exit 1; }
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
		/Maximum resident set size/ { rss = $2 }
		END { printf "%.2f %.0f\n", s, rss / 1024 }' "$OUT/$label.time"
}
cells() { grep -o 'total requests: [0-9]*' "$1" | grep -o '[0-9]*$'; }
PLAN_ROWS=()
for r in $PLAN_SIZES; do
	read -r secs mb < <(measure "plan-$r" "$BIN" plan bench/million.yaml --set repeats="$r" --set max_cells=20000000)
	PLAN_ROWS+=("| $(cells "$OUT/plan-$r.out") | $secs s | $mb MB |")
done
RUN_ROWS=()
for r in $RUN_SIZES; do
	read -r secs mb < <(measure "run-$r" "$BIN" run bench/million.yaml --out "$OUT/runs-$r" --no-progress \
		--set repeats="$r" --set max_cells=20000000 --set 'export.formats=[json]')
	n=$(python3 -c 'import json,sys,glob; print(json.load(open(glob.glob(sys.argv[1]+"/million-*/manifest.json")[0]))["cell_total"])' "$OUT/runs-$r")
	RUN_ROWS+=("| $n | $secs s | $mb MB | $(awk -v m="$mb" -v n="$n" 'BEGIN { printf "%.0f", m * 1048576 / n }') |")
	rm -rf "$OUT/runs-$r"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
{
	echo "# Memory against the number of cells"
	echo
	echo "Written by \`bash bench/cells.sh\` on $START (UTC) with bench/million.yaml (2 emulated zero-delay"
	echo "platforms x 48 demo questions x R repeats), measured by \`/usr/bin/time -v\` (wall clock, Maximum"
	echo "resident set size). Machine: $(nproc) cores, $(go version | cut -d' ' -f3-4), load average at"
	echo "start $LOAD0, at end $LOAD1 (shared cores: times are noisy)."
	echo
	echo "\`inferbench plan bench/million.yaml --set repeats=R --set max_cells=20000000\`"
	echo "(goal at 10M cells: < 2 s and < 100 MB; before lazy cells: 7.9 s and 1.2 GB):"
	echo
	echo "| cells | wall time | peak RSS |"
	echo "| --- | --- | --- |"
	printf '%s\n' "${PLAN_ROWS[@]}"
	echo
	echo "\`inferbench run bench/million.yaml --set repeats=R --set 'export.formats=[json]'\` (zero-delay"
	echo "emulated endpoints, 64 in flight per platform; the whole process: emulators, query, aggregation):"
	echo
	echo "| cells | wall time | peak RSS | bytes per cell |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${RUN_ROWS[@]}"
} | tee bench/CELLS.md
