# futile-reclaim: the real futile-reclaim pattern of the kernel research (A4b):
# vm.watermark_scale_factor raised (a wide gap from min to high) and a hot
# anonymous working set sized so free memory ends between min and low.  kswapd
# is woken, scans, and every page it ages is touched again before it can be
# reclaimed: long awake stretches, almost nothing stolen.  zram swap is on so
# anonymous pages are candidates at all.
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"
echo "$WSF" > /proc/sys/vm/watermark_scale_factor || error "setting vm.watermark_scale_factor"
sleep 1
cat /proc/zoneinfo > /tmp/zoneinfo.before
# busybox pgrep does not match kernel threads (empty cmdline): find kswapd0 by its comm
kpid=$(grep -lx kswapd0 /proc/[0-9]*/comm 2>/dev/null | head -n 1 | cut -d/ -f3)
[ -n "$kpid" ] || error "no kswapd0 thread found in /proc"
if start_trace "$TRACE_SECONDS" && wait_attached; then
    cat /proc/vmstat > /tmp/vmstat.before
    cat /proc/$kpid/stat > /tmp/kswapd.stat.before
    # The detector's live view too, when this kswaptrace has `watch` (its alerts are lines as they
    # are raised and cleared; the one-shot summary only shows the verdicts at the window's end).
    WATCH_PID=
    if kswaptrace watch --help > /dev/null 2>&1; then
        kswaptrace watch --json -d "$TRACE_SECONDS" > /tmp/watch.jsonl 2> /tmp/watch.err &
        WATCH_PID=$!
        i=0
        while [ ! -s /tmp/watch.jsonl ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
    fi
    # Sized now that the tracers hold their memory: sized before, the working set overshot
    # and the run turned into thrashing.
    # Node 0 totals over populated zones: free, min, low, high (pages).
    set -- $(awk '$1 == "pages" && $2 == "free" { f += $3 } $1 == "min" { m += $2 } $1 == "low" { l += $2 }
                  $1 == "high" { h += $2 } END { print f, m, l, h }' /proc/zoneinfo)
    free=$1 wmin=$2 wlow=$3 whigh=$4
    target=$((wmin + (wlow - wmin) / 2))
    mib=$(( (free - target) / 256 ))
    info "vm.watermark_scale_factor=$WSF: free $free pages, min/low/high $wmin/$wlow/$whigh; hotset ${mib} MiB for ${HOT_SECONDS}s (free -> ~$target)"
    hotset "$mib" "$HOT_SECONDS" || error "hotset exited with $?"
    if [ -n "$WATCH_PID" ]; then
        kill -INT "$WATCH_PID" 2>/dev/null
        wait "$WATCH_PID"
        echo $? > /tmp/watch.rc
        send_file watch.jsonl /tmp/watch.jsonl
        send_file watch.err /tmp/watch.err
        send_file watch.rc /tmp/watch.rc
    fi
    cat /proc/$kpid/stat > /tmp/kswapd.stat.after
    cat /proc/vmstat > /tmp/vmstat.after
    cat /proc/zoneinfo > /tmp/zoneinfo.after
    stop_trace
fi
send_trace
for f in zoneinfo.before zoneinfo.after vmstat.before vmstat.after kswapd.stat.before kswapd.stat.after; do
    send_file $f /tmp/$f
done
cat /proc/sys/vm/min_free_kbytes > /tmp/min_free_kbytes
send_file min_free_kbytes /tmp/min_free_kbytes
