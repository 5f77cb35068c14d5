#!/bin/sh
# The privileges kswaptrace-agent.service leaves the agent are enough to trace: root with only
# CAP_BPF and CAP_PERFMON in the bounding set (as CapabilityBoundingSet= gives), a small
# RLIMIT_MEMLOCK (the kernel charges BPF memory to the memory cgroup since 5.11), and, in a
# private mount namespace, / and /sys, /proc/sys and tracefs read-only (ProtectSystem=strict,
# ProtectKernelTunables=) and /proc mounted hidepid=invisible (ProtectProc=invisible). Both
# attach modes must attach every required tracepoint, kswapd's /proc/<pid>/stat must be
# readable, and the one-shot trace, `watch` and `features` must run. Without systemd running
# here, this is how the unit's limits are exercised; docs/deploy.md lists what is not (the
# seccomp filter, the namespaces).
# usage: unit_sandbox.sh BINARY
. "$(dirname "$0")/lib.subr"
BIN=${1:?usage: $0 BINARY}
[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
for t in setpriv unshare prlimit mountpoint; do command -v $t >/dev/null || skip "$t not installed"; done
# CAP_BPF is 39, the last one 5.8 added
[ "$(cat /proc/sys/kernel/cap_last_cap)" -ge 39 ] || skip "kernel before 5.8: no CAP_BPF/CAP_PERFMON"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

# sandbox CMD...: run CMD as the unit would run the agent
# $TMP/state stays writable, as StateDirectory= does for /var/lib/kswaptrace
mkdir -p "$TMP/state"
sandbox() {
	STATE=$TMP/state unshare --mount --propagation private sh -ec '
		mount -t proc -o hidepid=invisible proc /proc
		mount --bind "$STATE" "$STATE"
		mount -o remount,bind,ro /
		mount -o remount,bind,ro /sys
		if mountpoint -q /sys/kernel/tracing; then mount -o remount,bind,ro /sys/kernel/tracing; fi
		mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
		exec prlimit --memlock=65536:65536 setpriv --bounding-set=-all,+bpf,+perfmon --inh-caps=-all "$@"' sandbox "$@"
}
sandbox sh -c 'grep Cap /proc/self/status; for d in / /sys /proc/sys /var/tmp; do touch $d/kst-probe 2>/dev/null && echo "writable $d"; done; touch "$STATE/probe" || echo "state dir read-only"' > "$TMP/caps"
grep -q "writable\|read-only" "$TMP/caps" && { cat "$TMP/caps"; die "the sandbox's mounts are not as the unit's"; }
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$TMP/caps")
# CAP_PERFMON = 38, CAP_BPF = 39: exactly those two bits
[ "$eff" = 000000c000000000 ] || die "sandbox effective capabilities are $eff, want 000000c000000000 (bpf, perfmon)"

# kswapd's CPU time comes from /proc/<pid>/stat: visible and readable under hidepid, no CAP_SYS_PTRACE
sandbox sh -c 'for d in /proc/[0-9]*; do read -r c < "$d/comm" 2>/dev/null || continue
	case $c in kswapd*) cat "$d/stat"; exit 0 ;; esac; done; exit 1' > "$TMP/kswapd.stat" ||
	die "no kswapd thread visible in the sandbox's /proc"
[ "$(wc -w < "$TMP/kswapd.stat")" -ge 15 ] || die "kswapd's stat unreadable in the sandbox: $(cat "$TMP/kswapd.stat")"

for mode in tp_btf tracepoint; do
	if [ $mode = tracepoint ] && [ ! -d /sys/kernel/tracing/events ]; then echo "note: no tracefs, tracepoint mode not tried"; continue; fi
	sandbox "$BIN" --attach $mode -d 1 --json > "$TMP/$mode.json" 2> "$TMP/err" || { cat "$TMP/err"; die "one-shot trace (--attach $mode) failed in the sandbox"; }
	python3 - "$TMP/$mode.json" $mode <<'PY' || die "--attach $mode in the sandbox"
import json, sys
j = json.load(open(sys.argv[1]))
bad = {k: v for k, v in j["attach"].items() if v != sys.argv[2] and not v.startswith("missing")}
assert not bad, f"attached otherwise: {bad}"
assert j["attach"]["mm_vmscan_kswapd_wake"] == sys.argv[2], j["attach"]
assert j["lost_events"] == 0
PY
	echo "sandbox: one-shot --attach $mode attached"
