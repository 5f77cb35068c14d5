#!/bin/sh
# The HTML report (docs/html-report.md) rendered by headless Chromium:
#  - live: the one-shot's --html page of a memcg-limit reclaim window on this kernel,
#  - a real recording (tests/data/fuzz/recording/memcg-6.18.kst, recorded on 6.18),
#  - a synthetic 4.4 tiny-zone livelock recording (bench/synth_recording) with verdict bands.
# Each page: a PNG that is not blank, the expected elements in the DOM dump, the
# numbers equal to the JSON of the same window, and no network request (Chromium's
# NetLog, with a dead proxy and no DNS; a control page with a remote image proves
# the NetLog check can fail).
. "$(dirname "$0")/lib.subr"
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/../data
SYNTH=$(dirname "$KST")/synth_recording
command -v chromium >/dev/null || die "chromium is not installed (scripts/install-deps installs it)"
[ -x "$SYNTH" ] || die "missing $SYNTH (built with kswaptrace)"

# render NAME: screenshot, DOM dump and NetLog of $TMP/NAME.html
render() {
	for mode in "--screenshot=$TMP/$1.png" --dump-dom; do
		timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
			--disable-background-networking --disable-component-update --disable-default-apps \
			--user-data-dir="$TMP/profile" --proxy-server=http://127.0.0.1:9 \
			--host-resolver-rules="MAP * ~NOTFOUND" --log-net-log="$TMP/$1.netlog" \
			--window-size=1040,3600 --hide-scrollbars "$mode" "file://$TMP/$1.html" \
			> "$TMP/$1.stdout" 2> "$TMP/$1.chromium.err" || { tail -5 "$TMP/$1.chromium.err"; die "chromium failed on $1"; }
	done
	mv "$TMP/$1.stdout" "$TMP/$1.dom"
}

# requests NAME: the http(s) URLs Chromium tried to load for the page (NetLog)
requests() {
	python3 - "$TMP/$1.netlog" <<'PY'
import json, sys
text = open(sys.argv[1]).read().rstrip().rstrip(",")
if not text.endswith("}"):
    text += "]}"  # a NetLog cut off at exit lacks its closing brackets
log = json.loads(text)
# Chromium's own traffic (component updates, network time, sign-in) goes on despite
# --disable-background-networking; it is the browser's, not the page's, and goes to these
# hosts only. The page has no reason to name any of them, and a page request to another
# host (the control page's example.invalid) is still caught.
BROWSER_OWN = ("clients2.google.com", "update.googleapis.com", "accounts.google.com",
               "redirector.gvt1.com", "safebrowsingohttpgateway.googleapis.com", "www.google.com")
from urllib.parse import urlsplit
urls = set()
for e in log.get("events", []):
    u = (e.get("params") or {}).get("url", "")
    if u.startswith("http://") or u.startswith("https://") or u.startswith("ws"):
        if urlsplit(u).hostname not in BROWSER_OWN:
            urls.add(u)
print(" ".join(sorted(urls)))
PY
}

# check NAME JSONFILE ELEMENT...: the rendered page against the JSON of the same window
check() {
	name=$1 ref=$2
	shift 2
	render "$name"
	set -- $(python3 "$HERE/png_stats.py" "$TMP/$name.png")
	echo "$name: screenshot $1x$2, $3 of it inked, $4 colours"
	python3 -c "import sys; sys.exit(0 if float('$3') > 0.03 and int('$4') > 8 else 1)" ||
		die "$name: the screenshot looks blank"
	for el in $ELEMENTS; do
		grep -q "$el" "$TMP/$name.dom" || die "$name: '$el' missing from the DOM"
	done
	net=$(requests "$name")
	[ -z "$net" ] || die "$name: the page made network requests: $net"
	grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$TMP/$name.html" &&
		die "$name: the page refers to a remote resource"
	# every number the browser shows with a JSON path equals that JSON value
	python3 - "$TMP/$name.dom" "$ref" <<'PY' || die "$name: page numbers differ from the JSON"
import json, re, sys
dom, ref = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
def at(j, path):
    for step in path.split("."):
        j = j[int(step)] if isinstance(j, list) else j[step]
    return j
n = 0
for path, v, text in re.findall(r'data-json="([^"]+)" data-v="([^"]+)">([^<]*)<', dom):
    want = at(ref, path)
    assert abs(float(v) - want) <= 1e-9 * max(1, abs(want)), (path, v, want)
    assert text.strip() not in ("", "-"), (path, text)
    n += 1
m = re.search(r'<script type="application/json" id="kst-report">(.*?)</script>', dom, re.S)
assert json.loads(m.group(1)) == ref, "embedded JSON differs"
assert n >= 20, n
print("  %d numbers on the page equal the JSON; embedded JSON identical" % n)
PY
}
ELEMENTS='id="verdicts" id="kswapd" id="reclaim" id="zones" id="alloc" <svg class="chart" id="hist-direct" id="hist-memcg"'

