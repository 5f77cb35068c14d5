#!/bin/bash
# Crash safety of the real recorder: SIGTERM and SIGHUP flush and write the
# end record; after SIGKILL everything but at most the last flush interval reads
# back (a torn last block is skipped with a warning, never a crash).
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to load BPF programs"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq (apt-get install jq)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-kill.XXXXXX)
REC=""
cleanup() {
  local rc=$?
  [ -n "$REC" ] && kill -9 "$REC" 2>/dev/null && wait "$REC" 2>/dev/null
  rm -rf "$T"
  if [ -n "$REC" ] && kill -0 "$REC" 2>/dev/null; then echo "FAIL: recorder $REC left running"; exit 1; fi
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }

# wait until the recorder says it is recording; prints the time it did
started() {
  for _ in $(seq 200); do
    grep -q "^Recording to" "$1" 2>/dev/null && { now; return 0; }
    sleep 0.05
  done
  return 1
}

# SIGTERM: clean stop
"$KST" record -o "$T/term" 2>"$T/term.err" &
REC=$!
started "$T/term.err" >/dev/null || fail "recorder did not start: $(cat "$T/term.err")"
sleep 2
kill -TERM $REC
wait $REC || fail "record exited $? after SIGTERM"
REC=""
"$KST" report "$T/term" >/dev/null 2>"$T/term.rep" || fail "report after SIGTERM failed"
grep -q "ended: stopped by signal" "$T/term.rep" || { cat "$T/term.rep"; fail "no end record after SIGTERM"; }

# SIGHUP (an SSH drop, a service reload): the same clean stop, exit 0
"$KST" record -o "$T/hup" 2>"$T/hup.err" &
REC=$!
started "$T/hup.err" >/dev/null || fail "recorder did not start: $(cat "$T/hup.err")"
sleep 1
kill -HUP $REC
wait $REC || fail "record exited $? after SIGHUP"
REC=""
"$KST" report "$T/hup" >/dev/null 2>"$T/hup.rep" || fail "report after SIGHUP failed"
grep -q "ended: stopped by signal" "$T/hup.rep" || { cat "$T/hup.rep"; fail "no end record after SIGHUP"; }

# SIGKILL: flush interval 0.25 s, sampling every 0.1 s
"$KST" record -o "$T/kill" --flush-interval 0.25 --sample-interval 0.1 2>"$T/kill.err" &
REC=$!
t0=$(started "$T/kill.err") || fail "recorder did not start: $(cat "$T/kill.err")"
sleep 3
t1=$(now)
kill -9 $REC
wait $REC 2>/dev/null
REC=""
"$KST" report "$T/kill" --json >"$T/kill.json" 2>"$T/kill.rep" || { cat "$T/kill.rep"; fail "report after SIGKILL failed"; }
cat "$T/kill.rep"
grep -q "no end record" "$T/kill.rep" || fail "report did not notice the missing end record"
if grep -qi warning "$T/kill.rep"; then
  grep -i warning "$T/kill.rep" | grep -qv torn && fail "unexpected warning after SIGKILL"
fi
dur=$(jq .duration_s "$T/kill.json")
# the recording covers [start, last flush]; at most a flush interval (+ slack) is lost
awk -v d="$dur" -v a="$t0" -v b="$t1" 'BEGIN {
  alive = b - a; lost = alive - d
  printf "recorder alive %.2f s after start, recording covers %.2f s, lost %.2f s\n", alive, d, lost
  exit !(lost <= 0.25 + 0.35) }' || fail "more than the last flush interval was lost"
echo "PASS"
