# SPDX-License-Identifier: GPL-2.0-or-later
#
# /test/run.sh of the Xen HVM test guests (run by devtools/guest/init): report
# what Linux found on one line per fact, for dom0 to judge.  Its kernel
# command line says what to do:
#   xtest_scenario=1  read patterns (xtest_read=WHO:OFF,...), write ours
#                     (xtest_write=OFF,...); each pattern is
#                     XTEST-<WHO>-<xtest_nonce>-<OFF>, WHO is DOM0 or GUEST
#   xtest_scenario=2  read only, then wait for dom0 to xl destroy us
#   xtest_scenario=daytwo  a guest that lives through reboots: read the
#                     generation each /dev/pmemN holds at 8 KiB, write the
#                     next one to all, then beat once a second at 12 KiB of
#                     each and reboot itself when dom0 asks at 16 KiB of
#                     one of them (see "daytwo" below)
#   xtest_scenario=hotplug  say GHOTPLUG-READY, wait for the NVDIMM dom0
#                     plugs in (handle 2) and write XTEST-HOTPLUG-<nonce>
#                     at 4 KiB of it; then say GPUSH-READY and wait for a
#                     bad range on the first one (handle 1), which dom0
#                     marks bad in its own list
#   xtest_scenario=bench  make bench's label I/O through the IOREQ server:
#                     xtest_repeat loops of ndctl read-, init- and
#                     write-labels, "GLABELS op count seconds"
#   xtest_ordinary=IP,DOM0_IP,PORT  also an admin's devices: read dom0's
#                     pattern from the PV disk, write ours; ping dom0 over
#                     the PV network and send it one line over TCP
. /test/nd-lib.sh
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
scenario=$(arg xtest_scenario)
nonce=$(arg xtest_nonce)

echo "GTABLES $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
# Each table twice: on a busy host the serial line has damaged one long
# line in a thousand (dom0 counts a table whole if one copy is).
for t in /sys/firmware/acpi/tables/NFIT /sys/firmware/acpi/tables/SSDT*; do
    [ -f "$t" ] || continue
    hex=$(od -An -v -tx1 "$t" | tr -d ' \n')
    echo "GTABLE ${t##*/} $hex"
    echo "GTABLE ${t##*/} $hex"
done
echo "GACPIDEVS $(ls /sys/bus/acpi/devices | grep -E '^(ACPI0012|NVDIMM|XTST)' | tr '\n' ' ')"
echo "GNFITDRV $(ls /sys/bus/acpi/drivers/nfit 2>/dev/null | grep ACPI0012 | tr '\n' ' ')"
echo "--- ndctl list -DR"
ndctl list -DR
echo "GNDCTL-DR $(ndctl list -DR | tr -d ' \n')"
for r in /sys/bus/nd/devices/region*; do
    [ -e "$r/resource" ] && echo "GREGION ${r##*/} $(cat "$r/resource") $(cat "$r/size")"
done
# The memory type of Linux's own mapping of each region (write-back for
# pmem), and the MTRRs hvmloader set: its UC windows must miss the regions.
mount -t debugfs none /sys/kernel/debug 2>/dev/null
for r in /sys/bus/nd/devices/region*; do
    [ -e "$r/resource" ] || continue
    start=$(printf '0x%016x' "$(cat "$r/resource")")
    echo "GMEMTYPE ${r##*/} $(grep -m1 "mem $start-" /sys/kernel/debug/x86/pat_memtype_list 2>&1)"
done
echo "GMTRR $(tr -s ' \n' ' ;' </proc/mtrr 2>&1)"
echo "GPERSIST $(cat /sys/bus/nd/devices/region*/persistence_domain 2>&1 | tr '\n' ',')"
for d in /sys/bus/nd/devices/nmem*; do
    [ -e "$d" ] && echo "GDIMM ${d##*/} handle=$(cat "$d/nfit/handle" 2>/dev/null) dsm_mask=$(cat "$d/nfit/dsm_mask" 2>/dev/null)"
done
if [ -b /dev/pmem0 ]; then
    echo "GPMEM pmem0 $(($(cat /sys/block/pmem0/size) * 512))"
    # What the host's known media errors became here (xtest_bad: a sector
    # dom0 made bad, to read).
    echo "GBADBLOCKS $(tr '\n' ',' </sys/block/pmem0/badblocks)"
    echo "GMEDIA $(ndctl list -NM | tr -d ' \n')"
    bad=$(arg xtest_bad)
    err=$(dd if=/dev/pmem0 of=/dev/null bs=512 skip="$bad" count=1 2>&1 >/dev/null)
    echo "GBADREAD $bad rc=$? ${err##*: }"
fi
dmesg | grep -i -E 'nfit|pmem|nd_|acpi.*(ssdt|nfit)' | head -20

