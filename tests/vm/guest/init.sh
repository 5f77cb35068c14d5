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

# send_file NAME PATH: ship a file to the host as base64 lines.
send_file() {
    if [ ! -e "$2" ]; then
        mark FILE "$1" missing
        return
    fi
    mark FILE "$1" "$(md5sum < "$2" | cut -d' ' -f1)"
    base64 "$2" | sed "s|^|@@B $1 |"
    mark ENDFILE "$1"
}

# start_trace SECONDS: run kswaptrace in the background, JSON to /tmp/trace.json.
start_trace() {
    TRACE_PID=
    if [ ! -x /bin/kswaptrace ]; then
        error "kswaptrace is not in the initramfs"
        return 1
    fi
    TRACE_T0=$(now)
    kswaptrace -d "$1" --json > /tmp/trace.json 2> /tmp/trace.err &
    TRACE_PID=$!
    info "kswaptrace started: pid $TRACE_PID, -d $1, at ${TRACE_T0}s"
}

# wait_attached: return once kswaptrace holds BPF links / perf events and their
# number has not changed for 2 s (it has loaded and attached its programs), or
# fail after 90 s or if it exits first.
wait_attached() {
    [ -n "$TRACE_PID" ] || return 1
    last=-1 stable=0 i=0
    while [ $i -lt 180 ]; do
        if ! kill -0 "$TRACE_PID" 2>/dev/null; then
            error "kswaptrace exited before it attached"
            return 1
        fi
        n=$(ls -l /proc/$TRACE_PID/fd 2>/dev/null | grep -c -e bpf_link -e perf_event)
        if [ "$n" -gt 0 ] && [ "$n" -eq "$last" ]; then
            stable=$((stable + 1))
            if [ $stable -ge 4 ]; then
                info "kswaptrace attached: $n links after $(awk "BEGIN{print $(now)-$TRACE_T0}")s"
                return 0
            fi
        else
            stable=0
        fi
        last=$n
        sleep 0.5
        i=$((i + 1))
    done
    error "kswaptrace did not attach within 90 s"
    return 1
}

# trace_running: true while kswaptrace has not exited (the measurement window
# must close before it detaches).
trace_running() { [ -n "$TRACE_PID" ] && kill -0 "$TRACE_PID" 2>/dev/null; }

# wait_trace: wait for kswaptrace to finish, record its exit status.
wait_trace() {
    [ -n "$TRACE_PID" ] || return 1
    wait "$TRACE_PID"
    echo $? > /tmp/trace.rc
    info "kswaptrace exited with status $(cat /tmp/trace.rc) at $(now)s"
}

# send_trace: ship kswaptrace's output files.
send_trace() {
    send_file trace.json /tmp/trace.json
    send_file trace.err /tmp/trace.err
    send_file trace.rc /tmp/trace.rc
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

for m in $(cat /etc/modules); do
    insmod "/lib/modules/$m" || error "insmod $m failed"
done
mark BOOTED "kernel=$(uname -r) uptime=$(now)s mem=$(awk '/MemTotal/{print $2}' /proc/meminfo)kB"

. /scenario.sh

dmesg > /tmp/dmesg.txt
send_file dmesg /tmp/dmesg.txt
mark DONE "uptime=$(now)s"
sync
poweroff -f
