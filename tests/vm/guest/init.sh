#!/bin/sh
# Guest /init for the kswaptrace VM harness (scripts/vmtest).
#
# Runs as PID 1 from a gzip cpio initramfs holding busybox, the static
# kswaptrace, static workloads and a few modules.  It mounts what kswaptrace
# needs, loads the modules listed in /etc/modules, runs /scenario.sh and powers
# off.  Everything the host reads comes back as lines on the console:
#   @@VMTEST <WORD> ...        markers (BOOTED, INFO, ERROR, QMP, FILE, ENDFILE, DONE)
#   @@B <name> <base64>        contents of a file sent with send_file
# The host decodes files, checks their md5, and runs the scenario's assertions.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
. /etc/vmtest.env

mark() { echo "@@VMTEST $*"; }
error() { echo "@@VMTEST ERROR $*"; }
info() { echo "@@VMTEST INFO $*"; }
now() { cut -d' ' -f1 /proc/uptime; }

# send_file NAME PATH: ship a file to the host as base64 lines.  In a Xen
# domU (FILE_PREFIX=domu.) the names carry the prefix: the lines reach the host
# through dom0's console, beside dom0's own files.
send_file() {
    if [ ! -e "$2" ]; then
        mark FILE "${FILE_PREFIX}$1" missing
        return
    fi
    mark FILE "${FILE_PREFIX}$1" "$(md5sum < "$2" | cut -d' ' -f1)"
    base64 "$2" | sed "s|^|@@B ${FILE_PREFIX}$1 |"
    mark ENDFILE "${FILE_PREFIX}$1"
}

# start_trace SECONDS: run kswaptrace in the background, JSON to /tmp/trace.json.
start_trace() {
    TRACE_PID=
    if [ ! -x /bin/kswaptrace ]; then
        error "kswaptrace is not in the initramfs"
        return 1
    fi
    TRACE_T0=$(now)
    # shellcheck disable=SC2086  # TRACE_ARGS: extra options a scenario sets, word-split on purpose
    kswaptrace -d "$1" --json $TRACE_ARGS > /tmp/trace.json 2> /tmp/trace.err &
    TRACE_PID=$!
    info "kswaptrace started: pid $TRACE_PID, -d $1 $TRACE_ARGS, at ${TRACE_T0}s"
}

# wait_attached: return once kswaptrace has attached its probes, or fail after
# 90 s or if it exits first.  kswaptrace prints "Tracing ..." on stderr once all
# its probes (hot-add ones included) are attached: that is what counts.  Only a
# kswaptrace that never prints it (an old build) falls back, after 30 s, to
# "holds BPF links / perf events and their number has not changed for 2 s": a
# stable count alone is not enough, as attaching one more skeleton can take
# longer than 2 s under TCG (a hot-add was missed that way).
wait_attached() {
    [ -n "$TRACE_PID" ] || return 1
    last=-1 stable=0 i=0
    while [ $i -lt 180 ]; do
        if ! kill -0 "$TRACE_PID" 2>/dev/null; then
            error "kswaptrace exited before it attached: $(tail -c 300 /tmp/trace.err)"
            return 1
        fi
        n=$(ls -l /proc/$TRACE_PID/fd 2>/dev/null | grep -c -e bpf_link -e perf_event)
        if grep -q '^Tracing' /tmp/trace.err; then
            info "kswaptrace attached ($n links/perf events) after $(awk "BEGIN{print $(now)-$TRACE_T0}")s"
            return 0
        fi
        if [ "$n" -gt 0 ] && [ "$n" -eq "$last" ]; then
            stable=$((stable + 1))
        else
            stable=0
        fi
        if [ $i -ge 60 ] && [ $stable -ge 4 ]; then
            info "kswaptrace attached ($n links/perf events, stable; no Tracing line) after $(awk "BEGIN{print $(now)-$TRACE_T0}")s"
            return 0
        fi
        last=$n
        sleep 0.5
        i=$((i + 1))
    done
    error "kswaptrace did not attach within 90 s"
    return 1
}

