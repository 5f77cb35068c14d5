# pressure: push a 384 MiB guest with zram swap past MemAvailable while
# kswaptrace records, and snapshot /proc/vmstat around the same window.
# The window [vmstat.before, vmstat.after] lies inside the trace (opened after
# kswaptrace attached, closed before it is stopped); the host compares counters.
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"
info "swap: $(awk '/SwapTotal/{print $2}' /proc/meminfo) kB on zram0"

if start_trace "$TRACE_SECONDS" && wait_attached; then
    cat /proc/vmstat > /tmp/vmstat.before
    avail=$(awk '/MemAvailable/{print int($2 / 1024)}' /proc/meminfo)
    hog=$((avail + HOG_EXTRA_MIB))
    info "MemAvailable ${avail} MiB: memhog ${hog} MiB x $HOG_PASSES"
    memhog "$hog" "$HOG_PASSES" || error "memhog exited with $?"
    sleep 2     # let kswapd finish the episode the hog started
    cat /proc/vmstat > /tmp/vmstat.after
    stop_trace
fi
send_trace
send_file vmstat.before /tmp/vmstat.before
send_file vmstat.after /tmp/vmstat.after
