#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: the figures that matter to an admin of large pmem hosts, each
# next to its reference measured in the same run (so that a shared
# machine's noise cancels out), as one table.  Not part of make check.
#
#   P2  realize cost against backend size and fragmentation: the native
#       resolver on Linux's NVDIMM driver (a TCG "dom0" with QEMU's NVDIMM)
#       for a large raw namespace and files of 1, 100 and 10 000 extents,
#       and the emulated device at 1 GiB, 64 GiB and 1 TiB next to QEMU's
#       own NVDIMM on the same file
#   P3  QEMU's resident memory against backend size, the same way
#   P4  label I/O through the guest's _DSM: xen-nvdimm against QEMU's own
#       NVDIMM with the same label size, in the same guest image
#   P1  hypercalls per mapping on real Xen, placed automatically and at a
#       GPA not congruent with the host address, against the lower bound,
#       and xl create's time against the same guest without the device:
#       devtools/xen/run.sh in its benchmark mode, once per suite of
#       BENCH_XEN_SUITE ("bookworm trixie" by default: the xen-nvdimm
#       build of Xen 4.17 with this tree's QEMU, from make xen-deb, and
#       Debian's stock Xen 4.20 with make deb's package), which also times
#       label I/O through the IOREQ server
#   P6  on each of those Xens, the memory type a guest's pmem mapping got
#       (a walk of the nested p2m from outside) against the goal, WB, and
#       what Xen's cache write-back cost when the mapping went
#   P5  a hostile guest's _DSM storm, emulated: host queries per second
#       for SMART and scrubs, and QEMU's main loop held by label writes
#
# BENCH_XEN=0 leaves the Xen part out (it takes about 10 minutes).
# The table goes to stdout and to build/bench/table.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/bench
rm -rf "$work"
mkdir -p "$work"
REPEAT=${BENCH_REPEAT:-5}
LABEL_LOOPS=${BENCH_LABEL_LOOPS:-50}

# --- P2 and P3, emulated: QEMU start-up and RSS, best of REPEAT.
log "P2/P3: the device model at 1 GiB, 64 GiB, 1 TiB (best of $REPEAT)"
/usr/bin/python3 "$TOP/devtools/bench/device-model.py" "$QEMU" "$work" \
    "$REPEAT" >"$work/device-model.txt"
rm -f "$work"/bench-*g.img

# --- P2, native: the resolver in a TCG dom0 on Linux's NVDIMM driver.
log "P2: the native resolver in a TCG dom0 (64 GiB namespace, files)"
mkdir -p "$work/dom0"
"$TOP/devtools/guest/resolver-tool.sh" "$work/dom0/xen-nvdimm-resolve"
"$TOP/devtools/guest/image.sh" "$work/dom0" \
    "$TOP/devtools/guest/bench-resolver/run.sh" "$work/dom0/xen-nvdimm-resolve"
truncate -s 64G "$work/big.img"
truncate -s 128M "$work/small.img"
"$TOP/devtools/guest/boot.sh" "$work/resolver.log" 1200 \
    -M pc,nvdimm=on -m 1G,slots=4,maxmem=70G \
    -object memory-backend-file,id=mem1,share=on,mem-path="$work/big.img",size=64G \
    -device nvdimm,id=nv1,memdev=mem1 \
    -object memory-backend-file,id=mem2,share=on,mem-path="$work/small.img",size=128M \
    -device nvdimm,id=nv2,memdev=mem2 \
    -kernel "$work/dom0/vmlinux" -initrd "$work/dom0/initrd.img" \
    -append "console=ttyS0 loglevel=3 panic=-1"
rm -f "$work/big.img" "$work/small.img"

# --- P4: label I/O, xen-nvdimm and QEMU's NVDIMM, in turn, twice.
log "P4: label I/O through the _DSM ($LABEL_LOOPS loops of each)"
mkdir -p "$work/labels"
"$TOP/devtools/guest/image.sh" "$work/labels" \
    "$TOP/devtools/guest/bench-labels/run.sh"
