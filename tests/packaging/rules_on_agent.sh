#!/bin/sh
# The alert rules against the agent's real output, not hand-written series: the agent runs 3 s on
# the Xen seed guest's zone table (tests/data/hotadd/zoneinfo_xen_seed.after: a Normal zone of 9
# managed pages with watermarks 0/0/0) and writes its textfile; every kswaptrace_* series in it
# becomes a constant promtool input series of two guests, one as measured and one whose build_info
# says kernel 4.4. The alerts each rule must raise are derived from the exposition itself (a
# hazard or verdict series at 1), so a metric, label or value the rules expect but the agent does
# not export fails here: both guests must get KswaptraceTinyZone / ...OldKernel and
# KswaptraceZeroWatermarks; no livelock, futile reclaim or lost events. Skips without `agent`.
# usage: rules_on_agent.sh BINARY SOURCE_DIR
. "$(dirname "$0")/lib.subr"
BIN=${1:?usage: $0 BINARY SOURCE_DIR}
SRC=${2:?usage: $0 BINARY SOURCE_DIR}
[ "$(id -u)" = 0 ] || skip "needs root (BPF)"
has_subcommand "$BIN" agent || skip "this kswaptrace has no 'agent' command"
command -v promtool > /dev/null || skip "promtool not installed (apt-get install prometheus)"
python3 -c "import yaml" 2> /dev/null || skip "python3-yaml not installed"
"$BIN" agent --state-dir "$TMP/state" --listen off --textfile "$TMP/k.prom" -d 3 \
	--zoneinfo-file "$SRC/tests/data/hotadd/zoneinfo_xen_seed.after" > "$TMP/out" 2> "$TMP/err" ||
	{ cat "$TMP/err"; die "the agent failed"; }
[ -s "$TMP/k.prom" ] || die "the agent wrote no textfile"
promtool check metrics < "$TMP/k.prom" || die "promtool check metrics on the agent's textfile"
cp "$SRC/packaging/prometheus/kswaptrace-alerts.yml" "$TMP/"
python3 - "$TMP/k.prom" "$TMP/kswaptrace-alerts.yml" > "$TMP/test.yml" <<'PY' || die "building the test from the exposition"
import json, re, sys
import yaml  # python3-yaml: the rules file

samples = []
for line in open(sys.argv[1]):
    m = re.match(r'^(kswaptrace_\w+)(?:\{(.*)\})? (\S+)$', line.strip())
    if m and not m.group(1).endswith(("_bucket", "_sum", "_count")):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
rules = {r["alert"]: r for g in yaml.safe_load(open(sys.argv[2]))["groups"] for r in g["rules"]}
used = set(re.findall(r"kswaptrace_\w+", open(sys.argv[2]).read()))
exported = {n for n, _, _ in samples}
missing = used - exported
if missing:
    sys.exit(f"the rules use {sorted(missing)}, which the agent did not export here")

guests = {"measured:9532": None, "kernel44:9532": "4.4.0-210-generic"}
series, expect = [], {a: [] for a in rules}
def render(t, labels):
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], t)
def alert(name, labels):
    r = rules[name]
    l = dict(labels, **r["labels"])
    ann = {k: render(v, l) for k, v in r["annotations"].items()}
    expect[name].append({"exp_labels": l, "exp_annotations": ann})
for inst, kernel in guests.items():
    for name, labels, value in samples:
        l = dict(labels, job="kswaptrace", instance=inst)
        if name == "kswaptrace_build_info" and kernel:
            l["kernel"] = kernel
        sel = ",".join(f'{k}="{v}"' for k, v in sorted(l.items()))
        series.append({"series": f"{name}{{{sel}}}", "values": f"{value:g}x40"})
        if name == "kswaptrace_hazard" and value == 1 and l["kind"] == "tiny-zone":
            alert("KswaptraceTinyZoneOldKernel" if kernel else "KswaptraceTinyZone", l)
        if name == "kswaptrace_hazard" and value == 1 and l["kind"] in ("zero-watermark", "hotadd-watermarks"):
            alert("KswaptraceZeroWatermarks", l)
        if name == "kswaptrace_verdict" and value == 1 and l["verdict"] == "LIVELOCK":
            alert("KswaptraceKswapdLivelock", l)
        if name == "kswaptrace_verdict" and value == 1 and l["verdict"] == "FUTILE-RECLAIM":
            alert("KswaptraceFutileReclaim", l)
for need in ("KswaptraceTinyZone", "KswaptraceTinyZoneOldKernel", "KswaptraceZeroWatermarks"):
    if not expect[need]:
        sys.exit(f"the seed zone table gave no series that should raise {need}")
# KswaptraceAgentDown and the textfile rule read up{} and node_exporter's series, not the agent's
for a in ("KswaptraceAgentDown", "KswaptraceTextfileStale"):
    expect.pop(a)
tests = [{"interval": "1m", "input_series": series,
          "alert_rule_test": [{"eval_time": "20m", "alertname": a, "exp_alerts": e} for a, e in expect.items()]}]
print(json.dumps({"rule_files": ["kswaptrace-alerts.yml"], "evaluation_interval": "1m", "tests": tests}, indent=1))
print("alerts expected:", {a: len(e) for a, e in expect.items()}, file=sys.stderr)
PY
(cd "$TMP" && promtool test rules test.yml) || die "the rules on the agent's output"
echo "PASS: the rules raise what the agent's exposition calls for"
