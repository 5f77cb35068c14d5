#!/bin/bash
# Issue 17 item 6: `record -o` refuses a symlink, a directory of another
# user, one writable by group/others, and one holding something that is not
# a kswaptrace recording; it creates missing directories 0700 and files 0600.
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF, chown)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-outpath.XXXXXX)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

refused() {  # dir, expected message
  "$KST" record -o "$1" -d 0.5 2>"$T/err"
  local rc=$?
  cat "$T/err"
  [ $rc = 1 ] || fail "record -o $1 exited $rc, want 1"
  [ "$(grep -c . "$T/err")" = 1 ] || fail "want one line of error"
  grep -q "^kswaptrace: .*$2" "$T/err" || fail "message does not say '$2'"
}

mkdir -m 700 "$T/real"
ln -s "$T/real" "$T/link"
refused "$T/link" "is a symbolic link"
refused "$T/link/" "is a symbolic link"
[ -z "$(ls -A "$T/real")" ] || fail "something was written through the symlink"
mkdir -m 700 "$T/foreign" && chown 65534:65534 "$T/foreign"
refused "$T/foreign" "owned by uid 65534"
mkdir "$T/open" && chmod 0777 "$T/open"
refused "$T/open" "writable by group or others (mode 0777)"
mkdir -m 700 "$T/other" && echo hi >"$T/other/notes.txt"
refused "$T/other" "'notes.txt', which is not part of a kswaptrace recording"

"$KST" record -o "$T/new/a/rec" -d 0.5 2>"$T/err" || { cat "$T/err"; fail "record into a new path failed"; }
for d in new new/a new/a/rec; do
  [ "$(stat -c %a "$T/$d")" = 700 ] || fail "$d is mode $(stat -c %a "$T/$d"), want 700"
done
for f in "$T"/new/a/rec/*; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), want 600"
done
echo "PASS"
