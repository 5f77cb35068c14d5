#!/bin/sh
# Every command's --json validates against its schema in docs/schema/ (docs/output.md, "The JSON
# contract"): live commands briefly on this host, offline ones on tests/data. A key added, renamed or
# retyped without its schema fails here. Also: the validator rejects a renamed key (it can fail).
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$SRC/tests/data
V() { # NAME FILE
	/usr/bin/python3 "$SRC/scripts/validate-json" "$SRC/docs/schema" "$1" "$2" || die "$1: $2 does not match docs/schema/$1.schema.json"
}
"$KST" -d 1 --json > "$TMP/summary.json" 2>/dev/null || die "one-shot --json failed"
V summary "$TMP/summary.json"
"$KST" 1 2 --json > "$TMP/intervals.json" 2>/dev/null || die "interval --json failed"
V summary "$TMP/intervals.json"
[ "$(wc -l < "$TMP/intervals.json")" = 2 ] || die "interval mode printed $(wc -l < "$TMP/intervals.json") lines, want 2"
"$KST" watch -i 1 -d 3 --json > "$TMP/watch.json" 2>/dev/null || die "watch --json failed"
V watch "$TMP/watch.json"
"$KST" record -o "$TMP/rec" -d 2 > /dev/null 2>&1 || die "record failed"
"$KST" report "$TMP/rec" --json > "$TMP/report.json" 2>/dev/null || die "report --json failed"
V report "$TMP/report.json"
V summary "$TMP/report.json"
"$KST" features --json > "$TMP/features.json" || die "features --json failed"
V features "$TMP/features.json"
"$KST" fix-watermarks --json > "$TMP/fw.json" || die "fix-watermarks --json failed"
V fix-watermarks "$TMP/fw.json"
"$KST" gfp 0x14200ca --kernel-version 4.9 --json > "$TMP/gfp.json" || die "gfp --json failed"
V gfp "$TMP/gfp.json"
for r in "$DATA"/reports/*.txt; do
	"$KST" explain "$r" --json > "$TMP/explain.json" 2>/dev/null || continue # reports that need --kernel-version
	V explain "$TMP/explain.json"
	n=$((${n:-0} + 1))
done
[ "${n:-0}" -ge 3 ] || die "only ${n:-0} reports in tests/data/reports explained"
"$KST" explain --order 3 --zoneinfo "$DATA/proc/zoneinfo-6.12-qemu384m" --buddyinfo "$DATA/proc/buddyinfo-6.12-qemu384m" \
	--kernel-version 6.12 --json > "$TMP/explain.json" || die "explain --zoneinfo failed"
V explain "$TMP/explain.json"

# the envelope: the same host and boot as /proc says, times in UTC
[ "$(json "$TMP/summary.json" "j['boot_id']")" = "$(cat /proc/sys/kernel/random/boot_id)" ] || die "boot_id is not this boot's"
[ "$(json "$TMP/summary.json" "j['hostname']")" = "$(uname -n)" ] || die "hostname is not uname -n"
[ "$(json "$TMP/report.json" "j['boot_id']")" = "$(cat /proc/sys/kernel/random/boot_id)" ] || die "report: boot_id is not the recorded boot's"
now=$(date -u +%s)
t=$(json "$TMP/summary.json" "__import__('datetime').datetime.strptime(j['end'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=__import__('datetime').timezone.utc).timestamp()")
python3 -c "import sys; d = $now - $t; sys.exit(0 if -5 < d < 120 else 1)" || die "summary end $t is not about now ($now)"

# drift fails: a renamed key does not validate
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); j['nodes'][0]['kswapd']['duty']=j['nodes'][0]['kswapd'].pop('duty_cycle'); json.dump(j, open(sys.argv[2],'w'))" \
	"$TMP/summary.json" "$TMP/renamed.json"
/usr/bin/python3 "$SRC/scripts/validate-json" "$SRC/docs/schema" summary "$TMP/renamed.json" > /dev/null && die "the validator accepts a renamed key"
echo PASS
