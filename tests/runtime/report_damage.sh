#!/bin/sh
# Damage is part of the output (issue 17 item 5): one flipped bit in a block
# of a real recording makes `report` say so on stdout (text: a "damage:"
# line first; JSON: damage.damaged, a degraded entry), and --strict turns it
# into exit 4. A window outside the recording is an error, not an empty
# 0.0 s report (item 8). Needs no privileges: the recording is in the tree.
. "$(dirname "$0")/lib.subr"
seed=$(dirname "$0")/../data/fuzz/recording/memcg-6.18.kst
mkdir -m 700 "$TMP/rec" && cp "$seed" "$TMP/rec/seg-00000001.kst" || die "cannot copy the seed recording"
"$KST" report "$TMP/rec" --json > "$TMP/clean.json" 2> "$TMP/clean.err" || die "clean report failed"
json "$TMP/clean.json" "j['damage']['damaged']" | grep -q False || die "clean recording reported damaged"
clean=$(json "$TMP/clean.json" "j['memcg_reclaim']['count']")
# flip one bit in the middle of the segment (inside a block's payload)
python3 - "$TMP/rec/seg-00000001.kst" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x10
open(p, "wb").write(b)
PY
"$KST" report "$TMP/rec" --json > "$TMP/bad.json" 2> "$TMP/bad.err"; rc=$?
[ $rc = 0 ] || die "damaged report without --strict exited $rc"
python3 - "$TMP/bad.json" "$clean" <<'PY' || die "JSON does not carry the damage"
import json, sys
j = json.load(open(sys.argv[1]))
d = j["damage"]
print(f"memcg episodes: clean {sys.argv[2]}, damaged {j['memcg_reclaim']['count']}; damage {d}")
assert d["damaged"] and d["bad_blocks"] + d["torn_blocks"] >= 1 and d["skipped_bytes"] > 0, d
assert any(x.startswith("recording damaged") for x in j["degraded"]), j["degraded"]
PY
"$KST" report "$TMP/rec" > "$TMP/bad.txt" 2>/dev/null || die "damaged text report failed"
head -n 1 "$TMP/bad.txt" | grep -q "^damage: " || die "text report does not start with the damage line"
"$KST" report "$TMP/rec" --strict > /dev/null 2> "$TMP/strict.err"; rc=$?
[ $rc = 4 ] || die "--strict on a damaged recording exited $rc, want 4"
"$KST" report "$TMP/rec" --from 100000 > /dev/null 2> "$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "holds no recorded time" "$TMP/e" || die "--from past the end: exit $rc: $(cat "$TMP/e")"
"$KST" report "$TMP/rec" --from 2 --to 2 > /dev/null 2> "$TMP/e"; rc=$?
[ $rc = 2 ] && grep -q "after --from" "$TMP/e" || die "--from 2 --to 2: exit $rc: $(cat "$TMP/e")"
echo PASS
