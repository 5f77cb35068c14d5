#!/bin/sh
# `report` decodes blocks on every CPU (issue 19): on a large synthetic
# recording (bench_record, a few M events in many blocks and segments) its
# text and JSON output must equal the serial path's byte for byte, and so
# must a damaged copy's (a corrupted block breaks the chain of blocks the
# decoding threads predict).
. "$(dirname "$0")/lib.subr"
gen=$(dirname "$KST")/bench_record
[ -x "$gen" ] || skip "no $gen (the bench targets are built with kswaptrace)"
nice -n 10 "$gen" 2 "$TMP/rec" 1 keep > "$TMP/gen.out" || die "bench_record failed"
check() {
	for fmt in "" --json; do
		"$KST" report "$1" $fmt --decode-threads 1 > "$TMP/serial" 2> "$TMP/serial.err"
		rs=$?
		"$KST" report "$1" $fmt --decode-threads 4 > "$TMP/par" 2> "$TMP/par.err"
		rp=$?
		[ "$rs" = "$rp" ] || die "exit $rs serial, $rp parallel ($1 $fmt)"
		cmp -s "$TMP/serial" "$TMP/par" || { diff "$TMP/serial" "$TMP/par" | head; die "parallel report differs ($1 $fmt)"; }
		cmp -s "$TMP/serial.err" "$TMP/par.err" || { diff "$TMP/serial.err" "$TMP/par.err" | head; die "warnings differ ($1 $fmt)"; }
	done
}
check "$TMP/rec"

echo "synthetic recording: $(du -sm "$TMP/rec" | cut -f1) MiB, $(ls "$TMP/rec" | wc -l) files"
# damage a block in the middle of the largest segment
seg=$(ls -S "$TMP/rec"/seg-*.kst | head -1)
size=$(stat -c %s "$seg")
printf 'XXXXXXXXXXXXXXXX' | dd of="$seg" bs=1 seek=$((size / 2)) conv=notrunc status=none
check "$TMP/rec"
grep -q "damaged block" "$TMP/serial.err" || die "the damaged block went unnoticed"
echo PASS
