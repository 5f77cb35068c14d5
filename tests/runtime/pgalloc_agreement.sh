#!/bin/sh
# kmem:mm_page_alloc counted in the kernel must agree with the kernel's own
# pgalloc_* counters over the same window. kswaptrace samples /proc/vmstat at
# the same instants it reads its BPF aggregates, so the two are compared
# within 1%: allocations that bypass the tracepoint (alloc_pages_bulk) count
# in pgalloc only. The test's own wider vmstat window must contain them all.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
before=$(vmstat_sum pgalloc_)
"$KST" -d 4 --json > "$TMP/out.json" 2> "$TMP/err" &
pid=$!
wait_tracing "$TMP/err" $pid || { wait $pid; cat "$TMP/err"; die "kswaptrace did not start tracing"; }
dd if=/dev/zero of=/dev/shm/kst-rt-$$ bs=1M count=300 status=none; rm -f /dev/shm/kst-rt-$$
wait $pid || { cat "$TMP/err"; die "kswaptrace exited $?"; }
after=$(vmstat_sum pgalloc_)
bpf=$(json "$TMP/out.json" "j['page_alloc']['total_pages']")
same=$(json "$TMP/out.json" "j['vmstat_delta']['pgalloc_total']")
outer=$((after - before))
echo "traced pages=$bpf  pgalloc (same window)=$same  pgalloc (test's wider window)=$outer"
[ "$bpf" -ge 76800 ] || die "workload allocated >= 300 MiB but only $bpf pages were traced"
python3 - "$bpf" "$same" "$outer" <<'PY' || exit 1
import sys
bpf, same, outer = map(int, sys.argv[1:])
dev = abs(bpf - same) / max(same, 1)
print(f"deviation vs same-window pgalloc: {dev:.4%} (tolerance 1%)")
if dev > 0.01: sys.exit("FAIL: traced page allocations differ from pgalloc_* by more than 1%")
if bpf > outer * 1.01: sys.exit("FAIL: traced more pages than pgalloc counted in a wider window")
PY
echo PASS
