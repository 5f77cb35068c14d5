#!/bin/sh
# kswaptrace(8) is generated from --help at build time; check it against the binary as built now:
# every subcommand `kswaptrace --help` lists has its section, with its usage line and each of its
# options, and the page's version is the binary's. Rendered with man(1), as a reader sees it.
# usage: manpage.sh BINARY MANPAGE
. "$(dirname "$0")/lib.subr"
BIN=${1:?usage: $0 BINARY MANPAGE}
PAGE=${2:?usage: $0 BINARY MANPAGE}
[ -s "$PAGE" ] || die "$PAGE missing: is the build complete (target manpage)?"
command -v man >/dev/null || skip "man(1) not installed"
MANWIDTH=200 LC_ALL=C.UTF-8 man -l -P cat "$PAGE" 2>"$TMP/err" | sed 's/\xe2\x80\x90/-/g' > "$TMP/page.txt"
[ -s "$TMP/page.txt" ] || { cat "$TMP/err"; die "man -l rendered nothing"; }
ver=$("$BIN" --version)
grep -qF "$ver" "$TMP/page.txt" || die "the page does not show '$ver'"
subcommands "$BIN" > "$TMP/subs"
n=$(wc -l < "$TMP/subs")
[ "$n" -ge 5 ] || die "kswaptrace --help lists $n subcommands; the parser is broken"
while read -r cmd; do
	grep -q "^ *kswaptrace $cmd\$" "$TMP/page.txt" || die "no section for 'kswaptrace $cmd'"
	grep -q "Usage: kswaptrace $cmd" "$TMP/page.txt" || die "no usage line of 'kswaptrace $cmd'"
	for opt in $("$BIN" "$cmd" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -q -- "$opt" "$TMP/page.txt" || die "option $opt of '$cmd' is not in the page"
	done
done < "$TMP/subs"
for opt in $("$BIN" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
	grep -q -- "$opt" "$TMP/page.txt" || die "top-level option $opt is not in the page"
done
echo "PASS: $n subcommands ($(tr '\n' ' ' < "$TMP/subs")) and their options are in the page"