done
sandbox "$BIN" watch -d 3 -i 1 --json > "$TMP/watch.json" 2> "$TMP/err" || { cat "$TMP/err"; die "watch failed in the sandbox"; }
# a status line with kswapd's CPU: /proc/<kswapd pid>/stat is readable without CAP_SYS_PTRACE
python3 - "$TMP/watch.json" <<'PY' || die "watch in the sandbox"
import json, sys
st = [j for j in map(json.loads, open(sys.argv[1])) if j.get("type") == "status"]
assert st, "no status line"
assert all(isinstance(j["cpu_pct"], float) for j in st), [j["cpu_pct"] for j in st]
PY
sandbox "$BIN" features > "$TMP/features" 2>&1 || { cat "$TMP/features"; die "features failed in the sandbox"; }
# scrape PORT: wait up to 5 s for the agent's /metrics to show build info and verdicts
scrape() {
	python3 - "$1" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/metrics"
for _ in range(50):
    try:
        body = urllib.request.urlopen(url, timeout=1).read().decode()
        if "kswaptrace_build_info" in body and "kswaptrace_verdict" in body:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# the agent itself, once the binary has it: the shipped config, the endpoint on a free loopback
# port scraped twice, the state file written to the (only) writable directory
if has_subcommand "$BIN" agent; then
	port=$(free_port)
	sandbox "$BIN" agent --config "$(dirname "$0")/../../packaging/agent.toml" --state-dir "$TMP/state" \
		--listen "127.0.0.1:$port" -d 4 > "$TMP/agent.out" 2> "$TMP/agent.err" &
	apid=$!
	scrape "$port" || { kill $apid 2>/dev/null; cat "$TMP/agent.err"; die "no metrics from the agent in the sandbox"; }
	wait $apid || { cat "$TMP/agent.err"; die "the agent exited non-zero in the sandbox"; }
	[ -n "$(ls -A "$TMP/state")" ] || die "the agent wrote no state file"
	echo "sandbox: the agent served metrics and wrote its state"
fi

# SystemCallFilter=@system-service bpf perf_event_open: every system call the tracing commands make
# must be in that set (systemd's own expansion of the groups), or the unit would kill the agent
if command -v strace > /dev/null && command -v systemd-analyze > /dev/null; then
	strace -f -qq -o "$TMP/st.one" "$BIN" --attach tracepoint -d 1 > /dev/null 2>&1 || die "strace of the one-shot failed"
	strace -f -qq -o "$TMP/st.watch" "$BIN" watch -d 2 -i 1 --json > /dev/null 2>&1 || die "strace of watch failed"
	traces="$TMP/st.one $TMP/st.watch"
	if has_subcommand "$BIN" agent; then  # with its endpoint serving a scrape
		port=$(free_port)
		strace -f -qq -o "$TMP/st.agent" "$BIN" agent --state-dir "$TMP/state" --listen "127.0.0.1:$port" -d 4 \
			> /dev/null 2>&1 &
		apid=$!
		scrape "$port" || { kill $apid 2>/dev/null; die "no metrics from the agent under strace"; }
		wait $apid || die "strace of the agent failed"
		traces="$traces $TMP/st.agent"
	fi
	systemd-analyze syscall-filter > "$TMP/groups" 2>/dev/null || die "systemd-analyze syscall-filter failed"
	# shellcheck disable=SC2086
	python3 - "$TMP/groups" $traces <<'PY' || die "a system call outside the unit's SystemCallFilter="
import re, sys
groups, cur = {}, None
for line in open(sys.argv[1]):
    if line.startswith("@"):  # a group heading; its members are indented below it
        cur = line.strip(); groups[cur] = []
    elif line.strip() and not line.strip().startswith("#") and cur:
        groups[cur].append(line.strip())
def expand(name):
    out = set()
    for e in groups.get(name, []):
        out |= expand(e) if e.startswith("@") else {e}
    return out
allowed = expand("@system-service") | {"bpf", "perf_event_open"}
used = set()
for f in sys.argv[2:]:
    for line in open(f):
        m = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
        if m: used.add(m.group(1))
bad = sorted(used - allowed)
print("system calls made:", len(used), "outside the filter:", bad or "none")
sys.exit(1 if bad else 0)
PY
else
	echo "note: strace or systemd-analyze missing: the system call filter was not checked"
fi
echo "PASS: traced with CAP_BPF+CAP_PERFMON only, memlock 64 KiB, read-only / /sys /proc/sys, /proc hidepid=invisible"
