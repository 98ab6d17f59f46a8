#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Namespace labels through the _DSM, in emulated mode: a Linux guest with
# two xen-nvdimm devices (one scattered over host extents) reads the label
# areas, writes labels, makes fsdax namespaces with ext4 -o dax and writes
# a file on each; the labels and files survive a guest reboot and a QEMU
# restart.  Checked here: the label areas the guest read are the backing
# files' last 128 KiB, the labels it wrote are there, and every byte of
# each file is in its backing file where the guest-physical layout says.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-labels
rm -rf "$work"
mkdir -p "$work"
"$TOP/devtools/guest/resolver-tool.sh" "$work/xen-nvdimm-resolve"
"$TOP/devtools/guest/image.sh" "$work" "$work/xen-nvdimm-resolve" \
    "$TOP/devtools/guest/labels/run.sh"
truncate -s 128M "$work/pmem0.img"
truncate -s 256M "$work/pmem1.img"
# Something to read back in one label area (not a valid index: ignored).
head -c 128K /dev/urandom |
    dd of="$work/pmem0.img" bs=128K seek=$((128 * 8 - 1)) conv=notrunc status=none

qemu_args=(
    -M pc -m 1G
    -object memory-backend-xen-pmem,id=pm0,size=128M,mem-path="$work/pmem0.img"
    -object memory-backend-xen-pmem,id=pm1,size=256M,mem-path="$work/pmem1.img"
    -device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K
    -device xen-nvdimm-emu,id=nv1,memdev=pm1,label-size=128K,x-emu-extent-size=32M
    -kernel "$work/vmlinux" -initrd "$work/initrd.img"
)
cp "$work/pmem0.img" "$work/pmem0.before"
"$TOP/devtools/guest/boot.sh" --reboot "$work/serial-1.log" 900 "${qemu_args[@]}" \
    -trace "enable=xen_nvdimm_place,file=$work/trace.log" \
    -append "console=ttyS0 loglevel=3 panic=-1"
"$TOP/devtools/guest/boot.sh" "$work/serial-2.log" 600 "${qemu_args[@]}" \
    -append "console=ttyS0 loglevel=3 panic=-1 xntest=restart"

/usr/bin/python3 - "$work" <<'PY'
import hashlib, re, sys
work = sys.argv[1]
LABEL = 128 * 1024
files = {"pm0": f"{work}/pmem0.img", "pm1": f"{work}/pmem1.img"}
log = [l.rstrip("\r\n") for n in (1, 2)
       for l in open(f"{work}/serial-{n}.log", errors="replace")]
placed = {}
for l in open(f"{work}/trace.log"):
    m = re.search(r"xen_nvdimm_place (\w+): gpa (0x[0-9a-f]+)", l)
    if m:
        placed[int(m[2], 16)] = m[1]
bad = 0
def check(ok, what):
    global bad
    bad += not ok
    print(("ok   " if ok else "FAIL ") + what)
for l in log:
    if l.startswith("FAILED"):
        check(False, "guest: " + l)
phases = [l.split()[1] for l in log if l.startswith("PHASE ")]
check(phases == ["setup", "reboot", "restart"],
      f"three boots: setup, guest reboot, QEMU restart: {phases}")

def area(path, before=False):
    with open(path.replace(".img", ".before") if before else path, "rb") as f:
        f.seek(-LABEL, 2)
        return f.read(LABEL)
# What the guest read through _LSR is what the backing files held.
reads = {int(w[1], 16): (int(w[2]), w[3]) for w in
         (l.split() for l in log if l.startswith("READ-LABELS "))}
want = {1: hashlib.md5(area(files["pm0"], True)).hexdigest(),
        2: hashlib.md5(bytes(LABEL)).hexdigest()}
for h in (1, 2):
    check(reads.get(h) == (LABEL, want[h]),
          f"ndctl read-labels of NVDIMM {h}: {LABEL} bytes equal to the "
          f"backing file's label area: {reads.get(h)}")
# What it wrote: two index blocks, then the namespace labels.
for name, path in sorted(files.items()):
    a = area(path)
    check(a[:16] == b"NAMESPACE_INDEX\0" and
          a[a.find(b"NAMESPACE_INDEX", 16):][:15] == b"NAMESPACE_INDEX",
          f"{name}: the label area at the end of its backing file holds "
          f"the label index blocks the guest wrote")

content = lambda r: b"".join(f"<<DAX-FILE-{r}-BLOCK-{n}>>".ljust(4096).encode()
                             for n in range(4))
regions = {w[1]: int(w[2], 16) for w in
           (l.split() for l in log if l.startswith("REGION "))}
check(sorted(regions.values()) == sorted(placed),
      f"regions at QEMU's addresses: {regions} {placed}")
for region, base in sorted(regions.items()):
    name = placed.get(base)
    if name is None:
        check(False, f"{region} at {base:#x} is at no address QEMU placed "
              f"a device at ({placed})")
        continue
    ext = [tuple(int(x, 16) for x in l.split()[3:6]) for l in log
           if l.startswith(f"RESOLVE {region} extent ")]
    data = content(region)
    covered = sum(e[2] for e in ext)
    found = True
    with open(files[name], "rb") as f:
        for off, spa, size in ext:
            f.seek(spa - base)
            found &= f.read(size) == data[off:off + size]
    check(ext and covered == len(data) and found,
          f"{region} ({name}): the DAX file's {len(data)} bytes are in "
          f"{name}'s backing file at guest-physical - region base, "
          f"extents {[(hex(o), hex(s), hex(z)) for o, s, z in ext]}")
    for phase in ("setup", "reboot", "restart"):
        check(f"FILE-OK {phase} {region}" in log,
              f"{region}: the file reads back after {phase}")
ns = {}
for w in (l.split() for l in log if l.startswith("NAMESPACE ")):
    ns.setdefault(w[1], set()).add((w[2], w[3], w[4]))
check(len(ns.get("setup", ())) == 2 and
      all(m == "memory" for _, m, _ in ns["setup"]) and     # sysfs: fsdax
      ns.get("reboot") == ns["setup"] and ns.get("restart") == ns["setup"],
      f"the two fsdax namespaces keep their UUIDs across the guest reboot "
      f"and the QEMU restart: {ns}")
sys.exit(1 if bad else 0)
PY
