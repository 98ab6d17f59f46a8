# SPDX-License-Identifier: GPL-2.0-or-later
#
# In a "dom0" test guest whose pmem is QEMU's stock NVDIMM: make one
# namespace of every kind, write a pattern into each backend kind, and run
# xen-nvdimm's resolver on it.  The host checks that the pattern is in its
# backing file where the resolved SPA says.
#
# Output: REGION base size
#         CASE name offset pattern   (then the resolver's lines, prefixed)
#         REFUSE name expected-text  (the resolver must fail saying that)
#         HOLD name                  (the resolver held it while commands
#         ATTACK name command rc      tried to take it away; they must fail)
R=/test/xen-nvdimm-resolve

# The NVDIMM's region (ACPI NFIT), and the legacy pmem that memmap= made.
for r in /sys/bus/nd/devices/region*; do
    case $(readlink -f "$r") in *ACPI0012*) REGION=$(basename "$r") ;; esac
done
for b in /sys/block/pmem*; do
    case $(readlink -f "$b") in *e820*) LEGACY=/dev/$(basename "$b") ;; esac
done
echo "REGION $(cat /sys/bus/nd/devices/$REGION/resource) $(cat /sys/bus/nd/devices/$REGION/size)"
ndctl disable-region all >/dev/null
ndctl init-labels -f all >/dev/null
ndctl enable-region all >/dev/null

# mk MODE SIZE: create a namespace; sets DEV to its block or char device.
mk() {
    ndctl create-namespace -r "$REGION" -m "$1" -s "$2" >/tmp/ns.json || {
        cat /tmp/ns.json; echo "FAILED create-namespace $*"; exit 1; }
    DEV=$(sed -n 's/.*"\(blockdev\|chardev\)":"\([^"]*\)".*/\2/p' /tmp/ns.json | head -n 1)
    echo "NAMESPACE $1 $2 /dev/$DEV"
}

# case NAME PATH SIZE OFFSET: pattern at OFFSET of PATH, then resolve it.
case_() {
    pat="<<$1-PATTERN-0123456789>>"
    $R write "$2" "$4" "$pat" || echo "FAILED write $2"
    echo "CASE $1 $4 $pat"
    $R resolve "$2" "$3" | sed "s/^/RESOLVE $1 /"
}

# refuse NAME PATH SIZE TEXT: the resolver must refuse, saying TEXT.
refuse() {
    echo "REFUSE $1 $4"
    $R resolve "$2" "$3" | sed "s/^/RESOLVE $1 /"
}

# hold NAME PATH SIZE ATTACKS: while the resolver holds PATH as QEMU does,
# run each attack (one command per line); each must fail (but for those
# marked "?", which may skip the file quietly), and the extents must be
# the same afterwards.
hold() {
    echo "HOLD $1"
    printf '%s\n' "$4" >/tmp/attacks
    $R hold "$2" "$3" "while read -r a; do sh -c \"\${a#\\?}\" >/tmp/said 2>&1; echo \"ATTACK $1 \$? \$a\"; head -n 2 /tmp/said; done </tmp/attacks" |
        sed "s/^\(extent\|after\|error\|held\)/RESOLVE $1 \1/"
}

