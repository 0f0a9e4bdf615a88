#!/usr/bin/env bash
# bench/overhead.sh: inferbench's client overhead against the least a Go
# client can do (bench/overhead: POST, scan the SSE lines, note the first
# content chunk), both against one fixed-delay SSE server in its own process
# (first token at 200 ms, 20 tokens 10 ms apart), at concurrency 100 and
# 1,000, one client after the other. Prints a Markdown table of TTFT and
# E2E overhead (measured - the server's truth) p50/p99 and CPU per request
# (user + system of the client's process / requests; inferbench's includes
# loading, scoring, aggregating and writing results.json).
#
#   bash bench/overhead.sh            # c = 100, 1000; 20 requests per unit of concurrency
#   LEVELS=100 PER=10 bash bench/overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/inferbench" ./cmd/inferbench
go build -o "$OUT/overhead" ./bench/overhead
"$OUT/overhead" compare -inferbench "$OUT/inferbench" -c "${LEVELS:-100,1000}" -per "${PER:-20}" -dir "$OUT/overhead-runs"
