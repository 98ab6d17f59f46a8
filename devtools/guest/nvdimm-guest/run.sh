# SPDX-License-Identifier: GPL-2.0-or-later
#
# A guest of QEMU's own NVDIMMs (-device nvdimm) whose backends are its
# host's persistent memory: what does its Linux know of the media?
echo "JSON-NM $(ndctl list -N --media-errors | tr -d '\n')"
echo "JSON-DH $(ndctl list -DH | tr -d '\n')"
# Reads of each listed bad sector, and of one sector well after it.
for b in /sys/block/pmem*; do
    dev=${b##*/}
    for s in $(cut -d' ' -f1 "$b/badblocks"); do
        for t in $s $((s + 1000)); do
            err=$(dd if=/dev/$dev of=/dev/null bs=512 skip=$t count=1 2>&1 >/dev/null)
            echo "READ $dev $t rc=$? ${err##*: }"
        done
    done
done
