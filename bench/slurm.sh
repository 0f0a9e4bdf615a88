#!/usr/bin/env bash
# bench/slurm.sh: docs/cluster.md's Slurm example, run end to end on a
# single-node Slurm set up by hand in a temporary folder (issue 13).
#
# Needs root, Go, python3 and Debian's packages:
#   apt-get install slurmctld slurmd slurm-client munge        (Slurm 22.05)
# Starts munged, slurmctld and slurmd in a temporary folder (one node of 4
# CPU slots), builds inferbench onto the jobs' PATH, takes the array script,
# the campaign commands and the recovery commands out of docs/cluster.md (so
# the doc and this test cannot drift apart) and runs them against
# bench/slurm.yaml (two emulated platforms, offline), in three campaigns:
#   1. normal:  the array (its tasks begin together at START_AT) and its
#               afterok merge;
#   2. cancel:  scancel index 2 while it sends; the merge stays PENDING
#               (DependencyNeverSatisfied); the doc's recovery resubmits
#               index 2 and moves the merge onto it (scontrol update ...
#               dependency=afterok:NEW); the new task must resume the folder;
#   3. requeue: scontrol requeue index 1 while it sends; Slurm reruns the same
#               command 2-3 minutes later, which must resume its own folder,
#               and --open-mode=append must keep the first attempt's output.
# Each campaign then checks that merged/results.json has every request of
# both platforms and passes the experiment's check. Writes bench/SLURM.md
# (checks, job states, exit codes, timings; a hand-written "## Earlier runs"
# section at its end is kept) and exits 1 if a check failed. Takes about
# 8 minutes; every wait is bounded. The daemons are stopped by their PIDs at
# the end, also on failure or Ctrl-C; the temporary folder is removed when
# every check passed, and kept (with the logs) otherwise.
#
# Usage: bash bench/slurm.sh            (as root; SLURM_BENCH_YAML=FILE for another experiment)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export PATH=/usr/local/go/bin:$PATH
YAML=$(realpath "${SLURM_BENCH_YAML:-bench/slurm.yaml}")
DOC=docs/cluster.md
REPORT=bench/SLURM.md
CELLS_PER_GROUP=96 # bench/slurm.yaml: 48 demo questions x 2 repeats
GROUPS_WANTED=2
N=4

[ "$(id -u)" = 0 ] || { echo "bench/slurm.sh: run it as root (it starts munged and the Slurm daemons)" >&2; exit 2; }
for c in munged slurmctld slurmd sbatch scontrol squeue sinfo; do
	command -v "$c" >/dev/null || { echo "bench/slurm.sh: $c is missing: apt-get install slurmctld slurmd slurm-client munge" >&2; exit 2; }
done

T=$(mktemp -d /tmp/inferbench-slurm.XXXXXX)
chmod 755 "$T"
mkdir -p "$T"/{etc,state,spool,log,run,bin,runs,submit}
install -d -m 755 -o munge -g munge "$T/munge"
PIDS=()
UP=0
RESULTS=()  # "| campaign | check | ok/FAIL | detail |" rows
FAILED=0
T0=$(date +%s)

