#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# P2 and P3 of the benchmark in emulated mode: what a xen-nvdimm costs
# QEMU at start-up (realize) and in resident memory, against backend size,
# next to QEMU's own -device nvdimm on the same backing file and a QEMU
# with no NVDIMM, all measured in this run, interleaved, best of N.
#
#   device-model.py QEMU WORKDIR [REPEAT]
#
# Prints "ROW startup size variant ms rss_kib realize_us" lines for
# bench.sh: the start-up time until QMP answers a command, the RSS then, and for
# xen-nvdimm its realize as it traces it (xen_nvdimm_realized).
import json, os, re, socket, subprocess, sys, time

qemu, work = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5
GiB = 1 << 30
sizes = [1 * GiB, 64 * GiB, 1024 * GiB]


def backing(size):
    path = f"{work}/bench-{size >> 30}g.img"
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path, "wb") as f:
            f.truncate(size)
    return path


def args(variant, size):
    # (46 physical address bits: QEMU's NVDIMM of 1 TiB sits above 1 TiB.)
    base = ["-machine", "pc", "-accel", "qtest", "-nodefaults",
            "-cpu", "qemu64,phys-bits=46", "-display", "none", "-S"]
    if variant == "none":
        return base + ["-m", "256M"]
    path = backing(size)
    if variant == "xen-nvdimm":
        return base + ["-m", "256M",
                       "-object", f"memory-backend-xen-pmem,id=pm0,size={size},mem-path={path}",
                       "-device", "xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K",
                       "-trace", "xen_nvdimm_realized"]
    # QEMU's own NVDIMM: the backend mapped shared, as one would configure it.
    return ["-machine", "pc,nvdimm=on", "-accel", "qtest", "-nodefaults",
            "-cpu", "qemu64,phys-bits=46", "-display", "none", "-S",
            "-m", f"256M,slots=2,maxmem={size + 1 * GiB}",
            "-object", f"memory-backend-file,id=mem1,share=on,mem-path={path},size={size}",
            "-device", "nvdimm,id=nv1,memdev=mem1,label-size=128K"]


def qmp(sock, cmd):
    sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
    buf = b""
    while True:
        buf += sock.recv(65536)
        for line in buf.split(b"\n"):
            if line.strip():
                msg = json.loads(line)
                if "return" in msg or "error" in msg:
                    return msg


def one(variant, size):
    path = f"{work}/qmp.sock"
    if os.path.exists(path):
        os.unlink(path)
    t0 = time.monotonic()
    p = subprocess.Popen([qemu] + args(variant, size) +
                         ["-qmp", f"unix:{path},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    s = socket.socket(socket.AF_UNIX)
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if p.poll() is not None:
                sys.exit(f"{variant} {size}: QEMU exited: {p.stderr.read().decode()}")
            time.sleep(0.001)
    greeting = s.recv(65536)
    while not greeting.endswith(b"\n"):
        greeting += s.recv(65536)
    # The greeting comes from the monitor's own thread, maybe before the
    # devices are realized; a command's reply comes from the main loop,
    # which runs once they all are.
    qmp(s, "qmp_capabilities")
    ready = time.monotonic() - t0
    rss = int(next(l.split()[1] for l in open(f"/proc/{p.pid}/status")
                   if l.startswith("VmRSS:")))
    qmp(s, "quit")
    p.wait()
    m = re.search(r"xen_nvdimm_realized pm0: .* in (\d+) us", p.stderr.read().decode())
    return ready * 1000, rss, int(m[1]) if m else -1


best = {}
for _ in range(repeat):
    for size in sizes:
        for variant in ("none", "xen-nvdimm", "nvdimm"):
            ms, rss, us = one(variant, size)
            k = (size, variant)
            old = best.get(k, (1e9, 1 << 60, 1 << 60))
            best[k] = (min(old[0], ms), min(old[1], rss), min(old[2], us))
for (size, variant), (ms, rss, us) in sorted(best.items()):
    print(f"ROW startup {size} {variant} {ms:.1f} {rss} {us}")
