# SPDX-License-Identifier: GPL-2.0-or-later
#
# In a guest that starts with one xen-nvdimm (labels, slot 0) under a root
# with three slots: say when it is ready for the host to plug the next one
# (HOTPLUG-READY-n), wait for Linux to find it by itself (QEMU raises
# GPE 4, _E04 notifies the root with 0x80, the nfit driver reads _FIT
# again), and use it: a raw write to the second, fsdax and a write to the
# third.  Then report what ndctl and the kernel say.
arg() { sed -n "s/.* $1=\([0-9a-z]*\).*/\1/p" /proc/cmdline; }
NONCE=$(arg xtnonce)

. /test/nd-lib.sh

# Wait (300 s at most: a busy host) for a block device on handle $1.
wait_handle() {
    waited=0
    while [ $waited -lt 300 ] && [ -z "$(dev_of_handle "$1")" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    echo "PLUGGED handle=$1 dev=$(dev_of_handle "$1") after $waited s"
}

echo "DIMMS-AT-BOOT $(ls -d /sys/bus/nd/devices/nmem* 2>/dev/null | wc -l)"

echo "HOTPLUG-READY-1"
wait_handle 0x2
dev=$(dev_of_handle 0x2)
printf 'XNV-HOTPLUG-2-%s' "$NONCE" | dd of=/dev/$dev bs=4096 seek=1 conv=fsync 2>/dev/null ||
    echo "FAILED write to /dev/$dev"
echo "WROTE handle=0x2 $(dd if=/dev/$dev bs=4096 skip=1 count=1 2>/dev/null | tr -d '\0' | head -c 40)"

echo "HOTPLUG-READY-2"
wait_handle 0x3
dev=$(dev_of_handle 0x3)
ns=$(ndctl list -N -r "$(basename "$(readlink -f /sys/block/$dev/device/..)")" |
     sed -n 's/.*"dev":"\([^"]*\)".*/\1/p' | head -n 1)
ndctl create-namespace -f -e "$ns" -m fsdax --map=mem >/dev/null ||
    echo "FAILED create-namespace fsdax on $ns"
dev=$(dev_of_handle 0x3)
printf 'XNV-HOTPLUG-3-%s' "$NONCE" | dd of=/dev/$dev bs=4096 seek=1 conv=fsync 2>/dev/null ||
    echo "FAILED write to /dev/$dev"
echo "FSDAX handle=0x3 dev=$dev mode=$(ndctl list -N -n "$ns" | sed -n 's/.*"mode":"\([^"]*\)".*/\1/p')"

# The host now tries a fourth device, past the slots, and then marks the
# second DIMM's block 2 (its backing file): nothing may have changed.
echo "HOTPLUG-READY-3"
dev=$(dev_of_handle 0x2)
waited=0
while [ $waited -lt 300 ]; do
    echo 3 >/proc/sys/vm/drop_caches
    dd if=/dev/$dev bs=4096 skip=2 count=1 2>/dev/null | grep -q "XNV-HOST-DONE-$NONCE" && break
    sleep 1
    waited=$((waited + 1))
done
echo "HOST-DONE after $waited s"
echo "DIMMS-AT-END $(ls -d /sys/bus/nd/devices/nmem* | wc -l)"
echo "JSON-DRN $(ndctl list -DRN | tr -d ' \n')"
for r in /sys/bus/nd/devices/region*; do
    echo "PERSIST ${r##*/} domain=$(cat "$r/persistence_domain")"
done
dmesg | grep -i 'nfit' | sed 's/^/DMESG /'
