#!/bin/sh
# Input that never ends or is crafted (issue 17): one clear line, a non-zero
# exit, and memory bounded while reading (the 16 MiB limit is checked as the
# bytes arrive, not after the whole input is in memory).
. "$(dirname "$0")/lib.subr"
# run_bounded CODE PATTERN CMD...: exit CODE, PATTERN on stderr (one line),
# and the command's peak RSS under 256 MiB (before the fix: past 1 GB).
run_bounded() {
	python3 - "$TMP" "$@" <<'PY' || exit 1
import resource, subprocess, sys
tmp, code, pat, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
stdin = subprocess.DEVNULL
if cmd[-1] == "</dev/zero":
    cmd, stdin = cmd[:-1], open("/dev/zero", "rb")
p = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=120)
rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
err = p.stderr.decode(errors="replace").strip()
print(f"{' '.join(cmd)}: exit {p.returncode}, peak RSS {rss_mib:.0f} MiB: {err}")
ok = p.returncode == code and pat in err and len(err.splitlines()) == 1 and rss_mib < 256
sys.exit(0 if ok else f"FAIL: want exit {code}, '{pat}' in one line, RSS < 256 MiB")
PY
}
run_bounded 1 "larger than 16 MiB" "$KST" explain /dev/zero
run_bounded 1 "larger than 16 MiB" "$KST" explain - "</dev/zero"
run_bounded 1 "larger than 16 MiB" "$KST" explain --order 3 --zoneinfo /dev/zero --kernel-version 6.1
# NaN and infinities pass CLI11's range checks unless refused: one line, exit 2, nothing started
for args in "-d nan" "-d inf" "nan 3" "record -o $TMP/rec --sample-interval nan" "record -o $TMP/rec -d 1e999" \
	"watch -i nan" "watch -d -inf" "watch --hold NaN" "watch --futile-scan inf"; do
	# shellcheck disable=SC2086
	"$KST" $args > "$TMP/o" 2> "$TMP/e"; rc=$?
	echo "kswaptrace $args: exit $rc: $(head -n 1 "$TMP/e")"
	[ $rc = 2 ] || die "'$args' exited $rc, want 2"
	grep -q "not a finite number\|not in range" "$TMP/e" || die "'$args': no clear error"
	[ ! -e "$TMP/rec" ] || die "'$args' created a recording"
done
echo PASS
