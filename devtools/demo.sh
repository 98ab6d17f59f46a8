#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: boot a Linux test guest with two xen-nvdimm devices and
# show what it sees.  With no Xen host, QEMU runs the device in emulated
# mode under TCG: it maps each backing file at the guest address QEMU chose
# and hands the guest firmware the NFIT and SSDT hvmloader would get.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-guest
echo "QEMU $(qemu_source_version) with the xen-nvdimm series: $QEMU"
echo
echo "\$ qemu-system-x86_64 -device help | grep xen-nvdimm"
"$QEMU" -device help | grep xen-nvdimm
echo
echo "Booting Debian's kernel with:"
echo "  -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=pmem0.img"
echo "  -object memory-backend-xen-pmem,id=pm1,size=256M,mem-path=pmem1.img"
echo "  -device xen-nvdimm,id=nv0,memdev=pm0,label-size=128K"
echo "  -device xen-nvdimm,id=nv1,memdev=pm1,x-emu-extent-size=32M"
echo
"$TOP/devtools/test-guest.sh"
echo
echo "What the guest saw (its console):"
sed -n '/^TABLES/p; /^NFIT-DRIVER/p; /^--- ndctl/,/^REGION/{/^REGION/!p}; /^DIMM/p' \
    "$work/serial.log" | tr -d '\r' | sed 's/^/  /'
echo
echo "In the backing files on the host, where the guest wrote:"
for img in pmem0 pmem1; do
    od -A x -t c -j $((0x1234567)) -N 40 "$work/$img.img" | sed -n '1,3s/^/  '"$img.img"' /p'
done
