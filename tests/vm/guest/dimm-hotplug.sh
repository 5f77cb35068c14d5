# dimm-hotplug: hot-add a 128 MiB pc-dimm over QMP while kswaptrace records.
# The host answers the "QMP dimm-add" marker with object-add + device_add.
cat /proc/zoneinfo > /tmp/zoneinfo.before
if start_trace "$TRACE_SECONDS" && wait_attached; then
    before=$(memory_blocks)
    mark QMP dimm-add
    i=0
    while [ "$(memory_blocks)" -eq "$before" ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    after=$(memory_blocks)
    [ "$after" -gt "$before" ] || error "no new memory block within 30 s of device_add"
    info "memory blocks: $before -> $after, onlined by the harness: $(online_new_blocks)"
    # Give the trace some allocations to see in the new zone.
    memhog 64 1 > /dev/null
    sleep 1
    cat /proc/zoneinfo > /tmp/zoneinfo.after
    trace_running || error "kswaptrace detached before the hot-add was complete: raise trace_seconds"
    wait_trace
fi
send_trace
send_file zoneinfo.before /tmp/zoneinfo.before
send_file zoneinfo.after /tmp/zoneinfo.after
