#!/usr/bin/env bash
# bench/million.sh: the bounded-memory benchmark of issue 9.
#
# Runs bench/million.yaml (1,000,032 requests: 2 emulated zero-delay
# platforms x 48 demo questions x 10,417 repeats, every export format) in
# one process and prints
#   - the process's peak resident set size (/usr/bin/time -v "Maximum
#     resident set size", else the kernel's VmHWM of the process), and
#   - the aggregate and export stage durations from the run's manifest.
# Writes the figures to bench/MILLION.md. Goals: peak RSS < 300 MB,
# aggregate + export < 60 s. Takes a few minutes on 2 cores.
#
# Usage: bash bench/million.sh [extra inferbench run flags, e.g. --set repeats=1042]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/million
rm -rf "$OUT"
mkdir -p "$OUT"
go build -o bench/out/inferbench ./cmd/inferbench
CMD=(bench/out/inferbench run bench/million.yaml --out "$OUT" --no-progress "$@")
echo "+ ${CMD[*]}" >&2
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "${CMD[@]}" >"$OUT/stdout.txt" 2>"$OUT/time.txt" || true
	RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time.txt")
	HOW="/usr/bin/time -v, Maximum resident set size"
else
	"${CMD[@]}" >"$OUT/stdout.txt" 2>"$OUT/time.txt" &
	PID=$!
	RSS_KB=0
	while kill -0 "$PID" 2>/dev/null; do
		v=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status" 2>/dev/null || echo 0)
		[ -n "$v" ] && [ "$v" -gt "$RSS_KB" ] && RSS_KB=$v
		sleep 0.2
	done
	wait "$PID" || true
	HOW="VmHWM of /proc/PID/status, sampled every 0.2 s"
fi
RUN=$(ls -d "$OUT"/million-*/ | head -n 1)
read -r CELLS RECS AGG EXP QUERY < <(python3 - "$RUN/manifest.json" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1]))
def secs(d):
    # Go duration strings: 1m2.5s, 850.3ms, 12.1s
    total = 0.0
    for num, unit in re.findall(r'([0-9.]+)(h|ms|µs|us|ns|m|s)', d):
        total += float(num) * {'h': 3600, 'm': 60, 's': 1, 'ms': 1e-3, 'µs': 1e-6, 'us': 1e-6, 'ns': 1e-9}[unit]
    return total
st = {s['stage']: s for s in m['stages']}
print(m['cell_total'], st['aggregate']['in'], round(secs(st['aggregate']['duration']), 1),
      round(secs(st['export']['duration']), 1), round(secs(st['query+score']['duration']), 1))
PY
)
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')
BACK=$(awk -v a="$AGG" -v e="$EXP" 'BEGIN { printf "%.1f", a + e }')
ok() { awk -v x="$1" -v lim="$2" 'BEGIN { print (x < lim ? "yes" : "**no**") }'; }
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
SIZE=$(du -sh "$RUN/records.jsonl" | cut -f1)
{
	echo "# One million requests in bounded memory"
	echo
	echo "Written by \`bash bench/million.sh\` on $START (UTC): \`${CMD[*]}\`."
	echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)),"
	echo "$(go version | cut -d' ' -f3-4), load average at start $LOAD0, at end $LOAD1 (shared cores: figures are noisy)."
	echo
	echo "| figure | value | goal | met? |"
	echo "| --- | --- | --- | --- |"
	echo "| requests (matrix cells; records aggregated) | $CELLS; $RECS | 1,000,000 | - |"
	echo "| peak RSS of the whole run ($HOW) | $RSS_MB MB | < 300 MB | $(ok "$RSS_MB" 300) |"
	echo "| aggregate + export (manifest stage durations: $AGG s + $EXP s; formats json, csv, xlsx, markdown, html) | $BACK s | < 60 s | $(ok "$BACK" 60) |"
	echo "| query + score (for information) | $QUERY s | - | - |"
	echo "| records.jsonl size | $SIZE | - | - |"
} | tee bench/MILLION.md
