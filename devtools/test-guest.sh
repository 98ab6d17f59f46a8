#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen-nvdimm as a Linux guest sees it, in emulated mode: boot Debian's
# kernel under TCG with two devices (one scattered over several host
# extents), and check that the nfit driver binds, that each region is where
# QEMU placed the device and as large as its data area, and that what the
# guest writes to its pmem block devices lands in the backing files.  The
# tables it got are checked too, the SSDT's _DSM AML run by ACPICA beside
# hvmloader's DSDT, with its 64-bit integers.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-guest
rm -rf "$work"
mkdir -p "$work"
"$TOP/devtools/guest/image.sh" "$work" "$TOP/devtools/guest/emulated/run.sh"
truncate -s 64M "$work/pmem0.img"
truncate -s 256M "$work/pmem1.img"
"$TOP/devtools/guest/boot.sh" "$work/serial.log" 600 \
    -M pc -m 1G \
    -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$work/pmem0.img" \
    -object memory-backend-xen-pmem,id=pm1,size=256M,mem-path="$work/pmem1.img" \
    -device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K \
    -device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-extent-size=32M \
    -trace "enable=xen_nvdimm_place,file=$work/trace.log" \
    -trace "enable=nvdimm_dsm_read_fit,file=$work/trace.log" \
    -kernel "$work/vmlinux" -initrd "$work/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1"

xen_acpi=$("$TOP/devtools/xen-acpi.sh")

/usr/bin/python3 - "$work" "$xen_acpi" <<'PY'
import binascii, glob, re, struct, subprocess, sys
work, xen_acpi = sys.argv[1], sys.argv[2]
log = [l.rstrip("\r\n") for l in open(f"{work}/serial.log", errors="replace")]
placed = {}
fit_reads = []
for l in open(f"{work}/trace.log"):
    m = re.search(r"xen_nvdimm_place (\w+): gpa (0x[0-9a-f]+) size (0x[0-9a-f]+)", l)
    if m:
        placed[m[1]] = (int(m[2], 16), int(m[3], 16))
    m = re.search(r"nvdimm_dsm_read_fit offset (0x[0-9a-f]+) of (0x[0-9a-f]+)", l)
    if m:
        fit_reads.append((int(m[1], 16), int(m[2], 16)))
bad = 0
def check(ok, what):
    global bad
    bad += not ok
    print(("ok   " if ok else "FAIL ") + what)
tables = next((l.split()[1:] for l in log if l.startswith("TABLES")), [])
check("NFIT" in tables, f"the guest has an NFIT (tables: {' '.join(tables)})")
# Linux takes _FIT over the NFIT: it read the FIT from 0 to its end.
check(fit_reads[:1] == [(0, 408 - 40)] and fit_reads[-1:] == [(368, 368)],
      f"the guest read the FIT through _FIT, 0 to its end: {fit_reads}")
check(any(l.startswith("NFIT-DRIVER ACPI0012") for l in log),
      "the nfit driver bound the NVDIMM root device (ACPI0012)")
regions = {}
for l in log:
    w = l.split()
    if w[:1] == ["REGION"]:
        regions[int(w[2], 16)] = (w[1], int(w[3]), w[5])
dimms = [l for l in log if l.startswith("DIMM ")]
check(len(dimms) == 2 and "handle=0x1" in dimms[0] and "handle=0x2" in dimms[1],
      f"two DIMMs with NFIT handles 1 and 2: {dimms}")
files = {"pm0": f"{work}/pmem0.img", "pm1": f"{work}/pmem1.img"}
for name, (gpa, size) in sorted(placed.items()):
    r = regions.get(gpa)
    check(r is not None and r[1] == size,
          f"{name}: a region at {gpa:#x} of {size:#x} bytes: {r}")
    if not r:
        continue
    wrote = [l.split() for l in log if l.startswith(f"WROTE region{r[0]} ")]
    check(len(wrote) == 2, f"{name}: the guest wrote twice to region{r[0]}")
    for w in wrote:
        off, pat = int(w[2], 16), w[3].encode()
        with open(files[name], "rb") as f:
            f.seek(off)
            got = f.read(len(pat))
        check(got == pat, f"{name}: the guest's write at {off:#x} is in "
                          f"the backing file: {got!r}")
check(len(placed) == 2, f"QEMU placed two devices: {placed}")

# The tables: exact length, checksummed, and saying what QEMU did.
tables = {}
for l in log:
    if l.startswith("TABLE "):
        _, name, hx = l.split()
        tables[name] = binascii.unhexlify(hx)
        open(f"{work}/{name.lower()}.aml", "wb").write(tables[name])
for name, t in sorted(tables.items()):
    length = struct.unpack_from("<I", t, 4)[0]
    check(length == len(t) and sum(t) % 256 == 0,
          f"{name}: length {length} of {len(t)} bytes, checksum sums to 0")
