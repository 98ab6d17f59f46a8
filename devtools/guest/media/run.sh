# SPDX-License-Identifier: GPL-2.0-or-later
#
# In a guest with two xen-nvdimm devices whose emulated host knows things
# about its media: report what Linux and PMDK learnt of it.  nv0 (handle 1)
# is a raw namespace with host bad sectors; nv1 (handle 2) is fsdax with
# ext4 mounted -o dax and a file for PMDK's libpmem2.  The host checks the
# report against what its files say.  Boot 1 makes nv1's filesystem; boot 2
# (same configuration, QEMU restarted) only reads it.
# The host passes the boot's number and the sectors it has made bad.
arg() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" /proc/cmdline; }
boot=$(arg xtboot)
BAD_SECTOR=$(arg xtbad)
NEW_SECTOR=$(arg xtnew)
GOOD_SECTOR=$((BAD_SECTOR + 20000))

. /test/nd-lib.sh

echo "--- ndctl list -DH"
ndctl list -DH
echo "JSON-DH $(ndctl list -DH | tr -d ' \n')"
for d in /sys/bus/nd/devices/nmem*; do
    echo "DIMM handle=$(cat "$d/nfit/handle") id=$(cat "$d/nfit/id")" \
         "dirty_shutdown=$(cat "$d/nfit/dirty_shutdown" 2>/dev/null || echo none)" \
         "dsm_mask=$(cat "$d/nfit/dsm_mask")"
done
# What each region says survives a power loss (the NFIT's capabilities).
for r in /sys/bus/nd/devices/region*; do
    echo "PERSIST ${r##*/} domain=$(cat "$r/persistence_domain")"
done

bad=$(dev_of_handle 0x1)
echo "BADDEV $bad"
if [ "$boot" = 1 ]; then
    echo "--- ndctl list -NM (at boot)"
    ndctl list -NM
    echo "JSON-NM-BOOT $(ndctl list -NM | tr -d ' \n')"
    echo "BADBLOCKS-BOOT $(tr '\n' ',' </sys/block/$bad/badblocks)"
    # A read of a known bad sector fails; one far from it does not.
    for s in $BAD_SECTOR $GOOD_SECTOR; do
        err=$(dd if=/dev/$bad of=/dev/null bs=512 skip=$s count=1 2>&1 >/dev/null)
        echo "READ $s rc=$? ${err##*: }"
    done
    # The host finds a new bad range: the device model tells the guest
    # (GPE 4, Notify 0x81) and Linux scrubs by itself; nothing here asks.
    echo "MEDIA-ADD-NOW"
    waited=0
    while [ $waited -lt 300 ] && ! grep -q "^$NEW_SECTOR " /sys/block/$bad/badblocks; do
        sleep 1
        waited=$((waited + 1))
    done
    echo "PUSHED after $waited s"
    echo "JSON-NM-SCRUB $(ndctl list -NM | tr -d ' \n')"
    echo "BADBLOCKS-SCRUB $(tr '\n' ',' </sys/block/$bad/badblocks)"
    err=$(dd if=/dev/$bad of=/dev/null bs=512 skip=$NEW_SECTOR count=1 2>&1 >/dev/null)
    echo "READ $NEW_SECTOR rc=$? ${err##*: }"
fi

# PMDK's libpmem2 on a file of a DAX filesystem on nv1.
if [ "$boot" = 1 ]; then
    ns=$(ndctl list -N -r "$(basename "$(readlink -f /sys/block/$(dev_of_handle 0x2)/device/..)")" |
         sed -n 's/.*"dev":"\([^"]*\)".*/\1/p' | head -n 1)
    ndctl create-namespace -f -e "$ns" -m fsdax --map=mem >/dev/null ||
        echo "FAILED create-namespace fsdax on $ns"
fi
fs=$(dev_of_handle 0x2)
echo "FSDEV $fs"
mkdir -p /mnt/dax
[ "$boot" = 1 ] && mkfs.ext4 -q -F -b 4096 "/dev/$fs" >/dev/null
mount -t ext4 -o dax "/dev/$fs" /mnt/dax || echo "FAILED mount -o dax /dev/$fs"
[ "$boot" = 1 ] && dd if=/dev/zero of=/mnt/dax/pool bs=1M count=8 2>/dev/null
/test/pmem2-usc /mnt/dax/pool
umount /mnt/dax