# Writers racing the pin: a loop opens the file for writing and closes it
# again while the file is pinned 20 times.  Each pin either fails (someone
# had it open) or holds with no other process able to write to the file.
cat >/tmp/writers <<'W'
n=0
for fd in /proc/[0-9]*/fd/*; do
    pid=${fd#/proc/}
    pid=${pid%%/*}
    [ "$pid" = "$XNR_PID" ] && continue
    [ "$(readlink "$fd" 2>/dev/null)" = "$1" ] || continue
    flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
    [ -n "$flags" ] && [ $((0$flags & 3)) != 0 ] &&
        n=$((n + 1)) who="$who $pid:$(cat "/proc/$pid/comm")"
done
echo "WRITERS $n$who"
W
pin_race() {
    f=/mnt/$1/race
    dd if=/dev/zero of="$f" bs=64k count=8 2>/dev/null
    sync
    rm -f /tmp/stop-writers
    (while [ ! -e /tmp/stop-writers ]; do
         exec 3<>"$f" && exec 3>&-
         usleep 2000
     done) 2>/dev/null &
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        $R hold "$f" 512K "sh /tmp/writers $f" | grep -E "^(WRITERS|error)" |
            sed "s/^/RESOLVE $1-pin-race /"
    done
    touch /tmp/stop-writers
    wait
}

# Raw namespace with two partitions: the disk, a partition, and a file on
# a filesystem without DAX (raw mode has no struct pages).
mk raw 128M
RAW=/dev/$DEV
cp /tmp/ns.json /tmp/raw.json
printf 'start=2048, size=32768, type=83\nstart=34816, size=196608, type=83\n' |
    sfdisk -q "$RAW" >/dev/null
case_ raw "$RAW" 128M 0x3000
case_ partition "${RAW}p1" 16M 0x5000
mkfs.ext4 -q -F -b 4096 "${RAW}p2" >/dev/null
mkdir -p /mnt/plain
mount -t ext4 "${RAW}p2" /mnt/plain
dd if=/dev/zero of=/mnt/plain/f bs=1M count=8 2>/dev/null
case_ file-nodax /mnt/plain/f 8M 0x123000
refuse short-file /mnt/plain/f 16M "smaller than the backend"
truncate -s 8M /mnt/plain/sparse
refuse hole /mnt/plain/sparse 8M "are a hole"
fallocate -l 8M /mnt/plain/unwritten
refuse unwritten /mnt/plain/unwritten 8M "FIEMAP flags 0x801"
# A writer that opens the file while the pin's first lease is held (seen in
# /proc/locks): on ext4 without DAX, setting the flag writes the dirty page
# cache back first, long enough to be caught.  Its open() passes the
# permission check before the flag is set and waits for the lease: the pin
# must then fail, not hold with a writer in.
lease_opener() {
    ino=$(stat -c %i "$1")
    i=0
    while ! grep -q "LEASE.*:$ino " /proc/locks && [ $i -lt 2000 ]; do
        i=$((i + 1))
    done
    exec 3<>"$1" && echo "RESOLVE plain-pin-race opener got a descriptor"
    sleep 3
}
for i in 1 2 3 4 5; do
    rm -f /mnt/plain/race
    dd if=/dev/zero of=/mnt/plain/race bs=1M count=32 2>/dev/null
    lease_opener /mnt/plain/race &
    $R hold /mnt/plain/race 32M "sh /tmp/writers /mnt/plain/race" |
        grep -E "^(WRITERS|error)" | sed "s/^/RESOLVE plain-pin-race /"
    wait
done
rm -f /mnt/plain/race
umount /mnt/plain
# A namespace in use cannot be mounted, made a filesystem or destroyed.
NS=$(sed -n 's/.*"dev":"\([^"]*\)".*/\1/p' /tmp/raw.json | head -n 1)
hold raw-held "$RAW" 64M "mount -t ext4 ${RAW}p2 /mnt/plain
mkfs.ext4 -q -F $RAW
ndctl destroy-namespace -f $NS"
# Known bad media on the disk: 8 sectors from sector 16 of it.
echo "16 8" >/sys/block/$(basename "$RAW")/badblocks
case_ raw-badblocks "$RAW" 128M 0x7000
# ... and what goes bad while QEMU runs: read again when the guest scrubs.
$R hold "$RAW" 128M "echo '40 8' >/sys/block/$(basename "$RAW")/badblocks" |
    sed "s/^/RESOLVE raw-badblocks-later /"

# fsdax with ext4 and xfs, DAX on.
mk fsdax 256M
mkfs.ext4 -q -F -b 4096 "/dev/$DEV" >/dev/null
mkdir -p /mnt/ext4
mount -t ext4 -o dax "/dev/$DEV" /mnt/ext4 || echo "FAILED mount ext4 dax"
dd if=/dev/zero of=/mnt/ext4/f bs=1M count=16 2>/dev/null
case_ fsdax-ext4 /mnt/ext4/f 16M 0x9a7000
# Mounted: held by the filesystem, so no backend can have it.
refuse fsdax-mounted "/dev/$DEV" 64M "Device or resource busy"
# Two files grown in turn, synced each time: interleaved extents.
for i in 1 2 3 4 5 6 7 8; do
    dd if=/dev/zero bs=64k count=1 2>/dev/null >>/mnt/ext4/a
    dd if=/dev/zero bs=64k count=1 2>/dev/null >>/mnt/ext4/b
    sync
done
case_ fsdax-fragmented /mnt/ext4/a 512K 0x51234
# More extents than one FIEMAP call returns (256): DAX allocates at once,
# and with every file drawing on ext4's shared (group) preallocation, two
# files grown in turn interleave block by block.  Patterns in the first
# extent, the 256th, the 257th (the second call's first) and the last.
echo 1000000 >"/sys/fs/ext4/$DEV/mb_stream_req"
for i in $(seq 300); do
    dd if=/dev/zero bs=4k count=1 2>/dev/null >>/mnt/ext4/m
    dd if=/dev/zero bs=4k count=1 2>/dev/null >>/mnt/ext4/n