truncate -s 256M "$work/labels.img"
for round in 1 2 3; do
    for dev in xen-nvdimm nvdimm; do
        if [ $dev = xen-nvdimm ]; then
            devargs=(-M pc -m 1G
                     -object memory-backend-xen-pmem,id=pm0,size=256M,mem-path="$work/labels.img"
                     -device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K)
        else
            devargs=(-M pc,nvdimm=on -m 1G,slots=2,maxmem=2G
                     -object memory-backend-file,id=mem1,share=on,mem-path="$work/labels.img",size=256M
                     -device nvdimm,id=nv1,memdev=mem1,label-size=128K)
        fi
        "$TOP/devtools/guest/boot.sh" "$work/labels-$dev-$round.log" 900 \
            "${devargs[@]}" \
            -kernel "$work/labels/vmlinux" -initrd "$work/labels/initrd.img" \
            -append "console=ttyS0 loglevel=3 panic=-1 xtrepeat=$LABEL_LOOPS"
    done
done
rm -f "$work/labels.img"

# --- P5: what a hostile guest gets out of the host, emulated.
log "P5: a hostile guest's _DSM storm (SMART, scrubs, label writes)"
/usr/bin/python3 "$TOP/devtools/bench/hostile-guest.py" "$QEMU" "$work" 5 \
    >"$work/hostile.txt"

# --- P1, P4 and P6 on real Xen, nested under TCG: each suite's Xen.
rm -f "$work"/xen-*.txt
if [ "${BENCH_XEN:-1}" = 1 ]; then
    for xen_suite in ${BENCH_XEN_SUITE:-bookworm trixie}; do
        case $xen_suite in
            bookworm) "$TOP/devtools/xen-deb/build.sh" >/dev/null ;;
            trixie) "$TOP/devtools/deb/build.sh" >/dev/null ;;
        esac
        log "P1/P4/P6: real Xen ($xen_suite), nested"
        XEN_TEST_BENCH=1 "$TOP/devtools/xen/run.sh" "$xen_suite" >"$work/xen-$xen_suite.log" 2>&1 ||
            { tail -n 30 "$work/xen-$xen_suite.log"; die "the Xen benchmark ($xen_suite) failed"; }
        tr -d '\r' <"$BUILD/test-xen-$xen_suite-bench/serial.log" |
            sed -n 's/^BENCH //p' >"$work/xen-$xen_suite.txt"
    done
fi

kver=$(cat "$CACHE"/guest/kernel-*/version 2>/dev/null | head -n 1) || true
/usr/bin/python3 - "$work" "$("$QEMU" --version | head -n 1)" "$kver" \
    "$(uname -r)" "$TOP" <<'PY' | tee "$work/table.md"
import glob, re, statistics, sys
work, qemu, kernel, host, top = sys.argv[1:6]
rows = []
def row(pid, what, value, ref, ratio, goal, ok):
    rows.append((pid, what, value, ref, ratio, goal, ok))

# P2/P3 emulated
dm = {}
for l in open(f"{work}/device-model.txt"):
    _, _, size, variant, ms, rss, us = l.split()
    dm[(int(size), variant)] = (float(ms), int(rss), int(us))
for size in sorted({k[0] for k in dm}):
    g = f"{size >> 30} GiB"
    base_ms, base_rss, _ = dm[(size, "none")]
    x_ms, x_rss, x_us = dm[(size, "xen-nvdimm")]
    q_ms, q_rss, _ = dm[(size, "nvdimm")]
    row("P2", f"emulated device, {g}: QEMU start-up until QMP answers "
        f"(no NVDIMM: {base_ms:.1f} ms)", f"{x_ms:.1f} ms", f"QEMU's nvdimm {q_ms:.1f} ms",
        f"{x_ms / q_ms:.2f}x", "", None)
    row("P2", f"emulated device, {g}: realize as it traces it",
        f"{x_us / 1000:.2f} ms", "", "", "< 50 ms", 0 <= x_us < 50000)
    row("P3", f"emulated device, {g}: RSS less a QEMU without NVDIMM "
        f"({base_rss / 1024:.1f} MiB)", f"{(x_rss - base_rss) / 1024:.1f} MiB",
        f"QEMU's nvdimm {(q_rss - base_rss) / 1024:.1f} MiB",
        f"{(x_rss - base_rss) / max(q_rss - base_rss, 1):.2f}x", "", None)

# P2 native
log = [l.rstrip("\r\n") for l in open(f"{work}/resolver.log", errors="replace")]
times, case = {}, None
for l in log:
    if l.startswith("CASE "):
        case = l.split()[1]
    m = re.match(r"TIME extents (\d+) first_us (\d+) best_us (\d+) median_us (\d+)", l)
    if m and case:
        times[case] = (int(m[1]), int(m[3]), int(m[4]), int(m[2]))
    if l.startswith("error:") or l.startswith("FAILED"):
        print(f"resolver: {l}")
