# pressure: push a 384 MiB guest with zram swap past MemAvailable while
# kswaptrace records, and snapshot /proc/vmstat around the same window.
# The window [vmstat.before, vmstat.after] lies inside the trace (opened after
# kswaptrace attached, closed before it is stopped); the host compares counters.
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"
info "swap: $(awk '/SwapTotal/{print $2}' /proc/meminfo) kB on zram0"

# WATCH=1 (healthy-reclaim): `watch --json` beside the trace, started before the
# trace opens so that its own start-up allocations stay outside the counted window.
WATCH_PID=
if [ -n "$WATCH" ]; then
    kswaptrace watch --json -i 1 -d "$TRACE_SECONDS" > /tmp/watch.jsonl 2> /tmp/watch.err &
    WATCH_PID=$!
    i=0
    while [ ! -s /tmp/watch.jsonl ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
fi
if start_trace "$TRACE_SECONDS" && wait_attached; then
    cat /proc/vmstat > /tmp/vmstat.before
    kpid=$(grep -lx kswapd0 /proc/[0-9]*/comm 2>/dev/null | head -n 1 | cut -d/ -f3)
    cat /proc/$kpid/stat > /tmp/kswapd.stat.before
    avail=$(awk '/MemAvailable/{print int($2 / 1024)}' /proc/meminfo)
    hog=$((avail + HOG_EXTRA_MIB))
    info "MemAvailable ${avail} MiB: memhog ${hog} MiB x $HOG_PASSES"
    memhog "$hog" "$HOG_PASSES" || error "memhog exited with $?"
    sleep 2     # let kswapd finish the episode the hog started
    cat /proc/vmstat > /tmp/vmstat.after
    cat /proc/$kpid/stat > /tmp/kswapd.stat.after
    stop_trace
fi
if [ -n "$WATCH_PID" ]; then
    kill -INT "$WATCH_PID" 2>/dev/null
    wait "$WATCH_PID"
    echo $? > /tmp/watch.rc
    send_file watch.jsonl /tmp/watch.jsonl
    send_file watch.err /tmp/watch.err
    send_file watch.rc /tmp/watch.rc
fi
send_trace
send_file vmstat.before /tmp/vmstat.before
send_file vmstat.after /tmp/vmstat.after
send_file kswapd.stat.before /tmp/kswapd.stat.before
send_file kswapd.stat.after /tmp/kswapd.stat.after
