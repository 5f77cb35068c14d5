# futile-reclaim: a deterministic real futile-reclaim positive, by the recipe of
# the kernel research (A4b, issue 23): the sysctl first, in a guest with no page
# cache to speak of (everything lives in the initramfs), then a hot anonymous
# working set that keeps free memory between min and high for HOT_SECONDS
# (>= 100 s: kswapd needs a while to settle into the pattern, and the detector
# 20 s of it).  kswapd is woken, and every page it ages is touched again before
# it can be reclaimed: on the classic LRU (6.1) it scans a lot and steals
# almost nothing; on MGLRU (6.12) its time goes into aging and it scans little.
#
# The awake stretches are recorded independently of kswaptrace: a tracefs
# instance with kswapd_wake/kswapd_sleep on the CLOCK_MONOTONIC clock (the clock
# of watch's `t` and `since`).
echo "$WSF" > /proc/sys/vm/watermark_scale_factor || error "setting vm.watermark_scale_factor"
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"
sleep 1
cat /proc/zoneinfo > /tmp/zoneinfo.before
# busybox pgrep does not match kernel threads (empty cmdline): find kswapd0 by its comm
kpid=$(grep -lx kswapd0 /proc/[0-9]*/comm 2>/dev/null | head -n 1 | cut -d/ -f3)
[ -n "$kpid" ] || error "no kswapd0 thread found in /proc"

KI=/sys/kernel/tracing/instances/vmtest_kswapd
start_kswapd_events() {
    mkdir "$KI" || { error "cannot create tracefs instance"; return 1; }
    echo mono > "$KI/trace_clock" || error "trace_clock mono"
    echo 4096 > "$KI/buffer_size_kb"
    echo 1 > "$KI/events/vmscan/mm_vmscan_kswapd_wake/enable" || error "enable kswapd_wake"
    echo 1 > "$KI/events/vmscan/mm_vmscan_kswapd_sleep/enable" || error "enable kswapd_sleep"
}
# stop_kswapd_events: one line per awake stretch, "START END" in CLOCK_MONOTONIC
# seconds (END "-" while still awake), from the first wake after a sleep to the
# sleep; and the number of events and overruns.
stop_kswapd_events() {
    echo 0 > "$KI/tracing_on"
    awk -v now="$(now)" '
        / mm_vmscan_kswapd_wake: / { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t = $i
            sub(":", "", t); if (!awake) { start = t; awake = 1 } n++ }
        / mm_vmscan_kswapd_sleep: / { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) t = $i
            sub(":", "", t); if (awake) print start, t; awake = 0; n++ }
        END { if (awake) print start, "-"; print "# events", n + 0 }' "$KI/trace" > /tmp/kswapd.stretches
    echo "# overrun $(awk '/overrun/ { s += $2 } END { print s + 0 }' "$KI/per_cpu"/cpu*/stats)" >> /tmp/kswapd.stretches
    echo 0 > "$KI/events/vmscan/enable" 2>/dev/null
    rmdir "$KI" 2>/dev/null || info "tracefs instance not removed"
}

if start_trace "$TRACE_SECONDS" && wait_attached; then
    start_kswapd_events
    cat /proc/vmstat > /tmp/vmstat.before
    cat /proc/$kpid/stat > /tmp/kswapd.stat.before
    # The detector's live view (its alerts are lines as they are raised and
    # cleared; the one-shot summary only shows the verdicts at the window's end).
    kswaptrace watch --json -i 1 -d "$TRACE_SECONDS" > /tmp/watch.jsonl 2> /tmp/watch.err &
    WATCH_PID=$!
    i=0
    while [ ! -s /tmp/watch.jsonl ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
    # Sized now that the tracers hold their memory: sized before, the working
    # set overshot and the run turned into thrashing.  Node 0 totals over
    # populated zones: free, min, low, high (pages).
    set -- $(awk '$1 == "pages" && $2 == "free" { f += $3 } $1 == "min" { m += $2 } $1 == "low" { l += $2 }
                  $1 == "high" { h += $2 } END { print f, m, l, h }' /proc/zoneinfo)
    free=$1 wmin=$2 wlow=$3 whigh=$4
    target=$((wmin + (wlow - wmin) / 2))
    mib=$(( (free - target) / 256 ))
    info "vm.watermark_scale_factor=$WSF: free $free pages, min/low/high $wmin/$wlow/$whigh; hotset ${mib} MiB for ${HOT_SECONDS}s (free -> ~$target)"
    echo "hot_start $(now)" > /tmp/hotset.times
    hotset "$mib" "$HOT_SECONDS" > /tmp/hotset.out || error "hotset exited with $?"
    echo "hot_end $(now)" >> /tmp/hotset.times
    info "$(cat /tmp/hotset.out)"
    cat /proc/$kpid/stat > /tmp/kswapd.stat.after
    cat /proc/vmstat > /tmp/vmstat.after
    cat /proc/zoneinfo > /tmp/zoneinfo.after
    stop_kswapd_events
    kill -INT "$WATCH_PID" 2>/dev/null
    wait "$WATCH_PID"
    echo $? > /tmp/watch.rc
    stop_trace
fi
send_trace
for f in watch.jsonl watch.err watch.rc kswapd.stretches hotset.times zoneinfo.before zoneinfo.after \
         vmstat.before vmstat.after kswapd.stat.before kswapd.stat.after; do
    send_file $f /tmp/$f
done
