#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen-nvdimm's SPA resolver against a real Linux NVDIMM driver: boot
# Debian's kernel under TCG with QEMU's stock -device nvdimm as the "dom0"
# pmem, run the resolver (hw/xen/xen-nvdimm-spa.c, linked unchanged) on raw,
# partition, plain-file, fsdax ext4/xfs and devdax backends, and check on
# this side that each pattern the guest wrote is in the backing file at the
# SPA the resolver gave, less the NVDIMM's base.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-resolver
rm -rf "$work"
mkdir -p "$work"

"$TOP/devtools/guest/resolver-tool.sh" "$work/xen-nvdimm-resolve"
"$TOP/devtools/guest/image.sh" "$work" "$work/xen-nvdimm-resolve" \
    "$TOP/devtools/guest/resolver/run.sh"
truncate -s 1G "$work/nv.img"
"$TOP/devtools/guest/boot.sh" "$work/serial.log" 600 \
    -M pc,nvdimm=on,nvdimm-persistence=cpu -m 2G,slots=2,maxmem=4G \
    -object memory-backend-file,id=mem1,share=on,mem-path="$work/nv.img",size=1G \
    -device nvdimm,id=nv1,memdev=mem1,label-size=128K \
    -kernel "$work/vmlinux" -initrd "$work/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1 memmap=128M!1G"

/usr/bin/python3 - "$work/serial.log" "$work/nv.img" <<'PY'
import re, sys
log = [l.rstrip("\r\n") for l in open(sys.argv[1], errors="replace")]
img = open(sys.argv[2], "rb")
base = size = None
cases, refusals, out, holds, attacks = {}, {}, {}, [], {}
for l in log:
    w = l.split(" ", 3)
    if w[0] == "REGION":
        base, size = int(w[1], 16), int(w[2])
    elif w[0] == "CASE":
        cases[w[1]] = (int(w[2], 16), w[3].encode())
    elif w[0] == "REFUSE":
        refusals[w[1]] = l.split(" ", 2)[2]
    elif w[0] == "HOLD":
        holds.append(w[1])
    elif w[0] == "ATTACK":
        attacks.setdefault(w[1], []).append((int(w[2]), w[3]))
    elif w[0] == "RESOLVE":
        out.setdefault(w[1], []).append(l.split(" ", 2)[2])
    elif l.startswith("FAILED"):
        sys.exit("guest: " + l)
if base is None:
    sys.exit("the guest reported no NVDIMM region")
bad = 0
for name, (off, pat) in cases.items():
    ext = [tuple(int(x, 16) for x in r.split()[1:]) for r in out.get(name, [])
           if r.startswith("extent ")]
    if not ext:
        print(f"FAIL {name}: resolver said {out.get(name)}")
        bad += 1
        continue
    # Every extent inside the NVDIMM's region: the driver's view held.
    outside = [e for e in ext if not (base <= e[1] and e[1] + e[2] <= base + size)]
    hit = [e for e in ext if e[0] <= off < e[0] + e[2]]
    if not hit or outside:
        print(f"FAIL {name}: offset {off:#x} is in none of the {len(ext)} "
              f"extent(s)" if not hit else
              f"FAIL {name}: extents outside the NVDIMM's region: {outside}")
        bad += 1
        continue
    spa = hit[0][1] + off - hit[0][0]
    img.seek(spa - base)
    got = img.read(len(pat))
    ok = got == pat
    if name == "fsdax-fragmented" and len(ext) < 2:
        print(f"FAIL {name}: the file was not fragmented")
        ok = False
    if name.startswith("fsdax-many") and len(ext) <= 256:
        print(f"FAIL {name}: {len(ext)} extents, not more than one FIEMAP call's 256")
        ok = False
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(ext)} extent(s), offset "
          f"{off:#x} -> SPA {spa:#x} -> nv.img {spa - base:#x}: {got!r}")
for name, want in refusals.items():
    said = " ".join(out.get(name, []))
    ok = said.startswith("error:") and want in said
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name} refused: {said}")
# Held: every attack failed, and the extents did not move.
for name in holds:
    lines = out.get(name, [])
    before = [r.split()[1:] for r in lines if r.startswith("extent ")]
    after = [r.split()[1:] for r in lines if r.startswith("after ")]
    got = attacks.get(name, [])
    through = [cmd for rc, cmd in got if rc == 0 and not cmd.startswith("?")]
    for cmd in through:
        print(f"FAIL {name}: '{cmd}' succeeded while the backend was held")
    ok = before and before == after and got and not through
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(got)} attack(s) refused, "
          f"{len(before)} extent(s) unmoved" if ok else
          f"FAIL {name}: resolver said {lines}")
# The control: xfs_fsr does move a fragmented file's blocks, if not held.
lines = out.get("xfs-control", [])
before = [r.split()[1:] for r in lines if r.startswith("extent ")]
after = [r.split()[1:] for r in lines if r.startswith("after ")]
ok = len(before) > 1 and after and before != after
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} xfs-control: xfs_fsr moved an unheld file "
      f"from {len(before)} to {len(after)} extent(s)")
