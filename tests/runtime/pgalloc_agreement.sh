#!/bin/sh
# kmem:mm_page_alloc counted in the kernel must agree with the kernel's own
# pgalloc_* counters over the same window. kswaptrace samples /proc/vmstat at
# the same instants it reads its BPF aggregates, so the two are compared
# within 1%: allocations that bypass the tracepoint (alloc_pages_bulk) count
# in pgalloc only. The test's own wider vmstat window must contain them all.
# Per zone type, the pages the handler attributed by pfn range must agree
# with that type's pgalloc_<zone> counter the same way.
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
python3 - "$bpf" "$same" "$outer" "$TMP/out.json" <<'PY' || exit 1
import json, sys
bpf, same, outer = map(int, sys.argv[1:4])
dev = abs(bpf - same) / max(same, 1)
print(f"deviation vs same-window pgalloc: {dev:.4%} (tolerance 1%)")
if dev > 0.01: sys.exit("FAIL: traced page allocations differ from pgalloc_* by more than 1%")
if bpf > outer * 1.01: sys.exit("FAIL: traced more pages than pgalloc counted in a wider window")
j = json.load(open(sys.argv[4]))
by_type = {}
for row in j["page_alloc"]["by_zone"]:
    ztype = row["zone"].split("/")[-1].lower()
    by_type[ztype] = by_type.get(ztype, 0) + row["pages"]
vm = j["vmstat_delta"]
for ztype, pages in sorted(by_type.items()):
    print(f"zone type {ztype}: traced {pages} pages, pgalloc_{ztype} {vm.get('pgalloc_' + ztype, 'n/a')}")
checked = 0
for key, n in vm.items():
    if not key.startswith("pgalloc_") or key == "pgalloc_total" or n < 10000: continue
    ztype = key[len("pgalloc_"):]
    got = by_type.get(ztype, 0)
    zdev = abs(got - n) / n
    if zdev > 0.01:
        sys.exit(f"FAIL: {got} pages attributed to {ztype} zones, pgalloc_{ztype} counted {n} ({zdev:.2%})")
    checked += 1
if not checked: sys.exit("FAIL: no zone type allocated 10000 pages in the window")
# This host has neither fentry nor kprobes: bulk-allocator pages cannot be counted, and the output says so
bulk = j["page_alloc"].get("bulk_allocator")
if bulk is None or bulk["counted"] or bulk["pgalloc_minus_traced"] != vm["pgalloc_total"] - j["page_alloc"]["total_pages"]:
    sys.exit(f"FAIL: page_alloc.bulk_allocator is {bulk}: want counted false and pgalloc minus traced")
print(f"bulk allocator: not counted, pgalloc - traced = {bulk['pgalloc_minus_traced']}")
PY
"$KST" -d 1 > "$TMP/text" 2>/dev/null || die "text one-shot failed"
grep -q "not counted: pages from the bulk allocator" "$TMP/text" || die "text output lacks the bulk-allocator line"
echo PASS
