#!/bin/sh
# The .deb round trip on this machine: cpack builds it from the build tree, `dpkg -i` installs it,
# the installed binary reports the CMake version and runs `features`, the installed unit verifies
# with its man page, then `dpkg -r` removes every file but the conffile and `dpkg -P` removes that
# and the agent's state directory: nothing the package put on the machine is left.
# Never touches an existing installation: skips if a kswaptrace package or files are present.
# usage: deb_install.sh BUILD_DIR VERSION
. "$(dirname "$0")/lib.subr"
BUILD=${1:?usage: $0 BUILD_DIR VERSION}
VERSION=${2:?usage: $0 BUILD_DIR VERSION}
[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
for t in dpkg dpkg-deb dpkg-shlibdeps cpack; do command -v $t >/dev/null || skip "$t not installed"; done
st=$(dpkg-query -W -f='${db:Status-Status}' kswaptrace 2>/dev/null || true)
[ -z "$st" ] || [ "$st" = not-installed ] || skip "a kswaptrace package is on this machine ($st): not touching it"
for f in /usr/bin/kswaptrace /etc/kswaptrace /usr/share/kswaptrace /usr/share/doc/kswaptrace /var/lib/kswaptrace \
	/usr/lib/systemd/system/kswaptrace-agent.service /usr/share/man/man8/kswaptrace.8.gz; do
	[ -e "$f" ] && skip "$f exists (kswaptrace installed without dpkg?): not touching it"
done
installed=0 made_state=0
cleanup() {
	if [ $installed = 1 ]; then
		dpkg --purge kswaptrace > /dev/null 2>&1 || echo "cleanup: dpkg --purge kswaptrace failed"
		installed=0
	fi
	# it did not exist before the test (checked above)
	if [ $made_state = 1 ]; then rm -rf /var/lib/kswaptrace; made_state=0; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

echo "== cpack"
cpack --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" > "$TMP/cpack.log" 2>&1 || { cat "$TMP/cpack.log"; die "cpack failed"; }
deb=$(ls "$TMP"/pkg/kswaptrace_"$VERSION"_*.deb 2>/dev/null)
[ -f "$deb" ] || { cat "$TMP/cpack.log"; ls "$TMP/pkg"; die "no kswaptrace_${VERSION}_*.deb"; }
dpkg-deb -I "$deb" > "$TMP/info" || die "dpkg-deb -I"
sed -n '/^ [A-Z][A-Za-z-]*: /p' "$TMP/info"
grep -q "^ Version: $VERSION\$" "$TMP/info" || die "package version is not $VERSION"
deps=$(sed -n 's/^ Depends: //p' "$TMP/info")
# dpkg-shlibdeps computed them from the binary: libbpf and libc at least
echo "$deps" | grep -q 'libbpf' && echo "$deps" | grep -q 'libc6' || die "Depends '$deps' lacks libbpf/libc6 (shlibdeps off?)"
dpkg-deb -f "$deb" Depends > /dev/null || die "dpkg-deb -f"
dpkg-deb -c "$deb" | grep -q "usr/share/bash-completion/completions/kswaptrace$" || die "the package lacks the bash completion"
dpkg-deb --ctrl-tarfile "$deb" | tar -t > "$TMP/ctrl" || die "control tarball unreadable"
for c in conffiles postinst prerm postrm; do grep -q "$c\$" "$TMP/ctrl" || die "control lacks $c"; done
# what is on the machine before: paths the package will own that already exist (/usr, /etc, ...)
dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p != "") print p }' > "$TMP/paths"
while read -r p; do [ -e "$p" ] && echo "$p"; done < "$TMP/paths" > "$TMP/before"

