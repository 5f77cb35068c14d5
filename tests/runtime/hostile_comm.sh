#!/bin/sh
# Process names are attacker-controlled: any user can set one with
# prctl(PR_SET_NAME). A writer whose name is invalid UTF-8 and holds terminal
# escape sequences reclaims memory in a 64 MiB memory cgroup while kswaptrace
# records and traces; the one-shot JSON, the text report, `report --json` and
# `export` must all succeed, keep the reclaim episodes, and never print the
# raw bytes (issue 17, items 1 and 2).
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
memcg_create kst-rt-comm-$$ 64M || skip "no memory cgroup controller, or cannot make a cgroup"
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	memcg_remove
	rm -rf "$TMP"
}
trap cleanup EXIT

# the hostile name: 0xff 0xfe (invalid UTF-8), an OSC title and a screen clear
cat > "$TMP/hostile.py" <<'PY'
import ctypes, os, sys
name = b"\xff\xfe\x1b]0;x\x07\x1b[2J"
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:  # PR_SET_NAME
    sys.exit("prctl failed")
open("/proc/self/cgroup")  # the caller moved us into the cgroup before exec
buf = b"\0" * (1 << 20)
with open(sys.argv[1], "wb") as f:
    for _ in range(256):
        f.write(buf)
    f.flush()
    os.fsync(f.fileno())
PY

"$KST" -d 8 --json > "$TMP/oneshot.json" 2> "$TMP/oneshot.err" &
pids="$pids $!"; oneshot=$!
"$KST" record -o "$TMP/rec" -d 8 2> "$TMP/record.err" &
pids="$pids $!"; recorder=$!
wait_tracing "$TMP/oneshot.err" $oneshot || { cat "$TMP/oneshot.err"; die "one-shot did not start tracing"; }
wait_tracing "$TMP/record.err" $recorder || { cat "$TMP/record.err"; die "record did not start tracing"; }
sh -c "echo \$\$ > $grp/cgroup.procs; exec python3 $TMP/hostile.py $TMP/big" || die "the hostile writer failed"
rm -f "$TMP/big"
wait $oneshot; rc=$?
[ $rc = 0 ] || { cat "$TMP/oneshot.err"; die "one-shot --json failed (exit $rc)"; }
wait $recorder || { cat "$TMP/record.err"; die "record failed"; }
pids=

# every output parses and names the writer with U+FFFD for the invalid bytes
python3 - "$TMP/oneshot.json" <<'PY' || die "one-shot JSON lacks the hostile writer"
import json, sys
j = json.load(open(sys.argv[1]))
top = j["direct_reclaim"]["top_commands"]  # direct + memcg reclaim
names = [t["comm"] for t in top]
print("memcg episodes", j["memcg_reclaim"]["count"], "top commands", [n.encode("unicode_escape") for n in names])
assert any(n.startswith("\ufffd\ufffd\x1b]0;x") for n in names), names
PY
"$KST" report "$TMP/rec" --json > "$TMP/report.json" 2> "$TMP/report.err" || { cat "$TMP/report.err"; die "report --json failed"; }
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/report.json" || die "report --json is not JSON"
grep -q 'uFFFD\|\\ufffd\|�' "$TMP/report.json" || die "report --json lost the writer's name"
"$KST" report "$TMP/rec" > "$TMP/report.txt" 2>> "$TMP/report.err" || die "text report failed"
"$KST" export "$TMP/rec" -o "$TMP/trace.json" 2>> "$TMP/report.err" || { cat "$TMP/report.err"; die "export failed"; }
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/trace.json" || die "export wrote invalid JSON"
# no raw ESC or BEL reaches a terminal, and the escaped form is shown
for f in "$TMP/report.txt" "$TMP/report.err" "$TMP/oneshot.err" "$TMP/record.err"; do
	if LC_ALL=C grep -q "$(printf '[\033\007]')" "$f"; then die "raw control bytes in $(basename "$f")"; fi
done
grep -qF '\xff\xfe\x1b]0;x\x07\x1b[2J' "$TMP/report.txt" || { cat "$TMP/report.txt"; die "text report does not show the escaped name"; }
echo PASS
