#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the host knows of its media reaches a Linux guest, in emulated mode:
# the emulated host's bad sectors (x-emu-badblocks) through the address
# range scrub, at boot and, for a range the host adds while the guest runs,
# by itself (QEMU raises GPE 4, Linux scrubs), and its DIMMs' health
# (x-emu-health) through
# SMART.  The guest's ndctl, its pmem driver (reads of bad sectors fail)
# and PMDK's libpmem2 (device id and unsafe shutdown count) are asked.
# QEMU is then restarted with the same configuration, one more unsafe
# shutdown on the host: libpmem2 must see the same id and the new count.
# The host's persistence domain (x-emu-persistence) reaches the guest's
# regions and decides libpmem2's store granularity: the CPU caches for
# both devices at boot 1, nothing for one of them at boot 2.
# Then such a guest plays dom0 for xen-nvdimm's resolver, which must find
# the media errors, health and persistence domain (the memory controller)
# through the Linux driver and libndctl.  Last, such a guest is the host of
# QEMU's own NVDIMM (-device nvdimm on its device-dax), whose Linux guest
# must learn the same media errors and health.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/test-media
rm -rf "$work"
mkdir -p "$work"
BAD=40960           # backend sectors of nv0 the host knows bad at boot
NEW=8192            # ... and the one it finds while the guest runs
NEW_DOM0=16384      # ... and while the resolver's dom0 watches
ADMIN_DOM0=24576    # ... and that dom0's admin marks bad through sysfs

cc -Wall -O2 -o "$work/pmem2-usc" "$TOP/devtools/guest/pmem2-usc.c" -lpmem2
"$TOP/devtools/guest/image.sh" "$work" "$TOP/devtools/guest/media/run.sh" \
    "$TOP/devtools/guest/nd-lib.sh" \
    "$work/pmem2-usc"
truncate -s 64M "$work/pmem0.img"
truncate -s 256M "$work/pmem1.img"
echo "$BAD 8" >"$work/badblocks0"
printf 'health non-critical\nspares 64\nlife-used 7\ntemperature 41\nshutdown-count 3\nshutdown-state clean\n' \
    >"$work/health0"

boot() {
    local n=$1 persist0=$2 persist1=$3 watcher
    # The host "finds" sector NEW bad once the guest is ready to scrub.
    (
        while ! grep -qs '^MEDIA-ADD-NOW' "$work/serial$n.log"; do
            sleep 1
        done
        echo "$NEW 8" >>"$work/badblocks0"
    ) &
    watcher=$!
    "$TOP/devtools/guest/boot.sh" "$work/serial$n.log" 900 \
        -M pc -m 1G \
        -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$work/pmem0.img" \
        -object memory-backend-xen-pmem,id=pm1,size=256M,mem-path="$work/pmem1.img" \
        -device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-extent-size=16M,x-emu-badblocks="$work/badblocks0",x-emu-health="$work/health0"$persist0 \
        -device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-health="$work/health1"$persist1 \
        -trace "enable=xen_nvdimm_place,file=$work/trace$n.log" \
        -trace "enable=nvdimm_ars_*,file=$work/trace$n.log" \
        -trace "enable=xen_nvdimm_event_*,file=$work/trace$n.log" \
        -kernel "$work/vmlinux" -initrd "$work/initrd.img" \
        -append "console=ttyS0 loglevel=3 panic=-1 xtboot=$n xtbad=$BAD xtnew=$NEW"
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
}

# Boot 1: the host's second DIMM has had 17 unsafe shutdowns.
printf 'health ok\nspares 95\nlife-used 1\ntemperature 30\nshutdown-count 17\nshutdown-state dirty\n' \
    >"$work/health1"
boot 1 ,x-emu-persistence=cpu_cache ,x-emu-persistence=cpu_cache
# Boot 2: one more unsafe shutdown on the host; nv0's host now says nothing
# of its persistence domain.
sed -i 's/^shutdown-count 17$/shutdown-count 18/' "$work/health1"
echo "$BAD 8" >"$work/badblocks0"
boot 2 "" ,x-emu-persistence=cpu_cache

