#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /xt/run.sh in the Xen test's dom0 (run by /sbin/xtest-init, see image.sh):
# start the Xen tools, install the device model (DM_MODE=override: our QEMU
# where `make install` would, named by device_model_override; package:
# make deb's qemu-system-xen by apt, libxl's default), find the raw pmem and
# its host physical address, write patterns to it, then xl create HVM
# guests with a xen-nvdimm on that pmem, and judge what QEMU, Xen and the
# guests did.  With the package, the first guest is an ordinary one too: a
# disk, a network on a dom0 bridge, the default display, a USB tablet.
# Prints one
# "PASS: "/"FAIL: " line per assertion,
# "HOSTCHECK <file offset> <pattern>" for the host to find in the outer
# backing file, and last "XTEST-RESULT: ..." ("ALL-PASSED" only if no FAIL).
. /xt/opts   # NONCE SIZE LABEL OUTER_NV_ADDR GUEST_TIMEOUT DM_SHIM XEN_VER DM_MODE
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-$XEN_VER/bin

passed=0
failed=0
ts() { echo "XTEST[$(cut -d' ' -f1 /proc/uptime)] $*"; }
TAG=                    # "[retry N] " while a guest runs again after a triple fault
pass() { echo "PASS: $TAG$*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $TAG$*"; failed=$((failed + 1)); }
# verdict CONDITION-EXIT-STATUS WHAT: count a check by the status of the last command.
verdict() { if [ "$1" = 0 ]; then pass "$2"; else fail "$2"; fi; }
finish() {
    echo "XTEST-RESULT: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ] && echo "XTEST-RESULT: ALL-PASSED"
    exit 0
}
fatal() { fail "$*"; finish; }
hex() { printf '0x%x' "$1"; }
# Xen's console ring, read and cleared per step, and kept whole in
# $XEN_CONSOLE_ALL: a guest's triple fault must be found whichever step
# read it.  (Xen prints every line on the serial port too, whose log the
# host keeps whole: run.sh prints it on a failure.)
XEN_CONSOLE_ALL=/tmp/xen-console-all.log
xen_console_take() { xl dmesg -c | tee -p -a "$XEN_CONSOLE_ALL"; }
# g KEY: what the guest reported on its serial console $SERIAL as "KEY ...".
g() { tr -d '\r' <"$SERIAL" | sed -n "s/^$1 //p"; }
# gtable NAME-RE: the hex of each copy of the guest's ACPI tables named
# NAME-RE.  What follows the hex on its line is not the table's: on a busy
# host, text was seen appended to a whole copy's line ("[" and an empty
# line, in every copy of two tables).  Lengths and sums are checked below.
gtable() { tr -d '\r' <"$SERIAL" | sed -n "s/^GTABLE $1 \([0-9a-f]*\).*/\1/p"; }
# gone_cause: one line on why domain $DOMID ended before its report (the
# CI's excerpt keeps PASS/FAIL lines, not the evidence below them).
gone_cause() {
    if xl domid "$NAME" >/dev/null 2>&1; then
        echo "domain $DOMID still runs: $(xl list "$NAME" 2>&1 | tail -n 1 | tr -s ' ')"
        return
    fi
    echo "domain $DOMID is gone; Xen's last word on it: '$(xen_console_all | grep -E "d(om)?${DOMID}(v[0-9]+)? " |
        grep -v memory_map | tail -n 1)'; xl's: '$(grep -v '^ *$' "/var/log/xen/xl-$NAME.log" 2>/dev/null | tail -n 1)';" \
         "QEMU's: '$(grep -v '^ *$' "/var/log/xen/qemu-dm-$NAME.log" 2>/dev/null | tail -n 1)'"
}
# evidence WHY: what dom0 alone can tell of why guest $NAME failed.
evidence() {
    ts "evidence for $NAME ($1): xl list"
    xl list 2>&1
    ts "evidence for $NAME: /var/log/xen/xl-$NAME.log"
    cat "/var/log/xen/xl-$NAME.log" 2>&1
    ts "evidence for $NAME: /var/log/xen/qemu-dm-$NAME.log"
    cat "/var/log/xen/qemu-dm-$NAME.log" 2>&1
    if [ -f "/var/log/libvirt/libxl/$NAME.log" ]; then
        ts "evidence for $NAME: libvirt's /var/log/libvirt/libxl/$NAME.log and libxl-driver.log"
        cat "/var/log/libvirt/libxl/$NAME.log" /var/log/libvirt/libxl/libxl-driver.log 2>&1 | tail -n 200
    fi
    ts "evidence for $NAME: its serial console"
    tr -d '\r' <"/tmp/$NAME-serial.log" 2>&1 | sed 's/^/  guest: /'
    ts "evidence for $NAME: dom0's kernel log"
    dmesg | tail -n 60
    ts "evidence for $NAME: end"
}

# The data area the guest sees: the backend less the labels, whole 2 MiB.
DATA=$(( (SIZE - LABEL) / 0x200000 * 0x200000 ))
# Patterns, 4 KiB-aligned: dom0's (first page, past the first 2 MiB page,
# last page) and the guest's (between them).
DOM0_OFFS="0x0 0x1234000 $(hex $((DATA - 0x1000)))"
GUEST_OFFS="0x1000 $(hex $((DATA / 2 + 0x5000))) $(hex $((DATA - 0x2000)))"
pattern() { echo "XTEST-$1-$NONCE-$2"; }

ts "=== Xen tools"
# (Loopback up, as on any host: libxl's default VNC display listens there.)
ip link set lo up
# (The backends of guests' PV disks and networks too, as Debian's xen init script loads them.)
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback loop; do modprobe "$m"; done
mount -t xenfs xenfs /proc/xen
mkdir -p /run/xenstored /var/run/xen /var/log/xen /var/lib/xen /var/lib/xen/dump /run/xen
xenstored --pid-file /run/xenstore.pid
xenconsoled --pid-file=/run/xenconsoled.pid
xen-init-dom0
xl info >/tmp/xl-info.txt 2>&1
verdict $? "xl talks to Xen ($(awk '/^xen_version/ { print $3 }' /tmp/xl-info.txt), $(awk '/^virt_caps/ { $1 = $2 = ""; print }' /tmp/xl-info.txt))"
grep -q 'virt_caps.*hvm' /tmp/xl-info.txt || fatal "Xen cannot run HVM guests here"

if [ "$DM_MODE" = package ]; then
    ts "=== make deb's qemu-system-xen, installed by apt over Debian's"
    stock=$(dpkg-query -W -f '${Version}' qemu-system-xen 2>/dev/null)
    DM=/usr/libexec/xen-qemu-system-i386
    $DM -device help 2>/dev/null | grep -q '"xen-nvdimm"'
    [ $? != 0 ] && [ -n "$stock" ]
    verdict $? "Debian's qemu-system-xen $stock is installed and has no xen-nvdimm"
    deb=$(ls /xt/qemu-system-xen_*.deb)
    want=$(dpkg-deb -f "$deb" Version)
    # (No package lists in this dom0: apt takes what the .deb needs from
    # what is installed, as on a host that has Debian's package.)
    apt-get install -y "$deb" >/tmp/apt-install.log 2>&1
    rc=$?
    cat /tmp/apt-install.log
    new=$(dpkg-query -W -f '${Version}' qemu-system-xen 2>/dev/null)
    [ $rc = 0 ] && [ "$new" = "$want" ] && dpkg --compare-versions "$new" gt "$stock"
    verdict $? "apt-get install ${deb##*/} replaces it (rc $rc): qemu-system-xen $stock -> $new"
    $DM --version >/tmp/qemu-version 2>&1
    grep -q "^QEMU emulator version .*(Debian $want)" /tmp/qemu-version
    verdict $? "libxl's default device model $DM is the package's: $(head -n 1 /tmp/qemu-version)"
    $DM -device help 2>/dev/null | grep -q '"xen-nvdimm"' ||
        fatal "$DM has no xen-nvdimm device"
    DM_OVERRIDE=
else
    ts "=== our QEMU, installed as make install would"
    mkdir -p /usr/local/bin /usr/local/share/qemu
    cp /xt/qemu/qemu-system-x86_64 /usr/local/bin/
    cp -r /xt/qemu/share/* /usr/local/share/qemu/
    /usr/local/bin/qemu-system-x86_64 --version >/tmp/qemu-version 2>&1
    grep -q '^QEMU emulator version' /tmp/qemu-version
    verdict $? "our QEMU runs in dom0: $(head -n 1 /tmp/qemu-version)"
    /usr/local/bin/qemu-system-x86_64 -device help 2>/dev/null | grep -q '"xen-nvdimm"' ||
        fatal "our QEMU has no xen-nvdimm device"
    DM=/usr/local/bin/qemu-system-x86_64
    if [ "$DM_SHIM" = 1 ]; then
        # libxl always passes "-vnc none"; a QEMU without VNC rejects it.
        fail "our QEMU rejects libxl's '-vnc none' (built without VNC): the guests run through a shim that drops it"
        mkdir -p /usr/local/lib/xtest
        cat >/usr/local/lib/xtest/qemu-dm <<'SHIM'
#!/bin/sh
for a; do
    shift
    if [ "$a" = -vnc ]; then skip=1; continue; fi
    if [ "$skip" = 1 ]; then skip=; [ "$a" = none ] && continue; set -- "$@" -vnc; fi
    set -- "$@" "$a"
done
exec /usr/local/bin/qemu-system-x86_64 "$@"
SHIM
        chmod 755 /usr/local/lib/xtest/qemu-dm
        DM=/usr/local/lib/xtest/qemu-dm
    fi
    DM_OVERRIDE="device_model_override = \"$DM\""
fi

# The hypervisor: the xen-nvdimm build (XEN_WB=1) found dom0's pmem in the
# NFIT at boot (whether it knows XEN_DMOP_map_pmem is asked once an HVM
# guest runs: see wb_probe).
ts "=== the hypervisor: $(xl info | sed -n 's/^xen_version *: *//p')"
XEN_LABEL=$XEN_VER$([ "$XEN_WB" = 1 ] && echo +xennvdimm)
if [ "$XEN_WB" = 1 ]; then
    xl dmesg | grep -q "persistent memory (NFIT): $(printf '%#x' "$OUTER_NV_ADDR")-"
    verdict $? "Xen found dom0's pmem in the NFIT: $(xl dmesg | grep -m1 -o 'persistent memory (.*')"
fi

