#!/bin/sh
# packaging/systemd/kswaptrace-agent.service: `systemd-analyze verify` (syntax, every directive
# known, ExecStart's binary exists and is executable, referenced units resolvable), the hardening
# score of `systemd-analyze security --offline`, and, once the binary has the `agent` command,
# that every option ExecStart passes is one of `kswaptrace agent`'s. The unit is checked as
# installed (@KST_BINDIR@ -> the build's binary); the installed copy with its man page is checked
# again by deb_install.sh. Runs without a running systemd (offline).
# usage: systemd_unit.sh BINARY SOURCE_DIR
. "$(dirname "$0")/lib.subr"
BIN=${1:?usage: $0 BINARY SOURCE_DIR}
SRC=${2:?usage: $0 BINARY SOURCE_DIR}
UNIT=kswaptrace-agent.service
command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
# can verify run here at all? a trivial unit must pass first
printf '[Service]\nExecStart=/bin/true\n' > "$TMP/probe.service"
systemd-analyze verify "$TMP/probe.service" > "$TMP/probe.out" 2>&1 ||
	{ cat "$TMP/probe.out"; skip "systemd-analyze verify cannot run in this environment"; }

BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
sed -e "s|@KST_BINDIR@/kswaptrace|$BIN|g" -e "s|@KST_DOCDIR@|$SRC/docs|g" "$SRC/packaging/systemd/$UNIT" > "$TMP/$UNIT"
grep -q '@KST_' "$TMP/$UNIT" && die "unsubstituted placeholder in $UNIT"
# --man=no: the man page is not installed in a build tree (deb_install.sh checks it installed)
systemd-analyze verify --man=no "$TMP/$UNIT" > "$TMP/verify.out" 2>&1 || { cat "$TMP/verify.out"; die "systemd-analyze verify"; }
[ -s "$TMP/verify.out" ] && { cat "$TMP/verify.out"; die "systemd-analyze verify printed warnings"; }
echo "systemd-analyze verify: clean"

systemd-analyze security --offline=yes "$TMP/$UNIT" > "$TMP/sec.out" 2>&1 || { cat "$TMP/sec.out"; die "systemd-analyze security"; }
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$TMP/sec.out")
[ -n "$level" ] || { cat "$TMP/sec.out"; die "no exposure level in systemd-analyze security's output"; }
echo "systemd-analyze security: exposure $level"
# 2.0 when written; a lost hardening directive (ProtectSystem=, the capability set, ...) raises it
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { cat "$TMP/sec.out"; die "exposure $level > 2.0"; }

execstart=$(sed -n 's/^ExecStart=//p' "$TMP/$UNIT")
if has_subcommand "$BIN" agent; then
	"$BIN" agent --help > "$TMP/agent.help" || die "kswaptrace agent --help failed"
	for opt in $(echo "$execstart" | grep -o -- '--[a-z][a-z0-9-]*'); do
		grep -q -- "$opt" "$TMP/agent.help" || die "ExecStart uses $opt, which 'kswaptrace agent' does not have"
	done
	echo "ExecStart's options are options of 'kswaptrace agent'"
else
	echo "note: this binary has no 'agent' command yet: ExecStart ($execstart) names a command that does not exist"
fi
echo "PASS: $UNIT"
