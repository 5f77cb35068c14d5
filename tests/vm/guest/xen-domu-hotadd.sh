# xen-domu-hotadd (domU side): while kswaptrace runs, ask dom0 to grow this
# guest past its maxmem (the balloon driver hot-adds a section at run time),
# then put the guest under pressure with the hot-added zone's watermarks still
# at zero (one trace covers both: attaching twice costs 10-20 s under TCG),
# then apply the remedy (kswaptrace fix-watermarks --apply).
XM=/sys/devices/system/xen_memory/xen_memory0
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"
cat /proc/zoneinfo > /tmp/zoneinfo.before
echo "current_kb_before $(cat $XM/info/current_kb)" > /tmp/balloon

# 1. live hot-add
if start_trace "$TRACE_SECONDS" && wait_attached; then
    cat /proc/vmstat > /tmp/vmstat.before
    t0=$(now)
    mark DOM0 grow
    i=0
    while [ "$(zone_pages Normal present)" -eq 0 ] && [ $i -lt 60 ]; do
        online_new_blocks > /dev/null
        sleep 0.5
        i=$((i + 1))
    done
    i=0
    while [ "$(cat $XM/info/current_kb)" -lt "$DOMU_GROW_KB" ] && [ $i -lt 60 ]; do
        online_new_blocks > /dev/null
        sleep 0.5
        i=$((i + 1))
    done
    wait_hotadd_settled Normal
    info "hot-add done $(awk "BEGIN{print $(now)-$t0}")s after the request: current_kb $(cat $XM/info/current_kb); Normal present $(zone_pages Normal present) managed $(zone_pages Normal managed) min/low/high $(zone_pages Normal min)/$(zone_pages Normal low)/$(zone_pages Normal high)"
    sleep 1
    cat /proc/zoneinfo > /tmp/zoneinfo.hotadd
    echo "target_kb_after $(cat $XM/target_kb)" >> /tmp/balloon
    echo "current_kb_after $(cat $XM/info/current_kb)" >> /tmp/balloon

    # 2. pressure with the hot-added zone's watermarks still 0
    avail=$(awk '/MemAvailable/{print int($2 / 1024)}' /proc/meminfo)
    hog=$((avail + HOG_EXTRA_MIB))
    info "MemAvailable ${avail} MiB: memhog ${hog} MiB x $HOG_PASSES"
    memhog "$hog" "$HOG_PASSES" || error "memhog exited with $?"
    sleep 2
    cat /proc/vmstat > /tmp/vmstat.after
    cat /proc/zoneinfo > /tmp/zoneinfo.pressure
    stop_trace
fi
send_trace

# 3. the remedy
kswaptrace fix-watermarks --json > /tmp/fix-dry.json 2> /tmp/fix.err || error "fix-watermarks failed: $(cat /tmp/fix.err)"
kswaptrace fix-watermarks --apply --json > /tmp/fix.json 2>> /tmp/fix.err || error "fix-watermarks --apply failed: $(cat /tmp/fix.err)"
cat /proc/zoneinfo > /tmp/zoneinfo.fixed
info "after fix-watermarks --apply: Normal min/low/high $(zone_pages Normal min)/$(zone_pages Normal low)/$(zone_pages Normal high)"
send_file balloon /tmp/balloon
send_file fix-dry.json /tmp/fix-dry.json
send_file fix.json /tmp/fix.json
for f in zoneinfo.before zoneinfo.hotadd zoneinfo.pressure zoneinfo.fixed vmstat.before vmstat.after; do
    send_file $f /tmp/$f
done
cat /proc/sys/vm/min_free_kbytes > /tmp/min_free_kbytes
send_file min_free_kbytes /tmp/min_free_kbytes
