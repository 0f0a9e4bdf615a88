#!/usr/bin/env bash
# bench/startup.sh: how long inferbench takes to start, against a bare Go
# binary (hello world, built here with the same Go). hyperfine runs each
# command (no shell in between, after warm-up runs) and the script writes
# bench/STARTUP.md with hyperfine's Markdown table and the package
# initialisation GODEBUG=inittrace=1 reports for `inferbench --version`
# (median of 30 runs, the ten costliest packages).
#
#   bash bench/startup.sh             # 200 runs per command
#   RUNS=50 bash bench/startup.sh
#
# score reads a tiny SQuAD-shaped file this script writes (one made-up
# paragraph), so that the figure is start-up and not parsing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
OUT=bench/out/startup
mkdir -p "$OUT/hello-src"
go build -o "$OUT/inferbench" ./cmd/inferbench
cat >"$OUT/hello-src/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("hello") }
GO
printf 'module hello\n\ngo 1.22\n' >"$OUT/hello-src/go.mod"
(cd "$OUT/hello-src" && go build -o ../hello .)
cat >"$OUT/dev.json" <<'JSON'
{"version": "1.1", "data": [{"title": "Bench", "paragraphs": [{"context": "The bench script writes this paragraph.",
 "qas": [{"id": "q1", "question": "What writes this paragraph?", "answers": [{"text": "The bench script", "answer_start": 0}]},
         {"id": "q2", "question": "What does it write?", "answers": [{"text": "this paragraph", "answer_start": 24}]}]}]}]}
JSON
echo '{"q1": "the bench script", "q2": "a paragraph"}' >"$OUT/pred.json"
ib="$OUT/inferbench"
hyperfine -N --warmup 20 --runs "${RUNS:-200}" --export-markdown "$OUT/table.md" \
  -n "bare Go binary (hello world)" "$OUT/hello" \
  -n "inferbench --version" "$ib --version" \
  -n "inferbench validate experiments/quickstart.yaml" "$ib validate experiments/quickstart.yaml" \
  -n "inferbench plan experiments/quickstart.yaml" "$ib plan experiments/quickstart.yaml" \
  -n "inferbench score (2 questions)" "$ib score --dataset $OUT/dev.json --predictions $OUT/pred.json"
for _ in $(seq 30); do GODEBUG=inittrace=1 "$ib" --version 2>&1 >/dev/null; done >"$OUT/inittrace.txt"
{
  echo "# inferbench start-up"
  echo
  echo "Written by \`bash bench/startup.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)."
  echo
  cat "$OUT/table.md"
  echo
  echo "Package initialisation of \`inferbench --version\` (GODEBUG=inittrace=1, median of 30 runs):"
  echo
  echo "| package | init ms | bytes allocated |"
  echo "|:---|---:|---:|"
  awk '$1=="init"{ms[$2]=ms[$2]" "$5; b[$2]=$8} END{for(p in ms) print p, ms[p], "|", b[p]}' "$OUT/inittrace.txt" |
    while read -r p rest; do
      times=${rest%|*}; bytes=${rest##*| }
      med=$(printf '%s\n' $times | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
      echo "$med $p $bytes"
    done | sort -gr | awk '{printf "| %s | %s | %s |\n", $2, $1, $3} {s+=$1} END{printf "| all %d packages | %.1f | |\n", NR, s}' >"$OUT/init.md"
  { head -10 "$OUT/init.md"; tail -1 "$OUT/init.md"; }
} >bench/STARTUP.md
cat bench/STARTUP.md