ref = times.get("file-one")
many = times.get("file-many")
for case in ("raw-namespace", "file-one", "file-hundred", "file-many"):
    if case not in times:
        row("P2", f"native realize, {case}", "not measured", "", "", "", False)
        continue
    n, best, med, first = times[case]
    goal = "< 1 s" if case == "file-many" else "< 50 ms" if n == 1 else ""
    ok = best < 1e6 if case == "file-many" else best < 5e4 if n == 1 else None
    what = ("native realize, 64 GiB raw namespace" if case == "raw-namespace"
            else f"native realize, ext4-DAX file of {n} extents")
    row("P2", what, f"{best / 1000:.2f} ms (median {med / 1000:.2f}; "
        f"{first / 1000:.1f} the first, setting up libndctl)",
        f"1 extent {ref[1] / 1000:.2f} ms" if ref else "",
        f"{best / ref[1]:.1f}x" if ref else "", goal, ok)
if ref and many and many[0] > 1:
    row("P2", "native realize: cost of each extent more (10 000 against 1)",
        f"{(many[1] - ref[1]) / (many[0] - 1):.1f} us", "", "", "linear", None)

# P4
ops = {}
for f in glob.glob(f"{work}/labels-*.log"):
    dev = f.split("labels-")[1].rsplit("-", 1)[0]
    for l in open(f, errors="replace"):
        m = re.match(r"LABELS (\S+) (\d+) ([0-9.]+)", l)
        if m:
            ops.setdefault((m[1], dev), []).append(float(m[3]) / int(m[2]))
for op in ("read-labels", "init-labels", "write-labels"):
    x, q = ops.get((op, "xen-nvdimm")), ops.get((op, "nvdimm"))
    if not x or not q:
        row("P4", f"label I/O, {op}", "not measured", "", "", "", False)
        continue
    xb, qb = min(x), min(q)
    row("P4", f"label I/O (TCG guest), ndctl {op} of 128 KiB",
        f"{xb * 1000:.0f} ms", f"QEMU's nvdimm {qb * 1000:.0f} ms",
        f"{xb / qb:.2f}x", "<= 1.0x", xb <= qb)

# P5
try:
    for l in open(f"{work}/hostile.txt"):
        f = l.rstrip("\n").split("\t")
        if f[0] == "ROW" and len(f) == 8:
            row(f[1], f[2], f[3], f[4], f[5], f[6],
                None if not f[7] else f[7] == "yes")
except OSError:
    row("P5", "hostile guest", "not measured", "", "", "", False)

