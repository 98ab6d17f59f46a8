# SPDX-License-Identifier: GPL-2.0-or-later
#
# Namespace labels on xen-nvdimm devices (QEMU in emulated mode), over
# three boots:
#   setup:   read the label areas, write fresh labels, make an fsdax
#            namespace on every region, ext4 on it mounted -o dax, a file
#            written through DAX and resolved to guest-physical extents;
#            then reboot the guest (same QEMU);
#   reboot:  the namespaces and files are still there;
#   restart: (a new QEMU, kernel argument xntest=restart) the same.
# The host checks the label areas and the files in the backing files.
R=/test/xen-nvdimm-resolve

# A byte of CMOS RAM survives a guest reboot: it tells setup from reboot.
CMOS_REG='\176'                 # register 0x7e, unused by QEMU and SeaBIOS
cmos_get() {
    printf "$CMOS_REG" | dd of=/dev/port bs=1 seek=112 conv=notrunc 2>/dev/null
    dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' '
}
cmos_set() {
    printf "$CMOS_REG" | dd of=/dev/port bs=1 seek=112 conv=notrunc 2>/dev/null
    printf "\\$1" | dd of=/dev/port bs=1 seek=113 conv=notrunc 2>/dev/null
}

fail() {
    echo "FAILED $*"
    exit 1
}

# The file each region's filesystem holds: four 4 KiB blocks.
content() {
    for n in 0 1 2 3; do
        printf '%-4096s' "<<DAX-FILE-$1-BLOCK-$n>>"
    done
}

# report PHASE: namespaces, and each file's contents, as the guest sees them.
report() {
    echo "--- ndctl list -DRN ($1)"
    ndctl list -DRN
    for ns in /sys/bus/nd/devices/namespace*.*; do
        [ -e "$ns/uuid" ] || continue
        uuid=$(cat "$ns/uuid")
        [ -n "$uuid" ] && [ "$uuid" != 00000000-0000-0000-0000-000000000000 ] || continue
        region=$(basename "$(readlink -f "$ns/..")")
        echo "NAMESPACE $1 $region $(cat "$ns/mode") $uuid"
    done
}

phase=setup
grep -q 'xntest=restart' /proc/cmdline && phase=restart
[ $phase = setup ] && [ "$(cmos_get)" = 1 ] && phase=reboot
echo "PHASE $phase"

if [ $phase = setup ]; then
    echo "TABLE NFIT $(od -An -v -tx1 /sys/firmware/acpi/tables/NFIT | tr -d ' \n')"
    # What the label areas hold now, read through _LSR.
    for d in /sys/bus/nd/devices/nmem*; do
        nmem=${d##*/}
        ndctl read-labels -o "/tmp/$nmem.bin" "$nmem" 2>/tmp/err ||
            fail "read-labels $nmem: $(cat /tmp/err)"
        echo "READ-LABELS $(cat "$d/nfit/handle") $(wc -c <"/tmp/$nmem.bin") $(md5sum <"/tmp/$nmem.bin" | cut -d' ' -f1)"
    done
    ndctl disable-region all >/dev/null || fail "disable-region"
    ndctl init-labels -f all 2>&1 | sed 's/^/init-labels: /'
    ndctl enable-region all >/dev/null || fail "enable-region"
    for r in /sys/bus/nd/devices/region*; do
        region=${r##*/}
        ndctl create-namespace -r "$region" -m fsdax >/tmp/ns.json 2>&1 ||
            fail "create-namespace $region: $(cat /tmp/ns.json)"
        dev=$(sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' /tmp/ns.json)
        mkfs.ext4 -q -F -b 4096 "/dev/$dev" || fail "mkfs.ext4 /dev/$dev"
    done
fi

for r in /sys/bus/nd/devices/region*; do
    region=${r##*/}
    dev=$(basename "$(ls -d "$r"/pfn*/block/pmem* 2>/dev/null | head -n 1)")
    [ -n "$dev" ] || fail "$region has no fsdax block device"
    mkdir -p "/mnt/$region"
    mount -t ext4 -o dax=always "/dev/$dev" "/mnt/$region" || fail "mount /dev/$dev -o dax"
    grep -q "^/dev/$dev .*dax" /proc/mounts || fail "/dev/$dev not mounted with dax"
    if [ $phase = setup ]; then
        content "$region" >"/mnt/$region/file"
        sync
        echo "REGION $region $(cat "$r/resource")"
        $R resolve "/mnt/$region/file" 16384 | sed "s/^/RESOLVE $region /"
    fi
    content "$region" | cmp -s - "/mnt/$region/file" &&
        echo "FILE-OK $phase $region" || echo "FILE-BAD $phase $region"
    umount "/mnt/$region"
done
report $phase

if [ $phase = setup ]; then
    cmos_set 1
    echo "REBOOTING"
    sync
    reboot -f
    sleep 60
fi
