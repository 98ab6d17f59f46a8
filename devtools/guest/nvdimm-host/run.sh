# SPDX-License-Identifier: GPL-2.0-or-later
#
# A host with persistent memory for QEMU's own NVDIMM: this guest's pmem is
# xen-nvdimm in emulated mode (ARS and SMART, which QEMU's NVDIMM does not
# give).  The first region becomes a device-dax; the second an fsdax
# namespace with an ext4 DAX filesystem and a file written out in full, a
# sector of which this host's admin marks bad.  QEMU (this tree's, under
# TCG) gives both to a Linux guest with -device nvdimm, which must learn
# the media errors and health this host's driver knows.
t() { cut -d' ' -f1 /proc/uptime; }
ndctl create-namespace -f -e namespace0.0 -m devdax --align=2M >/dev/null ||
    echo "FAILED: ndctl create-namespace -m devdax"
region=/sys/bus/nd/devices/region0
dax=/sys/bus/dax/devices/dax0.0
echo "REGION $(cat $region/resource)"
echo "DAX $(cat $dax/resource) $(cat $dax/size)"
echo "HOST-BAD $(tr '\n' ' ' <$region/badblocks)"
size=$(cat $dax/size)
size=$((size / 2097152 * 2097152))

blk=$(ndctl create-namespace -f -e namespace1.0 -m fsdax |
      sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p')
[ -n "$blk" ] || echo "FAILED: ndctl create-namespace -m fsdax"
mkdir -p /mnt/dax
mkfs.ext4 -q -F -b 4096 "/dev/$blk" && mount -o dax "/dev/$blk" /mnt/dax ||
    echo "FAILED: ext4 with DAX on /dev/$blk"
dd if=/dev/zero of=/mnt/dax/nv1 bs=1M count=32 conv=fsync 2>/dev/null ||
    echo "FAILED: writing /mnt/dax/nv1"
# The disk block of the file's block 8, marked bad by this host's admin.
phys=$(/test/filefrag -v /mnt/dax/nv1 | awk '$1 == "0:" { print $4 }')
phys=${phys%%.*}
echo "$(((phys + 8) * 8)) 8" >"/sys/block/$blk/badblocks"
echo "FILE $blk first-block=$phys bad=$(tr '\n' ' ' <"/sys/block/$blk/badblocks")"

echo "GUEST-START $(t)"
timeout 1500 /test/qemu-system-x86_64 -accel tcg -L /test -nodefaults \
    -display none -no-reboot -monitor none -serial file:/tmp/guest.log \
    -M pc,nvdimm=on -m 256M,slots=2,maxmem=1G \
    -object memory-backend-file,id=m0,mem-path=/dev/dax0.0,size=$size,share=on,align=2M \
    -device nvdimm,id=nv0,memdev=m0 \
    -object memory-backend-file,id=m1,mem-path=/mnt/dax/nv1,size=32M,share=on \
    -device nvdimm,id=nv1,memdev=m1 \
    -trace "enable=nvdimm_media_*,file=/tmp/trace.log" \
    -trace "enable=nvdimm_ars_*,file=/tmp/trace.log" \
    -kernel /test/vmlinux -initrd /test/initrd.img \
    -append "console=ttyS0 loglevel=3 panic=-1" </dev/null 2>&1 |
    sed 's/^/QEMU /'
echo "GUEST-END $(t)"
# The guest's own lines, and QEMU's trace, for the host to read.
sed 's/^/G /' /tmp/guest.log
sed 's/^/T /' /tmp/trace.log