# The disk's known bad media, at the host address of its sector 16.
ext = [tuple(int(x, 16) for x in r.split()[1:])
       for r in out.get("raw-badblocks", []) if r.startswith("extent ")]
bb = [tuple(int(x, 16) for x in r.split()[1:])
      for r in out.get("raw-badblocks", []) if r.startswith("bad ")]
ok = len(ext) == 1 and bb == [(ext[0][1] + 16 * 512, ext[0][1] + 24 * 512)]
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} raw-badblocks: bad ranges {bb}, "
      f"extents {ext}")
# What a guest with the disk at GUEST_BASE is told: backend offsets there.
GUEST_BASE = 0x10000000000
def lines_of(name, kind):
    return [tuple(int(x, 16) for x in r.split()[1:])
            for r in out.get(name, []) if r.startswith(kind + " ")]
gb = lines_of("raw-badblocks", "guest")
ok = gb == [(GUEST_BASE + 16 * 512, 8 * 512)]
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} raw-badblocks: a guest is told {gb}")
# QEMU's NVDIMM has no SMART: no health, so none offered to a guest.
hl = [r for r in out.get("raw-badblocks", []) if r.startswith("health")]
ok = hl == ["health none"]
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} raw-badblocks: the host's health: {hl}")
# QEMU's nvdimm-persistence=cpu: the region's persistence domain, read back.
pl = [r for r in out.get("raw-badblocks", []) if r.startswith("persistence")]
ok = pl == ["persistence cpu_cache"]
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} raw-badblocks: the host's persistence "
      f"domain: {pl}")
# Sectors that go bad while the disk is held are found when read again.
later = "raw-badblocks-later"
b0, b1 = lines_of(later, "bad"), lines_of(later, "after-bad")
g1 = sorted(lines_of(later, "after-guest"))
ok = (len(b0) == 1 and len(b1) == 2 and b0[0] in b1 and
      g1 == [(GUEST_BASE + 16 * 512, 8 * 512), (GUEST_BASE + 40 * 512, 8 * 512)])
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} {later}: bad {b0} then {b1}, "
      f"a guest is told {g1}")
# Label writes through a pinned file: refused on ext4 (xen-nvdimm refuses
# labels there), through and still pinned on XFS.
pe, px = out.get("ext4-pinwrite", []), out.get("xfs-pinwrite", [])
ok = (any(l.startswith("labels refused: /mnt/ext4/a is on ext4") for l in pe)
      and "pinwrite failed: Operation not permitted" in pe and "pinned 1" in pe)
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} ext4-pinwrite: {pe}")
ok = ("labels allowed" in px and "pinwrite ok" in px and "pinned 1" in px
      and "read XTLABEL-xfs" in px)
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} xfs-pinwrite: {px}")
# A reader of the file makes the pin fail, and leaves the file unpinned.
rd = out.get("ext4-reader", [])
ok = (any(l.startswith("error: cannot pin /mnt/ext4/b: cannot take a write "
                       "lease: Resource temporarily unavailable") for l in rd)
      and "writable after" in rd)
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} ext4-reader: {rd}")
# Writers racing the pin never hold a writable descriptor of a pinned file.
for fs in ("ext4", "xfs"):
    race = out.get(f"{fs}-pin-race", [])
    held = [l for l in race if l.startswith("WRITERS ")]
    ok = (len(race) == 20 and held and all(l == "WRITERS 0" for l in held)
          and all(l.startswith("WRITERS ") or "cannot pin" in l
                  or "opened the file while it was being pinned" in l
                  for l in race))
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {fs}-pin-race: {len(held)} of "
          f"{len(race)} pins held, other writers then: "
          f"{sorted(set(held))}; the rest refused: "
          f"{sorted(set(l for l in race if not l.startswith('WRITERS')))}")
# A writer that got in while the pin's lease was breaking: the pin fails.
race = out.get("plain-pin-race", [])
caught = [l for l in race if "opened the file while it was being pinned" in l]
slipped = [l for l in race if l.startswith("WRITERS ") and l != "WRITERS 0"]
ok = caught and not slipped
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'} plain-pin-race: {len(caught)} pin(s) "
      f"refused a writer that opened the file during the lease, "
      f"{len(slipped)} held with one: {race}")
expected = {"raw", "partition", "file-nodax", "fsdax-ext4", "fsdax-blockdev",
            "fsdax-fragmented", "fsdax-xfs", "devdax", "raw-badblocks",
            "fsdax-many-first", "fsdax-many-256th", "fsdax-many-257th",
            "fsdax-many-last"}
if set(cases) != expected:
    print(f"FAIL cases run: {sorted(cases)}")
    bad += 1
want = {"short-file", "hole", "unwritten", "fsdax-mounted", "sector",
        "tmpfs", "legacy-pmem", "vfat-file"}
if set(refusals) != want:
    print(f"FAIL refusals run: {sorted(refusals)}")
    bad += 1
if set(holds) != {"raw-held", "ext4-file-held", "xfs-file-held"}:
    print(f"FAIL holds run: {holds}")
    bad += 1
sys.exit(1 if bad else 0)
PY
