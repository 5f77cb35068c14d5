#!/bin/bash
# Live: record a few seconds under an allocating workload, report, and check
# the recording counts page allocations as the one-shot does over the same
# workload: BPF-counted pages agree with the /proc/vmstat pgalloc delta of
# the same window, in both, and both see the same allocation rate.
# Also: files are 0600, export gives a valid trace.
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to load BPF programs"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq (apt-get install jq)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-record.XXXXXX)
WL=""
cleanup() {
  [ -n "$WL" ] && kill "$WL" 2>/dev/null && wait "$WL" 2>/dev/null
  mountpoint -q "$T/shm" && umount "$T/shm"
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# workload: write and delete 128 MiB on a private tmpfs, again and again
mkdir "$T/shm" && mount -t tmpfs -o size=200m kst-rt "$T/shm" || fail "cannot mount tmpfs"
( while :; do dd if=/dev/zero of="$T/shm/f" bs=1M count=128 status=none; rm -f "$T/shm/f"; done ) &
WL=$!
sleep 1

"$KST" record -o "$T/rec" -d 4 2>"$T/record.err" || { cat "$T/record.err"; fail "record exited $?"; }
cat "$T/record.err"
"$KST" -d 4 --json >"$T/oneshot.json" 2>/dev/null || fail "one-shot failed"

"$KST" report "$T/rec" --json >"$T/report.json" 2>"$T/report.err" || { cat "$T/report.err"; fail "report failed"; }
cat "$T/report.err"
grep -q "ended: duration elapsed" "$T/report.err" || fail "recording has no clean end record"
grep -qi "warning" "$T/report.err" && fail "report warned on a clean recording"
"$KST" report "$T/rec" >"$T/report.txt" 2>/dev/null || fail "text report failed"
grep -q "^page allocations:" "$T/report.txt" || fail "text report has no page allocation section"

for f in "$T"/rec/*; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), want 600"
done
[ "$(stat -c %a "$T/rec")" = 700 ] || fail "recording directory is not 0700"

check() {  # name file: bpf pages vs vmstat pgalloc within 10%
  local pages pgalloc rate
  pages=$(jq '.page_alloc.total_pages' "$2")
  pgalloc=$(jq '.vmstat_delta.pgalloc_total' "$2")
  rate=$(jq '.page_alloc.pages_per_s' "$2")
  echo "$1: page_alloc.total_pages=$pages vmstat pgalloc delta=$pgalloc pages/s=$rate"
  [ "$pages" -gt 100000 ] || fail "$1: too few pages allocated ($pages) - workload not seen"
  awk -v a="$pages" -v b="$pgalloc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.10 * b) }' ||
    fail "$1: BPF pages $pages and vmstat $pgalloc differ by more than 10%"
}
check record "$T/report.json"
check one-shot "$T/oneshot.json"
r1=$(jq '.page_alloc.pages_per_s' "$T/report.json")
r2=$(jq '.page_alloc.pages_per_s' "$T/oneshot.json")
awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(a > b / 2 && a < b * 2) }' ||
  fail "recorded rate $r1 pages/s and one-shot rate $r2 differ by more than 2x for the same workload"
[ "$(jq '.lost_events' "$T/report.json")" = 0 ] || echo "note: ring-buffer records lost: $(jq '.lost_events' "$T/report.json")"

"$KST" export "$T/rec" --format chrome-trace -o "$T/trace.json" || fail "export failed"
jq -e '.traceEvents | map(select(.ph == "C" and (.name | startswith("free pages")))) | length > 0' "$T/trace.json" >/dev/null ||
  fail "trace has no free-pages counters"
jq -e '.traceEvents | map(select(.name == "page allocations (pages/s)")) | length >= 2' "$T/trace.json" >/dev/null ||
  fail "trace has no allocation-rate counter"
echo "PASS"
