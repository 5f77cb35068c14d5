# dimm-hotplug: hot-add a 128 MiB pc-dimm over QMP while kswaptrace records.
# The host answers the "QMP dimm-add" marker with object-add + device_add.
cat /proc/zoneinfo > /tmp/zoneinfo.before
# Both kinds of hot-add function probe, one per kernel: kprobes on 6.1, fentry/fexit on 6.12.
case $(uname -r) in
    6.1.*) TRACE_ARGS="--hotadd-probes kprobe" ;;
    *) TRACE_ARGS="--hotadd-probes fentry" ;;
esac
if start_trace "$TRACE_SECONDS" && wait_attached; then
    before=$(memory_blocks)
    mark QMP dimm-add
    i=0
    while [ "$(memory_blocks)" -eq "$before" ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    [ "$(memory_blocks)" -gt "$before" ] || error "no new memory block within 30 s of device_add"
    wait_hotadd_settled Normal
    info "memory blocks: $before -> $(memory_blocks); Normal zone present $(zone_pages Normal present) managed $(zone_pages Normal managed)"
    memhog 64 1 > /dev/null     # some allocations after the hot-add for the trace to see
    cat /proc/zoneinfo > /tmp/zoneinfo.after
    stop_trace
fi
memory_block_states > /tmp/memory_blocks
send_trace
send_file zoneinfo.before /tmp/zoneinfo.before
send_file zoneinfo.after /tmp/zoneinfo.after
send_file memory_blocks /tmp/memory_blocks
