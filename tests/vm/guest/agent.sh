# agent: `kswaptrace agent` (the dynamic build, with the Prometheus exporter)
# in a 384 MiB guest with zram swap while memhog pushes past MemAvailable. The
# agent writes its exposition to a textfile every tick (a new file renamed over
# the old one, so its inode changes each tick). Each window edge is a
# /proc/vmstat snapshot followed by the next tick's textfile: with kswapd
# asleep at both edges, the counters' deltas must equal vmstat's. The endpoint
# is scraped over HTTP too (busybox wget) and SIGTERM must end the agent with 0.
echo "$ZRAM_SIZE" > /sys/block/zram0/disksize || error "zram disksize"
mkswap /dev/zram0 > /dev/null || error "mkswap /dev/zram0"
swapon /dev/zram0 || error "swapon /dev/zram0"

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
prom=/tmp/kswaptrace.prom
# next_tick DEST: wait for the textfile the agent writes after now, copy it to DEST
next_tick() {
    _old=$(stat -c %i "$prom" 2>/dev/null)
    _i=0
    while [ "$(stat -c %i "$prom" 2>/dev/null)" = "$_old" ]; do
        _i=$((_i + 1)); [ $_i -le 200 ] || { error "the agent wrote no textfile for 20 s"; return 1; }
        sleep 0.1
    done
    sleep 0.3   # a second tick cannot land this soon: the file is complete (written, then renamed)
    cp "$prom" "$1"
}

kswaptrace-dyn agent --listen 127.0.0.1:9101 --textfile "$prom" --tick 1 \
    --state-dir /tmp/kst-state > /tmp/agent.out 2> /tmp/agent.err &
apid=$!
i=0
until [ -s "$prom" ] || [ $i -ge 900 ]; do
    kill -0 $apid 2>/dev/null || break
    sleep 0.1; i=$((i + 1))
done
if [ -s "$prom" ]; then
    info "agent ready after $((i / 10)) s"
    sleep 2
    cat /proc/vmstat > /tmp/vmstat.before
    next_tick /tmp/metrics.before
    avail=$(awk '/MemAvailable/{print int($2 / 1024)}' /proc/meminfo)
    hog=$((avail + HOG_EXTRA_MIB))
    info "MemAvailable ${avail} MiB: memhog ${hog} MiB x $HOG_PASSES"
    memhog "$hog" "$HOG_PASSES" || error "memhog exited with $?"
    sleep 2     # let kswapd finish the episode the hog started
    cat /proc/vmstat > /tmp/vmstat.after
    next_tick /tmp/metrics.after
    wget -q -O /tmp/scrape.txt http://127.0.0.1:9101/metrics || error "wget of /metrics failed"
else
    error "the agent wrote no textfile: $(tail -c 300 /tmp/agent.err)"
fi
kill -TERM $apid 2>/dev/null
wait $apid
echo $? > /tmp/agent.rc
for f in metrics.before metrics.after scrape.txt agent.rc agent.err vmstat.before vmstat.after; do
    [ -f /tmp/$f ] && send_file $f /tmp/$f
done