# Boot 3: the resolver in a "dom0" whose NVDIMM is such a device; the
# host finds sector NEW_DOM0 bad once the dom0 watches.
mkdir -p "$work/dom0"
(
    while ! grep -qs '^WATCH-READY' "$work/serial3.log"; do
        sleep 1
    done
    echo "$NEW_DOM0 8" >>"$work/badblocks0"
) &
watcher=$!
"$TOP/devtools/guest/resolver-tool.sh" "$work/dom0/xen-nvdimm-resolve"
"$TOP/devtools/guest/image.sh" "$work/dom0" "$TOP/devtools/guest/media-dom0/run.sh" \
    "$work/dom0/xen-nvdimm-resolve"
"$TOP/devtools/guest/boot.sh" "$work/serial3.log" 600 \
    -M pc -m 1G \
    -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$work/pmem0.img" \
    -device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-badblocks="$work/badblocks0",x-emu-health="$work/health0",x-emu-persistence=memory_controller \
    -kernel "$work/dom0/vmlinux" -initrd "$work/dom0/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1 xtadmin=$ADMIN_DOM0"
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true

# Boot 4: QEMU's own NVDIMM in such a host.  This guest makes its first
# pmem a device-dax with two bad ranges known, and its second an ext4 DAX
# filesystem with a file, one block of which its admin marks bad; it runs
# this tree's QEMU (TCG in TCG) with -device nvdimm on both: that QEMU's
# guest must learn the ranges and the health through the _DSM, as
# xen-nvdimm's guests do.
printf '%s 8\n%s 8\n' "$BAD" "$NEW_DOM0" >"$work/badblocks4"
printf 'health ok\nspares 95\nlife-used 1\ntemperature 30\nshutdown-count 17\nshutdown-state dirty\n' \
    >"$work/health4"
truncate -s 64M "$work/pmem4.img"
truncate -s 128M "$work/pmem4b.img"
mkdir -p "$work/nvguest" "$work/nvhost/files"
GUEST_FS=no "$TOP/devtools/guest/image.sh" "$work/nvguest" \
    "$TOP/devtools/guest/nvdimm-guest/run.sh"
strip -o "$work/nvhost/files/qemu-system-x86_64" "$QEMU"
fw=$QBUILD/qemu-bundle/usr/local/share/qemu
cp -L /usr/share/seabios/bios-256k.bin "$fw/pvh.bin" "$fw/linuxboot_dma.bin" \
    "$fw/kvmvapic.bin" "$work/nvhost/files/"
