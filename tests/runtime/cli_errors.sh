#!/bin/sh
# Bad input and missing privileges: one clear line on stderr, non-zero exit.
# Also: SIGINT ends a trace with a summary and exit 0; both attach modes work.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
expect_fail() { # code pattern cmd...
	code=$1 pat=$2; shift 2
	"$@" > "$TMP/o" 2> "$TMP/e"; rc=$?
	[ "$rc" = "$code" ] || die "'$*' exited $rc, want $code"
	grep -q -- "$pat" "$TMP/e" || { cat "$TMP/e"; die "'$*' stderr lacks '$pat'"; }
	lines=$(wc -l < "$TMP/e")
	[ "$lines" -le 2 ] || { cat "$TMP/e"; die "'$*' printed $lines lines of errors"; }
}
if command -v setpriv >/dev/null; then
	expect_fail 1 "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups "$KST" -d 1
fi
expect_fail 2 "" "$KST" --no-such-option
expect_fail 2 "" "$KST" -d -3
expect_fail 2 "" "$KST" --btf /nonexistent/btf
expect_fail 2 "" "$KST" --attach kprobe
expect_fail 2 "" "$KST" watch --hotadd-probes uprobe
expect_fail 1 "no kernel BTF" "$KST" --btf /etc/hostname -d 1
expect_fail 2 "" "$KST" --backend xen -d 1
expect_fail 2 "" "$KST" watch --tracefs-alloc hist
# a mistyped subcommand is named as one, not parsed as the one-shot's INTERVAL
expect_fail 2 "unknown command 'reocrd' (did you mean 'record'?)" "$KST" reocrd
expect_fail 2 "unknown command 'reocrd' (did you mean 'record'?)" "$KST" -d 1 reocrd
expect_fail 2 "unknown command 'frobnicate'" "$KST" frobnicate
# usage errors of every command exit 2 (docs/usage.md)
expect_fail 2 "explain needs a REPORT" "$KST" explain
expect_fail 2 "unknown GFP flag" "$KST" gfp bogus
expect_fail 2 "bad kernel version" "$KST" gfp GFP_KERNEL --kernel-version banana
expect_fail 2 "unknown verdict 'livelok'" "$KST" watch --exit-on=livelok -d 1
expect_fail 2 "" "$KST" report
# sizes: too large is said so, not "must be at least 64 KiB" after a wrap-around
expect_fail 2 "'99999999999999999999G' is too large" "$KST" record -o "$TMP/rec" --max-size 99999999999999999999G
expect_fail 2 "'20000000000G' is too large" "$KST" agent --listen off --max-size 20000000000G
expect_fail 2 "cannot parse '12X'" "$KST" record -o "$TMP/rec" --max-size 12X
expect_fail 2 "at least 64 KiB" "$KST" record -o "$TMP/rec" --max-size 1k
expect_fail 2 "" "$KST" export /nonexistent
# verdict names as printed, any case, and the short forms
"$KST" watch -d 0.5 --exit-on=LIVELOCK,futile-reclaim,High-Order-Churn,thrash,TINY-ZONE,any > /dev/null 2>&1 ||
	die "watch --exit-on with printed verdict names failed ($?)"
# every command's --help ends with examples
for c in "" features watch record report export explain gfp fix-watermarks agent; do
	"$KST" $c --help > "$TMP/h" 2>&1 || die "'$c --help' failed"
	grep -q "^Examples:" "$TMP/h" || die "'$c --help' has no examples"
	tail -n 2 "$TMP/h" | grep -q "^  .*kswaptrace" || die "'$c --help' does not end with examples"
done

"$KST" features > "$TMP/f" || die "features failed"
grep -q "^tp_btf" "$TMP/f" || die "features does not report tp_btf"
grep -q "^backend    bpf: " "$TMP/f" || die "features does not say the bpf backend would run"
grep -q "kmem:mm_page_alloc" "$TMP/f" || die "features does not list mm_page_alloc"
"$KST" features --json > "$TMP/fj" || die "features --json failed"
json "$TMP/fj" "j['features']['btf']['ok']" | grep -q True || die "features --json: btf not ok"

# --hotadd-probes none: the function probes are reported missing with the reason, tracing goes on
"$KST" -d 1 --json --hotadd-probes none > "$TMP/hp.json" 2> "$TMP/e" || { cat "$TMP/e"; die "--hotadd-probes none failed"; }
json "$TMP/hp.json" "j['hotadd_sources']['online_pages']['mode']" | grep -q "disabled (--hotadd-probes none)" ||
	die "--hotadd-probes none: online_pages is $(json "$TMP/hp.json" "j['hotadd_sources']['online_pages']['mode']")"
for mode in tp_btf tracepoint; do
	"$KST" --attach $mode -d 1 --json > "$TMP/m.json" 2>"$TMP/e" || { cat "$TMP/e"; die "--attach $mode failed"; }
	got=$(json "$TMP/m.json" "j['attach']['mm_vmscan_kswapd_wake']")
	[ "$got" = "$mode" ] || die "--attach $mode attached kswapd_wake via $got"
done

# SIGINT: the summary of what was traced is printed and the exit code is 0
"$KST" --json > "$TMP/int.json" 2>/dev/null &
pid=$!
sleep 3
kill -INT $pid
wait $pid || die "exit code $? after SIGINT"
json "$TMP/int.json" "j['duration_s']" > /dev/null || die "no JSON summary after SIGINT"
# interval mode: COUNT summaries, one JSON object per line
"$KST" 1 2 --json > "$TMP/iv" 2>/dev/null || die "interval mode failed"
[ "$(wc -l < "$TMP/iv")" = 2 ] || die "interval mode printed $(wc -l < "$TMP/iv") lines, want 2"
# text interval mode: a header and one line per interval; -T starts each with HH:MM:SS (UTC)
"$KST" 1 3 -T > "$TMP/ivt" 2>/dev/null || die "interval mode -T failed"
[ "$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] ' "$TMP/ivt")" = 3 ] || { cat "$TMP/ivt"; die "-T: want 3 timestamped lines"; }
[ "$(wc -l < "$TMP/ivt")" -le 5 ] || { cat "$TMP/ivt"; die "interval mode printed more than a line per interval"; }
awk 'length($0) > 120 { exit 1 }' "$TMP/ivt" || die "an interval line is longer than 120 columns"
"$KST" 1 1 --full > "$TMP/ivf" 2>/dev/null || die "--full failed"
grep -q "^kswapd (per node)" "$TMP/ivf" || die "--full does not print the whole summary"
# fix-watermarks: a dry run reads, never writes (--apply is exercised in the VM scenarios:
# the host's vm sysctls are not touched by tests)
"$KST" fix-watermarks --json > "$TMP/fw.json" || die "fix-watermarks dry run failed"
[ "$(json "$TMP/fw.json" "j['applied']")" = False ] || die "fix-watermarks dry run claims it applied"
json "$TMP/fw.json" "len(j['zones'])" | grep -qv '^0$' || die "fix-watermarks lists no zones"
echo PASS
