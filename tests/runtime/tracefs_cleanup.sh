#!/bin/sh
# The tracefs backend leaves nothing behind: after SIGINT and SIGTERM its
# instance is gone; after SIGKILL the instance stays (nothing can run), and
# the next start removes it and says so. The top-level (global) tracer's
# event switches are never touched.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
T=/sys/kernel/tracing
[ -d $T/instances ] || skip "tracefs has no instances directory"
global_before=$(cat $T/events/vmscan/enable $T/events/kmem/mm_page_alloc/enable | tr '\n' ' ')
run() { # run SIGNAL: start the tracefs backend, stop it with SIGNAL; echo its pid
	"$KST" -d 60 --backend tracefs > "$TMP/out" 2> "$TMP/err.$1" &
	_p=$!
	wait_tracing "$TMP/err.$1" $_p || { cat "$TMP/err.$1" >&2; die "tracefs backend did not start"; }
	[ -d $T/instances/kswaptrace-$_p ] || die "no instance kswaptrace-$_p while tracing"
	[ "$(cat $T/instances/kswaptrace-$_p/events/vmscan/mm_vmscan_kswapd_wake/enable)" = 1 ] ||
		die "kswapd_wake not enabled in the instance"
	kill -"$1" $_p
	wait $_p
	echo $_p
}
for sig in INT TERM; do
	p=$(run $sig) || exit 1
	[ ! -e $T/instances/kswaptrace-$p ] || die "SIG$sig left the instance kswaptrace-$p"
	echo "SIG$sig: instance kswaptrace-$p removed"
done
p=$(run KILL) || exit 1
[ -d $T/instances/kswaptrace-$p ] || die "SIGKILL: expected the instance kswaptrace-$p to survive"
echo "SIGKILL: kswaptrace-$p left behind, as expected"
"$KST" -d 0.5 --backend tracefs > "$TMP/next" 2> "$TMP/next.err" || { cat "$TMP/next.err"; die "restart failed"; }
[ ! -e $T/instances/kswaptrace-$p ] || die "the next start did not remove kswaptrace-$p"
grep -q "removed the trace instance kswaptrace-$p left by a killed kswaptrace" "$TMP/next" ||
	die "the next start did not say it removed kswaptrace-$p"
left=$(ls $T/instances | grep '^kswaptrace-' || true)
[ -z "$left" ] || die "instances left: $left"
global_after=$(cat $T/events/vmscan/enable $T/events/kmem/mm_page_alloc/enable | tr '\n' ' ')
[ "$global_before" = "$global_after" ] || die "global event switches changed: '$global_before' -> '$global_after'"
echo PASS
