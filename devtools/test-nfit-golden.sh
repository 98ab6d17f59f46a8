#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# QEMU's own NVDIMM NFIT and SSDT, unchanged by the refactors xen-nvdimm
# shares them through: boot a guest with bios-tables-test's "dimmpxm"
# configuration and compare the NFIT and the NVDIMM SSDT the guest receives
# with QEMU's expected tables, tests/data/acpi/x86/pc/NFIT.dimmpxm and
# SSDT.dimmpxm, byte for byte (but for what firmware patches in the SSDT).
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
/usr/bin/python3 - "$work/serial.log" "$SRC/tests/data/acpi/x86/pc" <<'PY'
import binascii, sys
tables = {l.split()[1]: binascii.unhexlify(l.split()[2])
          for l in open(sys.argv[1], errors="replace") if l.startswith("TABLE ")}
bad = 0
def compare(what, got, want, name):
    global bad
    if got == want:
        print(f"ok   the guest's {what} is QEMU's expected {name} ({len(want)} bytes)")
        return
    bad = 1
    print(f"FAIL the guest's {what} ({len(got)} bytes) differs from {name} ({len(want)} bytes)")
    print("got:     ", got.hex())
    print("expected:", want.hex())
compare("NFIT", tables.get("NFIT", b""),
        open(f"{sys.argv[2]}/NFIT.dimmpxm", "rb").read(), "NFIT.dimmpxm")
# The NVDIMM SSDT (the _DSM, label and _FIT AML), but for what firmware
# patches: the checksum, and the page's address in MEMA, the table's last
# dword (this guest's RAM size places the page elsewhere).
def unpatched(t):
    return t[:9] + b"\0" + t[10:-4] + b"\0" * 4
ssdt = [t for n, t in tables.items() if n.startswith("SSDT") and t[16:22] == b"NVDIMM"]
compare("NVDIMM SSDT (its checksum and MEMA's value aside)",
        unpatched(ssdt[0]) if len(ssdt) == 1 else b"",
        unpatched(open(f"{sys.argv[2]}/SSDT.dimmpxm", "rb").read()), "SSDT.dimmpxm")
sys.exit(bad)
PY