done
sync
case_ fsdax-many-first /mnt/ext4/m 1200K 0x10
case_ fsdax-many-256th /mnt/ext4/m 1200K 0xff020
case_ fsdax-many-257th /mnt/ext4/m 1200K 0x100030
case_ fsdax-many-last /mnt/ext4/m 1200K 0x12bf00
# A file pinned: nothing can move or free its blocks while it is held,
# although it is fragmented and defragmenting it would move them.
hold ext4-file-held /mnt/ext4/a 512K "truncate -s 64K /mnt/ext4/a
/usr/bin/fallocate -p -o 0 -l 64K /mnt/ext4/a
/usr/bin/fallocate -c -o 0 -l 64K /mnt/ext4/a
/usr/bin/e4defrag /mnt/ext4/a
cp /mnt/ext4/b /mnt/ext4/a
rm -f /mnt/ext4/a
mv /mnt/ext4/a /mnt/ext4/a.moved"
# ext4 refuses writes to a pinned file even through its descriptor: no
# labels there.
$R pinwrite /mnt/ext4/a 512K 0x70000 XTLABEL-ext4 | sed "s/^/RESOLVE ext4-pinwrite /"
# Another reader (a backup) has the file open: the pin is refused, and the
# file is left as it was.
(exec 3</mnt/ext4/b; sleep 4) &
sleep 1
$R resolve /mnt/ext4/b 512K | sed "s/^/RESOLVE ext4-reader /"
wait
echo >>/mnt/ext4/b && echo "RESOLVE ext4-reader writable after"
pin_race ext4
umount /mnt/ext4
case_ fsdax-blockdev "/dev/$DEV" 64M 0x3f00000

mk fsdax 384M
mkfs.xfs -q -f -m reflink=0 "/dev/$DEV" >/dev/null
mkdir -p /mnt/xfs
mount -t xfs -o dax "/dev/$DEV" /mnt/xfs || echo "FAILED mount xfs dax"
dd if=/dev/zero of=/mnt/xfs/f bs=1M count=16 2>/dev/null
case_ fsdax-xfs /mnt/xfs/f 16M 0x456000
for i in 1 2 3 4 5 6 7 8; do
    dd if=/dev/zero bs=64k count=1 2>/dev/null >>/mnt/xfs/a
    dd if=/dev/zero bs=64k count=1 2>/dev/null >>/mnt/xfs/b
    sync
done
hold xfs-file-held /mnt/xfs/a 512K "truncate -s 64K /mnt/xfs/a
/usr/bin/fallocate -p -o 0 -l 64K /mnt/xfs/a
?/usr/bin/xfs_fsr -v /mnt/xfs/a
cp /mnt/xfs/b /mnt/xfs/a"
# XFS writes through a pinned file's descriptor, and it stays pinned.
$R pinwrite /mnt/xfs/a 512K 0x70000 XTLABEL-xfs | sed "s/^/RESOLVE xfs-pinwrite /"
dd if=/mnt/xfs/a bs=1 skip=$((0x70000)) count=11 2>/dev/null | sed "s/^/RESOLVE xfs-pinwrite read /"
echo
pin_race xfs
# The control: not held, the same kind of file is defragmented.
$R resolve /mnt/xfs/b 512K | sed "s/^/RESOLVE xfs-control /"
/usr/bin/xfs_fsr -v /mnt/xfs/b
$R resolve /mnt/xfs/b 512K | sed "s/^extent/RESOLVE xfs-control after/"
umount /mnt/xfs

# device-dax, and BTT, which has no linear address.
mk devdax 128M
case_ devdax "/dev/$DEV" 64M 0x201000
mk sector 32M
refuse sector "/dev/$DEV" 16M "sector mode (BTT)"

# Not pmem at all.
dd if=/dev/zero of=/tmp/f bs=1M count=4 2>/dev/null
refuse tmpfs /tmp/f 4M "is not on a pmem block device"
# Legacy pmem (memmap=): RAM in the firmware's map, and so to Xen.
refuse legacy-pmem "$LEGACY" 16M "is RAM (E820 type 1, "
# A filesystem whose blocks xen-nvdimm cannot pin or trust: FAT.
mk raw 32M
mkdosfs "/dev/$DEV" >/dev/null
mkdir -p /mnt/vfat
mount -t vfat "/dev/$DEV" /mnt/vfat || echo "FAILED mount vfat"
dd if=/dev/zero of=/mnt/vfat/f bs=1M count=4 2>/dev/null
refuse vfat-file /mnt/vfat/f 4M "only files on ext2/3/4 and XFS can back a guest's pmem"
umount /mnt/vfat