# P1, P4 and P6 on real Xen, one run per suite
xinfos = []
for xen_file in sorted(glob.glob(f"{work}/xen-*.txt")):
    xen = {}
    for l in open(xen_file):
        k, _, v = l.strip().partition(" ")
        xen.setdefault(k, []).append(v)
    def xnum(key):
        """Every round's value of "GUEST.FIELD", guests named GUEST-ROUND."""
        base, field = key.split(".", 1)
        out = []
        for k, vs in xen.items():
            name, _, f = k.partition(".")
            if f == field and name.rsplit("-", 1)[0] == base:
                # (Xen's console may run into a line: take its number.)
                out += [float(m[0]) for m in (re.match(r"-?[0-9.]+", v) for v in vs) if m]
        return out
    if xen:
        xv = xen.get("xen", ["?"])[0]
        none_t, none_rss = xnum("xtbench-none.create_s"), xnum("xtbench-none.rss_kib")
        rss = {}
        for case, what in (("1g", "automatic placement"),
                           ("1g-offset", "GPA 1 MiB off congruence (addr=)"),
                           ("big", "the largest device, automatic placement")):
            calls, size = xnum(f"xtbench-{case}.mapping_calls"), xnum(f"xtbench-{case}.bytes")
            t, r = xnum(f"xtbench-{case}.create_s"), xnum(f"xtbench-{case}.rss_kib")
            if not calls or not size:
                row("P1", f"Xen {xv}: {what}", "not measured", "", "", "", False)
                continue
            data = (int(size[0]) - (128 << 10)) // (2 << 20) * (2 << 20)
            bound = -(-data // (128 << 20))
            c = int(min(calls))
            auto = case != "1g-offset"
            row("P1", f"Xen {xv}: memory_mapping calls, {data >> 20} MiB, {what}",
                f"{c}", f"lower bound ceil(size / 128 MiB) = {bound}",
                f"{c / bound:.1f}x", "= bound" if auto else "", c == bound if auto else None)
            ru = xnum(f"xtbench-{case}.realize_us")
            if ru:
                row("P2", f"native realize on Xen {xv} as the device traces it, "
                    f"{data >> 20} MiB, {what}", f"{min(ru) / 1000:.1f} ms", "", "",
                    "< 50 ms" if auto else "", min(ru) < 50000 if auto else None)
            if t and none_t:
                row("P1", f"Xen {xv}: xl create until the device is mapped, {data >> 20} MiB, {what}",
                    f"{min(t):.2f} s", f"the guest without it {min(none_t):.2f} s",
                    f"{min(t) / min(none_t):.2f}x", "", None)
            if r:
                rss[case] = (data, min(r))
        if "1g" in rss and "big" in rss and none_rss:
            (d1, r1), (db, rb) = rss["1g"], rss["big"]
            row("P3", f"native RSS of the device model (Xen {xv}): {d1 >> 20} MiB device, "
                f"less the guest without it", f"{(r1 - min(none_rss)) / 1024:.1f} MiB",
                "", "", "", None)
            row("P3", f"native RSS, {db >> 30} GiB device against the {d1 >> 20} MiB one",
                f"{(rb - r1) / 1024:+.1f} MiB", f"{d1 >> 20} MiB device {r1 / 1024:.1f} MiB",
                f"{rb / r1:.3f}x", "<= 1 MiB more", rb - r1 <= 1024)
        for v in xen.get("labels", []):
            op, n, secs = v.split()[:3]
            secs = re.match(r"[0-9.]+", secs)[0]
            tcg = ops.get((op, "xen-nvdimm"))
            row("P4", f"label I/O on Xen {xv} (nested), ndctl {op}, IOREQ round trips",
                f"{float(secs) / int(n) * 1000:.0f} ms",
                f"xen-nvdimm under TCG {min(tcg) * 1000:.0f} ms" if tcg else "",
                f"{float(secs) / int(n) / min(tcg):.2f}x" if tcg else "", "", None)
        for v in xen.get("failed", []):
            row("P4", f"label I/O on Xen: {v} failed", "", "", "", "", False)


    # P6: the memory type of the guest's data area, from the nested p2m walk.
    if xen:
        xv = xen.get("xen", ["?"])[0]
        for v in xen.get("xtbench-1g-1.memtype", []):
            f = dict(kv.split("=", 1) for kv in v.split() if "=" in kv)
            if "pcd" not in f:
                row("P6", f"Xen {xv}: memory type of the guest's pmem", "not measured",
                    "", "", "WB", False)
                continue
            leaves = int(f["leaves"])
            wb = (f["pcd"] == "0" and f["pwt"] == "0" and f["pat"] == "0" and leaves > 0
                  and f.get("missing") == "0")
            uc = f["pcd"] == str(leaves) and leaves > 0
            t = "WB" if wb else "UC-" if uc else "mixed"
            row("P6", f"Xen {xv}: memory type of a 1 GiB guest pmem mapping "
                f"(nested p2m walk: {leaves} leaves, {f.get('2m', '0')} of 2 MiB, "
                f"PCD on {f['pcd']}; guest PAT {f.get('gpat', '?')}; device cache="
                f"{f.get('cache', '?')})", t, "", "", "WB", wb)
        us = [int(u) for v in xen.get("xtbench-1g-1.writeback_us", []) for u in v.split()]
        if us:
            row("P6", f"Xen {xv}: caches written back after the write-back mapping went "
                f"({len(us)} WBINVD on every CPU, nested TCG)", f"{sum(us)} us", "", "", "", None)
        xinfos.append(f"Xen {xv} nested under TCG, dom0 kernel "
                      f"{xen.get('dom0_kernel', ['?'])[0]}, device model {xen.get('qemu', ['?'])[0]}")

xinfo = "".join(f"; {x}" for x in xinfos)
print(f"xen-nvdimm benchmark: QEMU {qemu}; guest kernel {kernel}; host kernel {host}{xinfo}")
print(f"command: make bench (devtools/bench.sh)")
print()
print("| | what | value | reference, same run | ratio | goal | met |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for pid, what, value, ref, ratio, goal, ok in rows:
    met = "" if ok is None else ("yes" if ok else "NO")
    print(f"| {pid} | {what} | {value} | {ref} | {ratio} | {goal} | {met} |")
PY
