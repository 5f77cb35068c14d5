#!/bin/bash
# Disk full: record onto a nearly full 256 KiB tmpfs. The recorder must stop
# cleanly, say "disk full", exit non-zero, and leave a recording that reads
# back without damage and ends with an End record saying "disk full" (the
# writer keeps space in reserve for it), not "writer was killed".
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF, mount)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-full.XXXXXX)
cleanup() {
  local rc=$?
  mountpoint -q "$T/mnt" && umount "$T/mnt"
  if mountpoint -q "$T/mnt" 2>/dev/null; then echo "FAIL: tmpfs $T/mnt left mounted"; exit 1; fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$T/mnt" && mount -t tmpfs -o size=256k kst-rt-full "$T/mnt" || fail "cannot mount tmpfs"
# leave ~48 KiB so the disk fills within seconds at a fast sample rate
dd if=/dev/zero of="$T/mnt/filler" bs=4k count=52 status=none 2>/dev/null
df -k "$T/mnt" | tail -1

timeout 60 "$KST" record -o "$T/mnt/rec" --sample-interval 0.02 --flush-interval 0.1 -d 50 2>"$T/err"
rc=$?
cat "$T/err"
[ $rc = 124 ] && fail "record did not stop on a full disk"
[ $rc != 0 ] || fail "record exited 0 on a full disk"
grep -q "disk full" "$T/err" || fail "no 'disk full' message"
grep -q "kept and readable" "$T/err" || fail "message does not say what was kept"
ls -l "$T/mnt/rec"

"$KST" report "$T/mnt/rec" >"$T/out" 2>"$T/rerr" || { cat "$T/rerr"; fail "report of the kept recording failed"; }
cat "$T/rerr"
grep -qiE "torn|damaged" "$T/rerr" && fail "the recorder left a damaged block behind"
grep -q "no end record" "$T/rerr" && fail "the end record did not survive the full disk"
grep -q "ended: disk full" "$T/rerr" || fail "report does not say the recording stopped on a full disk"
[ -e "$T/mnt/rec/.kst-reserve" ] && fail "the reserve file was not released"
grep -q "^page allocations:" "$T/out" || fail "report printed no summary"
echo "PASS"
