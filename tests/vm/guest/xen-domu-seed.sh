# xen-domu-seed (domU side): dom0 ran `xl mem-max/mem-set g1 DOMU_SEED_KB`
# right after `xl create` (9 pages above the guest's RAM), so the balloon
# driver hot-adds a section during this guest's boot and populates 9 pages of
# it.  kswaptrace starts after that, sees nothing of the hot-add itself, and
# must still flag the zone from /proc/zoneinfo at start-up.
XM=/sys/devices/system/xen_memory/xen_memory0
i=0
while [ "$(zone_pages Normal present)" -eq 0 ] && [ $i -lt 60 ]; do
    online_new_blocks > /dev/null
    sleep 0.5
    i=$((i + 1))
done
wait_hotadd_settled Normal
info "balloon target_kb $(cat $XM/target_kb) current_kb $(cat $XM/info/current_kb); Normal present $(zone_pages Normal present) managed $(zone_pages Normal managed) min $(zone_pages Normal min)"
cat /proc/zoneinfo > /tmp/zoneinfo.before
{
    echo "target_kb $(cat $XM/target_kb)"
    echo "current_kb $(cat $XM/info/current_kb)"
} > /tmp/balloon
if start_trace "$TRACE_SECONDS" && wait_attached; then
    sleep 1
    stop_trace
fi
send_trace
# The same start-up finding through a recording: record runs the detector and
# writes its verdict changes; report lists them, export draws them.
kswaptrace record -o /tmp/rec -d 2 2> /tmp/record.err; echo $? > /tmp/record.rc
kswaptrace report /tmp/rec --json > /tmp/report.json 2>> /tmp/record.err
kswaptrace export /tmp/rec --format chrome-trace -o /tmp/timeline.json 2>> /tmp/record.err
send_file record.rc /tmp/record.rc
send_file record.err /tmp/record.err
send_file report.json /tmp/report.json
send_file timeline.json /tmp/timeline.json
# The remedy on a 9-page zone: what min_free_kbytes implies for 9 pages is 0.
kswaptrace fix-watermarks --apply --json > /tmp/fix.json 2> /tmp/fix.err || error "fix-watermarks --apply failed: $(cat /tmp/fix.err)"
cat /proc/zoneinfo > /tmp/zoneinfo.after
send_file balloon /tmp/balloon
send_file fix.json /tmp/fix.json
send_file zoneinfo.before /tmp/zoneinfo.before
send_file zoneinfo.after /tmp/zoneinfo.after
cat /proc/sys/vm/min_free_kbytes > /tmp/min_free_kbytes
send_file min_free_kbytes /tmp/min_free_kbytes