ts "=== dom0's pmem"
# (No udev here: the NVDIMM modules, device DAX included, by hand.)
for m in nfit nd_pmem dax_pmem device_dax; do modprobe "$m"; done
i=0
while [ ! -b /dev/pmem0 ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
ndctl list -DRN
[ -b /dev/pmem0 ] || fatal "dom0 has no /dev/pmem0"
ns=$(basename "$(readlink -f /sys/block/pmem0/device)")
region=$(basename "$(readlink -f /sys/block/pmem0/device/..)")
SPA=$(cat "/sys/bus/nd/devices/$ns/resource")
REGION_BASE=$(cat "/sys/bus/nd/devices/$region/resource")
mode=$(ndctl list -n "$ns" | tr -d ' \n' | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')
[ "$mode" = raw ]
verdict $? "/dev/pmem0 is $ns in raw mode (mode: $mode), SPA $SPA, in $region at $REGION_BASE"
[ "$((REGION_BASE))" = "$((OUTER_NV_ADDR))" ]
verdict $? "dom0's $region starts where the outer QEMU put its NVDIMM ($REGION_BASE = $OUTER_NV_ADDR)"
PMEM_BYTES=$(($(cat /sys/block/pmem0/size) * 512))
[ "$PMEM_BYTES" -ge "$SIZE" ] || fatal "/dev/pmem0 has $PMEM_BYTES bytes, the test needs $SIZE"

# 4 KiB at OFF of /dev/pmem0, bypassing dom0's page cache (the guest
# writes to the pmem behind it).
readat() {
    dd if=/dev/pmem0 bs=4096 skip=$(($1 / 4096)) count=1 iflag=direct 2>/dev/null | head -c "$2"
}
writeat() {
    { printf '%s' "$2"; head -c $((4096 - ${#2})) /dev/zero; } |
        dd of=/dev/pmem0 bs=4096 seek=$(($1 / 4096)) count=1 iflag=fullblock oflag=direct 2>/dev/null
}
for off in $DOM0_OFFS; do
    writeat "$off" "$(pattern DOM0 "$off")"
done
ok=0
for off in $DOM0_OFFS; do
    [ "$(readat "$off" 64 | tr -d '\0')" = "$(pattern DOM0 "$off")" ] || ok=1
done
verdict $ok "dom0 wrote its patterns to /dev/pmem0 at $DOM0_OFFS"

KERNEL=/xt/guest-vmlinuz
join() { echo "$*" | tr ' ' ','; }

# What an admin's guest has: a disk, a network on a dom0 bridge, a USB
# tablet, and (by not saying otherwise) libxl's default display.
ORDINARY=
GUEST_IP=10.99.0.2
DOM0_IP=10.99.0.1
NC_PORT=7777
DISK=/tmp/xtdisk.img
ordinary_cfg() {
    cat <<CFG
disk = [ "format=raw, vdev=xvda, access=rw, target=$DISK" ]
vif = [ "bridge=xenbr0, mac=00:16:3e:58:4e:01" ]
usb = 1
usbdevice = [ "tablet" ]
CFG
}

# The backend of the next guest, and where it writes.
BK_PATH=/dev/pmem0 BK_SIZE=$SIZE BK_LABEL=$LABEL
DEV_EXTRA=              # more properties of the device (the benchmark's)
DM_EXTRA=               # more device model arguments (the benchmark's)
REPEAT=0                # label loops of the benchmark's guest
# A range of /dev/pmem0 (8 sectors at 48 MiB, away from every pattern)
# that dom0's driver knows bad from scenario 1 on: the guests are told.
BAD_SECTOR=98304
WRITE_OFFS=$GUEST_OFFS

# guest_cfg NAME SCENARIO EXTRA-CFG-LINE READ-LIST
# (loglevel=3: kernel warnings such as RCU stalls on a busy host stay off
# the serial console, where they would split the guest's report lines;
# panics and oopses still show.)
guest_cfg() {
    cat <<CFG
name = "$1"
type = "hvm"
memory = 256
vcpus = 1
kernel = "$KERNEL"
ramdisk = "/xt/guest-initrd.img"
cmdline = "console=ttyS0,115200 loglevel=3 panic=-1 nokaslr xtest_scenario=$2 xtest_nonce=$NONCE xtest_read=$4 xtest_write=$(join $WRITE_OFFS)${ORDINARY:+ xtest_ordinary=$GUEST_IP,$DOM0_IP,$NC_PORT} xtest_bad=$BAD_SECTOR xtest_repeat=$REPEAT"
serial = "file:/tmp/$1-serial.log"
$(if [ -n "$ORDINARY" ]; then ordinary_cfg; else printf 'vnc = 0\nsdl = 0\nvga = "none"\n'; fi)
on_crash = "destroy"
on_reboot = "${ON_REBOOT:-destroy}"
$3
device_model_version = "qemu-xen"
$(case "$3" in (*device_model_override*) ;; (*) echo "$DM_OVERRIDE" ;; esac)
device_model_args_hvm = [
    "-object", "memory-backend-xen-pmem,id=pm0,mem-path=$BK_PATH,size=$((BK_SIZE / 1048576))M",
    "-device", "xen-nvdimm,id=nv0,memdev=pm0,label-size=$((BK_LABEL / 1024))K$DEV_EXTRA",
    "-trace", "xen_nvdimm_*", "-trace", "nvdimm_dsm",
    "-trace", "nvdimm_ars_start",
    "-monitor", "unix:/run/xtmon-$1.sock,server=on,wait=off",$DM_EXTRA
]
CFG
}

# The memory type the next guest's pmem must get: write-back where Xen can
# map it so (cache=auto), unless the device says cache=uc.
expect_cache() {
    case "$DEV_EXTRA" in *cache=uc*) echo uc; return ;; esac
    [ "$XEN_WB" = 1 ] && echo wb || echo uc
}
# Did Xen log a mapping for domain $1, of either kind?
xen_logged_map() {
    grep -q -E "memory_map:add: d(om)?$1 gfn=|d$1: pmem 0x[0-9a-f]+-0x[0-9a-f]+ mapped write-back at gfn" "${2:-/dev/stdin}"
}
# Xen's write-backs of domain $1's caches (unmap or death), in us, on one
# line; none if the domain's death wrote back more than once (the first
# leaves nothing to write back).
xen_write_backs() {
    [ "$(grep -c "d$1: domain with write-back pmem dead" "$2")" -le 1 ] || return 0
    sed -n "s/.*d$1: .*: caches written back in \([0-9]*\) us.*/\1/p" "$2" | tr '\n' ' '
}

# Lines of QEMU's trace for the guest (QEMU's stderr is libxl's qemu-dm log).
qtrace() { sed -n "s/^.*\($1 \)/\1/p" "/var/log/xen/qemu-dm-$NAME.log"; }

# The domain's I/O memory rangeset as Xen prints it for debug key q.
iomem_of() {
    xen_console_take >/dev/null
    xl debug-keys q
    sleep 2
    xen_console_take >"/tmp/xen-q-$NAME-$2.log"
    awk -v d="$1" '/Rangesets belonging to domain / { on = ($NF == d ":") ; next }
                   on && /I\/O Memory/ { sub(/.*I\/O Memory *\{ */, ""); sub(/ *\}.*/, ""); print; on = 0 }' \
        "/tmp/xen-q-$NAME-$2.log"
}

# Whether Xen still knows domain $1 in any state (a dying domain too).
xen_has_domain() {
    xen_console_take >/dev/null
    xl debug-keys q
    sleep 2
    xen_console_take | grep -q "General information for domain $1:"
}

wait_gone() {
    i=0
    while xl domid "$NAME" >/dev/null 2>&1 && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
    ! xl domid "$NAME" >/dev/null 2>&1
}

# The admin's devices, seen from dom0 while the guest runs: the device
# model's own view over its monitor, libxl's vif hotplug on the bridge.
ordinary_running() {
    hmp() { /xt/xtest-hmp "/run/xtmon-$NAME.sock" "$1" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tr -d '\r'; }
    hmp "info usb" >/tmp/info-usb.txt
    grep -q 'QEMU USB Tablet' /tmp/info-usb.txt
    verdict $? "$NAME: the device model has the USB tablet: $(grep -m1 Tablet /tmp/info-usb.txt)"
    hmp "info vnc" >/tmp/info-vnc.txt
    grep -q 'Server: 127.0.0.1:5900' /tmp/info-vnc.txt
    verdict $? "$NAME: the default display is served over VNC: $(grep -m1 'Server:' /tmp/info-vnc.txt)"
    hmp "info block" >/tmp/info-block.txt
    grep -q "$DISK" /tmp/info-block.txt
    verdict $? "$NAME: the device model has the disk: $(grep -m1 "$DISK" /tmp/info-block.txt)"
    # The guest sends one line over TCP once its network is up.
    [ -z "$NC_PID" ] || kill "$NC_PID" 2>/dev/null
    busybox nc -l -p "$NC_PORT" >"/tmp/nc-$NAME.txt" 2>&1 &
    NC_PID=$!
    ports=$(ip -o link show master xenbr0 | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
    echo "$ports" | grep -q "vif$DOMID.0 " && echo "$ports" | grep -q "vif$DOMID.0-emu "
    verdict $? "$NAME: libxl put the guest's PV and emulated NICs on xenbr0: $ports"
}

# Did guest $NAME (domain $DOMID) triple-fault before it reported?  If so,
# show Xen's and the guest's last words, and destroy it.  The guest's vCPU
# triple-faults now and then under the nested TCG emulation (bookworm's QEMU
# 7.2 emulating SVM), at any point of its boot, with nothing of ours in its
# console; the register dumps seen so far stop at port I/O (0xcfc, 0x3fe).
# Twice in a row for one guest was seen once, in CI, so a guest gets
# $TRIPLE_FAULT_TRIES attempts.
TRIPLE_FAULT_TRIES=3
# A triple fault can come before the attempt's first checks (a domain
# gone 11 s after xl create, before QEMU's claim record was read, was seen
# in CI): the checks of an attempt that ends so, from attempt_begin on, do
# not count.
# Its teardown checks read Xen's console since it began (a domain that died
# early was torn down before later steps took the console).
attempt_begin() {
    ATTEMPT_PASSED=$passed ATTEMPT_FAILED=$failed
    xen_console_take >"/tmp/xen-before-$NAME.log"
    ATTEMPT_CONSOLE=$(wc -l <"$XEN_CONSOLE_ALL")
}
xen_console_since_attempt() {
    xen_console_take >/dev/null
    tail -n +"$((ATTEMPT_CONSOLE + 1))" "$XEN_CONSOLE_ALL"
}
# Xen's console since boot, without clearing what later steps will read.
xen_console_all() { cat "$XEN_CONSOLE_ALL" 2>/dev/null; xl dmesg; }
triple_faulted() {
    ! grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null &&
        xen_console_all | grep -q -E "d${DOMID}v[0-9]+ Triple fault" || return 1
    echo "RETRY: $NAME: Xen reports that the guest triple-faulted before it reported:"
    xen_console_all | grep -A 14 -E "d${DOMID}v[0-9]+ Triple fault" | sed 's/^/RETRY:   /'
    echo "RETRY: $NAME: this attempt's $((passed - ATTEMPT_PASSED)) PASS and $((failed - ATTEMPT_FAILED)) FAIL lines above do not count"
    passed=$ATTEMPT_PASSED failed=$ATTEMPT_FAILED
    tr -d '\r' <"$SERIAL" | tail -n 5 | sed 's/^/RETRY:   guest: /'
    xl destroy "$NAME" 2>/dev/null
    wait_gone
    return 0
}

# Label writes held back on purpose while dom0 times QMP (scenario 2): the
# guest's device model runs with xtest-slowsync.so, which delays each of
# its fdatasync() calls by LABEL_SYNC_DELAY_US and notes when each began.
# QEMU serves the guest's _DSM calls in a worker thread and completes the
# vCPU's ioreq later, so QMP must answer as fast during a held-back label
# write as outside one; a QEMU that wrote labels in its main loop would
# answer only after the write.
LABEL_SYNC_DELAY_US=3000000
slow_labels_dm() {
    mkdir -p /usr/local/lib/xtest
    cat >/usr/local/lib/xtest/qemu-dm-slowsync <<WRAP
#!/bin/sh
XTEST_SYNC_DELAY_US=$LABEL_SYNC_DELAY_US XTEST_SYNC_LOG=/tmp/syncs-$1.txt \\
    LD_PRELOAD=/xt/xtest-slowsync.so exec $DM "\$@"
WRAP
    chmod 755 /usr/local/lib/xtest/qemu-dm-slowsync
    echo 'device_model_override = "/usr/local/lib/xtest/qemu-dm-slowsync"'
}
# One QMP sample every 0.2 s until the guest reports: when it began, when
# QMP had answered, and whether it did.
slow_labels_start() {
    rm -f "/tmp/syncs-$NAME.txt"
    while ! grep -q '^GUEST-DONE' "/tmp/$NAME-serial.log" 2>/dev/null &&
          kill -0 "$DMPID" 2>/dev/null; do
        t0=$(date +%s.%N)
        /xt/xtest-qmp "/var/run/xen/qmp-libxl-$DOMID" '{"execute": "query-status"}' \
            >/dev/null 2>&1
        echo "$t0 $(date +%s.%N) $?"
        sleep 0.2
    done >"/tmp/qmp-times-$NAME.txt" &
    QMP_SAMPLER=$!
}
slow_labels_verdicts() {
    local syncs inside early worst_in worst_out
    kill "$QMP_SAMPLER" 2>/dev/null
    wait "$QMP_SAMPLER" 2>/dev/null
    syncs=$(wc -l <"/tmp/syncs-$NAME.txt" 2>/dev/null || echo 0)
    # The QMP samples that began during a held-back write, those of them
    # that began in its first half (a main loop held by the write would
    # keep them waiting half the delay at least), and the others.  One
    # early sample is enough: a busy host takes fewer.
    set -- $(awk -v d="$LABEL_SYNC_DELAY_US" '
        NR == FNR { s[n++] = $1; next }
        { lat = $3 ? 99 : $2 - $1; w = e = 0
          for (i = 0; i < n; i++) if ($1 >= s[i] && $1 < s[i] + d / 1e6) {
              w = 1; if ($1 < s[i] + d / 2e6) e = 1 }
          if (w) { k++; ke += e; if (lat > wi) wi = lat } else if (lat > wo) wo = lat }
        END { printf "%d %d %.3f %.3f\n", k, ke, wi, wo }' \
        "/tmp/syncs-$NAME.txt" "/tmp/qmp-times-$NAME.txt" 2>/dev/null)
    inside=${1:-0} early=${2:-0} worst_in=${3:-} worst_out=${4:-}
    [ "$syncs" -ge 1 ]
    verdict $? "$NAME: every fdatasync of the device model was held back $((LABEL_SYNC_DELAY_US / 1000000)) s: $syncs of them, during the guest's label writes"
    [ "$early" -ge 1 ] && awk -v a="$worst_in" -v b="$worst_out" 'BEGIN { exit !(a < b + 1.5) }'
    verdict $? "$NAME: QMP answered during the held-back label writes as outside them: the slowest of $inside answers during a write ($early in its first half) took $worst_in s, the slowest of the others $worst_out s (a write takes $((LABEL_SYNC_DELAY_US / 1000000)) s)"
    qtrace xen_nvdimm_dsm_deferred | grep -q . &&
        [ "$(qtrace xen_nvdimm_dsm_deferred | wc -l)" = "$(qtrace xen_nvdimm_dsm_done | wc -l)" ]
    verdict $? "$NAME: QEMU served the guest's _DSM calls in its worker thread and completed each ioreq after: $(qtrace xen_nvdimm_dsm_deferred | wc -l) deferred, $(qtrace xen_nvdimm_dsm_done | wc -l) done"
}

# run_guest NAME SCENARIO EXTRA-CFG-LINE READ-LIST TABLES
run_guest() {
    NAME=$1 SCEN=$2
    attempt_begin
    ts "=== scenario $SCEN: guest $NAME"
    guest_cfg "$@" >"/tmp/$NAME.cfg"
    cat "/tmp/$NAME.cfg"
    t0=$(cut -d' ' -f1 /proc/uptime)
    timeout 600 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    rc=$?
    cat "/tmp/xl-create-$NAME.log"
    verdict $rc "$NAME: xl create with a xen-nvdimm, device model $DM (rc $rc, $(cut -d' ' -f1 /proc/uptime) - $t0 s)"
    if [ $rc != 0 ]; then
        evidence "xl create failed"
        xl destroy "$NAME" 2>/dev/null
        return 1
    fi
    DOMID=$(xl domid "$NAME")
    xen_console_take >"/tmp/xen-create-$NAME.log"
    DMPID=$(xenstore-read "/local/domain/$DOMID/image/device-model-pid")
    tr '\0' ' ' <"/proc/$DMPID/cmdline" | tee "/tmp/dm-args-$NAME.txt" | cut -c1-3000
    echo
    [ "$NAME" != xtguest2 ] || slow_labels_start
    [ -z "$ORDINARY" ] || ordinary_running

    # What QEMU says it resolved and did.
    qtrace 'xen_nvdimm_[a-z_]*' | sed 's/^/  qemu: /'
    ext=$(qtrace xen_nvdimm_extent)
    echo "$ext" | grep -q "^xen_nvdimm_extent pm0: backend 0x0 spa $(hex "$SPA") size $(hex "$DATA")$" &&
        [ "$(echo "$ext" | wc -l)" = 1 ]
    verdict $? "$NAME: QEMU resolved /dev/pmem0 to one extent at sysfs's SPA $(hex "$SPA"), $(hex "$DATA") bytes: '$ext'"
    GPA=$(qtrace xen_nvdimm_place | sed -n 's/.*pm0: gpa \(0x[0-9a-f]*\) size.*/\1/p')
    [ -n "$GPA" ] || { fail "$NAME: no xen_nvdimm_place in QEMU's trace"; GPA=0; }
    GFN=$(hex $((GPA >> 12)))
    MFN=$(hex $((SPA >> 12)))
    NR=$(hex $((DATA >> 12)))
    qtrace xen_nvdimm_iomem_permission | grep -qx "xen_nvdimm_iomem_permission pm0: mfn $MFN nr $NR allow 1 rc 0"
    verdict $? "$NAME: QEMU granted domain $DOMID access to mfn $MFN+$NR"
    CACHE=$(expect_cache)
    got=$(qtrace xen_nvdimm_cache | sed -n "s/^xen_nvdimm_cache pm0: the guest's pmem is mapped //p")
    [ "$got" = "$CACHE" ]
    verdict $? "$NAME: the guest's pmem is mapped $CACHE (device '${DEV_EXTRA:-cache=auto}', Xen $([ "$XEN_WB" = 1 ] && echo with || echo without) write-back): QEMU says '$got'"
    if [ "$CACHE" = wb ]; then
        qtrace xen_nvdimm_map_pmem_wb | grep -qx "xen_nvdimm_map_pmem_wb pm0: gfn $GFN mfn $MFN nr $NR rc 0"
        verdict $? "$NAME: QEMU mapped mfn $MFN+$NR at gfn $GFN write-back (XEN_DMOP_map_pmem)"
        # Xen maps 128 MiB a call: the parts must run from MFN to its end.
        grep -E "d$DOMID: (pmem|write-back pmem)" "/tmp/xen-create-$NAME.log"
        parts=$(sed -n "s/.*d$DOMID: pmem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\) mapped write-back at gfn \(0x[0-9a-f]*\)$/\1 \2 \3/p" \
                    "/tmp/xen-create-$NAME.log")
        m=$((SPA >> 12)) f=$((GPA >> 12)) ok=0 n=0
        while read -r ps pe pg; do
            [ -n "$ps" ] || continue
            n=$((n + 1))
            [ $((ps)) = $m ] && [ $((pg)) = $f ] || ok=1
            f=$((pg + pe - ps + 1)) m=$((pe + 1))
        done <<PARTS
$parts
PARTS
        [ $ok = 0 ] && [ $n -gt 0 ] && [ $m = $(((SPA + DATA) >> 12)) ] &&
            ! grep -q "d$DOMID: write-back pmem mapping .* failed" "/tmp/xen-create-$NAME.log"
        verdict $? "$NAME: Xen logged the write-back mapping of mfn $MFN+$NR at gfn $GFN for d$DOMID in $n parts of at most 128 MiB, no failure"
    else
        qtrace xen_nvdimm_memory_mapping | grep -qx "xen_nvdimm_memory_mapping pm0: gfn $GFN mfn $MFN nr $NR add 1 rc 0"
        verdict $? "$NAME: QEMU mapped mfn $MFN+$NR at gfn $GFN"

        # Xen's view: the mapping hypercall and the domain's I/O memory rangeset.
        # (Xen names the domain "d1" in 4.17.7, "dom1" before.)
        grep -E "memory_map:(add|fail)" "/tmp/xen-create-$NAME.log"
        first=$(grep -m1 -E "memory_map:add: d(om)?$DOMID " "/tmp/xen-create-$NAME.log")
        echo "$first" | grep -q -E "memory_map:add: d(om)?$DOMID gfn=${GFN#0x} mfn=${MFN#0x} nr=${NR#0x}$" &&
            ! grep -q -E "memory_map:fail: d(om)?$DOMID " "/tmp/xen-create-$NAME.log"
        verdict $? "$NAME: Xen logged the mapping of mfn $MFN+$NR at gfn $GFN for dom$DOMID, no failure"
        if [ "$XEN_WB" != 1 ] && [ -z "$DEV_EXTRA" ]; then
            grep -q "xen-nvdimm 'pm0': the guest's pmem is uncached (UC), every read goes to the media: this Xen cannot map persistent memory write-back" \
                "/var/log/xen/qemu-dm-$NAME.log"
            verdict $? "$NAME: QEMU warned the admin that the guest's pmem is uncached on this Xen: $(grep -o "warning: xen-nvdimm 'pm0': the guest's pmem is uncached.*" "/var/log/xen/qemu-dm-$NAME.log")"
        fi
    fi
    rec=$(xenstore-read "/local/domain/0/device-model/$DOMID/xen-nvdimm/nv0" 2>&1)
    [ "$rec" = "$(hex "$SPA")+$(hex "$DATA")" ]
    verdict $? "$NAME: QEMU's claim record in xenstore is the host memory it maps: '$rec'"
    range=$(iomem_of "$DOMID" running)
    want="${MFN#0x}-$(printf '%x' $(((SPA + DATA) / 4096 - 1)))"
    [ "$range" = "$want" ]
    verdict $? "$NAME: Xen's I/O Memory rangeset of dom$DOMID is { $want }: { $range }"

    # The tables QEMU handed hvmloader, read from the guest's memory.
    XS=/local/domain/$DOMID/hvmloader/acpi
    addr=$(xenstore-read "$XS/address")
    len=$(xenstore-read "$XS/length")
    /xt/xtest-acpi "$DOMID" "$addr" "$len" >"/tmp/qtables-$NAME.txt"
    verdict $? "$NAME: xenstore $XS points at whole ACPI tables ($addr, $len bytes): $(cut -d' ' -f1-5 "/tmp/qtables-$NAME.txt" | tr '\n' ';')"
    [ "$(wc -l <"/tmp/qtables-$NAME.txt")" = "$5" ] &&
        [ "$(awk '{ print $3 }' "/tmp/qtables-$NAME.txt" | tail -n 2 | tr '\n' ' ')" = "NFIT SSDT " ]
    verdict $? "$NAME: QEMU's blob has $5 tables, ending with its NFIT and SSDT"

    # Wait for the guest's report.
    SERIAL=/tmp/$NAME-serial.log
    i=0
    while ! grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null && xl domid "$NAME" >/dev/null 2>&1 &&
          [ $i -lt "$GUEST_TIMEOUT" ]; do
        sleep 5; i=$((i + 5))
        [ $((i % 60)) = 0 ] && ts "waiting for $NAME: $(wc -l <"$SERIAL" 2>/dev/null) serial lines"
    done
    if triple_faulted; then
        return 2
    fi
    grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null
    verdict $? "$NAME: the guest booted and reported ($(cut -d' ' -f1 /proc/uptime) - $t0 s after xl create)$(
        grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null || echo ": $(gone_cause)")"
    grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null || evidence "no report from the guest"
    ts "$NAME serial:"
    tr -d '\r' <"$SERIAL" | grep -v '^GTABLE ' | sed 's/^/  guest: /'

    q_nfit=$(awk '$3 == "NFIT" { print $6 }' "/tmp/qtables-$NAME.txt")
    q_ssdt=$(awk '$3 == "SSDT" { s = $6 } END { print s }' "/tmp/qtables-$NAME.txt")
    # Every table the guest got sums to zero, as its firmware requires.
    # The guest sends each twice; a copy that arrived damaged (its hex is
    # not as long as its header says) is shown, and the other copy counts.
    # Text after a whole copy's hex is shown too (cat -v).
    tr -d '\r' <"$SERIAL" | sed -n 's/^GTABLE //p' | awk '
        function hexval(c) { return index("0123456789abcdef", c) - 1 }
        function byte(h, i) { return 16 * hexval(substr(h, 2 * i + 1, 1)) + hexval(substr(h, 2 * i + 2, 1)) }
        {
            name = $1; rest = substr($0, length(name) + 2)
            match(rest, /^[0-9a-f]*/)
            h = substr(rest, 1, RLENGTH); after = substr(rest, RLENGTH + 1); n = length(h) / 2
            hl = byte(h, 4) + 256 * byte(h, 5) + 65536 * byte(h, 6) + 16777216 * byte(h, 7)
            s = 0
            for (i = 0; i < n; i++) s += byte(h, i)
            seen[name] = 1
            if (length(h) % 2 || n != hl) {
                printf "DAMAGED %s: %d hex digits, its header says %d bytes; starts %s, ends %s, then %s\n",
                       name, length(h), hl, substr(h, 1, 48), substr(h, length(h) - 47), substr(after, 1, 80)
                next
            }
            if (after != "") printf "TRAILED %s: a whole copy, then %s\n", name, substr(after, 1, 80)
            if (s % 256 == 0) good[name] = 1
            else if (!(name in badsum)) badsum[name] = s % 256
        }
        END {
            for (name in seen) {
                if (name in good) print "GOOD", name
                else print "BAD", name, (name in badsum ? "sum " badsum[name] : "no whole copy")
            }
        }' >"/tmp/gtables-$NAME.txt"
    grep -E '^(DAMAGED|TRAILED)' "/tmp/gtables-$NAME.txt" | cat -v | sed 's/^/  guest table copy /'
    badsum=$(sed -n 's/^BAD //p' "/tmp/gtables-$NAME.txt" | tr '\n' ';')
    ntab=$(grep -c -E '^(GOOD|BAD) ' "/tmp/gtables-$NAME.txt")
    [ "$ntab" -gt 0 ] && [ -z "$badsum" ]
    verdict $? "$NAME: each of the guest's $ntab ACPI tables sums to zero${badsum:+ (not: $badsum)}"
    [ -n "$q_nfit" ] && gtable NFIT | grep -qx "$q_nfit"
    verdict $? "$NAME: the guest's /sys/firmware/acpi/tables/NFIT is byte for byte the NFIT QEMU built"
    [ -n "$q_ssdt" ] && gtable 'SSDT[0-9]*' | grep -qx "$q_ssdt"
    verdict $? "$NAME: one of the guest's SSDTs is byte for byte the SSDT QEMU built"
    g GNFITDRV | grep -q 'ACPI0012:00'
    verdict $? "$NAME: the guest's nfit driver bound the NVDIMM root device: $(g GNFITDRV)"
    dr=$(g GNDCTL-DR)
    echo "$dr" | grep -q '"dev":"nmem0"' && echo "$dr" | grep -q '"dev":"region0"'
    verdict $? "$NAME: ndctl list -DR shows DIMM nmem0 and region0"
    reg=$(g 'GREGION region0')
    [ "$reg" = "$GPA $DATA" ]
    verdict $? "$NAME: guest region0 is at QEMU's guest address with the data area's size ($GPA $DATA): '$reg'"
    for ro in $(echo "$4" | tr ',' ' '); do
        got=$(g "GREAD $ro")
        [ "$got" = "$(pattern "${ro%%:*}" "${ro#*:}")" ]
        verdict $? "$NAME: the guest read $(pattern "${ro%%:*}" "${ro#*:}") from its /dev/pmem0: '$got'"
    done
    if [ -n "$ORDINARY" ]; then
        [ "$(g GDISK)" = "XTEST-DISK-$NONCE" ]
        verdict $? "$NAME: the guest read dom0's pattern from its disk /dev/xvda: '$(g GDISK)'"
        g GPING | grep -q '^rc=0 '
        verdict $? "$NAME: the guest pings dom0 over the bridge: $(g GPING)"
        [ "$(cat /tmp/nc-$NAME.txt 2>/dev/null)" = "XTEST-NET-$NONCE" ]
        verdict $? "$NAME: dom0 received the guest's message over TCP: '$(cat /tmp/nc-$NAME.txt 2>/dev/null)'"
    fi
    ts "Xen console since xl create:"
    xl dmesg | grep -v 'memory_map:' | tail -n 40
    return 0
}

# npt_walk: the memory type Xen gave guest $NAME's pmem, proven from
# outside.  Xen's VMCB dump (debug key v) gives the vCPU's nested page table
# root and guest PAT; the host walks that table through the outer QEMU's
# monitor (run.sh) and answers on the mailbox disk /dev/vdc.  Then the
# guest's own view: Linux's memory type for the region, and hvmloader's
# MTRRs, whose UC windows must miss the data area.
WALK_ID=0
# npt_walk_raw SIZE: sets h (H_CR3), gpat (guest PAT), res (the host's
# walk of SIZE bytes at $GPA) and i (seconds waited for it).
npt_walk_raw() {
    xl debug-keys v
    xl dmesg >"/tmp/vmcb-$NAME.log"
    h=$(awk -v d="$DOMID" '/>>> Domain / { cur = $4 } cur == d && / H_CR3 = / { h = $4 }
                            END { print h }' "/tmp/vmcb-$NAME.log")
    gpat=$(awk -v d="$DOMID" '/>>> Domain / { cur = $4 } cur == d && / PAT = / { p = $NF }
                               END { print p }' "/tmp/vmcb-$NAME.log")
    i=0 res=
    [ -n "$h" ] || return 1
    WALK_ID=$((WALK_ID + 1))
    echo "XTEST-WALK $WALK_ID $h $GPA $1"
    while [ $i -lt 900 ]; do
        res=$(dd if=/dev/vdc bs=4096 skip=$WALK_ID count=1 iflag=direct 2>/dev/null |
              tr -d '\0' | sed -n "s/^WALK $WALK_ID //p")
        [ -n "$res" ] && break
        sleep 2; i=$((i + 2))
    done
}
npt_walk() {
    npt_walk_raw "$DATA"
    [ -n "$h" ] && [ -n "$gpat" ]
    verdict $? "$NAME: Xen's VMCB dump gives domain $DOMID's nested page table root H_CR3 $h and guest PAT $gpat"
    [ -n "$h" ] || return 1
    [ -n "$res" ]
    verdict $? "$NAME: the host walked the nested page table over $(hex "$DATA") bytes at $GPA ($i s): $res"
    [ -n "$res" ] || return 1
    w() { echo "$res" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    leaves=$(w leaves)
    [ "$(w missing)" = 0 ] && [ "$(w types)" = 5 ] && [ "$(w mfn)" = "$MFN" ] &&
        [ "$(w pwt)" = 0 ] && [ "$(w pat)" = 0 ]
    verdict $? "$NAME: every leaf over the data area is Xen's p2m_mmio_direct (type 5) from mfn $MFN, none missing, PWT and PAT clear"
    if [ "$CACHE" = wb ]; then
        # Host PAT entry 0 (WB); guest PAT entry 0, what Linux's write-back
        # mappings use, must be WB (06) too; the host MTRR is WB above RAM.
        [ "$(w pcd)" = 0 ] && [ "$(w 2m)" -gt 0 ] && [ "$(w 4k)" = 0 ] &&
            [ "$(printf '%x' $((gpat & 0xff)))" = 6 ]
        verdict $? "$NAME: write-back in the nested p2m: no leaf has PCD, all $leaves are 2 MiB superpages (host PAT entry 0, WB), and guest PAT entry 0 is WB ($gpat): the guest's write-back mapping is write-back"
    else
        [ "$(w pcd)" = "$leaves" ] && [ "$leaves" -gt 0 ]
        verdict $? "$NAME: uncached in the nested p2m: all $leaves leaves have PCD (host PAT entry 2, UC-): the guest's write-back mapping is uncacheable"
    fi
    echo "XTEST-MEMTYPE $XEN_LABEL $CACHE $res gpat=$gpat"
    g GMEMTYPE | grep -q "^region0 PAT: \[mem $(printf '0x%016x' "$GPA")-.*\] write-back$"
    verdict $? "$NAME: the guest's Linux maps its pmem write-back: '$(g GMEMTYPE)'"
    g GMTRR | tr ';' '\n' | awk -v lo="$((GPA))" -v hi="$((GPA + DATA))" '
        /uncachable/ {
            # "regNN: base=0xHEX ( NMB), size= NMB, count=N: uncachable"
            h = $2; sub(/^base=0x/, "", h); b = 0
            for (i = 1; i <= length(h); i++)
                b = b * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            s = $0; sub(/.*size= */, "", s); u = s; sub(/[0-9]+/, "", u); s = s + 0
            u = substr(u, 1, 1); s *= (u == "G" ? 2^30 : u == "M" ? 2^20 : 2^10)
            if (b < hi && lo < b + s) bad = 1 }
        END { exit bad }'
    verdict $? "$NAME: no UC range of hvmloader's MTRRs covers the data area: '$(g GMTRR)'"
}

# wb_probe: an empty request for guest $DOMID: the xen-nvdimm Xen knows
# the operation and refuses the request, a stock Xen does not know it.
wb_probe() {
    said=$(/xt/xtest-mapwb "$DOMID" 0 0 0)
    if [ "$XEN_WB" = 1 ]; then
        [ "$said" = "rc=-22 (Invalid argument)" ]
        verdict $? "Xen is the xen-nvdimm build: it knows XEN_DMOP_map_pmem ($said for an empty request)"
    else
        [ "$said" = "rc=-95 (Operation not supported)" ]
        verdict $? "Xen is a stock build: it does not know XEN_DMOP_map_pmem ($said)"
    fi
}

# wb_refusals: what the xen-nvdimm Xen must refuse, asked directly while
# guest $NAME runs with its pmem mapped write-back.
wb_refusals() {
    r() { /xt/xtest-mapwb "$DOMID" $((GPA >> 12)) "$@"; }
    said=$(r 0x100 1)
    [ "$said" = "rc=-22 (Invalid argument)" ]
    verdict $? "Xen refuses to map RAM (mfn 0x100) write-back: $said"
    said=$(r 0xfee00 1)
    [ "$said" = "rc=-22 (Invalid argument)" ]
    verdict $? "Xen refuses to map a frame outside the firmware's persistent memory (the LAPIC, mfn 0xfee00) write-back: $said"
    said=$(r $(((SPA + SIZE) >> 12)) 1)
    [ "$said" = "rc=-1 (Operation not permitted)" ]
    verdict $? "Xen refuses dom0 pmem the guest may not access (mfn $(hex $(((SPA + SIZE) >> 12)))): $said"
    said=$(r "$MFN" 1)
    [ "$said" = "rc=-17 (File exists)" ]
    verdict $? "Xen refuses to map the guest's own pmem write-back twice: $said"
    said=$(r "$MFN" 1 1)
    [ "$said" = "rc=-22 (Invalid argument)" ]
    verdict $? "Xen refuses an unknown flag: $said"
    ! xen_console_take | grep -q "d$DOMID: pmem .* mapped write-back"
    verdict $? "none of the refused requests mapped anything"
}

# after_guest: what must hold once the domain is gone.
after_guest() {
    wait_gone
    verdict $? "$NAME: domain $DOMID is gone"
    xen_console_since_attempt >"/tmp/xen-after-$NAME.log"
    grep -E "memory_map:(remove|fail)|memory_map: error" "/tmp/xen-after-$NAME.log" | head -n 5
    ts "$NAME: QEMU's log (libxl's qemu-dm-$NAME.log):"
    sed 's/^/  qemu-dm: /' "/var/log/xen/qemu-dm-$NAME.log"
    # QEMU undoes its work when libxl stops it: unmap first, then revoke.
    unmap=$(grep -n "xen_nvdimm_memory_mapping pm0: gfn $GFN mfn $MFN nr $NR add 0 rc 0$" \
                 "/var/log/xen/qemu-dm-$NAME.log" | cut -d: -f1)
    revoke=$(grep -n "xen_nvdimm_iomem_permission pm0: mfn $MFN nr $NR allow 0 rc 0$" \
                  "/var/log/xen/qemu-dm-$NAME.log" | cut -d: -f1)
    [ -n "$unmap" ] && [ -n "$revoke" ] && [ "$unmap" -lt "$revoke" ]
    verdict $? "$NAME: on exit QEMU unmapped gfn $GFN, then revoked access to mfn $MFN+$NR, both without error"
    grep -q -E "memory_map:remove: d(om)?$DOMID gfn=${GFN#0x} mfn=${MFN#0x} nr=${NR#0x}$" "/tmp/xen-after-$NAME.log" &&
        ! grep -q -E "memory_map: error|memory_map:fail" "/tmp/xen-after-$NAME.log"
    verdict $? "$NAME: Xen logged the removal of that mapping, no error"
    if [ "$CACHE" = wb ]; then
        us=$(xen_write_backs "$DOMID" "/tmp/xen-after-$NAME.log")
        [ -n "$us" ]
        verdict $? "$NAME: Xen wrote caches back once the write-back pmem was unmapped (us each: ${us:-none})"
        echo "XTEST-WRITEBACK $XEN_LABEL $us"
    fi
    # Each probe first shows it can say yes, then must say no.
    xenstore-exists /local/domain/0 && ! xenstore-exists "/local/domain/$DOMID"
    verdict $? "$NAME: nothing left in xenstore under /local/domain/$DOMID (the probe finds /local/domain/0)"
    xenstore-exists /local/domain/0 &&
        ! xenstore-exists "/local/domain/0/device-model/$DOMID"
    verdict $? "$NAME: nothing left under /local/domain/0/device-model/$DOMID (the probe finds /local/domain/0)"
    # (libxl removes that directory itself: QEMU's own removal, before it.)
    qtrace xen_nvdimm_claim_record_removed |
        grep -qx "xen_nvdimm_claim_record_removed pm0: /local/domain/0/device-model/$DOMID/xen-nvdimm/nv0"
    verdict $? "$NAME: QEMU let go of its own claim record when libxl stopped it: '$(qtrace xen_nvdimm_claim_record_removed)'"
    xen_has_domain 0 && ! xen_has_domain "$DOMID"
    verdict $? "$NAME: Xen holds no domain $DOMID, dying or not (its debug-key dump lists domain 0), so no I/O memory permission or p2m mapping of the pmem is left"
}

# --- make bench's Xen part (BENCH=1), instead of the test.  P1: how many
# memory_mapping calls Xen sees for a 1 GiB device placed automatically,
# for one at a GPA deliberately not congruent with its host address, and
# for the largest device dom0's pmem allows, and how long xl create takes
# with each against the same guest without it; P3: the device model's
# resident memory with each; P4: label I/O through the IOREQ server.
# Prints "BENCH key value" lines for devtools/bench.sh.
bench_create() {
    NAME=$1
    guest_cfg "$@" >"/tmp/$NAME.cfg"
    [ -n "$NVDIMM" ] || sed -i '/memory-backend-xen-pmem\|"xen-nvdimm,/d' "/tmp/$NAME.cfg"
    xen_console_take >/dev/null
    t0=$(cut -d' ' -f1 /proc/uptime)
    xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    verdict $? "bench: xl create $NAME ($BK_SIZE bytes${DEV_EXTRA:+, $DEV_EXTRA})"
    t1=$(cut -d' ' -f1 /proc/uptime)
    DOMID=$(xl domid "$NAME")
    xen_console_take >"/tmp/xen-create-$NAME.log"
    DMPID=$(xenstore-read "/local/domain/$DOMID/image/device-model-pid")
    echo "BENCH $NAME.create_s $(echo "$t1 $t0" | awk '{ print $1 - $2 }')"
    echo "BENCH $NAME.rss_kib $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$DMPID/status")"
    echo "BENCH $NAME.bytes $([ -n "$NVDIMM" ] && echo "$BK_SIZE" || echo 0)"
    echo "BENCH $NAME.mapping_calls $(grep -c -E "memory_map:add: d(om)?$DOMID |d$DOMID: pmem .* mapped write-back" "/tmp/xen-create-$NAME.log")"
    [ -z "$NVDIMM" ] ||
        echo "BENCH $NAME.realize_us $(qtrace xen_nvdimm_realized | sed -n 's/.* in \([0-9]*\) us$/\1/p')"
    # The device's trace, timestamped, from realize to realized.
    [ -z "$NVDIMM" ] || sed -n '/xen_nvdimm_realize /,/xen_nvdimm_realized /p' \
        "/var/log/xen/qemu-dm-$NAME.log" | sed "s/^/BENCHTRACE $NAME /" | head -n 40
}
if [ "${BENCH:-0}" = 1 ]; then
    ts "=== benchmark"
    # Timestamps on QEMU's trace: where realize spends its time.
    DM_EXTRA=' "-msg", "timestamp=on",'
    echo "BENCH xen $(xl info | sed -n 's/^xen_version *: *//p')"
    echo "BENCH dom0_kernel $(uname -r)"
    echo "BENCH qemu $($DM --version | head -n 1)"
    BIG=$(( (PMEM_BYTES - LABEL) / 0x200000 * 0x200000 ))
    for round in 1 2; do
        NVDIMM= bench_create "xtbench-none-$round" 1 "" "" 2
        xl destroy "xtbench-none-$round"; wait_gone
        BK_SIZE=$((1 << 30)) NVDIMM=1 bench_create "xtbench-1g-$round" 1 "" "" 2
        GPA=$(qtrace xen_nvdimm_place | sed -n 's/.*pm0: gpa \(0x[0-9a-f]*\) size.*/\1/p')
        # The memory type the guest's data area got, from the nested p2m,
        # and what writing caches back cost when it went.
        npt_walk_raw $((((1 << 30) - LABEL) / 0x200000 * 0x200000))
        echo "BENCH xtbench-1g-$round.memtype ${res:-none} gpat=$gpat cache=$(qtrace xen_nvdimm_cache | sed -n 's/.* mapped //p')"
        xl destroy "xtbench-1g-$round"; wait_gone
        xen_console_take >"/tmp/xen-after-$NAME.log"
        echo "BENCH xtbench-1g-$round.writeback_us $(xen_write_backs "$DOMID" "/tmp/xen-after-$NAME.log")"
        # 1 MiB off its congruent place: no 2 MiB p2m entry can map it.
        # Mapped in 4 KiB pages, its p2m needs 2 MiB of the domain's paging
        # pool per GiB: more than xl gives a 256 MiB guest (it fails with
        # ENOMEM after 987 MiB without this line).
        BK_SIZE=$((1 << 30)) DEV_EXTRA=",addr=$(hex $((GPA + 0x100000)))" NVDIMM=1 \
            bench_create "xtbench-1g-offset-$round" 1 "shadow_memory = 16" "" 2
        xl destroy "xtbench-1g-offset-$round"; wait_gone
        BK_SIZE=$BIG NVDIMM=1 bench_create "xtbench-big-$round" 1 "" "" 2
        xl destroy "xtbench-big-$round"; wait_gone
    done
    # Label I/O through the IOREQ server, in a guest that runs the loops.
    REPEAT=20 NVDIMM=1 bench_create xtbench-labels bench "" "" 2
    SERIAL=/tmp/xtbench-labels-serial.log
    i=0
    while ! grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null && [ $i -lt "$GUEST_TIMEOUT" ]; do
        sleep 5; i=$((i + 5))
        [ $((i % 60)) = 0 ] && ts "waiting for xtbench-labels: $(wc -l <"$SERIAL" 2>/dev/null) serial lines"
    done
    tr -d '\r' <"$SERIAL" | sed -n 's/^GLABELS /BENCH labels /p; s/^GFAILED /BENCH failed /p'
    xl destroy xtbench-labels 2>/dev/null; wait_gone
    finish
fi

# --- scenario 1: the admin's configuration; the guest powers itself off.
reads1=$(for o in $DOM0_OFFS; do printf 'DOM0:%s,' "$o"; done)
# run_guest_retry ARGS...: run_guest, again (up to $TRIPLE_FAULT_TRIES
# attempts) while the guest triple-faults before it reports.  The aborted
# attempt is torn down like any other guest; later attempts' verdicts say
# they are a retry.
run_guest_retry() {
    TAG=
    try=1
    while :; do
        run_guest "$@"
        rc=$?
        [ $rc = 2 ] || return $rc
        TAG="[aborted attempt $try] "
        after_guest
        if [ $try -ge $TRIPLE_FAULT_TRIES ]; then
            fail "$1: the guest triple-faulted in all $try attempts"
            return 2
        fi
        try=$((try + 1))
        TAG="[retry $try] "
    done
}

NC_PID=
if [ "$DM_MODE" = package ]; then
    ORDINARY=1
    ts "=== dom0's bridge and the guest's disk"
    modprobe -a bridge tun
    ip link add xenbr0 type bridge &&
        ip addr add "$DOM0_IP/24" dev xenbr0 &&
        ip link set xenbr0 up
    verdict $? "dom0 has the bridge xenbr0 at $DOM0_IP"
    truncate -s 16M "$DISK"
    printf 'XTEST-DISK-%s' "$NONCE" | dd of="$DISK" bs=4096 seek=256 conv=notrunc 2>/dev/null
fi
echo "$BAD_SECTOR 8" >/sys/block/pmem0/badblocks
grep -qx "$BAD_SECTOR 8" /sys/block/pmem0/badblocks
verdict $? "dom0's driver lists sectors $BAD_SECTOR+8 of /dev/pmem0 as bad media"
if run_guest_retry xtguest1 1 "" "${reads1%,}" 2; then
    after_guest
    # The bad range, mapped all the same, and told to the guest where the
    # guest has it: its namespace starts at the backend's byte 0.
    qtrace xen_nvdimm_badblocks | grep -qx "xen_nvdimm_badblocks pm0: backend $(hex $((BAD_SECTOR * 512)))+0x1000 is known bad media"
    verdict $? "xtguest1: QEMU found dom0's bad range and mapped it: '$(qtrace xen_nvdimm_badblocks)'"
    qtrace nvdimm_ars_start | grep -q "^nvdimm_ars_start handle 0x1: $GPA+$(hex "$DATA"): 1 bad ranges$"
    verdict $? "xtguest1: the guest's scrub of its whole NVDIMM found one bad range: '$(qtrace nvdimm_ars_start | head -n 2 | tr '\n' ';')'"
    [ "$(g GBADBLOCKS)" = "$BAD_SECTOR 8," ]
    verdict $? "xtguest1: the guest's /dev/pmem0 lists sectors $BAD_SECTOR+8 bad: '$(g GBADBLOCKS)'"
    g GMEDIA | grep -q "\"badblocks\":\[{\"offset\":$BAD_SECTOR,\"length\":8[,}]"
    verdict $? "xtguest1: the guest's ndctl list --media-errors: offset $BAD_SECTOR length 8: '$(g GMEDIA)'"
    # The host's persistence domain (the outer QEMU's nvdimm-persistence=cpu),
    # read through libndctl in dom0, reaches the guest's NFIT.
    qtrace xen_nvdimm_media_persistence | grep -qx "xen_nvdimm_media_persistence pm0: the host's persistence domain is cpu_cache"
    verdict $? "xtguest1: QEMU read dom0's persistence domain, $(cat /sys/bus/nd/devices/region0/persistence_domain), for the backend: '$(qtrace xen_nvdimm_media_persistence)'"
    [ "$(g GPERSIST)" = "cpu_cache," ]
    verdict $? "xtguest1: the guest's region says the same: '$(g GPERSIST)'"
    # dom0's pmem is QEMU's NVDIMM, which has no SMART: none offered.
    g GDIMM | grep -q "^nmem0 handle=0x1 dsm_mask=0x70$"
    verdict $? "xtguest1: the guest's DIMM offers the label functions and no health, as dom0's DIMM gives none: '$(g GDIMM)'"
    g GBADREAD | grep -q "^$BAD_SECTOR rc=1 .*Input/output error"
    verdict $? "xtguest1: the guest's read of sector $BAD_SECTOR fails with an I/O error, not a machine check: '$(g GBADREAD)'"
    if [ -n "$ORDINARY" ]; then
        got=$(dd if="$DISK" bs=4096 skip=512 count=1 2>/dev/null | head -c 64 | tr -d '\0')
        [ "$got" = "XTEST-GDISK-$NONCE" ]
        verdict $? "xtguest1: dom0 finds the guest's pattern in its disk image at 2 MiB: '$got'"
    fi
    G1=$(g GWROTE | wc -l)
    [ "$G1" = 3 ]
    verdict $? "xtguest1: the guest wrote 3 patterns to its /dev/pmem0"
    grep -q '^@@@ END rc=0' "$SERIAL"
    verdict $? "xtguest1: the guest's test script ended cleanly and it powered off"
    for off in $GUEST_OFFS; do
        got=$(readat "$off" 64 | tr -d '\0')
        [ "$got" = "$(pattern GUEST "$off")" ]
        verdict $? "dom0 reads the guest's $(pattern GUEST "$off") from /dev/pmem0: '$got'"
    done
    for off in $DOM0_OFFS; do
        got=$(readat "$off" 64 | tr -d '\0')
        [ "$got" = "$(pattern DOM0 "$off")" ]
        verdict $? "dom0's pattern at $off is still there: '$got'"
    done
fi

ORDINARY=
[ -z "$NC_PID" ] || kill "$NC_PID" 2>/dev/null

# --- scenario 2: the admin's own ACPI table too; dom0 destroys the guest.
[ -s /xt/extra.aml ] || fatal "no /xt/extra.aml for scenario 2"
reads2=$(for o in $GUEST_OFFS; do printf 'GUEST:%s,' "$o"; done)
if run_guest_retry xtguest2 2 "acpi_firmware = \"/xt/extra.aml\"
$(slow_labels_dm xtguest2)" "${reads2%,}" 3; then
    npt_walk
    wb_probe
    [ "$XEN_WB" != 1 ] || wb_refusals
    extra=$(od -An -v -tx1 /xt/extra.aml | tr -d ' \n')
    [ "$(awk '$2 == 0 { print $6 }' "/tmp/qtables-xtguest2.txt")" = "$extra" ]
    verdict $? "xtguest2: QEMU kept the admin's acpi_firmware table first in its blob"
    gtable 'SSDT[0-9]*' | grep -qx "$extra"
    verdict $? "xtguest2: the admin's table reached the guest byte for byte"
    g GACPIDEVS | grep -q 'XTST0001:00'
    verdict $? "xtguest2: the guest's ACPI scan found the admin's \\_SB.XTST: $(g GACPIDEVS)"
    # Labels through the _DSM over the IOREQ server (see guest/run.sh).
    [ "$(g GREADLABELS0)" = "rc=0 index=0" ]
    verdict $? "xtguest2: ndctl read-labels reads the never-written label area through _LSR: $(g GREADLABELS0)"
    g GINITLABELS | grep -q '^rc=0 initialized 1 nmem'
    verdict $? "xtguest2: ndctl init-labels writes the labels through _LSW: $(g GINITLABELS)"
    [ "$(g GREADLABELS1)" = "rc=0 index=2" ]
    verdict $? "xtguest2: ndctl read-labels reads back both index blocks: $(g GREADLABELS1)"
    calls=$(qtrace nvdimm_dsm | grep -c 'handle 0x1 revision 0x1 function 0x6$')
    [ "$calls" -gt 0 ]
    verdict $? "xtguest2: the label writes were _DSM calls served by our QEMU through the IOREQ server ($calls calls of function 6 in its trace)"
    slow_labels_verdicts
    timeout 300 xl destroy "$NAME"
    verdict $? "xtguest2: xl destroy"
    after_guest
    got=$(readat $((SIZE - LABEL)) 15)
    [ "$got" = NAMESPACE_INDEX ]
    verdict $? "the label area, /dev/pmem0 at $(hex $((SIZE - LABEL))) (backend size - label size), holds the guest's index block: '$got'"
    echo "HOSTCHECK $(hex $((SPA - REGION_BASE + SIZE - LABEL))) NAMESPACE_INDEX"
fi

# --- scenario 3: one host, one pmem, two guests.  While a guest holds
# /dev/pmem0, another on the same pmem is refused, naming the holder; the
# holder keeps running with its data.  After kill -9 of the holder's QEMU
# its domain still maps the pmem: still refused, until xl destroy.
# try_refused NAME WHY: xl create NAME must fail, QEMU saying WHY.
try_refused() {
    guest_cfg "$1" 2 "" "" >"/tmp/$1.cfg"
    timeout 300 xl create "/tmp/$1.cfg" >"/tmp/xl-create-$1.log" 2>&1
    rc=$?
    said=$(grep -m1 -o "xen-nvdimm 'pm0'.*" "/var/log/xen/qemu-dm-$1.log")
    [ $rc != 0 ] && grep -qF "$2" "/var/log/xen/qemu-dm-$1.log"
    verdict $? "$1: xl create on the same /dev/pmem0 fails (rc $rc): $said"
    xl destroy "$1" >/dev/null 2>&1
}
guest_patterns_intact() {
    ok=0
    for off in $GUEST_OFFS; do
        [ "$(readat "$off" 64 | tr -d '\0')" = "$(pattern GUEST "$off")" ] || ok=1
    done
    verdict $ok "$1: the guest data on /dev/pmem0 is intact"
}
# (xtguest2 wrote labels with no namespace: without them the guest's
# NVDIMM is one raw namespace again, /dev/pmem0, which xtguest3 reads.)
dd if=/dev/zero of=/dev/pmem0 bs=4096 seek=$(((SIZE - LABEL) / 4096)) \
    count=$((LABEL / 4096)) oflag=direct 2>/dev/null
# (On the xen-nvdimm Xen, uncached by the admin's choice: the walk shows it.)
if DEV_EXTRA=$([ "$XEN_WB" = 1 ] && echo ,cache=uc) run_guest_retry xtguest3 2 "" "${reads2%,}" 2; then
    DEV_EXTRA=$([ "$XEN_WB" = 1 ] && echo ,cache=uc)
    npt_walk
    A=$DOMID
    APID=$(xenstore-read "/local/domain/$A/image/device-model-pid")
    try_refused xtguest3b "is already mapped by the device model of domain $A (QEMU pid $APID)"
    xl domid xtguest3 >/dev/null 2>&1
    verdict $? "xtguest3: still running after the refusal"
    guest_patterns_intact xtguest3
    # QEMU reading the guest's pmem, as an emulated device's DMA would: it
    # cannot reach it on Xen, and says so instead of reading nothing.
    # (The report goes where QEMU's errors go: here the monitor, else the
    # qemu-dm log.)
    /xt/xtest-hmp /run/xtmon-xtguest3.sock "xp /2gx $(hex $((GPA + 0x1000)))" |
        sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tr -d '\r' >/tmp/xp.txt
    said=$(grep -o "xen-nvdimm 'pm0': an emulated device read the guest's pmem at $(hex $((GPA + 0x1000))), which QEMU cannot reach on Xen: the access failed" /tmp/xp.txt)
    [ -n "$said" ] && grep -q "Cannot access memory" /tmp/xp.txt &&
        qtrace xen_nvdimm_dma_refused | grep -q "pm0: data area 0x1000 size [0-9]* write 0"
    verdict $? "xtguest3: QEMU's own read of the guest's pmem (HMP xp, which reads like a device's DMA) fails and is reported: '$said', then 'Cannot access memory'"
    kill -9 "$APID"
    sleep 2
    ! kill -0 "$APID" 2>/dev/null && xl domid xtguest3 >/dev/null 2>&1
    verdict $? "xtguest3: its QEMU (pid $APID) is killed with SIGKILL; domain $A lives on"
    rec=$(xenstore-read "/local/domain/0/device-model/$A/xen-nvdimm/nv0")
    [ "$rec" = "$(hex "$SPA")+$(hex "$DATA")" ]
    verdict $? "xtguest3: domain $A's claim record is still in xenstore: '$rec'"
    # The device's guardian outlives QEMU: the lock, and the namespace's
    # exclusive hold, stay until the domain is gone.
    GPID=$(qtrace xen_nvdimm_guard | sed -n 's/.*guardian pid \([0-9]*\) running 1.*/\1/p' | head -n 1)
    [ -n "$GPID" ] && kill -0 "$GPID" 2>/dev/null &&
        [ "$(cat "/proc/$GPID/comm" 2>/dev/null)" = xen-nvdimm-grd ]
    verdict $? "xtguest3: the device's guardian (pid $GPID) outlives its QEMU"
    try_refused xtguest3c "is already mapped by the device model of domain $A (QEMU pid $APID)"
    PMEM_NS=$(basename "$(readlink -f /sys/block/pmem0/device)")
    mkfs.ext4 -q /dev/pmem0 </dev/null >/tmp/mkfs-held.log 2>&1
    rc=$?
    [ $rc != 0 ] && grep -q "in use" /tmp/mkfs-held.log
    verdict $? "xtguest3: dom0 cannot make a filesystem on /dev/pmem0 while domain $A maps it (rc $rc): $(tr '\n' ' ' </tmp/mkfs-held.log)"
    ndctl disable-namespace "$PMEM_NS" >/tmp/ndctl-held.log 2>&1
    rc=$?
    [ $rc != 0 ] && [ -e /dev/pmem0 ]
    verdict $? "xtguest3: ndctl cannot disable $PMEM_NS while domain $A maps it (rc $rc): $(tr '\n' ' ' </tmp/ndctl-held.log)"
    NAME=xtguest3
    timeout 300 xl destroy xtguest3
    wait_gone
    verdict $? "xtguest3: xl destroy of domain $A, whose QEMU is gone"
    i=0
    while kill -0 "$GPID" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    ! kill -0 "$GPID" 2>/dev/null &&
        grep -q "xen-nvdimm 'pm0' guardian: domain $A is gone: its host memory is released" \
            /var/log/xen/qemu-dm-xtguest3.log
    verdict $? "xtguest3: the guardian let go once domain $A was gone ($i s): $(grep -o "xen-nvdimm 'pm0' guardian: .*" /var/log/xen/qemu-dm-xtguest3.log)"
    ndctl disable-namespace "$PMEM_NS" >/tmp/ndctl-free.log 2>&1 &&
        ndctl enable-namespace "$PMEM_NS" >>/tmp/ndctl-free.log 2>&1 && [ -e /dev/pmem0 ]
    verdict $? "xtguest3: then ndctl can disable and enable $PMEM_NS again: $(tr '\n' ' ' </tmp/ndctl-free.log)"
    guest_cfg xtguest3d 2 "" "" >/tmp/xtguest3d.cfg
    timeout 300 xl create /tmp/xtguest3d.cfg >/tmp/xl-create-xtguest3d.log 2>&1
    rc=$?
    verdict $rc "xtguest3d: once domain $A is gone, a guest on /dev/pmem0 starts (rc $rc)"
    [ $rc = 0 ] || sed 's/^/  qemu-dm: /' /var/log/xen/qemu-dm-xtguest3d.log
    NAME=xtguest3d
    timeout 300 xl destroy xtguest3d
    wait_gone
    verdict $? "xtguest3d: destroyed"
    ! xenstore-exists "/local/domain/0/device-model/$A/xen-nvdimm" &&
        xenstore-exists /local/domain/0
    verdict $? "no claim record of domain $A is left"
    guest_patterns_intact "after xtguest3d"
fi
DEV_EXTRA=

# --- scenario 4: backends that need struct page in dom0.  A PV dom0 gets
# them with --map=mem (--map=dev needs PSE, which PV hides): an fsdax
# namespace, a file on ext4 mounted -o dax on another, and a devdax
# namespace.  dom0 writes patterns through each, a guest reads them and
# writes its own, dom0 reads those back, and the host finds all of them in
# the outer backing file where QEMU's extents put them.
ts "=== scenario 4: fsdax, a file on ext4-DAX and devdax (--map=mem)"
BK_SIZE=$((128 << 20)) BK_LABEL=0
BK_DOM0_OFFS="0x0 0x3001000"
BK_GUEST_OFFS="0x1000 0x5002000"
BASE_NONCE=$NONCE
ndctl disable-region region0 >/dev/null 2>&1
ndctl init-labels -f nmem0 >/tmp/init-labels.log 2>&1
verdict $? "dom0 writes labels to its NVDIMM: $(tr '\n' ' ' </tmp/init-labels.log)"
ndctl enable-region region0 >/dev/null 2>&1
# A raw namespace over the first 512 MiB keeps what the scenarios above
# left there for the host to check (raw mode writes nothing to the media);
# the namespaces of this scenario come after it.
spacer=$(ndctl create-namespace -r region0 -m raw -s 512M 2>&1 | tr -d ' \n')
# mkns MODE SIZE [OPTIONS]: create a namespace, print its JSON on one line.
mkns() {
    mode=$1 size=$2
    shift 2
    ndctl create-namespace -r region0 -m "$mode" --map=mem -s "$size" "$@" 2>/tmp/mkns.err | tr -d ' \n'
}
js() { echo "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
NS_FSDAX=$(mkns fsdax 160M)
NS_EXT4=$(mkns fsdax 192M)
NS_DEVDAX=$(mkns devdax 144M --align=4K)
[ "$(js "$spacer" mode)" = raw ] && [ "$(js "$spacer" size)" = $((512 << 20)) ] &&
    [ -n "$(js "$NS_FSDAX" blockdev)" ] && [ -n "$(js "$NS_EXT4" blockdev)" ] &&
    [ -n "$(js "$NS_DEVDAX" chardev)" ]
verdict $? "in the PV dom0, after a raw 512 MiB namespace ($(js "$spacer" dev)), ndctl creates fsdax (twice) and devdax namespaces with --map=mem: $(js "$NS_FSDAX" blockdev) $(js "$NS_EXT4" blockdev) $(js "$NS_DEVDAX" chardev) $(cat /tmp/mkns.err)"
ns_start=$(cat "/sys/bus/nd/devices/$(js "$NS_FSDAX" dev)/resource" 2>/dev/null)
[ "$((ns_start))" -ge $((REGION_BASE + SIZE)) ]
verdict $? "the new namespaces start past the first scenarios' data: $ns_start >= $(hex $((REGION_BASE + SIZE)))"
EXT4_DEV=/dev/$(js "$NS_EXT4" blockdev)
mkdir -p /mnt/xtdax
mkfs.ext4 -q -F -b 4096 "$EXT4_DEV" && mount -o dax "$EXT4_DEV" /mnt/xtdax &&
    dd if=/dev/zero of=/mnt/xtdax/guest.img bs=1M count=$((BK_SIZE >> 20)) conv=fsync 2>/dev/null
verdict $? "ext4 on $EXT4_DEV mounts with -o dax and holds a written-out $((BK_SIZE >> 20)) MiB file: $(grep xtdax /proc/mounts)"

# The data start of a namespace in host physical memory, from sysfs: its
# pfn or dax device's resource (past the info block and the memmap).
data_start() {
    for d in /sys/bus/nd/devices/pfn* /sys/bus/nd/devices/dax*; do
        [ "$(cat "$d/namespace" 2>/dev/null)" = "$1" ] && { cat "$d/resource"; return; }
    done
}
# QEMU's extents, one "BACKEND-OFFSET SPA SIZE" per line (decimal).
extents() {
    qtrace xen_nvdimm_extent | while read -r _ _ _ b _ a _ n; do
        echo "$((b)) $((a)) $((n))"
    done
}
# The host address QEMU's extents give a backend offset.
spa_of() {
    extents | while read -r b a n; do
        if [ $(($1)) -ge "$b" ] && [ $(($1)) -lt $((b + n)) ]; then
            hex $((a + $1 - b))
            break
        fi
    done
}
# The filesystem block of a file offset, from FIEMAP as e2fsprogs reads it.
fiemap_block() {
    filefrag -v -b4096 "$1" | sed 's/\.\./ /g; s/:/ /g' |
        awk -v l=$(($2 / 4096)) '$1 ~ /^[0-9]+$/ && NF >= 5 && l >= $2 && l <= $3 { print $4 + l - $2; exit }'
}
# bk_write KIND PATH OFF STRING / bk_read KIND PATH OFF LEN: through the
# backend as dom0's users would: block I/O, file I/O, or a DAX mapping.
bk_write() {
    case $1 in
        devdax) /xt/xtest-mmap "$2" 4096 "$3" write "$4" ;;
        *) { printf '%s' "$4"; head -c $((4096 - ${#4})) /dev/zero; } |
               dd of="$2" bs=4096 seek=$(($3 / 4096)) count=1 conv=notrunc,fsync 2>/dev/null ;;
    esac
}
bk_read() {
    case $1 in
        devdax) /xt/xtest-mmap "$2" 4096 "$3" read "$4" ;;
        fsdax) dd if="$2" bs=4096 skip=$(($3 / 4096)) count=1 iflag=direct 2>/dev/null |
                   head -c "$4" | tr -d '\0'; echo ;;
        *) dd if="$2" bs=4096 skip=$(($3 / 4096)) count=1 2>/dev/null | head -c "$4" | tr -d '\0'; echo ;;
    esac
}

# backend_guest KIND PATH NAMESPACE-JSON: backend_guest_once, again while
# the guest triple-faults (as run_guest_retry does for the first guests).
backend_guest() {
    TAG=
    try=1
    while backend_guest_once "$@"; [ $? = 2 ]; do
        if [ $try -ge $TRIPLE_FAULT_TRIES ]; then
            fail "$NAME: the guest triple-faulted in all $try attempts"
            break
        fi
        try=$((try + 1))
        TAG="[retry $try] "
    done
    TAG=
}
# backend_guest_once KIND PATH NAMESPACE-JSON: 2 if the guest triple-faulted.
backend_guest_once() {
    kind=$1 BK_PATH=$2 ns=$3
    NAME=xtguest4-$kind
    attempt_begin
    NONCE=$BASE_NONCE$kind
    for off in $BK_DOM0_OFFS; do
        bk_write "$kind" "$BK_PATH" "$off" "$(pattern DOM0 "$off")"
    done
    ok=0
    for off in $BK_DOM0_OFFS; do
        [ "$(bk_read "$kind" "$BK_PATH" "$off" 64)" = "$(pattern DOM0 "$off")" ] || ok=1
    done
    verdict $ok "$NAME: dom0 wrote its patterns through $BK_PATH"
    WRITE_OFFS=$BK_GUEST_OFFS
    guest_cfg "$NAME" 1 "" "$(for o in $BK_DOM0_OFFS; do printf 'DOM0:%s,' "$o"; done | sed 's/,$//')" >"/tmp/$NAME.cfg"
    timeout 600 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    rc=$?
    verdict $rc "$NAME: xl create with a xen-nvdimm on $kind $BK_PATH (rc $rc)"
    if [ $rc != 0 ]; then
        sed 's/^/  qemu-dm: /' "/var/log/xen/qemu-dm-$NAME.log"
        cat "/tmp/xl-create-$NAME.log"
        xl destroy "$NAME" 2>/dev/null
        return 1
    fi
    DOMID=$(xl domid "$NAME")
    qtrace xen_nvdimm_extent | sed 's/^/  qemu: /'
    # Every extent lies in the namespace's data area, as sysfs has it.
    nsname=$(js "$ns" dev)
    start=$(data_start "$nsname")
    nsend=$(( $(cat "/sys/bus/nd/devices/$nsname/resource") + $(cat "/sys/bus/nd/devices/$nsname/size") ))
    bad=$(extents | while read -r b a n; do
              [ "$a" -ge $((start)) ] && [ $((a + n)) -le "$nsend" ] || echo "$(hex "$a")+$(hex "$n")"
          done)
    [ -n "$(extents)" ] && [ -n "$start" ] && [ -z "$bad" ]
    verdict $? "$NAME: QEMU's $(extents | wc -l) extents lie in $nsname's data area, $start..$(hex $nsend)${bad:+ (not: $bad)}"
    if [ "$kind" != file ]; then
        [ "$(spa_of 0)" = "$(hex $((start)))" ]
        verdict $? "$NAME: the backend starts at the data start sysfs gives ($start): $(spa_of 0)"
    else
        ok=0
        for off in $BK_DOM0_OFFS $BK_GUEST_OFFS; do
            blk=$(fiemap_block "$BK_PATH" "$off")
            want=$(hex $((start + ${blk:-0} * 4096 + off % 4096)))
            [ -n "$blk" ] && [ "$(spa_of "$off")" = "$want" ] || ok=1
            echo "  file offset $off: filefrag block $blk -> $want, QEMU $(spa_of "$off")"
        done
        verdict $ok "$NAME: QEMU's extents agree with filefrag on the host address of each pattern"
        immutable "$BK_PATH"
        verdict $? "$NAME: the file is pinned while the guest maps it: $(lsattr "$BK_PATH")"
    fi
    xl dmesg | xen_logged_map "$DOMID"
    verdict $? "$NAME: Xen logged the mapping for dom$DOMID"
    SERIAL=/tmp/$NAME-serial.log
    i=0
    while ! grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null && xl domid "$NAME" >/dev/null 2>&1 &&
          [ $i -lt "$GUEST_TIMEOUT" ]; do
        sleep 5; i=$((i + 5))
        [ $((i % 60)) = 0 ] && ts "waiting for $NAME: $(wc -l <"$SERIAL" 2>/dev/null) serial lines"
    done
    if triple_faulted; then
        xen_console_take >/dev/null
        return 2
    fi
    grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null
    verdict $? "$NAME: the guest booted and reported$(grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null || echo ": $(gone_cause)")"
    grep -q '^GUEST-DONE' "$SERIAL" 2>/dev/null || evidence "no report from the guest"
    for off in $BK_DOM0_OFFS; do
        got=$(g "GREAD DOM0:$off")
        [ "$got" = "$(pattern DOM0 "$off")" ]
        verdict $? "$NAME: the guest read $(pattern DOM0 "$off"): '$got'"
    done
    after_guest_light
    for off in $BK_GUEST_OFFS; do
        got=$(bk_read "$kind" "$BK_PATH" "$off" 64)
        [ "$got" = "$(pattern GUEST "$off")" ]
        verdict $? "$NAME: dom0 reads the guest's $(pattern GUEST "$off") through $BK_PATH: '$got'"
    done
    for off in $BK_DOM0_OFFS $BK_GUEST_OFFS; do
        who=DOM0
        case " $BK_GUEST_OFFS " in *" $off "*) who=GUEST ;; esac
        a=$(spa_of "$off")
        [ -n "$a" ] && echo "HOSTCHECK $(hex $((a - REGION_BASE))) $(pattern $who "$off")"
    done
}
# after_guest_light: the domain's end, for backends whose extents vary.
after_guest_light() {
    wait_gone
    verdict $? "$NAME: domain $DOMID is gone"
    xen_console_since_attempt >"/tmp/xen-after-$NAME.log"
    grep -q -E "memory_map:remove: d(om)?$DOMID " "/tmp/xen-after-$NAME.log" &&
        ! grep -q -E "memory_map: error|memory_map:fail" "/tmp/xen-after-$NAME.log"
    verdict $? "$NAME: Xen logged the removal of the mappings, no error"
    if [ "$XEN_WB" = 1 ]; then
        [ -n "$(xen_write_backs "$DOMID" "/tmp/xen-after-$NAME.log")" ]
        verdict $? "$NAME: Xen wrote caches back after the write-back mappings went"
    fi
    xenstore-exists /local/domain/0 && ! xenstore-exists "/local/domain/$DOMID" &&
        ! xenstore-exists "/local/domain/0/device-model/$DOMID"
    verdict $? "$NAME: nothing left in xenstore for domain $DOMID"
}
# immutable FILE: is the file pinned (chattr +i)?
immutable() { lsattr "$1" 2>/dev/null | cut -d' ' -f1 | grep -q i; }
# A file backend whose QEMU is killed stays pinned while its domain lives
# (the guardian keeps it), and is free again once the domain is gone: the
# next guest on it starts without a manual chattr -i.
file_killed() {
    NAME=xtguest4-kill
    BK_PATH=/mnt/xtdax/guest.img
    guest_cfg "$NAME" 1 "" "" >"/tmp/$NAME.cfg"
    timeout 600 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    rc=$?
    verdict $rc "$NAME: xl create with a xen-nvdimm on the file $BK_PATH (rc $rc)"
    [ $rc = 0 ] || { sed 's/^/  qemu-dm: /' "/var/log/xen/qemu-dm-$NAME.log"; xl destroy "$NAME" 2>/dev/null; return; }
    DOMID=$(xl domid "$NAME")
    KPID=$(xenstore-read "/local/domain/$DOMID/image/device-model-pid")
    GPID=$(qtrace xen_nvdimm_guard | sed -n 's/.*guardian pid \([0-9]*\) running 1.*/\1/p' | head -n 1)
    immutable "$BK_PATH"
    verdict $? "$NAME: the file is pinned while the guest maps it: $(lsattr "$BK_PATH")"
    kill -9 "$KPID"
    sleep 2
    rm -f "$BK_PATH" 2>/tmp/rm-pinned.log
    immutable "$BK_PATH" && [ -e "$BK_PATH" ] && kill -0 "$GPID" 2>/dev/null
    verdict $? "$NAME: its QEMU (pid $KPID) killed, the file stays pinned (rm refused: $(cat /tmp/rm-pinned.log)) and the guardian (pid $GPID) holds it"
    timeout 300 xl destroy "$NAME"
    wait_gone
    i=0
    while { immutable "$BK_PATH" || kill -0 "$GPID" 2>/dev/null; } && [ $i -lt 30 ]; do
        sleep 1; i=$((i + 1))
    done
    ! immutable "$BK_PATH" && ! kill -0 "$GPID" 2>/dev/null
    verdict $? "$NAME: once domain $DOMID is gone, the guardian unpins the file and exits ($i s): $(lsattr "$BK_PATH")"
    # Labels cannot live in a pinned file on ext4: refused, nothing left.
    NAME=xtguest4-labels
    BK_LABEL=$((128 << 10))
    guest_cfg "$NAME" 1 "" "" >"/tmp/$NAME.cfg"
    BK_LABEL=0
    timeout 300 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    rc=$?
    said=$(grep -m1 -o "xen-nvdimm 'pm0'.*" "/var/log/xen/qemu-dm-$NAME.log")
    [ $rc != 0 ] && echo "$said" | grep -qF "is on ext4, which cannot write the label area of a pinned file"
    verdict $? "$NAME: labels on a file on ext4 are refused (rc $rc): $said"
    xl destroy "$NAME" >/dev/null 2>&1
    wait_gone
    ! immutable "$BK_PATH"
    verdict $? "$NAME: the refused start left the file unpinned: $(lsattr "$BK_PATH")"
}
xen_console_take >/dev/null
backend_guest fsdax "/dev/$(js "$NS_FSDAX" blockdev)" "$NS_FSDAX"
file_killed
xen_console_take >/dev/null
backend_guest file /mnt/xtdax/guest.img "$NS_EXT4"
immutable /mnt/xtdax/guest.img
[ $? != 0 ]
verdict $? "xtguest4-file: the file is unpinned after its guest: $(lsattr /mnt/xtdax/guest.img)"
backend_guest devdax "/dev/$(js "$NS_DEVDAX" chardev)" "$NS_DEVDAX"
NONCE=$BASE_NONCE

# --- scenario 5 (the package on Xen 4.20): day two.  A guest with two
# xen-nvdimm devices, a raw namespace with labels (the 512 MiB namespace
# above) and the file on ext4-DAX, next to a disk, a network and a display,
# lives as an admin's guest does: it reboots itself and is rebooted by xl
# (on_reboot = "restart": a new domain and device model each time), xl
# save, save -c and migrate are refused while it keeps running, and it is
# created again after xl destroy and after its QEMU was killed (and, under
# libvirt in scenario 6, after a host crash).  Its
# generation counter at 8 KiB of each pmem shows what it wrote before a
# reboot reads back after; its heartbeat at 12 KiB shows it runs.
D2=xtguest5
D2_FILE=/mnt/xtdax/guest.img
# The toolstack the admin runs the guest with: xl and its config file, or
# libvirt (scenario 6) and its defined domain.  D2_LOG: where the
# toolstack writes libxl's errors when its command line does not show them.
D2_TOOL=xl D2_LOG=
VIRSH="virsh -c xen:///system"
# d2_do start|destroy|reboot: what the admin types.
d2_do() {
    case $D2_TOOL:$1 in
        xl:start) timeout 600 xl create "/tmp/$D2.cfg" ;;
        xl:*) timeout 300 xl "$1" "$D2" ;;
        virsh:*) timeout 600 $VIRSH "$1" "$D2" ;;
    esac
}
d2_verb() { [ "$D2_TOOL:$1" = xl:start ] && echo "xl create" || echo "$D2_TOOL $1"; }
d2_backends() { echo "raw:$D2_RAW file:$D2_FILE"; }
# d2_read KIND PATH OFF / d2_write KIND PATH OFF STRING: as dom0's users
# would, past dom0's page cache (the guest writes behind it).
d2_read() { bk_read fsdax "$2" "$3" 64; }
d2_write() {
    { printf '%s' "$4"; head -c $((4096 - ${#4})) /dev/zero; } |
        dd of="$2" bs=4096 seek=$(($3 / 4096)) count=1 iflag=fullblock oflag=direct conv=notrunc 2>/dev/null
}
# d2_cfg: the guest's configuration, as an admin writes it.
d2_cfg() {
    BK_PATH=$D2_RAW BK_SIZE=$SIZE BK_LABEL=$LABEL ORDINARY=1 ON_REBOOT=restart \
        DM_EXTRA=' "-object", "memory-backend-xen-pmem,id=pm1,mem-path='"$D2_FILE"',size=128M",
    "-device", "xen-nvdimm,id=nv1,memdev=pm1",' \
        guest_cfg "$D2" daytwo "" "" >"/tmp/$D2.cfg"
}
# d2_up GEN: wait until the guest says it is up with generation GEN or
# later (a boot lost to a triple fault restarts it too); sets D2_GEN and
# DOMID, checks what it found and left.  WHY says how it got there.
d2_up() {
    want=$1 why=$2 NAME=$D2 SERIAL=/tmp/$D2-serial.log
    i=0 D2_GEN=
    while [ $i -lt "$GUEST_TIMEOUT" ]; do
        D2_GEN=$(tr -d '\r' <"$SERIAL" 2>/dev/null | sed -n 's/^GDAYTWO-UP gen=\([0-9]*\) .*/\1/p' | tail -n 1)
        [ -n "$D2_GEN" ] && [ "$D2_GEN" -ge "$want" ] && break
        D2_GEN=
        sleep 2; i=$((i + 2))
        [ $((i % 60)) = 0 ] && ts "waiting for $D2 (generation $want, $why): $(wc -l <"$SERIAL" 2>/dev/null) serial lines"
    done
    [ -n "$D2_GEN" ]
    verdict $? "$D2: $why: the guest is up again ($i s), generation ${D2_GEN:-none}$([ "${D2_GEN:-0}" -gt "$want" ] && echo " (a boot more than asked: $(xen_console_all | grep -c 'Triple fault') triple faults in Xen's log)")"
    if [ -z "$D2_GEN" ]; then
        evidence "no generation $want"
        return 1
    fi
    DOMID=$(xl domid "$D2")
    # What the guest said (its first boot whole, later ones on a failure).
    d2_said() { tr -d '\r' <"$SERIAL" | grep -E '^(G[A-Z]|@@@)' | grep -v '^GTABLE ' | sed 's/^/  guest: /'; }
    [ "$D2_GEN" != 1 ] || d2_said
    prev=$((D2_GEN - 1))
    [ $prev = 0 ] && prev=none || prev="XTEST-GEN-$NONCE-$prev"
    # The labelled DIMM's namespace: written to its labels on the xl
    # guest's first boot, read from them on every later one (libvirt's
    # guest included).
    if [ "$D2_GEN" = 1 ] && [ "$D2_TOOL" = xl ]; then
        g GNEWNS | grep -q '^region0 rc=0 .*"mode":"raw"'
        verdict $? "$D2: the guest made a raw namespace in its labelled NVDIMM's labels: $(g GNEWNS)"
    else
        [ -z "$(g GNEWNS)" ]
        verdict $? "$D2: the guest found its namespace in the labels again$(g GNEWNS | sed 's/^/ (not: /; s/$/)/')"
    fi
    got=$(g GGEN | tr '\n' ' ')
    [ "$got" = "pmem0 $prev pmem1 $prev " ]
    ok=$?
    verdict $ok "$D2 (domain $DOMID): $why: the guest read on both NVDIMMs what it wrote before ($prev): '$got'"
    [ $ok = 0 ] || [ "$D2_GEN" = 1 ] || d2_said
    ok=0 seen=
    for b in $(d2_backends); do
        v=$(d2_read "${b%%:*}" "${b#*:}" 0x2000)
        seen="$seen ${b#*:}=$v"
        [ "$v" = "XTEST-GEN-$NONCE-$D2_GEN" ] || ok=1
    done
    verdict $ok "$D2: dom0 reads generation $D2_GEN from both backends:$seen"
    g GPING | grep -q '^rc=0 ' && [ "$(g GDISK)" = "XTEST-DISK-$NONCE" ]
    verdict $? "$D2: the guest reads its disk and pings dom0 over the bridge: '$(g GDISK)' '$(g GPING)'"
    immutable "$D2_FILE"
    verdict $? "$D2: the file backend is pinned: $(lsattr "$D2_FILE")"
    r0=$(xenstore-read "/local/domain/0/device-model/$DOMID/xen-nvdimm/nv0" 2>/dev/null)
    r1=$(xenstore-read "/local/domain/0/device-model/$DOMID/xen-nvdimm/nv1" 2>/dev/null)
    [ -n "$r0" ] && [ -n "$r1" ] && [ "$(xenstore-list /local/domain/0/device-model | tr '\n' ' ')" = "$DOMID " ]
    verdict $? "$D2: domain $DOMID's QEMU holds the only claim records ($r0, $r1; device-model/: $(xenstore-list /local/domain/0/device-model | tr '\n' ' '))"
    d2_beats
}
# d2_beats: the guest's heartbeat moves, on both NVDIMMs.
d2_beats() {
    b0=$(d2_read raw "$D2_RAW" 0x3000)
    i=0
    while [ "$(d2_read raw "$D2_RAW" 0x3000)" = "$b0" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
    b1=$(d2_read raw "$D2_RAW" 0x3000) f1=$(d2_read file "$D2_FILE" 0x3000)
    [ "$b1" != "$b0" ] && [ "${b1#XTEST-BEAT-$NONCE-$D2_GEN-}" != "$b1" ] &&
        [ "${f1#XTEST-BEAT-$NONCE-$D2_GEN-}" != "$f1" ]
    verdict $? "$D2: the guest runs and writes: its heartbeat went from '$b0' to '$b1' ($i s), the file has '$f1'"
}
# d2_gone OLD: what the previous domain OLD of the guest left: nothing.
d2_gone() {
    ! xenstore-exists "/local/domain/0/device-model/$1" && ! xenstore-exists "/local/domain/$1" &&
        xenstore-exists /local/domain/0
    verdict $? "$D2: nothing of domain $1 is left in xenstore"
    xen_has_domain 0 && ! xen_has_domain "$1"
    verdict $? "$D2: Xen holds no domain $1, dying or not"
}
# d2_refused WHAT CMD...: a save or migration that must fail, saying why
# (on its output, or in $D2_LOG), and leave the guest running and
# unharmed, never suspended.  A triple fault of the guest's vCPU under the
# nested emulation (seen in CI 60 s after a refusal that took 2 s, and
# once just before a refusal began: the domain shut down with reason
# "reboot", Xen's triple-fault action) is not the refusal's doing: the
# attempt does not count, and the refusal is tried again once the guest is
# up again.  Any triple fault of this domain counts, also one before the
# attempt: a domain ID is never reused while the test runs.
d2_refused() {
    TAG='' try=1
    while :; do
        attempt_begin
        d2_refused_once "$@"
        ok=$?
        [ $ok != 0 ] || { TAG=; return 0; }
        if ! xen_console_all | grep -q -E "d${DOMID}v[0-9]+ Triple fault"; then
            evidence "$1 refused: the guest did not stay as it was"
            TAG=
            return 1
        fi
        echo "RETRY: $D2: Xen reports that domain $DOMID triple-faulted:"
        xen_console_all | grep -A 14 -E "d${DOMID}v[0-9]+ Triple fault" | sed 's/^/RETRY:   /'
        echo "RETRY: $D2: this attempt's $((passed - ATTEMPT_PASSED)) PASS and $((failed - ATTEMPT_FAILED)) FAIL lines above do not count"
        passed=$ATTEMPT_PASSED failed=$ATTEMPT_FAILED
        tr -d '\r' <"/tmp/$D2-serial.log" | tail -n 5 | sed 's/^/RETRY:   guest: /'
        if [ $try -ge $TRIPLE_FAULT_TRIES ]; then
            fail "$D2: the guest triple-faulted in all $try attempts of '$*'"
            TAG=
            return 1
        fi
        try=$((try + 1))
        TAG="[retry $try] "
        d2_up $((D2_GEN + 1)) "a restart after the triple fault" || { TAG=; return 1; }
    done
}
# d2_refused_once WHAT CMD...: one attempt of d2_refused; 1 if a check
# failed.
d2_refused_once() {
    what=$1 before=$failed
    shift
    logged=$(stat -c %s "$D2_LOG" 2>/dev/null || echo 0)
    t0=$(cut -d' ' -f1 /proc/uptime)
    timeout 600 "$@" >"/tmp/d2-$what.log" 2>&1
    rc=$?
    t1=$(cut -d' ' -f1 /proc/uptime)
    sed "s/^/  $D2_TOOL: /" "/tmp/d2-$what.log"
    if [ -n "$D2_LOG" ]; then
        tail -c +$((logged + 1)) "$D2_LOG" >"/tmp/d2-$what-log.log"
        sed "s|^|  ${D2_LOG##*/}: |" "/tmp/d2-$what-log.log"
        cat "/tmp/d2-$what-log.log" >>"/tmp/d2-$what.log"
    fi
    [ $rc != 0 ] && grep -q "xen-nvdimm 'pm[01]': the guest has host persistent memory mapped directly; it cannot be saved or migrated" "/tmp/d2-$what.log"
    verdict $? "$D2: '$*' fails (rc $rc, $(echo "$t1 $t0" | awk '{ printf "%.0f", $1 - $2 }') s) and says why${D2_LOG:+ (in $D2_LOG)}: $(grep -o "xen-nvdimm 'pm[01]'.*" "/tmp/d2-$what.log" | head -n 1)"
    # The device state is asked for only after the guest was suspended:
    # it never was.
    ! qtrace xen_nvdimm_save_refused | grep -q .
    verdict $? "$D2: the refusal came before libxl suspended the guest: QEMU was never asked for its device state (no xen_nvdimm_save_refused)"
    state=$(xl list "$D2" 2>/dev/null | awk 'NR == 2 { print $5 }')
    [ "$(xl domid "$D2" 2>/dev/null)" = "$DOMID" ] && echo "$state" | grep -q '^[-r][-b]----$'
    verdict $? "$D2: domain $DOMID still runs, neither paused, shut down nor crashed: state '$state'"
    d2_beats
    i=0
    while [ "$(xl list | grep -c "$D2")" != 1 ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
    [ "$(xl list | grep -c "$D2")" = 1 ]
    verdict $? "$D2: no other domain of the guest is left (an incoming one): $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')"
    [ "$failed" = "$before" ]
}

d2_run() {
    ts "=== scenario 5: day two ($D2: $D2_RAW with labels and $D2_FILE)"
    NONCE=${BASE_NONCE}d2
    for b in $(d2_backends); do
        for off in 0x2000 0x3000 0x4000; do d2_write "${b%%:*}" "${b#*:}" $off ""; done
    done
    NC_PID=
    printf 'XTEST-DISK-%s' "$NONCE" | dd of="$DISK" bs=4096 seek=256 conv=notrunc 2>/dev/null
    d2_cfg
    cat "/tmp/$D2.cfg"
    d2_do start >"/tmp/xl-create-$D2.log" 2>&1
    rc=$?
    cat "/tmp/xl-create-$D2.log"
    verdict $rc "$D2: $(d2_verb start) with two xen-nvdimm devices next to a disk, a network and a display (rc $rc)"
    [ $rc = 0 ] || { NAME=$D2; evidence "$(d2_verb start) failed"; d2_do destroy 2>/dev/null; return; }
    d2_up 1 "first boot" || return
    # A reboot from inside the guest: dom0 asks through the pmem.
    old=$DOMID
    d2_write raw "$D2_RAW" 0x4000 "XTEST-CMD-$NONCE-reboot-$D2_GEN"
    d2_up $((D2_GEN + 1)) "a reboot from inside the guest" || return
    [ "$DOMID" != "$old" ]
    verdict $? "$D2: the reboot made a new domain ($old -> $DOMID)"
    d2_gone "$old"
    old=$DOMID
    timeout 300 xl reboot "$D2"
    verdict $? "$D2: xl reboot"
    d2_up $((D2_GEN + 1)) "xl reboot" || return
    d2_gone "$old"
    d2_refused save xl save "$D2" /tmp/$D2.save
    d2_refused save-c xl save -c "$D2" /tmp/$D2.save
    rm -f "/tmp/$D2.save"
    d2_refused migrate xl migrate -s '' "$D2" 'xl migrate-receive'
    d2_again "after xl destroy" || return
    kill -9 "$(xenstore-read "/local/domain/$DOMID/image/device-model-pid")"
    d2_again "after kill -9 of its QEMU" || return
    d2_destroy
}
# d2_crashed: the host crashed while the guest ran: the file keeps the pin
# of that boot, and the claim records went with xenstored.  (Simulated: the
# mark of another boot on a pinned file, no records.)
d2_crashed() {
    setfattr -n trusted.xen-nvdimm.pin -v 00000000-0000-0000-0000-000000000000 "$D2_FILE" &&
        chattr +i "$D2_FILE" && immutable "$D2_FILE"
    verdict $? "$D2: the file is left pinned with the mark of an earlier boot, as by a host crash: $(lsattr "$D2_FILE") $(getfattr --absolute-names --only-values -n trusted.xen-nvdimm.pin "$D2_FILE" 2>&1)"
}
# d2_uncrashed: what the guest's start after d2_crashed said.
d2_uncrashed() {
    said=$(grep -o "memory-backend-xen-pmem: cleared the pin that '$D2_FILE' kept from before the host's last boot" \
               "/var/log/xen/qemu-dm-$D2.log")
    [ -n "$said" ]
    verdict $? "$D2: $(d2_verb start) after the simulated host crash cleared the stale pin: ${said:-nothing said in /var/log/xen/qemu-dm-$D2.log}"
}
# d2_again WHEN: destroy, then create at once on the same backends,
# with no manual step; the guest comes back with its data.
d2_again() {
    old=$DOMID NAME=$D2
    d2_do destroy
    wait_gone
    verdict $? "$D2: $(d2_verb destroy) ($1)"
    d2_do start >"/tmp/xl-create-$D2.log" 2>&1
    rc=$?
    [ $rc = 0 ] || cat "/tmp/xl-create-$D2.log"
    verdict $rc "$D2: $(d2_verb start) right after $(d2_verb destroy) ($1), on the same backends, without a manual step (rc $rc)"
    [ $rc = 0 ] || { evidence "$(d2_verb start) $1 failed"; return 1; }
    d2_up $((D2_GEN + 1)) "created again $1" || return 1
    d2_gone "$old"
}
# d2_destroy: destroy; the file is unpinned, nothing of the domain left.
d2_destroy() {
    old=$DOMID NAME=$D2
    d2_do destroy
    wait_gone
    verdict $? "$D2: $(d2_verb destroy)"
    i=0
    while immutable "$D2_FILE" && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    ! immutable "$D2_FILE"
    verdict $? "$D2: the file backend is unpinned once the guest is gone: $(lsattr "$D2_FILE")"
    d2_gone "$old"
}
# d2_leftover: a scenario that stopped early (its guest lost to a nested
# triple fault, which Xen answers with a restart) must not leave a domain
# of its guest holding the backends into the next scenario.
d2_leftover() {
    NAME=$D2
    xl domid "$D2" >/dev/null 2>&1 || return 0
    ts "$D2: a domain of the guest is left ($(xl domid "$D2")): destroyed before the next scenario"
    d2_do destroy
    wait_gone
    i=0
    while immutable "$D2_FILE" && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    ts "$D2: left $(xl list | awk 'NR > 1 { print $1 }' | tr '\n' ' '), $D2_FILE $(lsattr "$D2_FILE" 2>&1 | cut -d' ' -f1)"
}
# d2_recreate KIND PATH: xl create, destroy, create again at once: the
# other backend kinds, without waiting for the guest.
d2_recreate() {
    NAME=xtguest5-$1 BK_PATH=$2 BK_SIZE=$((128 << 20)) BK_LABEL=0
    guest_cfg "$NAME" 1 "" "" >"/tmp/$NAME.cfg"
    for n in 1 2; do
        timeout 600 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
        rc=$?
        DOMID=$(xl domid "$NAME" 2>/dev/null)
        [ $rc = 0 ] && xen_console_take | xen_logged_map "$DOMID"
        verdict $? "$NAME: xl create $n on $1 $2 maps it (rc $rc)"
        [ $rc = 0 ] || evidence "xl create $n failed"
        timeout 300 xl destroy "$NAME"
        wait_gone
        verdict $? "$NAME: xl destroy $n"
    done
}
# --- scenario 6 (the package on Xen 4.20): the day-two guest under
# libvirt, as Debian installs it (libvirtd with its Xen driver); its two
# NVDIMMs go in <xen:commandline>, which libvirt hands to libxl as xl's
# device_model_args.  The XML is the user page's, with the test's kernel
# and trace events.  (No systemd here: libvirtd is started by hand.)
lv_xml() {
    cat <<XML
<domain type='xen' xmlns:xen='http://libvirt.org/schemas/domain/xen/1.0'>
  <name>$D2</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>/xt/guest-initrd.img</initrd>
    <cmdline>console=ttyS0,115200 loglevel=3 panic=-1 nokaslr xtest_scenario=daytwo xtest_nonce=$NONCE xtest_ordinary=$GUEST_IP,$DOM0_IP,$NC_PORT</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
    <pae/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$DISK'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:58:4e:01'/>
      <source bridge='xenbr0'/>
    </interface>
    <serial type='file'>
      <source path='/tmp/$D2-serial.log'/>
      <target port='0'/>
    </serial>
    <input type='tablet' bus='usb'/>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
  </devices>
  <xen:commandline>
    <xen:arg value='-object'/>
    <xen:arg value='memory-backend-xen-pmem,id=pm0,mem-path=$D2_RAW,size=$((SIZE >> 20))M'/>
    <xen:arg value='-device'/>
    <xen:arg value='xen-nvdimm,id=nv0,memdev=pm0,label-size=$((LABEL >> 10))K'/>
    <xen:arg value='-object'/>
    <xen:arg value='memory-backend-xen-pmem,id=pm1,mem-path=$D2_FILE,size=128M'/>
    <xen:arg value='-device'/>
    <xen:arg value='xen-nvdimm,id=nv1,memdev=pm1'/>
    <xen:arg value='-trace'/>
    <xen:arg value='xen_nvdimm_*'/>
  </xen:commandline>
</domain>
XML
}
lv_run() {
    ts "=== scenario 6: the day-two guest under libvirt"
    D2=xtguest6 D2_TOOL=virsh D2_LOG=/var/log/libvirt/libxl/xtguest6.log NAME=xtguest6
    NONCE=${BASE_NONCE}lv
    for b in $(d2_backends); do
        for off in 0x2000 0x3000 0x4000; do d2_write "${b%%:*}" "${b#*:}" $off ""; done
    done
    printf 'XTEST-DISK-%s' "$NONCE" | dd of="$DISK" bs=4096 seek=256 conv=notrunc 2>/dev/null
    d2_crashed
    # Under TCG, libvirt's Xen driver would not start ("Cannot find
    # suitable CPU model for given data"): it names the host CPU from Xen's
    # feature words, TCG has no VME and Xen hides SEP on AMD, and every
    # x86 model in libvirt's CPU map wants one of them.  Real x86 CPUs all
    # have VME (libvirt's 486 model fits any).  So here alone, the map
    # gets a model of the TCG CPU as Xen shows it.
    caps0=$(sed -n 's/^hw_caps *: *\([0-9a-f]*\):.*/\1/p' /tmp/xl-info.txt)
    if [ $((0x${caps0:-2} & 2)) = 0 ]; then
        ts "no VME in Xen's hw_caps ($caps0): libvirt's CPU map gets the model xtest-tcg64"
        map=/usr/share/libvirt/cpu_map
        {
            echo "<cpus>"
            echo "  <model name='xtest-tcg64'>"
            echo "    <decode host='on' guest='on'/>"
            for f in apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr \
                     nx pae pat pge pni pse pse36 sse sse2 svm syscall tsc; do
                echo "    <feature name='$f'/>"
            done
            echo "  </model>"
            echo "</cpus>"
        } >$map/x86_xtest-tcg64.xml
        sed -i "s|^\( *\)<include filename='x86_qemu64.xml'/>|&\n\1<include filename='x86_xtest-tcg64.xml'/>|" $map/index.xml
    fi
    # (Its warnings and errors to a file, where an init system would
    # collect them.)
    LIBVIRT_LOG_OUTPUTS=3:file:/var/log/libvirt/libvirtd.log libvirtd --daemon --pid-file /run/libvirtd.pid
    t0=$(cut -d. -f1 /proc/uptime)
    while ! timeout 60 $VIRSH version >/tmp/virsh-version.txt 2>&1 &&
        [ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt 300 ]; do sleep 2; done
    i=$(($(cut -d. -f1 /proc/uptime) - t0))
    grep -q 'Running hypervisor: Xen' /tmp/virsh-version.txt
    ok=$?
    verdict $ok "libvirtd $(dpkg-query -W -f '${Version}' libvirt-daemon-driver-xen) answers on xen:///system ($i s): $(grep -i 'hypervisor' /tmp/virsh-version.txt | tr '\n' ' ')"
    if [ $ok != 0 ]; then
        ls -ld /var/run /run/libvirt /run/libvirt/* 2>&1
        grep '^hw_caps' /tmp/xl-info.txt
        ps -o pid,args -C libvirtd
        cat /tmp/virsh-version.txt /var/log/libvirt/libvirtd.log /var/log/libvirt/libxl/libxl-driver.log 2>&1 | tail -n 80
        return
    fi
    lv_xml >"/tmp/$D2.xml"
    cat "/tmp/$D2.xml"
    $VIRSH define "/tmp/$D2.xml" >/tmp/virsh-define.log 2>&1
    rc=$?
    cat /tmp/virsh-define.log
    verdict $rc "$D2: virsh define of the user page's XML (rc $rc)"
    [ $rc = 0 ] || return
    $VIRSH dumpxml "$D2" >"/tmp/$D2.dumped.xml" 2>&1
    [ "$(grep -c "<xen:arg value=" "/tmp/$D2.dumped.xml")" = 10 ]
    verdict $? "$D2: libvirt keeps the ten <xen:commandline> arguments ($(grep -c "<xen:arg value=" "/tmp/$D2.dumped.xml"))"
    d2_do start >"/tmp/xl-create-$D2.log" 2>&1
    rc=$?
    cat "/tmp/xl-create-$D2.log"
    verdict $rc "$D2: virsh start after the simulated host crash (rc $rc)"
    [ $rc = 0 ] || { evidence "virsh start failed"; lv_end; return; }
    d2_uncrashed
    d2_up 1 "first boot under libvirt" || { lv_end; return; }
    ps -o args= -p "$(xenstore-read "/local/domain/$DOMID/image/device-model-pid")" | tr ' ' '\n' |
        grep -c '^xen-nvdimm,' | grep -qx 2
    verdict $? "$D2: libxl started the device model with both xen-nvdimm devices from <xen:commandline>"
    # virsh reboot: the guest reboots as asked, and libvirt (not xl) makes
    # the new domain (on_reboot restart), as for a reboot from inside.
    old=$DOMID
    d2_do reboot
    verdict $? "$D2: virsh reboot"
    d2_up $((D2_GEN + 1)) "virsh reboot" || { lv_end; return; }
    [ "$DOMID" != "$old" ]
    verdict $? "$D2: libvirt restarted it as a new domain ($old -> $DOMID)"
    d2_gone "$old"
    state=$($VIRSH domstate "$D2" 2>&1)
    [ "$state" = running ]
    verdict $? "$D2: libvirt says it is running: $state"
    d2_refused save $VIRSH save "$D2" "/tmp/$D2.save"
    rm -f "/tmp/$D2.save"
    d2_refused managedsave $VIRSH managedsave "$D2"
    # libvirt keeps the start of a managed save that failed (its header and
    # XML) and does not count it as an image (so managedsave-remove skips
    # it); the guest's next start or restart would try to restore it and
    # fail.  The user page says to delete it, as here.
    image=/var/lib/libvirt/libxl/save/$D2.save
    ts "$D2: after the refused managed save: $(ls -l "$image" 2>&1); virsh managedsave-remove: $($VIRSH managedsave-remove "$D2" 2>&1 | tr '\n' ' ')"
    rm -f "$image"
    state=$($VIRSH domstate "$D2" 2>&1)
    [ "$state" = running ]
    verdict $? "$D2: libvirt still has it running: $state"
    d2_again "after virsh destroy" || { lv_end; return; }
    d2_destroy
    lv_end
}
# lv_end: undefine the guest, stop libvirtd.
lv_end() {
    NAME=$D2
    $VIRSH destroy "$D2" >/dev/null 2>&1 && wait_gone
    $VIRSH undefine "$D2"
    verdict $? "$D2: virsh undefine"
    kill "$(cat /run/libvirtd.pid)"
    D2=xtguest5 D2_TOOL=xl D2_LOG=
}

# --- scenario 7 (the package on Xen 4.20): hotplug.  A guest starts with
# one xen-nvdimm (the fsdax namespace) under a root with two slots; once it
# is up, a second one on a file of the ext4-DAX filesystem goes in through
# the domain's QMP socket (libxl's, as any QMP client may use it), and the
# guest's Linux must find it by itself and write to it.  Unplugging it
# through xl is refused, with the reason; xl destroy leaves nothing of
# either device behind.
hp_run() {
    NAME=xtguest7 NONCE=${BASE_NONCE}hp
    HP_COLD=/dev/$(js "$NS_FSDAX" blockdev) HP_FILE=/mnt/xtdax/hotplug.img
    for try in $(seq "$TRIPLE_FAULT_TRIES"); do
        TAG=
        [ "$try" = 1 ] || TAG="[retry $try] "
        hp_attempt
        rc=$?
        [ $rc = 2 ] || break
    done
    TAG=
    [ $rc != 2 ] || fail "$NAME: the guest triple-faulted in all $TRIPLE_FAULT_TRIES attempts"
}
# hp_wait MARK WHAT: wait for the guest's MARK line: 0 when it came (after
# HP_WAITED s), 1 if not (the verdicts say why), 2 if the guest
# triple-faulted.
hp_wait() {
    HP_WAITED=0
    while ! grep -q "^$1" "$SERIAL" 2>/dev/null && [ $HP_WAITED -lt "$GUEST_TIMEOUT" ] &&
          xl domid "$NAME" >/dev/null 2>&1; do
        sleep 2; HP_WAITED=$((HP_WAITED + 2))
        [ $((HP_WAITED % 60)) = 0 ] && ts "waiting for $NAME $2: $(wc -l <"$SERIAL" 2>/dev/null) serial lines"
    done
    triple_faulted && return 2
    grep -q "^$1" "$SERIAL" 2>/dev/null
}
# hp_attempt: one go of scenario 7; 2 if the guest triple-faulted.
hp_attempt() {
    SERIAL=/tmp/$NAME-serial.log
    attempt_begin
    rm -f "$SERIAL"
    ts "=== scenario 7: hotplug ($NAME: $HP_COLD at start, $HP_FILE plugged in through QMP)"
    # (16 MiB: the day-two guest's file fills most of the filesystem.)
    rm -f "$HP_FILE"
    dd if=/dev/zero of="$HP_FILE" bs=1M count=16 conv=fsync 2>&1
    verdict $? "$NAME: dom0 writes a 16 MiB file for the second device: $(ls -l "$HP_FILE" 2>&1)"
    BK_PATH=$HP_COLD BK_SIZE=$((128 << 20)) BK_LABEL=0 \
        DM_EXTRA=' "-object", "xen-nvdimm-root,id=nvr,slots=2",' \
        guest_cfg "$NAME" hotplug "" "" >"/tmp/$NAME.cfg"
    cat "/tmp/$NAME.cfg"
    timeout 600 xl create "/tmp/$NAME.cfg" >"/tmp/xl-create-$NAME.log" 2>&1
    rc=$?
    cat "/tmp/xl-create-$NAME.log"
    verdict $rc "$NAME: xl create with one xen-nvdimm and a root of two slots (rc $rc)"
    [ $rc = 0 ] || { evidence "xl create failed"; xl destroy "$NAME" 2>/dev/null; return; }
    DOMID=$(xl domid "$NAME")
    hp_wait GHOTPLUG-READY "to boot"
    rc=$?
    [ $rc = 2 ] && return 2
    verdict $rc "$NAME: the guest is up and waits for a second NVDIMM ($HP_WAITED s)$(
        [ $rc = 0 ] || echo ": $(gone_cause)")"
    [ $rc = 0 ] ||
        { evidence "no GHOTPLUG-READY"; xl destroy "$NAME" 2>/dev/null; wait_gone; return; }
    xen_console_take >/dev/null
    /xt/xtest-qmp "/var/run/xen/qmp-libxl-$DOMID" \
        '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-xen-pmem", "id": "pm1", "mem-path": "'"$HP_FILE"'", "size": 16777216}}' \
        '{"execute": "device_add", "arguments": {"driver": "xen-nvdimm", "id": "nv1", "memdev": "pm1"}}' \
        >/tmp/hp-qmp.txt 2>&1
    rc=$?
    cat /tmp/hp-qmp.txt
    [ $rc = 0 ] && [ "$(grep -c '^{"return": {}' /tmp/hp-qmp.txt)" = 2 ]
    verdict $? "$NAME: object-add and device_add of a second xen-nvdimm on the domain's QMP socket succeed"
    qtrace 'xen_nvdimm_[a-z_]*' | grep -E 'pm1|hotplug|event' | sed 's/^/  qemu: /'
    qtrace xen_nvdimm_hotplug | grep -q '^xen_nvdimm_hotplug pm1: slot 1 at 0x'
    verdict $? "$NAME: QEMU plugged it into slot 1: $(qtrace xen_nvdimm_hotplug)"
    xen_console_take >"/tmp/xen-hotplug-$NAME.log"
    xen_logged_map "$DOMID" "/tmp/xen-hotplug-$NAME.log"
    verdict $? "$NAME: Xen logged the mapping of the file's host memory for dom$DOMID"
    immutable "$HP_FILE"
    verdict $? "$NAME: the file is pinned while the guest has it: $(lsattr "$HP_FILE" 2>&1)"
    xl qemu-monitor-command "$NAME" "device_del nv1" >/tmp/hp-del.txt 2>&1
    cat /tmp/hp-del.txt
    grep -q "xen-nvdimm 'pm1' cannot be unplugged: Linux rejects a FIT that loses an NVDIMM" /tmp/hp-del.txt
    verdict $? "$NAME: xl qemu-monitor-command device_del is refused, with the reason: $(head -c 200 /tmp/hp-del.txt)"
    hp_wait GPUSH-READY "to find the new NVDIMM"
    rc=$?
    [ $rc = 2 ] && return 2
    if [ $rc = 0 ]; then
        # A range of the first device's backend goes bad while the guest
        # runs: dom0 marks it in its disk's list, which the kernel does not
        # flag for poll(); QEMU must see the write and tell the guest.  (A
        # retry's range is a new one: the old one is in the list at boot.)
        HP_PUSH_SECTOR=$((2048 + 64 * (try - 1)))
        HP_BB=/sys/block/${HP_COLD#/dev/}/badblocks
        echo "$HP_PUSH_SECTOR 8" >"$HP_BB"
        grep -qx "$HP_PUSH_SECTOR 8" "$HP_BB"
        verdict $? "$NAME: dom0 marks sectors $HP_PUSH_SECTOR+8 of $HP_COLD bad after xl create: $(tr '\n' ',' <"$HP_BB")"
        hp_wait GUEST-DONE "to see the bad range"
        [ $? = 2 ] && return 2
    fi
    ts "$NAME serial:"
    tr -d '\r' <"$SERIAL" | grep -E '^(G[A-Z]|@@@)' | grep -v '^GTABLE ' | sed 's/^/  guest: /'
    g GHOTPLUG | grep -q -E '^handle=0x2 dev=pmem[0-9]+ after [0-9]+ s$'
    verdict $? "$NAME: the guest's Linux found the NVDIMM by itself, with a block device: $(g GHOTPLUG)"
    [ "$(g GHPWROTE)" = "XTEST-HOTPLUG-$NONCE" ]
    verdict $? "$NAME: the guest wrote to it: $(g GHPWROTE)"
    got=$(bk_read fsdax "$HP_FILE" 4096 64)
    [ "$got" = "XTEST-HOTPLUG-$NONCE" ]
    verdict $? "$NAME: dom0 reads the guest's write in the file: '$got'"
    [ "$(g GHPNDCTL | grep -o '"handle":[0-9]*' | sort | tr '\n' ' ')" = '"handle":1 "handle":2 ' ]
    verdict $? "$NAME: ndctl in the guest lists the DIMMs of handles 1 and 2: $(g GHPNDCTL | grep -o '"handle":[0-9]*' | tr '\n' ' ')"
    ! g GHPDMESG | grep -q -i -E 'delete|unsupported|fail'
    verdict $? "$NAME: the guest's nfit driver took the new FIT without complaint"
    qtrace 'xen_nvdimm_media_changed\|xen_nvdimm_event_[a-z]*\|nvdimm_ars_start' | sed 's/^/  qemu: /'
    qtrace xen_nvdimm_media_changed | grep -q '^xen_nvdimm_media_changed pm0: '
    verdict $? "$NAME: QEMU saw dom0's write to the list: $(qtrace xen_nvdimm_media_changed | head -n 1)"
    qtrace xen_nvdimm_event_read | grep -q -E '^xen_nvdimm_event_read the guest took events 0x[23]$'
    verdict $? "$NAME: the guest's _E04 took the media event (0x2): $(qtrace xen_nvdimm_event_read | tr '\n' ';')"
    g GPUSHED | grep -q -E "^after [0-9]+ s: (.*,)?$HP_PUSH_SECTOR 8,$"
    verdict $? "$NAME: the guest's Linux lists sectors $HP_PUSH_SECTOR+8 of its first NVDIMM bad, with nothing asked in the guest: $(g GPUSHED)"
    g GPUSHMEDIA | grep -q "\"badblocks\":\[.*{\"offset\":$HP_PUSH_SECTOR,\"length\":8[,}]"
    verdict $? "$NAME: and ndctl list --media-errors there: $(g GPUSHMEDIA)"
    timeout 300 xl destroy "$NAME"
    wait_gone
    verdict $? "$NAME: xl destroy"
    sleep 2
    xen_console_take >>"/tmp/xen-hotplug-$NAME.log"
    ! immutable "$HP_FILE"
    verdict $? "$NAME: the file is unpinned after its guest: $(lsattr "$HP_FILE" 2>&1)"
    [ "$(grep -c -E "memory_map:remove: d(om)?$DOMID " "/tmp/xen-hotplug-$NAME.log")" -ge 2 ] &&
        ! grep -q -E "memory_map: error|memory_map:fail" "/tmp/xen-hotplug-$NAME.log"
    verdict $? "$NAME: Xen logged the removal of both devices' mappings, no error"
}

if [ "$DM_MODE" = package ]; then
    D2_RAW=/dev/$(js "$spacer" blockdev)
    d2_run
    d2_leftover
    ORDINARY=
    d2_recreate fsdax "/dev/$(js "$NS_FSDAX" blockdev)"
    d2_recreate devdax "/dev/$(js "$NS_DEVDAX" chardev)"
    lv_run
    d2_leftover
    hp_run
    NONCE=$BASE_NONCE
fi

# For the host: where each pattern must be in the outer NVDIMM's backing file.
for off in $DOM0_OFFS; do
    echo "HOSTCHECK $(hex $((SPA - REGION_BASE + off))) $(pattern DOM0 "$off")"
done
for off in $GUEST_OFFS; do
    echo "HOSTCHECK $(hex $((SPA - REGION_BASE + off))) $(pattern GUEST "$off")"
done
sync
finish