# Read a pattern back at a 4 KiB-aligned offset; write one there.
readat() {
    dd if=/dev/pmem0 bs=4096 skip=$(($1 / 4096)) count=1 2>/dev/null | head -c "$2"
}
for item in $(arg xtest_read | tr ',' ' '); do
    pat="XTEST-${item%%:*}-$nonce-${item#*:}"
    echo "GREAD $item $(readat "${item#*:}" ${#pat})"
done
if [ "$scenario" = 1 ]; then
    for off in $(arg xtest_write | tr ',' ' '); do
        pat="XTEST-GUEST-$nonce-$off"
        { printf '%s' "$pat"; head -c $((4096 - ${#pat})) /dev/zero; } |
            dd of=/dev/pmem0 bs=4096 seek=$((off / 4096)) count=1 conv=fsync 2>/dev/null
        echo "GWROTE $off $(readat "$off" ${#pat})"
    done
    sync
fi
ordinary=$(arg xtest_ordinary)
if [ -n "$ordinary" ]; then
    ip=${ordinary%%,*} rest=${ordinary#*,}
    peer=${rest%%,*} port=${rest#*,}
    modprobe -a xen-blkfront xen-netfront
    i=0
    while { [ ! -b /dev/xvda ] || [ ! -e /sys/class/net/eth0 ]; } && [ $i -lt 30 ]; do
        sleep 1; i=$((i + 1))
    done
    echo "GDISK $(dd if=/dev/xvda bs=4096 skip=256 count=1 2>/dev/null | head -c 64 | tr -d '\0')"
    { printf 'XTEST-GDISK-%s' "$nonce"; head -c 4000 /dev/zero; } |
        dd of=/dev/xvda bs=4096 seek=512 count=1 conv=sync,fsync 2>/dev/null
    echo "GDISKWROTE rc=$?"
    ip link set eth0 up && ip addr add "$ip/24" dev eth0
    ping -c 3 -W 3 "$peer" >/tmp/ping.txt 2>&1
    echo "GPING rc=$? $(grep -o '[0-9]* packets received' /tmp/ping.txt)"
    echo "XTEST-NET-$nonce" | nc -w 5 "$peer" "$port"
    echo "GNC rc=$?"
fi
# The labels, through _LSR/_LSW, so through QEMU's IOREQ server on Xen: the
# last guest reads the never-written area, writes fresh label index blocks
# and reads them back.  (After its data checks: this ends the raw namespace.)
if [ "$scenario" = 2 ]; then
    ndctl read-labels -j nmem0 >/tmp/labels.json 2>/tmp/labels.err
    echo "GREADLABELS0 rc=$? index=$(grep -o NAMESPACE_INDEX /tmp/labels.json | wc -l)"
    ndctl disable-region all >/dev/null 2>&1
    ndctl init-labels -f nmem0 >/tmp/init.out 2>&1
    echo "GINITLABELS rc=$? $(tr '\n' ' ' </tmp/init.out)"
    ndctl read-labels -j nmem0 >/tmp/labels.json 2>/tmp/labels.err
    echo "GREADLABELS1 rc=$? index=$(grep -o NAMESPACE_INDEX /tmp/labels.json | wc -l)"
fi
if [ "$scenario" = bench ]; then
    n=$(arg xtest_repeat)
    now() { cut -d' ' -f1 /proc/uptime; }
    ndctl disable-region all >/dev/null 2>&1
    ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1
    for op in read init write; do
        t0=$(now)
        i=0
        while [ $i -lt "$n" ]; do
            case $op in
            read) ndctl read-labels -o /tmp/labels.bin nmem0 ;;
            init) ndctl init-labels -f nmem0 ;;
            write) ndctl write-labels -i /tmp/labels.bin nmem0 ;;
            esac >/dev/null 2>&1 || echo "GFAILED $op-labels"
            i=$((i + 1))
        done
        echo "GLABELS $op-labels $n $(echo "$(now) $t0" | awk '{ print $1 - $2 }')"
    done
fi
if [ "$scenario" = daytwo ]; then
    # pmem as dom0 wrote it, not as this kernel's page cache last saw it.
    readdirect() {
        dd if="$1" bs=4096 skip=$(($2 / 4096)) count=1 iflag=direct 2>/dev/null |
            head -c 64 | tr -d '\0'
    }
    writedirect() {
        { printf '%s' "$3"; head -c $((4096 - ${#3})) /dev/zero; } |
            dd of="$1" bs=4096 seek=$(($2 / 4096)) count=1 iflag=fullblock oflag=direct conv=fsync 2>/dev/null
    }
    # Namespaces come up asynchronously, a labelled DIMM's after its
    # labels were read through the _DSM: wait for each region's first
    # namespace.  A labelled DIMM whose labels hold none (its first boot:
    # only an empty seed) gets one, written to its labels, on the first
    # boot; later boots find it in the labels.
    settled() {
        for r in /sys/bus/nd/devices/region*; do
            ls -d "$r"/namespace* >/dev/null 2>&1 || return 1
        done
    }
    regions=$(ls -d /sys/bus/nd/devices/region* 2>/dev/null | wc -l)
    i=0
    while ! settled && [ $i -lt 300 ]; do sleep 1; i=$((i + 1)); done
    for r in /sys/bus/nd/devices/region*; do
        size=0
        for n in "$r"/namespace*; do size=$((size + $(cat "$n/size" 2>/dev/null || echo 0))); done
        [ "$size" = 0 ] || continue
        ndctl create-namespace -r "${r##*/}" -m raw >/tmp/newns.json 2>&1
        echo "GNEWNS ${r##*/} rc=$? $(tr -d ' \n' </tmp/newns.json)"
    done
    while [ "$(ls /dev/pmem* 2>/dev/null | wc -l)" -lt "$regions" ] && [ $i -lt 300 ]; do
        sleep 1; i=$((i + 1))
    done
    gen=0
    pmems=$(ls /dev/pmem* 2>/dev/null | tr '\n' ' ')
    echo "GPMEMS $regions regions, after $i s: $pmems"
    for d in $pmems; do
        got=$(readdirect "$d" 0x2000)
        echo "GGEN ${d#/dev/} ${got:-none}"
        n=${got##*-}
        case "$got" in "XTEST-GEN-$nonce-"*) [ "$n" -le "$gen" ] || gen=$n ;; esac
    done
    gen=$((gen + 1))
    for d in $pmems; do
        writedirect "$d" 0x2000 "XTEST-GEN-$nonce-$gen"
    done
    echo "GDAYTWO-UP gen=$gen pmems=$pmems"
    beat=0
    while :; do
        beat=$((beat + 1))
        for d in $pmems; do
            writedirect "$d" 0x3000 "XTEST-BEAT-$nonce-$gen-$beat"
        done
        for d in $pmems; do
            [ "$(readdirect "$d" 0x4000)" = "XTEST-CMD-$nonce-reboot-$gen" ] || continue
            echo "GREBOOT gen=$gen beat=$beat"
            sync
            reboot -f
        done
        sleep 1
    done
fi
if [ "$scenario" = hotplug ]; then
    # dom0 plugs a second NVDIMM in (QMP); Linux must find it by itself.
    echo "GHOTPLUG-READY"
    dev= i=0
    while [ -z "$dev" ] && [ $i -lt 900 ]; do
        dev=$(dev_of_handle 0x2)
        [ -n "$dev" ] || { sleep 1; i=$((i + 1)); }
    done
    echo "GHOTPLUG handle=0x2 dev=$dev after $i s"
    if [ -n "$dev" ]; then
        pat="XTEST-HOTPLUG-$nonce"
        { printf '%s' "$pat"; head -c $((4096 - ${#pat})) /dev/zero; } |
            dd of="/dev/$dev" bs=4096 seek=1 count=1 conv=fsync 2>/dev/null
        echo "GHPWROTE $(dd if="/dev/$dev" bs=4096 skip=1 count=1 2>/dev/null | head -c ${#pat})"
    fi
    echo "GHPNDCTL $(ndctl list -DR | tr -d ' \n')"
    echo "GHPPERSIST $(cat /sys/bus/nd/devices/region*/persistence_domain 2>&1 | tr '\n' ',')"
    dmesg | grep -i -E 'nfit' | tail -n 6 | sed 's/^/GHPDMESG /'
    # dom0 now marks a range of the first NVDIMM's backend bad; QEMU must
    # tell this Linux, which scrubs by itself: nothing is asked here.
    first=$(dev_of_handle 0x1)
    known=$(cat "/sys/block/$first/badblocks" 2>&1)
    echo "GPUSH-READY dev=$first known=$(echo "$known" | tr '\n' ',')"
    i=0
    while [ -n "$first" ] && [ "$(cat "/sys/block/$first/badblocks")" = "$known" ] &&
          [ $i -lt 900 ]; do
        sleep 1
        i=$((i + 1))
    done
    echo "GPUSHED after $i s: $(tr '\n' ',' <"/sys/block/$first/badblocks" 2>&1)"
    echo "GPUSHMEDIA $(ndctl list -NM | tr -d ' \n')"
fi
echo "GUEST-DONE"
if [ "$scenario" = 2 ]; then
    # Stay up: dom0 tests xl destroy on a running guest.
    while :; do sleep 3600; done
fi
