# xen-domu (dom0 side): start the Xen toolstack by hand, `xl create` the PV
# domU whose kernel, initramfs and config the harness put under /domu, and
# relay the domU's console (xenconsoled's log) to dom0's console, where the
# harness reads the domU's markers and files (named domu.*).
#
# The domU asks dom0 for actions with "@@VMTEST DOM0 <action>" lines:
#   grow  -> xl mem-max/mem-set g1 to DOMU_GROW_KB (a live hot-add past maxmem)
# DOMU_SEED_KB, if set, is applied with xl mem-max/mem-set right after create
# (the seed's shape: the balloon hot-adds during the domU's boot).
XB=/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
mkdir -p /run /var/log/xen/console /var/lib/xen /var/run /etc/xen /proc/xen
: > /etc/xen/xl.conf         # xl insists on reading one; the defaults are fine
mount -t tmpfs tmpfs /run
ln -s /run /var/run/xen 2>/dev/null
mount -t devpts devpts /dev/pts
mount -t xenfs xenfs /proc/xen || error "mount xenfs"
t0=$(now)
$XB/xenstored --pid-file /run/xenstored.pid || error "xenstored failed"
$XB/xen-init-dom0 > /tmp/xen-init-dom0.log 2>&1 || error "xen-init-dom0 failed: $(tail -c 300 /tmp/xen-init-dom0.log)"
$XB/xenconsoled --log=guest --log-dir=/var/log/xen/console || error "xenconsoled failed"
info "toolstack up in $(awk "BEGIN{print $(now)-$t0}")s"

# The action script the relay runs (awk's system()).
cat > /tmp/dom0-action <<ACTION
#!/bin/sh
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
. /etc/vmtest.env
case "\$1" in
grow)
    $XB/xl mem-max g1 \${DOMU_GROW_KB}k && $XB/xl mem-set g1 \${DOMU_GROW_KB}k \
        && echo "@@VMTEST INFO dom0: xl mem-max/mem-set g1 \${DOMU_GROW_KB}k" \
        || echo "@@VMTEST ERROR dom0: xl mem-max/mem-set g1 \${DOMU_GROW_KB}k failed"
    ;;
*)  echo "@@VMTEST ERROR dom0: unknown action \$1" ;;
esac
ACTION
chmod +x /tmp/dom0-action

t0=$(now)
if $XB/xl create /domu/guest.cfg > /tmp/xl-create.log 2>&1; then
    if [ -n "$DOMU_SEED_KB" ]; then
        $XB/xl mem-max g1 "${DOMU_SEED_KB}k" && $XB/xl mem-set g1 "${DOMU_SEED_KB}k" \
            || error "xl mem-max/mem-set g1 ${DOMU_SEED_KB}k failed"
        info "dom0: xl mem-max/mem-set g1 ${DOMU_SEED_KB}k right after create"
    fi
    info "xl create took $(awk "BEGIN{print $(now)-$t0}")s"
    LOG=/var/log/xen/console/guest-g1.log
    i=0
    while [ ! -e $LOG ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    mkfifo /tmp/relay
    # Relay: print each domU line on dom0's console, run requested actions,
    # and note the domU's end.
    awk '{ sub(/\r+$/, ""); print; fflush() }
         /@@VMTEST DOM0 / { n = split($0, w, " "); system("/tmp/dom0-action " w[n]) }
         /@@VMTEST domu.DONE/ { print "" > "/tmp/domu.done"; close("/tmp/domu.done") }' < /tmp/relay &
    RELAY=$!
    tail -n +1 -f $LOG > /tmp/relay &
    TAIL=$!
    i=0
    while [ ! -e /tmp/domu.done ] && [ $i -lt "${DOMU_TIMEOUT:-400}" ]; do
        # A domU that crashed (on_crash=preserve) or vanished ends the wait.
        state=$($XB/xl list g1 2>/dev/null | awk 'NR == 2 { print $5 }')
        case "$state" in *c*|"") [ -e /tmp/domu.done ] || { sleep 2; [ -e /tmp/domu.done ] || error "domU ended without domu.DONE (state '$state')"; break; } ;; esac
        sleep 1
        i=$((i + 1))
    done
    [ -e /tmp/domu.done ] || error "domU did not finish within ${DOMU_TIMEOUT:-400} s"
    sleep 1
    kill $TAIL 2>/dev/null
    wait $RELAY 2>/dev/null
    $XB/xl list > /tmp/xl-list.txt 2>&1
    $XB/xl dmesg > /tmp/xen-dmesg.txt 2>&1
    $XB/xl destroy g1 2>/dev/null
else
    error "xl create failed: $(tail -c 400 /tmp/xl-create.log | tr "\n" " ")"
fi
send_file xl-create.log /tmp/xl-create.log
send_file xen-log /tmp/xen-dmesg.txt