echo "== dpkg -i"
installed=1
dpkg -i "$deb" || die "dpkg -i"
dpkg -L kswaptrace > "$TMP/list" || die "dpkg -L"
dpkg-query -W -f='${Conffiles}\n' kswaptrace | grep -q '/etc/kswaptrace/agent.toml' || die "agent.toml is not a conffile"
got=$(/usr/bin/kswaptrace --version) || die "installed kswaptrace --version failed"
[ "$got" = "kswaptrace $VERSION" ] || die "installed --version says '$got', want 'kswaptrace $VERSION'"
echo "installed: $got"
/usr/bin/kswaptrace features > "$TMP/features" 2>&1 || { cat "$TMP/features"; die "installed kswaptrace features failed"; }
grep -q '^tp_btf' "$TMP/features" || die "features output lacks tp_btf"
grep -qx /usr/share/man/man8/kswaptrace.8.gz "$TMP/paths" || die "the package has no man page"
man_ok=no
if [ ! -e /usr/share/man/man8/kswaptrace.8.gz ]; then
	echo "note: dpkg did not unpack the man page (a path-exclude in /etc/dpkg/dpkg.cfg.d?): man not checked"
elif ! command -v man > /dev/null; then
	echo "note: man(1) not installed: man 8 kswaptrace not checked"
else
	MANWIDTH=100 man -P cat 8 kswaptrace 2>/dev/null | grep -q 'kswaptrace features' || die "man 8 kswaptrace does not show the features command"
	man_ok=yes
fi
for f in /usr/share/kswaptrace/kswaptrace-alerts.yml /usr/share/kswaptrace/scrape-example.yml /etc/kswaptrace/agent.toml \
	/usr/lib/systemd/system/kswaptrace-agent.service /usr/share/doc/kswaptrace/deploy.md; do
	grep -qx "$f" "$TMP/list" || die "$f is not in the package"
done
grep -q '^ExecStart=/usr/bin/kswaptrace agent' /usr/lib/systemd/system/kswaptrace-agent.service || die "installed unit's ExecStart is not /usr/bin/kswaptrace"
if command -v promtool > /dev/null; then
	promtool check config /usr/share/kswaptrace/scrape-example.yml || die "installed scrape example does not check"
fi
if command -v systemd-analyze > /dev/null; then
	# with its man page check this time: Documentation=man:kswaptrace(8) must resolve
	[ $man_ok = yes ] && man=yes || man=no
	systemd-analyze verify --man=$man /usr/lib/systemd/system/kswaptrace-agent.service > "$TMP/verify" 2>&1 ||
		{ cat "$TMP/verify"; die "systemd-analyze verify of the installed unit"; }
	[ -s "$TMP/verify" ] && { cat "$TMP/verify"; die "systemd-analyze verify printed warnings"; }
	echo "systemd-analyze verify (installed unit, man page check: $man): clean"
fi
# what the agent's StateDirectory= would hold: purge must remove it
made_state=1
mkdir -p /var/lib/kswaptrace/recording && echo x > /var/lib/kswaptrace/recording/seg

echo "== dpkg -r"
dpkg -r kswaptrace || die "dpkg -r"
[ "$(dpkg-query -W -f='${db:Status-Status}' kswaptrace)" = config-files ] || die "after dpkg -r the package is not in config-files state"
[ -f /etc/kswaptrace/agent.toml ] || die "dpkg -r removed the conffile"
while read -r p; do
	[ "$p" = /etc/kswaptrace/agent.toml ] || [ "$p" = /etc/kswaptrace ] && continue
	grep -qx "$p" "$TMP/before" && continue
	[ -e "$p" ] || [ -L "$p" ] && die "dpkg -r left $p"
done < "$TMP/list"

echo "== dpkg -P"
dpkg -P kswaptrace || die "dpkg -P"
installed=0
st=$(dpkg-query -W -f='${db:Status-Status}' kswaptrace 2>/dev/null || true)
[ -z "$st" ] || [ "$st" = not-installed ] || die "after purge dpkg still knows kswaptrace ($st)"
left=""
while read -r p; do
	grep -qx "$p" "$TMP/before" && continue
	{ [ -e "$p" ] || [ -L "$p" ]; } && left="$left $p"
done < "$TMP/list"
[ -e /var/lib/kswaptrace ] && left="$left /var/lib/kswaptrace"
[ -z "$left" ] || die "left behind after purge:$left"
echo "PASS: $(wc -l < "$TMP/list") paths installed, all new ones gone after purge ($(wc -l < "$TMP/before") pre-existing dirs kept)"