# stop_trace: end the trace now (kswaptrace reports what it traced on SIGINT)
# and wait for it, recording its exit status.  Fails the run if kswaptrace had
# already exited: the guest's measurement window must lie inside the trace.
stop_trace() {
    [ -n "$TRACE_PID" ] || return 1
    if kill -INT "$TRACE_PID" 2>/dev/null; then
        info "kswaptrace stopped at $(now)s"
    else
        error "kswaptrace exited before the guest's window closed (-d too short?)"
    fi
    wait "$TRACE_PID"
    echo $? > /tmp/trace.rc
    info "kswaptrace exited with status $(cat /tmp/trace.rc)"
}

# send_trace: ship kswaptrace's output files.
send_trace() {
    send_file trace.json /tmp/trace.json
    send_file trace.err /tmp/trace.err
    send_file trace.rc /tmp/trace.rc
}

# keep_trace NAME: ship this trace's files as NAME.json, NAME.err, NAME.rc
# now, and clear them for the next start_trace (scenarios that trace twice).
keep_trace() {
    send_file "$1.json" /tmp/trace.json
    send_file "$1.err" /tmp/trace.err
    send_file "$1.rc" /tmp/trace.rc
    rm -f /tmp/trace.json /tmp/trace.err /tmp/trace.rc
}

# online_new_blocks: online memory blocks the kernel left offline (6.1 has
# MEMORY_HOTPLUG_DEFAULT_ONLINE off); prints how many it onlined.
online_new_blocks() {
    n=0
    for s in /sys/devices/system/memory/memory*/state; do
        if [ "$(cat "$s")" = offline ]; then
            echo online > "$s" 2>/dev/null && n=$((n + 1))
        fi
    done
    echo $n
}

memory_blocks() { ls -d /sys/devices/system/memory/memory* | wc -l; }

# zone_pages ZONE FIELD: a node-0 zone's field from /proc/zoneinfo (0 if absent).
zone_pages() {
    awk -v z="$1" -v f="$2" '$1 == "Node" { cur = ($2 == "0," && $4 == z) }
        cur && $1 == f { v = $2 } END { print v + 0 }' /proc/zoneinfo
}

# wait_hotadd_settled ZONE: online new blocks and wait (up to 30 s) until every
# block is online and ZONE's managed pages are no longer changing, so snapshots
# taken next see the finished hot-add.
wait_hotadd_settled() {
    i=0 last=-1
    while [ $i -lt 60 ]; do
        online_new_blocks > /dev/null
        m=$(zone_pages "$1" managed)
        if ! grep -q offline /sys/devices/system/memory/memory*/state && [ "$m" -gt 0 ] && [ "$m" -eq "$last" ]; then
            # kswaptrace judges a zone's hazards once its size has been
            # stable 5 s (ZoneSettling): give it that before the window ends
            sleep 6
            return 0
        fi
        last=$m
        sleep 0.5
        i=$((i + 1))
    done
    error "$1 zone did not settle within 30 s (managed $(zone_pages "$1" managed) of present $(zone_pages "$1" present))"
    return 1
}

# memory_block_states: one line per memory block (name, state, valid zones).
memory_block_states() {
    for b in /sys/devices/system/memory/memory*; do
        echo "${b##*/} $(cat "$b/state") $(cat "$b/valid_zones" 2>/dev/null)"
    done
}

for m in $(cat /etc/modules); do
    insmod "/lib/modules/$m" || error "insmod $m failed"
done
mark BOOTED "kernel=$(uname -r) uptime=$(now)s mem=$(awk '/MemTotal/{print $2}' /proc/meminfo)kB"

. /scenario.sh

dmesg > /tmp/dmesg.txt
send_file dmesg /tmp/dmesg.txt
# A domU says domu.DONE: the run ends when dom0 says DONE.
mark "${FILE_PREFIX}DONE" "uptime=$(now)s"
sync
poweroff -f
