#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: boot a Linux test guest with two xen-nvdimm devices and
# show what it sees.  With no Xen host, QEMU runs the device in emulated
# mode under TCG: it maps each backing file at the guest address QEMU chose,
# hands the guest firmware the NFIT and SSDT hvmloader would get, and serves
# the guest's label _DSM calls.  The guest labels its NVDIMMs, makes fsdax
# namespaces, writes a file through DAX, reboots, and is started again.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-labels
echo "QEMU $(qemu_source_version) with the xen-nvdimm series: $QEMU"
echo
echo "\$ qemu-system-x86_64 -device help | grep xen-nvdimm"
"$QEMU" -device help | grep xen-nvdimm
echo
echo "Booting Debian's kernel with:"
echo "  -object memory-backend-xen-pmem,id=pm0,size=128M,mem-path=pmem0.img"
echo "  -object memory-backend-xen-pmem,id=pm1,size=256M,mem-path=pmem1.img"
echo "  -device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K"
echo "  -device xen-nvdimm-emu,id=nv1,memdev=pm1,label-size=128K,x-emu-extent-size=32M"
echo
"$TOP/devtools/test-labels.sh"
log=$work/serial-1.log

echo
echo "The NFIT the guest got (iasl -d of /sys/firmware/acpi/tables/NFIT):"
sed -n 's/^TABLE NFIT //p' "$log" | tr -d '\r' |
    /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' \
    >"$work/nfit.dat"
(cd "$work" && iasl -d nfit.dat >/dev/null 2>&1)
grep -E 'Subtable Type|Range Index|Address Range Base|Address Range Length|Device Handle|Region Offset' \
    "$work/nfit.dsl" | sed 's/^\[[0-9A-F]*h [0-9]* *[0-9]*\] */  /'
echo
echo "The guest's ndctl, after init-labels and create-namespace -m fsdax:"
sed -n '/^--- ndctl list -DRN (setup)/,/^NAMESPACE/{/^NAMESPACE/!p}' "$log" |
    tr -d '\r' | sed 's/^/  /'
echo
echo "The file the guest wrote on ext4 -o dax, found in the backing files"
echo "(offset = its guest-physical address - the region's base):"
/usr/bin/python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
log = [l.rstrip("\r\n") for l in open(f"{work}/serial-1.log", errors="replace")]
base = {w[1]: int(w[2], 16) for w in (l.split() for l in log)
        if w[:1] == ["REGION"]}
imgs = dict(zip(sorted(base, key=base.get), ["pmem0.img", "pmem1.img"]))
for l in log:
    w = l.split()
    if w[:3][::2] == ["RESOLVE", "extent"]:
        region, spa = w[1], int(w[4], 16)
        off = spa - base[region]
        with open(f"{work}/{imgs[region]}", "rb") as f:
            f.seek(off)
            text = f.read(32).decode(errors="replace").rstrip()
        print(f"  {region}: guest-physical {spa:#x} -> {imgs[region]} "
              f"offset {off:#x}: {text!r}")
PY