# the NetLog check can fail: a page with a remote image is caught
printf '<!DOCTYPE html><html><body><p>control</p><img src="http://example.invalid/x.png"></body></html>' \
	> "$TMP/control.html"
render control
[ -n "$(requests control)" ] || die "the NetLog did not show the control page's remote image: the network check is blind"
echo "control page: NetLog saw $(requests control)"

# a real recording
rec=$DATA/fuzz/recording/memcg-6.18.kst
"$KST" report --json "$rec" > "$TMP/memcg.json" 2>/dev/null || die "report --json failed"
"$KST" report --html -o "$TMP/memcg.html" "$rec" 2>/dev/null || die "report --html failed"
echo "memcg-6.18.kst: page $(wc -c < "$TMP/memcg.html") bytes"
check memcg "$TMP/memcg.json"
grep -q 'class="bar memcg"' "$TMP/memcg.dom" || die "memcg: no memcg histogram bars"

# a synthetic livelock recording: verdict bands and cards
"$SYNTH" "$TMP/ll" 240 livelock || die "synth_recording failed"
"$KST" report --json "$TMP/ll" > "$TMP/ll.json" 2>/dev/null || die "report --json failed (livelock)"
"$KST" report --html -o "$TMP/ll.html" "$TMP/ll" 2>/dev/null || die "report --html failed (livelock)"
check ll "$TMP/ll.json"
grep -q 'class="vband" data-kind="LIVELOCK"' "$TMP/ll.dom" || die "livelock: no LIVELOCK band on the timeline"
grep -q 'class="verdict sev-critical" data-kind="LIVELOCK"' "$TMP/ll.dom" || die "livelock: no LIVELOCK card"
grep -q 'data-kind="tiny-zone"' "$TMP/ll.dom" || die "livelock: the tiny-zone hazard is not called out"

# live: the one-shot's page of a memcg-limit reclaim window on this kernel
need_root
ensure_tracefs
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup limit=memory.max
	grep -qw memory $cg/cgroup.subtree_control || echo "+memory" > $cg/cgroup.subtree_control || true
elif [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	cg=/sys/fs/cgroup/memory limit=memory.limit_in_bytes
else
	skip "no memory cgroup controller for the live part (the recordings passed)"
fi
grp=$cg/kst-rt-html-$$
mkdir "$grp" || skip "cannot create a cgroup under $cg"
cleanup() { rmdir "$grp" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
echo 64M > "$grp/$limit" || die "cannot set $limit"
"$KST" -d 6 --json --html "$TMP/live.html" > "$TMP/live.json" 2> "$TMP/err" &
pid=$!
wait_tracing "$TMP/err" $pid || { wait $pid; cat "$TMP/err"; die "kswaptrace did not start tracing"; }
sh -c "echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
rm -f "$TMP/big"
wait $pid || { cat "$TMP/err"; die "kswaptrace -d 6 --html failed"; }
check live "$TMP/live.json"
memcg=$(json "$TMP/live.json" "j['memcg_reclaim']['count']")
[ "$memcg" -gt 0 ] || skip "no memcg reclaim traced (kernel lacks the memcg reclaim tracepoints?)"
grep -q "data-json=\"memcg_reclaim.count\" data-v=\"$memcg\"" "$TMP/live.dom" || die "live: memcg stall count not shown"
echo PASS
