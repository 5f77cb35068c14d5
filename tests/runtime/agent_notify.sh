#!/bin/sh
# `kswaptrace agent` speaks systemd's notify protocol: READY=1 once tracing,
# STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 and exit 0 on
# SIGHUP. systemd is not PID 1 here, so the test plays its part: a datagram
# socket in NOTIFY_SOCKET that records what arrives.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
"$KST" agent --help > /dev/null || die "no agent command"
sock=$TMP/notify.sock
python3 - "$sock" "$TMP/notes" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w") as out:
    t0 = time.monotonic()
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(f"{time.monotonic() - t0:.3f} {msg}\n")
        out.flush()
        if "STOPPING=1" in msg:
            break
PY
lpid=$!
apid=
cleanup() { [ -n "$apid" ] && kill -9 "$apid" 2>/dev/null; kill "$lpid" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
i=0
until [ -S "$sock" ]; do i=$((i + 1)); [ $i -le 100 ] || die "no notify socket"; sleep 0.1; done
# with the example config of docs/agent.md (the command line wins over it)
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 "$KST" agent --config "$(dirname "$0")/../../docs/agent-example.toml" \
	--listen off --state-dir "$TMP/state" > /dev/null 2> "$TMP/err" &
apid=$!
wait_tracing "$TMP/err" $apid || { cat "$TMP/err"; die "agent did not start tracing"; }
sleep 4
kill -HUP $apid
wait $apid; rc=$?
apid=
[ $rc = 0 ] || { cat "$TMP/err"; die "agent exited $rc on SIGHUP"; }
wait $lpid
cat "$TMP/notes" | sed 's/^/  /' | head -5
grep -q " READY=1" "$TMP/notes" || die "no READY=1"
grep -q " STATUS=tracing; verdicts: " "$TMP/notes" || die "no STATUS= line"
grep -q " STOPPING=1" "$TMP/notes" || die "no STOPPING=1"
pings=$(grep -c " WATCHDOG=1" "$TMP/notes")
echo "READY, STATUS and STOPPING received; $pings watchdog pings (WATCHDOG_USEC=1 s, >= 4 s traced)"
# every 0.5 s: at least 6 in 4 s, and never more than one per 0.4 s
[ "$pings" -ge 6 ] || die "only $pings WATCHDOG=1 pings in >= 4 s at WATCHDOG_USEC=1s"
python3 - "$TMP/notes" <<'PY' || exit 1
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if "WATCHDOG=1" in l]
gaps = [b - a for a, b in zip(t, t[1:])]
print(f"watchdog gaps: min {min(gaps):.3f} s, max {max(gaps):.3f} s")
if min(gaps) < 0.4 or max(gaps) > 1.0: sys.exit("FAIL: watchdog pings not at half of WATCHDOG_USEC")
PY
echo PASS
