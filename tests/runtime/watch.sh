#!/bin/sh
# `kswaptrace watch` on the real kernel: JSON lines, status per node, clean
# exit 0 after --duration and on SIGINT, and no alert while a memory cgroup
# reclaims at its limit (memcg reclaim is not kswapd's trouble). The exit-3
# path of --exit-on is covered by the unit test WatchLoop.* with a synthetic source.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs

# a memcg-limit reclaim load when the machine has a memory cgroup (v2 or v1); else idle
grp=
memcg_create kst-rt-watch-$$ 64M || true
cleanup() { memcg_remove; rm -rf "$TMP"; }
trap cleanup EXIT
"$KST" watch -d 7 -i 2 --json --exit-on=livelock,futile > "$TMP/w" 2> "$TMP/e" &
pid=$!
wait_tracing "$TMP/e" $pid || { wait $pid; cat "$TMP/e"; die "watch did not start tracing"; }
if [ -n "$grp" ]; then
	sh -c "echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
	rm -f "$TMP/big"
else
	echo "note: no memory cgroup; watching an idle machine"
fi
wait $pid
rc=$?
[ "$rc" = 0 ] || { cat "$TMP/e" "$TMP/w"; die "watch exited $rc (3 = a livelock/futile verdict on this machine?)"; }
python3 - "$TMP/w" <<'PY' || die "bad watch JSON"
import json, sys
status = verdicts = 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "status":
        status += 1
        assert "nid" in j and "awake" in j and "efficiency" in j, j
    elif j["type"] == "verdict":
        verdicts += 1
        assert j["kind"] not in ("LIVELOCK", "FUTILE-RECLAIM", "HIGH-ORDER-CHURN"), j
print(f"status lines={status} verdict changes={verdicts}")
assert status >= 3, status
PY

"$KST" watch > "$TMP/w2" 2> "$TMP/w2.err" &
pid=$!
wait_tracing "$TMP/w2.err" $pid || die "text watch printed no ready banner on stderr"
sleep 1
kill -INT $pid
wait $pid || die "watch exited $? after SIGINT"
grep -q "^kswaptrace watch: .*Hit Ctrl-C to end.$" "$TMP/w2.err" || die "no watch banner on stderr"
! grep -q "kswaptrace watch:" "$TMP/w2" || die "watch's banner is on stdout (the rule: stderr)"

"$KST" -d 2 --json > "$TMP/o.json" 2>/dev/null || die "one-shot failed"
json "$TMP/o.json" "'verdicts' in j" | grep -q True || die "one-shot JSON lacks verdicts"
echo PASS
