#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# QEMU's own NVDIMM NFIT, unchanged by the refactor xen-nvdimm shares it
# through: boot a guest with bios-tables-test's "dimmpxm" configuration and
# compare the NFIT the guest receives with QEMU's expected table,
# tests/data/acpi/x86/pc/NFIT.dimmpxm, byte for byte.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-nfit-golden
rm -rf "$work"
mkdir -p "$work"
"$TOP/devtools/guest/image.sh" "$work" "$TOP/devtools/guest/nfit/run.sh"
# The command line of test_acpi_tcg_dimm_pxm() in bios-tables-test.c, but
# with 1 GiB of RAM for Linux: RAM stays below 4 GiB, so the DIMMs (and
# the NFIT) are where they are in that test.
"$TOP/devtools/guest/boot.sh" "$work/serial.log" 600 \
    -machine pc,nvdimm=on,nvdimm-persistence=cpu \
    -smp 4,sockets=4 -m 1G,slots=3,maxmem=2G \
    -object memory-backend-ram,id=ram0,size=256M \
    -object memory-backend-ram,id=ram1,size=256M \
    -object memory-backend-ram,id=ram2,size=256M \
    -object memory-backend-ram,id=ram3,size=256M \
    -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1 \
    -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3 \
    -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 \
    -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3 \
    -object memory-backend-ram,id=ram4,size=128M \
    -object memory-backend-ram,id=nvm0,size=128M \
    -device pc-dimm,id=dimm0,memdev=ram4,node=1 \
    -device nvdimm,id=dimm1,memdev=nvm0,node=2 \
    -kernel "$work/vmlinux" -initrd "$work/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1"
/usr/bin/python3 - "$work/serial.log" "$SRC/tests/data/acpi/x86/pc/NFIT.dimmpxm" <<'PY'
import binascii, sys
got = next((binascii.unhexlify(l.split()[2]) for l in open(sys.argv[1], errors="replace")
            if l.startswith("TABLE NFIT ")), b"")
want = open(sys.argv[2], "rb").read()
if got == want:
    print(f"ok   the guest's NFIT is QEMU's expected NFIT.dimmpxm ({len(want)} bytes)")
    sys.exit(0)
print(f"FAIL the guest's NFIT ({len(got)} bytes) differs from {sys.argv[2]} ({len(want)} bytes)")
print("got:     ", got.hex())
print("expected:", want.hex())
sys.exit(1)
PY