cp /usr/sbin/filefrag "$work/nvhost/files/"
"$TOP/devtools/guest/image.sh" "$work/nvhost" \
    "$TOP/devtools/guest/nvdimm-host/run.sh" "$work"/nvhost/files/* \
    "$work/nvguest/vmlinux" "$work/nvguest/initrd.img"
# TCG in TCG is slow, and slower on a busy machine: limits that only a hang
# reaches.
"$TOP/devtools/guest/boot.sh" "$work/serial4.log" 1800 \
    -M pc -m 1G \
    -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$work/pmem4.img" \
    -device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-badblocks="$work/badblocks4",x-emu-health="$work/health0" \
    -object memory-backend-xen-pmem,id=pm1,size=128M,mem-path="$work/pmem4b.img" \
    -device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-health="$work/health4" \
    -kernel "$work/nvhost/vmlinux" -initrd "$work/nvhost/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1"

/usr/bin/python3 - "$work" "$BAD" "$NEW" "$NEW_DOM0" "$ADMIN_DOM0" <<'PY'
import json, re, sys
work, bad_sector, new_sector = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
new_dom0, admin_dom0 = int(sys.argv[4]), int(sys.argv[5])
fails = 0
def check(ok, what):
    global fails
    fails += not ok
    print(("ok   " if ok else "FAIL ") + what)
def lines(n):
    return [l.rstrip("\r\n") for l in open(f"{work}/serial{n}.log", errors="replace")]
def field(log, key):
    return [l[len(key) + 1:] for l in log if l.startswith(key + " ")]
def as_list(j):
    return j if isinstance(j, list) else [j]

for n in (1, 2):
    log = lines(n)
    print(f"--- boot {n}")
    dimms = {}
    for text in field(log, "JSON-DH"):
        for d in as_list(json.loads(text)):
            dimms[d.get("handle")] = d
    h1, h2 = dimms.get(1, {}).get("health", {}), dimms.get(2, {}).get("health", {})
    want1 = {"health_state": "non-critical", "temperature_celsius": 41.0,
             "spares_percentage": 64, "life_used_percentage": 7,
             "shutdown_state": "clean", "shutdown_count": 3}
    want2 = {"health_state": "ok", "temperature_celsius": 30.0,
             "spares_percentage": 95, "life_used_percentage": 1,
             "shutdown_state": "dirty", "shutdown_count": 16 + n}
    for h, want, name in ((h1, want1, "nmem of handle 1"), (h2, want2, "nmem of handle 2")):
        got = {k: h.get(k) for k in want}
        check(got == want, f"ndctl list -DH, {name}: {got}")
    dirty = {}
    for l in log:
        m = re.match(r"DIMM handle=(\S+) id=(\S+) dirty_shutdown=(\S+)", l)
        if m:
            dirty[m[1]] = (m[2], m[3])
    check(dirty.get("0x2", ("", ""))[1] == str(16 + n),
          f"the kernel's nfit/dirty_shutdown of handle 2 is the host's count: {dirty.get('0x2')}")
    pm = [re.match(r"PMEM2 id=(\S+) usc=(\d+) granularity=(\S+)$", l) for l in log if l.startswith("PMEM2")]
    pm = [m for m in pm if m]
    err = [l for l in log if l.startswith("PMEM2-ERROR") or l.startswith("FAILED")]
    check(not err, f"no errors in the guest: {err}")
    check(len(pm) == 1 and int(pm[0][2]) == 16 + n,
          f"libpmem2's unsafe shutdown count is the host's ({16 + n}): {[m[0] for m in pm]}")
    if pm:
        check(pm[0][1] == dirty.get("0x2", ("?",))[0],
              f"libpmem2's device id is the DIMM's NFIT id: {pm[0][1]}")
        globals()[f"pmem2_id_{n}"] = pm[0][1]
    # The NFIT's persistence domain: eADR for both at boot 1, none at boot 2.
    want, gran = ("cpu_cache", "byte") if n == 1 else ("", "cache-line")
    regions = [l.split()[1:] for l in log if l.startswith("PERSIST ")]
    check(len(regions) == 2 and all(r[1] == "domain=" + want for r in regions),
          f"every guest region's persistence_domain is '{want}': {regions}")
    check(len(pm) == 1 and pm[0][3] == gran,
          f"so libpmem2's store granularity (pmem2_auto_flush()) is {gran}: "
          f"{[m[0] for m in pm]}")

    if n != 1:
        continue
    def badblocks(key):
        out = []
        for text in field(log, key):
            for ns in as_list(json.loads(text)):
                for b in ns.get("badblocks", []):
                    out.append((ns.get("blockdev"), b["offset"], b["length"]))
        return out
    baddev = field(log, "BADDEV")
    boot_bb = badblocks("JSON-NM-BOOT")
    check(boot_bb == [(baddev[0] if baddev else None, bad_sector, 8)],
          f"ndctl list --media-errors at boot: the host's sectors {bad_sector}+8 of nv0, nowhere else: {boot_bb}")
    reads = {int(m[1]): (m[2], m[3]) for m in (re.match(r"READ (\d+) rc=(\d+) ?(.*)", l) for l in log) if m}
    r = reads.get(bad_sector, ("?", ""))
    check(r[0] != "0" and "Input/output error" in r[1],
          f"reading bad sector {bad_sector} fails with an I/O error: {r}")
    r = reads.get(bad_sector + 20000, ("?", ""))
    check(r[0] == "0", f"reading good sector {bad_sector + 20000} works: {r}")
    scrub_bb = badblocks("JSON-NM-SCRUB")
    check(sorted(scrub_bb) == sorted([(baddev[0], new_sector, 8), (baddev[0], bad_sector, 8)]),
          f"with no scrub command in the guest, the sectors the host found later too "
          f"({field(log, 'PUSHED')}): {scrub_bb}")
    r = reads.get(new_sector, ("?", ""))
    check(r[0] != "0" and "Input/output error" in r[1],
          f"reading newly bad sector {new_sector} fails with an I/O error: {r}")
    # QEMU's records were guest addresses inside nv0, never host ones.
    place = {}
    trace = open(f"{work}/trace1.log").read()
    for m in re.finditer(r"xen_nvdimm_place (\w+): gpa (0x[0-9a-f]+) size (0x[0-9a-f]+)", trace):
        place[m[1]] = (int(m[2], 16), int(m[3], 16))
    starts = [(int(m[1], 16), int(m[2], 16), int(m[3])) for m in
              re.finditer(r"nvdimm_ars_start handle (0x[0-9a-f]+): (0x[0-9a-f]+)\+0x[0-9a-f]+: (\d+) bad", trace)]
    gpa0 = place.get("pm0", (None,))[0]
    check(any(h == 1 and a == gpa0 and k == 2 for h, a, k in starts),
          f"a scrub of nv0 at its guest address {gpa0:#x} found two ranges: {starts}")
    sent = re.findall(r"xen_nvdimm_event_sent GPE 4 for events (0x[0-9a-f]+)", trace)
    took = re.findall(r"xen_nvdimm_event_read the guest took events (0x[0-9a-f]+)", trace)
    check(sent[:1] == ["0x2"] and took[:1] == ["0x2"],
          f"QEMU raised GPE 4 for the media event and the guest's _E04 took it: "
          f"sent {sent}, taken {took}")

print("--- boot 3: the resolver in a dom0 with such an NVDIMM")
log = lines(3)
res = [l.split(" ", 1)[1] for l in log if l.startswith("RESOLVE ")]
region = int(field(log, "REGION")[0], 16) if field(log, "REGION") else None
ext = [tuple(int(x, 16) for x in r.split()[1:]) for r in res if r.startswith("extent ")]
hbad = {tuple(int(x, 16) for x in r.split()[1:]) for r in res if r.startswith("bad ")}
gbad = {tuple(int(x, 16) for x in r.split()[1:]) for r in res if r.startswith("guest ")}
check(len(ext) == 1 and ext[0][:2] == (0, region),
      f"one extent at the region's base {region and hex(region)}: {ext}")
check(hbad == {(region + bad_sector * 512, region + (bad_sector + 8) * 512)},
      f"the driver's media errors (from the scrub) at their host address: {hbad}")
check(gbad == {(0x10000000000 + bad_sector * 512, 8 * 512)},
      f"and where a guest would be told they are: {gbad}")
hl = [r for r in res if r.startswith("health")]
check(hl == ["health flags=0x42f health=1 spares=64 life=7 temp=0x290 usc=3 state=0"],
      f"the DIMM's SMART health through libndctl: {hl}")
check(not [r for r in res if r.startswith("error")], "the resolver found no error")
check(field(log, "PERSIST") == ["memory_controller"],
      f"the dom0's region says the memory controller: {field(log, 'PERSIST')}")
pl = [r for r in res if r.startswith("persistence")]
check(pl == ["persistence memory_controller"],
      f"and libndctl reads that for the backend: {pl}")
watch = field(log, "WATCH")
wbad = {tuple(int(x, 16) for x in w.split()[1:]) for w in watch if w.startswith("after-bad ")}
want = {(region + s * 512, region + (s + 8) * 512) for s in (bad_sector, new_dom0)} if region else None
check(watch[:1] == ["watching 2 lists"]
      and any(re.match(r"changed after \d+ s$", w) for w in watch)
      and "quiet after rearm" in watch and wbad == want,
      f"xen-nvdimm's watch of the disk's and region's lists saw the range the host "
      f"found while it watched, with nothing asked in dom0: {watch}")
watch2 = field(log, "WATCH2")
wbad2 = {tuple(int(x, 16) for x in w.split()[1:]) for w in watch2 if w.startswith("after-bad ")}
want2 = want | {(region + admin_dom0 * 512, region + (admin_dom0 + 8) * 512)} if region else None
check(watch2[:1] == ["watching 2 lists"]
      and any(re.match(r"changed after \d+ s$", w) for w in watch2)
      and "quiet after rearm" in watch2 and wbad2 == want2,
      f"and the range dom0's admin wrote to the disk's list, which the kernel does not "
      f"flag for poll(): {watch2}")

print("--- boot 4: QEMU's own NVDIMM on that host's device-dax and on a file on its DAX filesystem")
log = lines(4)
fails_before_4 = fails
guest = [l[2:] for l in log if l.startswith("G ")]
trace4 = [l[2:] for l in log if l.startswith("T ")]
check(not [l for l in log if l.startswith("FAILED")], f"the host set up its pmem: {[l for l in log if l.startswith('FAILED')]}")
region = int(field(log, "REGION")[0], 16) if field(log, "REGION") else 0
dax = [int(x, 0) for x in field(log, "DAX")[0].split()] if field(log, "DAX") else [0, 0]
skip = (dax[0] - region) // 512   # the device-dax's data starts here
want_host = {bad_sector, new_dom0}
host_bad = {int(x) for x in field(log, "HOST-BAD")[0].split()[0::2]} if field(log, "HOST-BAD") else set()
check(host_bad == want_host,
      f"the host's first region lists sectors {sorted(want_host)} bad: {field(log, 'HOST-BAD')}")
file_line = field(log, "FILE")
first = re.search(r"first-block=(\d+) bad=(\d+) 8", file_line[0]) if file_line else None
check(first is not None and int(first[2]) == (int(first[1]) + 8) * 8,
      f"its admin marked the disk sectors of the file's block 8 bad: {file_line}")
size_dax, size_file = dax[1] // (2 << 20) * (2 << 20), 32 << 20
want = {size_dax: {(s - skip, 8) for s in want_host}, size_file: {(64, 8)}}
got = {}
for text in field(guest, "JSON-NM"):
    for ns in as_list(json.loads(text)):
        got[ns.get("size")] = (ns.get("blockdev"), {(b["offset"], b["length"]) for b in ns.get("badblocks", [])})
check(skip > 0 and got.get(size_dax, (None, set()))[1] == want[size_dax],
      f"the guest's ndctl list --media-errors, device-dax NVDIMM: the host's sectors, less the "
      f"device-dax's {skip} sectors of metadata: {got.get(size_dax)}, want {sorted(want[size_dax])}")
check(got.get(size_file, (None, set()))[1] == want[size_file],
      f"and the file's NVDIMM: its block 8, sectors 64+8: {got.get(size_file)}")
reads = {(m[1], int(m[2])): (m[3], m[4]) for m in
         (re.match(r"READ (\S+) (\d+) rc=(\d+) ?(.*)", l) for l in guest) if m}
for size in (size_dax, size_file):
    dev = got.get(size, (None,))[0]
    for s, _ in sorted(want[size]):
        r, ok = reads.get((dev, s), ("?", "")), reads.get((dev, s + 1000), ("?", ""))
        check(r[0] not in ("0", "?") and "Input/output error" in r[1],
              f"the guest's read of bad sector {s} of {dev} fails with an I/O error: {r}")
        check(ok[0] == "0", f"and of sector {s + 1000} works: {ok}")
dh = {}
for text in field(guest, "JSON-DH"):
    for d in as_list(json.loads(text)):
        dh[d.get("handle")] = d.get("health", {})
want_h = {1: {"health_state": "non-critical", "temperature_celsius": 41.0,
              "spares_percentage": 64, "life_used_percentage": 7,
              "shutdown_state": "clean", "shutdown_count": 3},
          2: {"health_state": "ok", "temperature_celsius": 30.0,
              "spares_percentage": 95, "life_used_percentage": 1,
              "shutdown_state": "dirty", "shutdown_count": 17}}
for h, w in want_h.items():
    got_h = {k: dh.get(h, {}).get(k) for k in w}
    check(got_h == w, f"the guest's ndctl list -DH, NVDIMM of handle {h}: its host DIMM's health: {got_h}")
opened = [l for l in trace4 if "nvdimm_media_open" in l]
for b in ("m0", "m1"):
    check(any(re.search(b + r": host pmem, \d+ extents, \d+ lists of bad sectors, health 1", l)
              for l in opened),
          f"QEMU found backend {b} in host pmem through the host's driver: {opened}")
starts = {(m[1], int(m[2])) for m in
          (re.search(r"nvdimm_ars_start handle (0x[0-9a-f]+): 0x[0-9a-f]+\+0x[0-9a-f]+: (\d+) bad", l)
           for l in trace4) if m}
check(("0x1", 2) in starts and ("0x2", 1) in starts,
      f"and its scrubs found the ranges, two and one: {sorted(starts)}")
check(any(l.startswith("@@@ END rc=0") for l in guest),
      f"the guest ran its test: {[l for l in guest if l.startswith('@@@')]}")
if fails > fails_before_4:
    print("boot 4's console (G: its guest, T: its QEMU's trace), the last 150 lines:")
    print("\n".join(log[-150:]))

check(globals().get("pmem2_id_1") is not None and
      globals().get("pmem2_id_1") == globals().get("pmem2_id_2"),
      f"libpmem2's device id is the same after QEMU restarts: "
      f"{globals().get('pmem2_id_1')} {globals().get('pmem2_id_2')}")
print(f"{fails} failed")
sys.exit(1 if fails else 0)
PY
