#!/bin/sh
# `kswaptrace agent` scraped by a real Prometheus (Debian's 2.42 on loopback,
# its own config with a 1 s scrape interval and temp storage). Asserts through
# Prometheus's HTTP API that the contract's series exist, that no counter
# decreases across two agent restarts (SIGTERM, then SIGHUP), and that
# kswaptrace_verdict{verdict="TINY-ZONE"} turns 1 when the detector raises it.
# This host's zones never have a tiny zone, so the verdict is driven through the
# hidden test option --zoneinfo-file: the agent's zone samples come from a file
# the test swaps for the seed's zoneinfo (tests/data/proc/zoneinfo-6.12-xen-domu-seed);
# events, aggregates and the rest of the pipeline stay live.
# Also: page allocations by the metric vs /proc/vmstat pgalloc_* over the same
# window (within 1%), memcg reclaim episodes counted by the agent vs a tracefs
# instance filtered to the workload's pids (equal), `promtool check metrics`, and
# the bad-input errors (port in use, unresolvable address, unreadable config,
# unknown config key).
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
DATA=$(cd "$(dirname "$0")/../data" && pwd)
[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || skip "prometheus/promtool not installed"
"$KST" agent --help | grep -q "built without the Prometheus exporter" && skip "kswaptrace built without the exporter"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
AP=$(free_port) PP=$(free_port)
apid= ppid= grp= inst=
cleanup() {
	[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null
	[ -n "$ppid" ] && kill "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
	[ -n "$inst" ] && rmdir "$inst" 2>/dev/null
	memcg_remove
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- bad input: one line on stderr, non-zero exit, before any probe loads
bad() {  # bad WHAT EXPECTED-TEXT ARGS...
	_what=$1 _want=$2; shift 2
	"$KST" agent --state-dir "$TMP/bad-state" "$@" > /dev/null 2> "$TMP/bad.err" && die "$_what: exit 0"
	[ "$(grep -c . "$TMP/bad.err")" -le 2 ] || { cat "$TMP/bad.err"; die "$_what: more than one error line"; }
	grep -q "$_want" "$TMP/bad.err" || { cat "$TMP/bad.err"; die "$_what: no '$_want' in the error"; }
	echo "bad input ok ($_what): $(head -1 "$TMP/bad.err")"
}
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$AP" &
holder=$!
_i=0
until ss -ltn "sport = :$AP" | grep -q LISTEN; do _i=$((_i + 1)); [ $_i -le 100 ] || die "port holder"; sleep 0.1; done
bad "port in use" "Address already in use" --listen "127.0.0.1:$AP" -d 1
kill $holder; wait $holder 2>/dev/null
bad "unresolvable address" "cannot resolve" --listen "no-such-host.invalid:$AP" -d 1
bad "unreadable config" "config" --config "$TMP/missing.toml" -d 1
printf 'hold = 5\nno_such_key = 1\n' > "$TMP/bad.toml"
bad "unknown config key" "no_such_key" --config "$TMP/bad.toml" -d 1

# ---- Prometheus
cat > "$TMP/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: kswaptrace
    static_configs: [{targets: ['127.0.0.1:$AP']}]
EOF
promtool check config "$TMP/prom.yml" > /dev/null || die "promtool rejects the test's scrape config"
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$PP" \
	--log.level=warn > "$TMP/prom.log" 2>&1 &
ppid=$!

# q EXPR: the instant query's results as "labels value" lines (python3 urllib)
q() {
	python3 - "$PP" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
r = json.load(urllib.request.urlopen(url, timeout=5))
assert r["status"] == "success", r
for s in r["data"]["result"]:
    m = s["metric"]
    print(m.get("__name__", "-"), json.dumps({k: v for k, v in sorted(m.items()) if k not in ("__name__", "job", "instance")}, separators=(",", ":")), s["value"][1])
PY
}
# wait_q EXPR: until the query returns anything (30 s)
wait_q() {
	_i=0
	until [ -n "$(q "$1" 2>/dev/null)" ]; do
		_i=$((_i + 1)); [ $_i -le 300 ] || return 1
		sleep 0.1
	done
}

zi=$TMP/zoneinfo
cp /proc/zoneinfo "$zi"
start_agent() {
	"$KST" agent --listen "127.0.0.1:$AP" --state-dir "$TMP/state" --textfile "$TMP/kswaptrace.prom" \
		--zoneinfo-file "$zi" >> "$TMP/agent.out" 2> "$TMP/agent.err" &
	apid=$!
	wait_tracing "$TMP/agent.err" $apid || { cat "$TMP/agent.err"; die "agent did not start tracing"; }
}
stop_agent() {  # stop_agent SIGNAL
	kill -"$1" "$apid"
	wait "$apid"; _rc=$?
	apid=
	[ "$_rc" = 0 ] || { cat "$TMP/agent.err"; die "agent exited $_rc on SIG$1"; }
	: > "$TMP/agent.err"
}
start_agent
wait_q 'up{job="kswaptrace"} == 1' || { cat "$TMP/prom.log"; die "Prometheus never scraped the agent"; }
wait_q 'kswaptrace_verdict' || die "no kswaptrace_verdict series in Prometheus"

# ---- the contract's series, as Prometheus stored them
names=$(q 'count by (__name__) ({__name__=~"kswaptrace_.+"})' | awk '{print $1}')
for n in kswaptrace_build_info kswaptrace_kswapd_wakes_total kswaptrace_kswapd_sleeps_total \
	kswaptrace_kswapd_rewakes_total kswaptrace_kswapd_awake_seconds_total \
	kswaptrace_kswapd_awake_episode_seconds_bucket kswaptrace_direct_reclaim_stall_seconds_bucket \
	kswaptrace_memcg_reclaim_stall_seconds_count kswaptrace_reclaimed_pages_total \
	kswaptrace_page_alloc_pages_total kswaptrace_page_alloc_calls_total kswaptrace_page_alloc_zone_pages_total \
	kswaptrace_hotadd_episodes_total kswaptrace_hotadd_bytes_total kswaptrace_zone_managed_pages \
	kswaptrace_zone_free_pages kswaptrace_zone_min_pages kswaptrace_zone_low_pages kswaptrace_zone_high_pages \
	kswaptrace_verdict kswaptrace_lost_events_total; do
	echo "$names" | grep -qx "$n" || die "Prometheus has no $n series"
done
nv=$(q 'count(kswaptrace_verdict{node="0"})' | awk '{print $3}')
[ "$nv" = 7 ] || die "expected 7 verdict series for node 0, got $nv"
echo "series: $(echo "$names" | wc -l) metric names in Prometheus; 7 verdict series for node 0"

# ---- promtool check metrics on a scraped exposition
curl -sf "http://127.0.0.1:$AP/metrics" > "$TMP/scrape.txt" || die "cannot scrape the agent"
promtool check metrics < "$TMP/scrape.txt" > "$TMP/lint" 2>&1 || { cat "$TMP/lint"; die "promtool check metrics failed"; }
echo "promtool check metrics: ok ($(grep -c '^kswaptrace_' "$TMP/scrape.txt") kswaptrace samples)"

# ---- page allocations vs pgalloc over the same window; memcg episodes vs tracefs
# aligned: the agent writes the textfile right after each tick's sample; vmstat
# is read as soon as the file changes, so both windows end within milliseconds
aligned() {
	python3 - "$TMP/kswaptrace.prom" <<'PY'
import os, sys, time
p = sys.argv[1]
m0 = os.stat(p).st_mtime_ns
while os.stat(p).st_mtime_ns == m0: time.sleep(0.002)
vm = sum(int(l.split()[1]) for l in open("/proc/vmstat") if l.startswith("pgalloc_"))
a = memcg = 0
for l in open(p):
    if l.startswith("kswaptrace_page_alloc_pages_total{"): a += float(l.split()[-1])
    if l.startswith("kswaptrace_memcg_reclaim_stall_seconds_count"): memcg = int(float(l.split()[-1]))
print(int(a), vm, memcg)
PY
}
memcg_create kst-rt-agent-$$ 64M || die "cannot create a 64M memory cgroup"
inst=/sys/kernel/tracing/instances/kst-rt-agent-$$
mkdir "$inst" || die "cannot create a trace instance"
echo 1 > "$inst/options/event-fork"
echo 1 > "$inst/events/vmscan/mm_vmscan_memcg_reclaim_end/enable" || die "no vmscan:mm_vmscan_memcg_reclaim_end"
set -- $(aligned)
a1=$1 v1=$2 m1=$3
dd if=/dev/zero of=/dev/shm/kst-rt-agent-$$ bs=1M count=300 status=none; rm -f /dev/shm/kst-rt-agent-$$
# only this child shell (and the dd it becomes) joins the cgroup and the trace instance's pid filter
sh -c "echo \$\$ > $inst/set_event_pid; echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
rm -f "$TMP/big"
sleep 1.5  # the agent's next tick collects the last episodes
set -- $(aligned)
a2=$1 v2=$2 m2=$3
traced=$(grep -c mm_vmscan_memcg_reclaim_end "$inst/trace")
echo 0 > "$inst/tracing_on"
python3 - $((a2 - a1)) $((v2 - v1)) <<'PY' || exit 1
import sys
a, v = map(int, sys.argv[1:])
dev = abs(a - v) / max(v, 1)
print(f"page allocations: metric {a}, pgalloc_* {v} over the same window: deviation {dev:.3%} (tolerance 1%)")
if a < 76800: sys.exit("FAIL: a 300 MiB write allocated fewer pages by the metric")
if dev > 0.01: sys.exit("FAIL: kswaptrace_page_alloc_pages_total differs from pgalloc_* by more than 1%")
PY
echo "memcg reclaim episodes: agent $((m2 - m1)), trace instance (workload pids) $traced"
[ "$traced" -gt 0 ] || die "the 64M cgroup saw no memcg reclaim"
[ $((m2 - m1)) = "$traced" ] || die "agent counted $((m2 - m1)) memcg reclaim episodes, the kernel traced $traced"

# ---- counters never decrease across restarts (SIGTERM, then SIGHUP)
q '{__name__=~"kswaptrace_.+_total|kswaptrace_.+_(count|sum|bucket)"}' > "$TMP/before"
stop_agent TERM
sleep 2
start_agent
stop_agent HUP
start_agent
sleep 3
wait_q 'up{job="kswaptrace"} == 1' || die "Prometheus does not scrape the restarted agent"
q '{__name__=~"kswaptrace_.+_total|kswaptrace_.+_(count|sum|bucket)"}' > "$TMP/after"
# resets() drops the metric name: one query per name
resets=0
for n in $(awk '{print $1}' "$TMP/before" | sort -u); do
	r=$(q "sum(resets(${n}[5m]))" | awk '{print $3}')
	resets=$((resets + ${r:-0}))
done
python3 - "$TMP/before" "$TMP/after" <<'PY' || exit 1
import sys
def load(p):
    return {(l.split()[0], l.split()[1]): float(l.split()[2]) for l in open(p) if l.strip()}
b, a = load(sys.argv[1]), load(sys.argv[2])
bad = [(k, b[k], a.get(k)) for k in b if a.get(k) is None or a[k] < b[k]]
if bad: sys.exit(f"FAIL: counters lost or decreased across restarts: {bad[:5]}")
print(f"{len(b)} counter series, none decreased across two restarts")
PY
[ "$resets" = 0 ] || die "Prometheus saw $resets counter resets across the restarts"
echo "resets() over the restarts: 0"

# ---- the verdict turns 1 when the detector raises it
[ "$(q 'kswaptrace_verdict{node="0",verdict="TINY-ZONE"}' | awk '{print $3}')" = 0 ] ||
	die "TINY-ZONE already 1 before the seed's zones were shown"
cp "$DATA/proc/zoneinfo-6.12-xen-domu-seed" "$zi"
wait_q 'kswaptrace_verdict{node="0",verdict="TINY-ZONE"} == 1' || die "kswaptrace_verdict TINY-ZONE never turned 1"
wait_q 'kswaptrace_hazard{node="0",kind="tiny-zone"} == 1' || die "kswaptrace_hazard tiny-zone never turned 1"
grep -q "TINY-ZONE" "$TMP/agent.out" || die "the agent did not print the raised verdict"
echo "TINY-ZONE: kswaptrace_verdict and kswaptrace_hazard turned 1 in Prometheus"
stop_agent TERM
echo PASS
