# SPDX-License-Identifier: GPL-2.0-or-later
#
# A guest of QEMU's own NVDIMM (-device nvdimm) whose backend is its host's
# device-dax: what does its Linux know of the media?
echo "JSON-NM $(ndctl list -N --media-errors | tr -d '\n')"
echo "JSON-DH $(ndctl list -DH | tr -d '\n')"
echo "ARS $(cat /sys/bus/nd/devices/ndbus0/nfit/scrub 2>/dev/null)"
# Reads of each listed bad sector, and of one sector well after it.
for s in $(cut -d' ' -f1 /sys/block/pmem0/badblocks); do
    for t in $s $((s + 1000)); do
        err=$(dd if=/dev/pmem0 of=/dev/null bs=512 skip=$t count=1 2>&1 >/dev/null)
        echo "READ $t rc=$? ${err##*: }"
    done
done
