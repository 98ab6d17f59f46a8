# SPDX-License-Identifier: GPL-2.0-or-later
#
# P2 of the benchmark, native path: in a "dom0" with two QEMU NVDIMMs
# (label-less: one raw namespace each), time what realize asks of the host
# driver for a large raw namespace and for files of 1, 100 and 10 000
# extents on ext4 mounted -o dax.  Prints the resolver's "TIME" lines.
R=/test/xen-nvdimm-resolve
for b in /sys/block/pmem*; do
    s=$(($(cat "$b/size") / 2048))        # MiB
    if [ "$s" -ge 4096 ]; then BIG=/dev/${b##*/} BIGSIZE=${s}M; else SMALL=${b##*/}; fi
done
echo "BIG $BIG $BIGSIZE"
echo "CASE raw-namespace"
$R time "$BIG" "$BIGSIZE" 10
ns=$(basename "$(readlink -f "/sys/block/$SMALL/device")")
echo "SMALL $SMALL $ns"
ndctl create-namespace -f -e "$ns" -m fsdax --map=mem >/tmp/ns.json ||
    { cat /tmp/ns.json; echo "FAILED fsdax"; }
DEV=/dev/$(sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' /tmp/ns.json)
mkfs.ext4 -q -F -b 4096 -N 40000 "$DEV" >/dev/null
mkdir -p /mnt/b
mount -t ext4 -o dax "$DEV" /mnt/b || echo "FAILED mount -o dax"
dd if=/dev/zero of=/mnt/b/one bs=1M count=4 conv=fsync 2>/dev/null
$R fragment /mnt/b /mnt/b/many 10400
dd if=/dev/zero of=/mnt/b/hundred bs=4k count=110 conv=fsync 2>/dev/null
sync
for f in one:4M hundred:440K many:41600K; do
    echo "CASE file-${f%%:*}"
    $R time "/mnt/b/${f%%:*}" "${f#*:}" 5
done
umount /mnt/b