log() { printf '[%s +%4ss] %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - T0))" "$*" >&2; }
row() { # campaign, check, ok|FAIL, detail
	RESULTS+=("| $1 | $2 | $3 | $4 |")
	[ "$3" = ok ] || FAILED=1
	log "$1: $2: $3 ($4)"
}

cleanup() {
	local p
	[ "$UP" = 1 ] && for j in $(timeout 10 squeue -h -o %A 2>/dev/null | sort -u); do timeout 10 scancel "$j" 2>/dev/null; done
	for ((k = ${#PIDS[@]} - 1; k >= 0; k--)); do
		p=${PIDS[k]}
		kill "$p" 2>/dev/null && for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- munge and Slurm, by hand (no systemd) -----------------------------------
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$T/munge/munge.key"
chmod 400 "$T/munge/munge.key"
runuser -u munge -- munged -F --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" \
	--pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
	--seed-file="$T/munge/munged.seed" >"$T/log/munged.out" 2>&1 &
PIDS+=($!)

CPUS=4 # every shard gets a CPU slot at once (config_overrides: the machine may have fewer)
cat >"$T/etc/slurm.conf" <<EOF
ClusterName=inferbench
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
KillWait=10
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/etc/slurm.conf
for _ in $(seq 50); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.1; done
if [ ! -S "$T/munge/munge.socket" ]; then
	echo "bench/slurm.sh: munged did not start:" >&2
	cat "$T/log/munged.out" >&2
	exit 1
fi
slurmctld -D -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$T/log/slurmd.out" 2>&1 &
PIDS+=($!)
end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt "$end" ]; do
	[ "$(timeout 5 sinfo -h -o %T 2>/dev/null)" = idle ] && UP=1 && break
	sleep 0.5
done
if [ "$UP" != 1 ]; then
	echo "bench/slurm.sh: the node did not come up idle; logs in $T/log" >&2
	tail -n 20 "$T"/log/*.log "$T"/log/*.out >&2
	exit 1
fi
SLURM_VERSION=$(sinfo --version)
log "$SLURM_VERSION up: node localhost, $CPUS CPUs, in $T"

# --- inferbench on the jobs' PATH ---------------------------------------------
go build -o "$T/bin/inferbench" ./cmd/inferbench || exit 1
export PATH=$T/bin:$PATH
CODE=$(git -C "$REPO" log -1 --format='%h %s' | cut -c1-100)
DIRTY=$(git -C "$REPO" status --porcelain --untracked-files=no | grep -v '^.. bench/' | wc -l)

# --- the doc's blocks, taken literally ----------------------------------------
# block MARKER: the fenced block of docs/cluster.md whose text holds MARKER.
block() {
	awk -v m="$1" '/^ *```/ { if (inb) { if (hit) { printf "%s", buf; exit } inb = 0; buf = ""; hit = 0; next }
			inb = 1; ind = index($0, "`") - 1; next }
		inb { l = $0; if (substr(l, 1, ind) ~ /^ *$/) l = substr(l, ind + 1); buf = buf l "\n"; if (index(l, m)) hit = 1 }' "$REPO/$DOC"
}
# The only changes: this machine's campaign root, the bench experiment,
# --cpus-per-task=1 so that the 4 tasks fit the node, and a shorter START_AT.
adapt() {
	sed -e "s#/shared/inferbench-runs#$T/runs#g" -e "s#experiments/metis-vs-sophia.yaml#$YAML#g" \
		-e 's#--cpus-per-task=4#--cpus-per-task=1#' -e "s#'+10 min'#'+$LEAD sec'#"
}
LEAD=20 # START_AT: the doc's 10 minutes, cut to 20 s (the 4 tasks start within a few seconds here)
block '# shards.sbatch' | adapt >"$T/submit/shards.sbatch"
block '# campaign:' | adapt >"$T/submit/campaign.sh"
block '# recover:' | adapt >"$T/submit/recover.sh"
for f in shards.sbatch campaign.sh recover.sh; do
	[ -s "$T/submit/$f" ] || { echo "bench/slurm.sh: no '$f' block found in $DOC" >&2; exit 1; }
done
cd "$T/submit" # the submit dir: the jobs start here and write their .out files here

# --- helpers over scontrol -----------------------------------------------------
# field JOBID KEY: KEY=value from `scontrol -o show job JOBID` (first record)
field() { scontrol -o show job "$1" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# state JOBID: JobState
state() { field "$1" JobState; }
# wait_for JOBID PATTERN SECONDS: until JobState (or "STATE/Reason") matches PATTERN
wait_for() {
	local end=$(($(date +%s) + $3)) s
	while [ "$(date +%s)" -lt "$end" ]; do
		s="$(state "$1")/$(field "$1" Reason)"
		[[ $s =~ $2 ]] && return 0
		sleep 1
	done
	log "timeout after $3 s waiting for $1 to match $2 (now $s)"
	return 1
}
# wait_ended JOBID... SECONDS: until no task of these jobs is pending or running
# (a job pending with DependencyNeverSatisfied counts as ended: it never runs)
wait_ended() {
	local secs=${*: -1} end ids=("${@:1:$#-1}") left
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		left=$(for j in "${ids[@]}"; do scontrol -o show job "$j" 2>/dev/null; done |
			grep -v 'Reason=DependencyNeverSatisfied' |
			grep -cE 'JobState=(PENDING|RUNNING|REQUEUED|CONFIGURING|COMPLETING|REQUEUE_HOLD|SUSPENDED)')
		[ "$left" = 0 ] && return 0
		sleep 2
	done
	log "timeout after $secs s waiting for ${ids[*]} to end"
	return 1
}
TABLE=() # markdown rows of job records
record() { # campaign, JOBID...: one row per task
	local c=$1 j
	shift
	for j in "$@"; do
		scontrol -o show job "$j" 2>/dev/null | while read -r line; do
			get() { tr ' ' '\n' <<<"$line" | sed -n "s/^$1=//p" | head -n 1; }
			id=$(get JobId)
			at=$(get ArrayTaskId)
			[ -n "$at" ] && id="$(get ArrayJobId)_$at"
			s=$(get StartTime)
			e=$(get EndTime)
			d=-
			if [[ $s == 20* && $e == 20* ]]; then d=$(($(date -d "$e" +%s) - $(date -d "$s" +%s))); fi
			echo "| $c | $id | $(get JobName) | $(get JobState) | $(get Reason) | $(get ExitCode) | $(get Restarts) | ${s#*T} | ${e#*T} | $d |"
		done | sort -t'|' -k3,3V
	done
}
# check_merged campaign: merged/results.json has every cell
check_merged() {
	local c=$1 res="$RUNS/merged/results.json" got
	if [ ! -f "$res" ]; then
		row "$c" "merged results.json has every cell" FAIL "no $res"
		return
	fi
	got=$(python3 - "$res" "$CELLS_PER_GROUP" "$GROUPS_WANTED" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want, ngroups = int(sys.argv[2]), int(sys.argv[3])
gs = (r.get("results") or {}).get("groups") or []
counts = [g.get("count") for g in gs]
succ = [g.get("successes") for g in gs]
checks = (r.get("results") or {}).get("checks") or r.get("checks") or []
passed = sum(1 for c in checks if c.get("passed"))
ok = len(gs) == ngroups and all(c == want for c in counts) and succ == counts and passed == len(checks)
print(("ok " if ok else "FAIL ") + "%d groups, requests per group %s, successes %s (want %d x %d); checks passed %d of %d" % (len(gs), counts, succ, ngroups, want, passed, len(checks)))
PY
)
	row "$c" "merged results.json has every cell" "${got%% *}" "${got#* }"
}
# campaign NAME: run the doc's campaign block; sets RUNS, JOB, MERGE
campaign() {
	local out
	unset START_AT
	out=$(bash -euo pipefail -c "$(cat campaign.sh); echo \"RUNS=\$RUNS JOB=\$JOB MERGE=\$MERGE START_AT=\${START_AT:-}\"" 2>&1)
	echo "$out" >"$T/log/campaign-$1.txt"
	eval "$(grep -o 'RUNS=[^ ]* JOB=[0-9]* MERGE=[0-9]* START_AT=[^ ]*' <<<"$out" | tail -n 1)"
	export RUNS START_AT
	log "$1: campaign $RUNS, array $JOB, merge $MERGE, START_AT=$START_AT"
	sleep 1 # the doc's folder name carries a stamp to the second
}
merge_exit() { field "$MERGE" ExitCode; }
# sending JOB_IDX: wait until the task runs and has been sending for 5 s (after START_AT)
sending() {
	wait_for "$1" '^RUNNING' 120 || return 1
	local at=0
	[ -n "$START_AT" ] && at=$(date -d "$START_AT" +%s)
	while [ "$(date +%s)" -lt $((at + 5)) ]; do sleep 1; done
	sleep 5
}
# together campaign: the shards' first requests began within 1 s of each other, at START_AT
together() {
	local got
	got=$(python3 - "$RUNS/shards" "$START_AT" <<'PY'
import json, glob, sys, datetime
def t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
firsts = []
for d in sorted(glob.glob(sys.argv[1] + "/*-shard-*")):
    starts = [t(json.loads(l)["started_at"]) for l in open(d + "/records.jsonl") if l.strip()]
    if starts:
        firsts.append(min(starts))
at = t(sys.argv[2]) if sys.argv[2] else None
spread = max(firsts) - min(firsts) if firsts else -1
ok = len(firsts) == 4 and spread <= 1 and (at is None or min(firsts) >= at - 0.5)
late = "%.2f s" % (min(firsts) - at) if at and firsts else "-"
print(("ok " if ok else "FAIL ") + "%d shards, first requests %.2f s apart, first one %s after START_AT" % (len(firsts), spread, late))
PY
)
	row "$1" "the shards began sending together (--start-at)" "${got%% *}" "${got#* }"
}
outfiles() { ls "$T"/submit/*.out 2>/dev/null | sed "s#$T/submit/##" | tr '\n' ' '; }

# --- 1. normal ------------------------------------------------------------------
campaign normal
wait_ended "$JOB" "$MERGE" 240
TABLE+=("$(record normal "$JOB" "$MERGE")")
if [ "$(state "$MERGE")" = COMPLETED ]; then
	row normal "array COMPLETED, afterok merge ran" ok "merge exit $(merge_exit)"
else
	row normal "array COMPLETED, afterok merge ran" FAIL "merge $(state "$MERGE")/$(field "$MERGE" Reason), exit $(merge_exit); tasks: $(scontrol -o show job "$JOB" | grep -o 'JobState=[A-Z]* .*ExitCode=[0-9:]*' | sed 's/ .*ExitCode=/ exit /' | tr '\n' ';')"
fi
together normal
check_merged normal

# --- 2. cancel one running task, recover ----------------------------------------
campaign cancel
CJ=${JOB}_2
sending "$CJ"
scancel "$CJ"
log "cancel: scancel $CJ"
wait_ended "$JOB" 240
if wait_for "$MERGE" 'PENDING/DependencyNeverSatisfied' 60; then
	row cancel "merge PENDING (DependencyNeverSatisfied) after scancel $CJ" ok "$CJ $(state "$CJ")"
else
	row cancel "merge PENDING (DependencyNeverSatisfied) after scancel $CJ" FAIL "merge $(state "$MERGE")/$(field "$MERGE" Reason)"
fi
OLDJOB=$JOB
# the doc's recovery block (it resubmits index 2)
out=$(JOB=$JOB MERGE=$MERGE bash -euo pipefail -c "$(cat recover.sh); echo \"NEW=\$NEW\"" 2>&1)
echo "$out" >"$T/log/recover.txt"
NEW=$(grep -o 'NEW=[0-9]*' <<<"$out" | tail -n 1 | cut -d= -f2)
log "cancel: resubmitted index 2 as $NEW; merge $MERGE now $(field "$MERGE" Dependency)"
wait_ended "$NEW" "$MERGE" 240
TABLE+=("$(record cancel "$OLDJOB" "$NEW" "$MERGE")")
if [ "$(state "$MERGE")" = COMPLETED ]; then
	row cancel "resubmitted index + scontrol update dependency=afterok:NEW: merge ran" ok "merge exit $(merge_exit)"
else
	row cancel "resubmitted index + scontrol update dependency=afterok:NEW: merge ran" FAIL "merge $(state "$MERGE")/$(field "$MERGE" Reason), exit $(merge_exit): $(tail -n 3 "$T/submit/inferbench-merge-$MERGE.out" 2>/dev/null | tr '\n' ' ')"
fi
folders=$(ls -d "$RUNS"/shards/*-shard-2-of-$N-* 2>/dev/null | wc -l)
row cancel "the resubmitted index resumed the cancelled folder" "$([ "$folders" = 1 ] && echo ok || echo FAIL)" "$folders folder(s) for shard 2/$N"
check_merged cancel

# --- 3. requeue one running task ------------------------------------------------
campaign requeue
RJ=${JOB}_1
sending "$RJ"
scontrol requeue "$RJ"
RQ_AT=$(date +%s)
log "requeue: scontrol requeue $RJ"
wait_for "$RJ" '^RUNNING' 300
RQ_DELAY=$(($(date +%s) - RQ_AT))
log "requeue: $RJ running again after $RQ_DELAY s (Restarts=$(field "$RJ" Restarts))"
wait_ended "$JOB" "$MERGE" 240
TABLE+=("$(record requeue "$JOB" "$MERGE")")
if [ "$(state "$MERGE")" = COMPLETED ]; then
	row requeue "requeued task ran again, afterok merge ran" ok "$RJ ran again $RQ_DELAY s after the requeue (restarts $(field "$RJ" Restarts)), merge exit $(merge_exit)"
else
	row requeue "requeued task ran again, afterok merge ran" FAIL "$RJ $(state "$RJ") exit $(field "$RJ" ExitCode); merge $(state "$MERGE")/$(field "$MERGE" Reason) exit $(merge_exit): $(tail -n 3 "$T/submit/inferbench-merge-$MERGE.out" 2>/dev/null | tr '\n' ' ')"
fi
folders=$(ls -d "$RUNS"/shards/*-shard-1-of-$N-* 2>/dev/null | wc -l)
row requeue "the requeued task resumed its own folder" "$([ "$folders" = 1 ] && echo ok || echo FAIL)" "$folders folder(s) for shard 1/$N"
hint=$(grep -c 'continue with --resume' "inferbench-$RJ.out" 2>/dev/null)
row requeue "--open-mode=append kept the first run's resume hint" "$([ "${hint:-0}" -ge 1 ] && echo ok || echo FAIL)" "inferbench-$RJ.out has ${hint:-0} hint line(s)"
check_merged requeue

# --- report -----------------------------------------------------------------------
ELAPSED=$(($(date +%s) - T0))
# a hand-written "## Earlier runs" section at the end of the report is kept
EARLIER=$(sed -n '/^## Earlier runs/,$p' "$REPO/$REPORT" 2>/dev/null)
cp -r "$T/submit" "$T/log/submit-copy" 2>/dev/null
{
	echo "# bench/slurm.sh: docs/cluster.md's Slurm example on a single-node Slurm"
	echo
	echo "Written by \`bash bench/slurm.sh\` (as root) on $(date -u '+%Y-%m-%d %H:%M UTC') in ${ELAPSED} s:"
	echo "$SLURM_VERSION (Debian slurm-wlm), one node of $CPUS CPU slots on a $(nproc)-core machine,"
	echo "munged, slurmctld and slurmd started by hand in a temporary folder (\$TMP below). Code: \`$CODE\`"
	[ "$DIRTY" != 0 ] && echo "(with uncommitted changes outside bench/)."
	echo
	echo "The array script (\`# shards.sbatch\`), the campaign (\`# campaign:\`) and the recovery"
	echo "(\`# recover:\`) are the blocks of docs/cluster.md, taken out of the doc by the script, with"
	echo "four changes: the campaign root is the temporary folder, START_AT is $LEAD s ahead instead of 10 minutes, the experiment is"
	if [ "$YAML" = "$REPO/bench/slurm.yaml" ]; then
		echo "[\`bench/slurm.yaml\`](slurm.yaml) (2 emulated platforms x 96 cells, about 1.5 s a request;"
		echo "its check holds only for the merged run), and \`--cpus-per-task=1\` so that 4 tasks fit the node."
	else
		echo "\`$YAML\` (SLURM_BENCH_YAML), and \`--cpus-per-task=1\` so that 4 tasks fit the node."
	fi
	echo
	echo "| campaign | check | result | detail |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${RESULTS[@]}"
	echo
	echo "Jobs (scontrol show job; times UTC, duration in s; the cancelled campaign's resubmitted index is its own job):"
	echo
	echo "| campaign | job | name | state | reason | exit | restarts | start | end | s |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	printf '%s\n' "${TABLE[@]}"
	echo
	echo "Lines of each job's output file (\`--output=inferbench-%A_%a.out\`, \`--open-mode=append\`):"
	echo
	echo '```'
	for f in $(ls -v "$T"/submit/*.out); do
		echo "== ${f##*/}"
		grep -v '^\s*$' "$f" | grep -E 'inferbench:|interrupt|given twice|missing|run folder|CANCELLED|error' | tail -n 8
	done
	echo '```'
	echo
	[ "$FAILED" = 0 ] && echo "Every check passed." || echo "Some checks FAILED (see above)."
	echo
	echo "$EARLIER"
} | sed "s#$T#\$TMP#g" >"$REPO/$REPORT"
log "wrote $REPORT ($([ "$FAILED" = 0 ] && echo 'every check passed' || echo "some checks FAILED; logs, jobs' output and runs kept in $T"))"
cleanup
[ "$FAILED" = 0 ] && rm -rf "$T"
exit "$FAILED"