nfit = tables.get("NFIT", b"")
spa, handles = {}, []
at = 40                                  # header + 4 reserved bytes
while at + 4 <= len(nfit):
    kind, size = struct.unpack_from("<HH", nfit, at)
    if kind == 0:                        # SPA range: base, length at 32
        base, length = struct.unpack_from("<QQ", nfit, at + 32)
        spa[base] = length
    elif kind == 1:                      # memory device: NFIT handle at 4
        handles.append(struct.unpack_from("<I", nfit, at + 4)[0])
    at += max(size, 4)
check(spa == {g: sz for g, sz in placed.values()} and handles == [1, 2],
      f"NFIT: SPA ranges {[(hex(b), hex(l)) for b, l in spa.items()]}, "
      f"handles {handles}")

# One namespace with hvmloader's DSDT and SSDTs (ACPICA, as Linux): no
# name defined twice, and the _ADRs evaluate to the NFIT handles.
hvmloader = sorted(glob.glob(f"{xen_acpi}/*.aml"))
def acpiexec(extra, method):
    r = subprocess.run(["acpiexec", "-b", f"evaluate {method}"] + hvmloader +
                       extra, capture_output=True, text=True)
    return r.stdout + r.stderr
out = acpiexec([f"{work}/ssdt.aml"], "\\_SB.XNVR.NV01._ADR")
check("AE_ALREADY_EXISTS" not in out and "Error" not in out and
      "[Integer] = 0000000000000002" in out,
      f"our SSDT loads beside hvmloader's {len(hvmloader)} tables "
      f"({', '.join(p.split('/')[-1] for p in hvmloader)}): no name defined "
      f"twice, \\_SB.XNVR.NV01._ADR = 2")
# The _DSM AML runs under hvmloader's 64-bit integers.  acpiexec's
# SystemMemory regions are plain memory, so a call's "reply" is its own
# request shifted by the length field: what NCAL wrote, where QEMU reads it.
def clean(out):
    return "Error" not in out and "AE_AML" not in out and "Warning" not in out
root_uuid = "(a4 e7 10 2f 91 9e e4 11 89 d3 12 3b 93 f7 5c ba)"
out = acpiexec([f"{work}/ssdt.aml"], f"\\_SB.XNVR._DSM {root_uuid} 1 0 [0]")
check(clean(out) and re.search(r"\[Buffer\] Length FFC =\s+0000: 01 00 00 00 00 00", out),
      "root _DSM(function 0): revision and function written where QEMU "
      "reads them, the reply a Buffer")
out = acpiexec([f"{work}/ssdt.aml"],
               f"\\_SB.XNVR._DSM ({' 00' * 16}) 1 0 [0]")
check(clean(out) and "[Buffer] Length 01 =     0000: 00" in out,
      "_DSM with a wrong UUID: function 0 says no functions")
# GPE 4's handler sits in hvmloader's \_GPE and reads the notify register.
out = acpiexec([f"{work}/ssdt.aml"], "\\_GPE._E04")
check(clean(out) and "No object was returned from evaluation of \\_GPE._E04" in out,
      "\\_GPE._E04 runs in hvmloader's \\_GPE scope")
out = acpiexec([f"{work}/ssdt.aml"], "\\_SB.XNVR.NV00._LSI")
check(clean(out) and re.search(r"Contains 3 Elements:\s+\[Integer\] = 0+1\s+"
                               r"\[Integer\] = 0+4\s+\[Integer\] = 0+\s", out),
      "_LSI: revision 1, function 4, repackaged as 3 Integers")
out = acpiexec([f"{work}/ssdt.aml"], "\\_SB.XNVR.NV00._LSR 16 32")
check(clean(out) and "0000: 05 00 00 00 10 00 00 00 20 00 00 00" in out,
      "_LSR(16, 32): function 5 with {offset, length} as its argument buffer")
out = acpiexec([f"{work}/ssdt.aml"], "\\_SB.XNVR.NV00._LSW 16 4 (de ad be ef)")
check(clean(out) and re.search(r"\[Integer\] = 0+1\s", out),
      "_LSW(16, 4, data): an Integer status")
out = acpiexec([f"{work}/ssdt.aml"], "\\_SB.XNVR.NV01._LSI")
check("AE_NOT_FOUND" in out, "no label methods on the device without labels")
# The same check sees a collision (a table defining \\_SB.PCI0 again).
with open(f"{work}/collide.asl", "w") as f:
    f.write('DefinitionBlock ("", "SSDT", 2, "TEST", "COLLIDE", 1)\n'
            '{ Scope (\\_SB) { Device (PCI0) { Name (_ADR, 0) } } }\n')
subprocess.run(["iasl", "-p", f"{work}/collide", f"{work}/collide.asl"],
               capture_output=True)
out = acpiexec([f"{work}/collide.aml"], "\\_SB.PCI0._ADR")
check("AE_ALREADY_EXISTS" in out, "the namespace check catches a collision")
sys.exit(1 if bad else 0)
PY
