#!/bin/sh
# `min-btf` (issue 20 item 3): a minimal BTF written from this kernel's full
# BTF, then the BPF backend run with it (--btf) beside one on the kernel's own
# BTF, over the same workload (a 300 MiB write to /dev/shm and memcg limit
# reclaim): page allocations within 1% of each one's own pgalloc_* delta,
# memcg reclaim episodes equal. Then the bad input: --from that is not BTF, a
# missing --from, an -o in a missing directory; one line, exit 1, no file left.
. "$(dirname "$0")/lib.subr"
need_root
command -v bpftool > /dev/null || skip "bpftool not installed (apt-get install bpftool)"
[ -r /sys/kernel/btf/vmlinux ] || skip "no /sys/kernel/btf/vmlinux to minimise"
memcg_create kst-rt-$$ 64M || skip "no memory cgroup controller, or cannot create a 64 MiB group"
cleanup() { kill $mpid $fpid 2>/dev/null; wait 2>/dev/null; memcg_remove; rm -rf "$TMP"; }
trap cleanup EXIT

"$KST" min-btf -o "$TMP/min.btf" > "$TMP/gen.out" 2> "$TMP/gen.err" || { cat "$TMP/gen.err"; die "min-btf failed"; }
cat "$TMP/gen.out"
full=$(stat -c %s /sys/kernel/btf/vmlinux) min=$(stat -c %s "$TMP/min.btf")
[ "$min" -gt 0 ] && [ "$min" -lt 65536 ] || die "the minimal BTF is $min bytes (full: $full); want under 64 KiB"
ls "$TMP" | grep -q '\.tmp\.' && die "min-btf left its temporary file"

"$KST" -d 300 --json --backend bpf --btf "$TMP/min.btf" > "$TMP/min.json" 2> "$TMP/min.err" & mpid=$!
"$KST" -d 300 --json --backend bpf > "$TMP/full.json" 2> "$TMP/full.err" & fpid=$!
wait_tracing "$TMP/min.err" $mpid || { cat "$TMP/min.err"; die "the BPF backend did not start with the minimal BTF"; }
wait_tracing "$TMP/full.err" $fpid || { cat "$TMP/full.err"; die "the BPF backend did not start"; }
dd if=/dev/zero of=/dev/shm/kst-rt-$$ bs=1M count=300 status=none; rm -f /dev/shm/kst-rt-$$
sh -c "echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
rm -f "$TMP/big"
kill -INT $mpid $fpid
wait $mpid || { cat "$TMP/min.err"; die "kswaptrace --btf min.btf exited non-zero"; }
wait $fpid || { cat "$TMP/full.err"; die "kswaptrace exited non-zero"; }
python3 - "$TMP/min.json" "$TMP/full.json" <<'PY' || exit 1
import json, sys
m, f = (json.load(open(p)) for p in sys.argv[1:3])
for name, j in (("min", m), ("full", f)):
    if j["backend"] != "bpf": sys.exit(f"FAIL: {name}: backend {j['backend']}")
    if j["lost_events"]: sys.exit(f"FAIL: {name} lost {j['lost_events']} events")
    pages, pgalloc = j["page_alloc"]["total_pages"], j["vmstat_delta"]["pgalloc_total"]
    dev = abs(pages - pgalloc) / max(pgalloc, 1)
    print(f"{name} BTF: page allocations {pages}, its pgalloc delta {pgalloc}, deviation {dev:.3%}; "
          f"memcg episodes {j['memcg_reclaim']['count']}")
    if pgalloc < 76800: sys.exit(f"FAIL: {name}: pgalloc delta {pgalloc}, the workload alone is 76800")
    if dev > 0.01: sys.exit(f"FAIL: {name}: page allocations differ from pgalloc by more than 1%")
if m["memcg_reclaim"]["count"] != f["memcg_reclaim"]["count"] or not f["memcg_reclaim"]["count"]:
    sys.exit(f"FAIL: memcg reclaim episodes: min BTF {m['memcg_reclaim']['count']}, full {f['memcg_reclaim']['count']}")
print("degraded with the minimal BTF:", m.get("degraded"))
PY

bad() { # DESCRIPTION ARGS...
	what=$1; shift
	"$KST" min-btf "$@" > "$TMP/bad.out" 2> "$TMP/bad.err"
	rc=$?
	[ $rc -eq 1 ] || die "$what: exit $rc, want 1 ($(cat "$TMP/bad.err"))"
	[ "$(wc -l < "$TMP/bad.err")" -eq 1 ] || die "$what: stderr is not one line: $(cat "$TMP/bad.err")"
	echo "  $what: $(cat "$TMP/bad.err")"
}
printf 'not btf\n' > "$TMP/junk"
bad "--from that is not BTF" --from "$TMP/junk" -o "$TMP/x.btf"
bad "--from that does not exist" --from "$TMP/none" -o "$TMP/x.btf"
bad "-o in a missing directory" -o "$TMP/no/dir/x.btf"
[ ! -e "$TMP/x.btf" ] || die "a failed min-btf left $TMP/x.btf"
ls "$TMP" | grep -q '\.tmp\.' && die "a failed min-btf left a temporary file"
"$KST" min-btf > /dev/null 2>&1; [ $? -eq 2 ] || die "min-btf without -o is not a usage error"
echo PASS
