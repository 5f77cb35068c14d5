# xen-balloon: PV dom0 booted with dom0_mem=384M,max:512M.  Raise dom0's limit
# with XEN_DOMCTL_max_mem, grow the balloon target past the boot maximum so the
# balloon driver hot-adds memory, online the new blocks if the kernel does not
# (6.1), all while kswaptrace records.
XM=/sys/devices/system/xen_memory/xen_memory0
[ -e /dev/xen/privcmd ] || error "/dev/xen/privcmd missing"
cat /proc/zoneinfo > /tmp/zoneinfo.before
{
    echo "target_kb_before $(cat $XM/target_kb)"
    echo "current_kb_before $(cat $XM/info/current_kb)"
} > /tmp/balloon
# watch beside the trace: its verdict changes show whether TINY-ZONE was
# raised while the new zone was onlining (issue 23); zone.samples logs the
# Normal zone's present/managed every 0.5 s meanwhile, to show the transient.
kswaptrace watch --json -i 1 > /tmp/watch.jsonl 2> /tmp/watch.err &
WATCH_PID=$!
i=0
while [ ! -s /tmp/watch.jsonl ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
if start_trace "$TRACE_SECONDS" && wait_attached; then
    xen_maxmem 0 "$XEN_MAXMEM_KB" > /dev/null || error "XEN_DOMCTL_max_mem failed"
    echo "$BALLOON_TARGET_KB" > $XM/target_kb || error "writing target_kb"
    i=0
    while [ $i -lt 120 ]; do
        online_new_blocks > /dev/null
        echo "$(now) $(zone_pages Normal present) $(zone_pages Normal managed)" >> /tmp/zone.samples
        [ "$(cat $XM/info/current_kb)" -ge "$BALLOON_TARGET_KB" ] && break
        sleep 0.5
        i=$((i + 1))
    done
    wait_hotadd_settled Normal
    info "balloon current_kb $(cat $XM/info/current_kb) after $((i / 2)) s; Normal zone present $(zone_pages Normal present) managed $(zone_pages Normal managed)"
    cat /proc/zoneinfo > /tmp/zoneinfo.after
    stop_trace
fi
kill -INT "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID"
echo $? > /tmp/watch.rc
{
    echo "target_kb_after $(cat $XM/target_kb)"
    echo "current_kb_after $(cat $XM/info/current_kb)"
} >> /tmp/balloon
memory_block_states > /tmp/memory_blocks
# The remedy: rewrite vm.watermark_scale_factor so the kernel recomputes the watermarks.
kswaptrace fix-watermarks --apply --json > /tmp/fix.json 2> /tmp/fix.err || error "fix-watermarks --apply failed: $(cat /tmp/fix.err)"
cat /proc/zoneinfo > /tmp/zoneinfo.fixed
info "after fix-watermarks --apply: Normal min/low/high $(zone_pages Normal min)/$(zone_pages Normal low)/$(zone_pages Normal high)"
send_file fix.json /tmp/fix.json
send_file zoneinfo.fixed /tmp/zoneinfo.fixed
send_trace
send_file balloon /tmp/balloon
send_file zoneinfo.before /tmp/zoneinfo.before
send_file zoneinfo.after /tmp/zoneinfo.after
send_file memory_blocks /tmp/memory_blocks
for f in watch.jsonl watch.err watch.rc zone.samples; do send_file $f /tmp/$f; done
