#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# P5 of the benchmark, emulated mode: how much host work a hostile guest
# gets out of xen-nvdimm.  A qtest client plays the guest and calls the
# _DSM as fast as it can for a few seconds: SMART health on one device,
# Start ARS, and 4 KiB label writes spread over four labelled devices.
# Each call's round trip is QEMU's main loop held by that guest; the
# round trip of a call that does no host work (function 0) is the floor.
# The trace counts what QEMU asked of the host.
#
#   hostile-guest.py QEMU WORKDIR [SECONDS]
#
# Prints "ROW<TAB>id<TAB>what<TAB>value<TAB>reference<TAB>ratio<TAB>goal<TAB>met"
# lines for bench.sh (met: yes, NO or empty).
import os, socket, struct, subprocess, sys, time

qemu, work = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
DSM, NOTIFY = 0xFE400000, 0xFE401000
DEVICES = 4
MiB = 1 << 20


class Qtest:
    """QEMU's qtest protocol over a Unix socket QEMU connects to."""

    def __init__(self, args, trace):
        path = f"{work}/hostile-qtest.sock"
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(path)
        srv.listen(1)
        self.proc = subprocess.Popen(
            [qemu, "-machine", "pc", "-accel", "qtest", "-nodefaults",
             "-display", "none", "-m", "256M", "-qtest", f"unix:{path}",
             "-qtest-log", "/dev/null",
             "-trace", f"enable=xen_nvdimm_*,file={trace}"] + args,
            stdout=subprocess.DEVNULL)
        srv.settimeout(60)
        self.sock, _ = srv.accept()
        srv.close()
        self.f = self.sock.makefile("rwb", buffering=0)

    def cmd(self, line):
        self.f.write(line.encode() + b"\n")
        while True:
            r = self.f.readline().decode().strip()
            if r.startswith("OK") or r.startswith("FAIL"):
                return r

    def write(self, addr, data):
        self.cmd(f"write 0x{addr:x} {len(data)} 0x{data.hex()}")

    def readl(self, addr):
        return int(self.cmd(f"readl 0x{addr:x}").split()[1], 16)

    def quit(self):
        self.sock.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)


def dsm(q, handle, function, arg=b""):
    """One _DSM call as the guest's AML makes it; returns the status."""
    q.write(DSM, struct.pack("<III", handle, 1, function) + arg)
    t0 = time.perf_counter()
    q.cmd(f"writel 0x{NOTIFY:x} 0x{DSM:x}")
    dt = time.perf_counter() - t0
    q.readl(DSM)
    return q.readl(DSM + 4), dt


def hammer(q, seconds, call):
    """Call as fast as possible; returns (calls, seconds held past the floor)."""
    n, held, end = 0, [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        held.append(call(n))
        n += 1
    return n, held


def run():
    files, args = [], []
    for i in range(DEVICES):
        path = f"{work}/hostile-{i}.img"
        with open(path, "wb") as f:
            f.truncate(64 * MiB)
        files.append(path)
        args += ["-object", f"memory-backend-xen-pmem,id=pm{i},size=64M,mem-path={path}",
                 "-device", f"xen-nvdimm-emu,id=nv{i},memdev=pm{i},label-size=128K"]
    health = f"{work}/hostile.health"
    with open(health, "w") as f:
        f.write("health ok\nspares 90\nlife-used 3\ntemperature 40\n"
                "shutdown-count 1\nshutdown-state clean\n")
    bad = f"{work}/hostile.badblocks"
    with open(bad, "w") as f:
        f.write("2048 8\n")
    args[3] += f",x-emu-health={health},x-emu-badblocks={bad}"
    trace = f"{work}/hostile-trace.log"
    q = Qtest(args, trace)
    # The guest address of device 0, from its trace, for the scrub's range.
    gpa = None
    for _ in range(100):
        for l in open(trace, errors="replace"):
            if l.startswith("xen_nvdimm_place pm0:") or " xen_nvdimm_place pm0:" in l:
                gpa = int(l.split(" gpa ")[1].split()[0], 16)
        if gpa:
            break
        time.sleep(0.05)

    floor = sorted(dsm(q, 1, 0)[1] for _ in range(200))[100]
    rows = []

    def report(what, calls, times, asked_key, reused_key):
        held = sum(max(0.0, t - floor) for t in times) / seconds
        text = open(trace, errors="replace").read()
        asked = text.count(asked_key) - (text.count(reused_key)
                                         if reused_key else 0)
        # Once a second, and once more for the first call.
        goal_per_s = 1 + 1 / seconds
        rows.append(("P5", f"hostile guest, {what}: calls per second",
                     f"{calls / seconds:.0f}", "", "", "", ""))
        rows.append(("P5", f"hostile guest, {what}: host queries per second",
                     f"{asked / seconds:.1f}", "", "",
                     f"<= {goal_per_s:.1f}",
                     "yes" if asked / seconds <= goal_per_s else "NO"))
        rows.append(("P5", f"hostile guest, {what}: QEMU's main loop held, "
                     f"past a call's floor of {floor * 1e6:.0f} us",
                     f"{held * 1000:.1f} ms per s", "", "", "", ""))

    # SMART: one firmware command per DIMM on a real host, under its bus lock.
    open(trace, "w").close()
    n, t = hammer(q, seconds, lambda i: dsm(q, 1, 1)[1])
    report("SMART on one device", n, t, "xen_nvdimm_media_health ", None)
    # Start ARS over device 0: the host's bad-block lists read.
    open(trace, "w").close()
    arg = struct.pack("<QQHH", gpa or 0, 64 * MiB - 2 * MiB, 2, 0)
    n, t = hammer(q, seconds, lambda i: dsm(q, 0, 2, arg)[1])
    report("Start ARS", n, t, "xen_nvdimm_media_bad ",
           "xen_nvdimm_media_reused pm0: bad ranges")
    # Label writes of 4 KiB, round robin over the labelled devices.
    open(trace, "w").close()
    payload = struct.pack("<II", 0, 4076) + b"\xa5" * 4076
    done = []

    def label(i):
        st, dt = dsm(q, 1 + i % DEVICES, 6, payload)
        done.append(st == 0)
        return dt
    n, t = hammer(q, seconds, label)
    past = [max(0.0, x - floor) for x in t]
    written = sum(p for p, ok in zip(past, done) if ok) / seconds
    refused = sum(p for p, ok in zip(past, done) if not ok) / seconds
    # At most a tenth of the time, plus one 200 ms burst over the run.
    bound = 100 + 200 / seconds
    rows.append(("P5", f"hostile guest, 4 KiB label writes over {DEVICES} "
                 f"devices: written per second", f"{sum(done) / seconds:.0f}",
                 f"{n / seconds:.0f} calls per second", "", "", ""))
    # The budget counts the writes' own time; the _DSM handling around each
    # write, and refusing the rest, come on top.
    rows.append(("P5", f"hostile guest, label writes over {DEVICES} devices: "
                 f"QEMU's main loop held by the writes",
                 f"{written * 1000:.1f} ms per s",
                 f"the shared budget over {seconds:.0f} s: {bound:.0f} ms per s "
                 f"(separate budgets: {DEVICES * bound:.0f})",
                 f"{written * 1000 / bound:.2f}x", "", ""))
    rows.append(("P5", f"hostile guest, label writes over {DEVICES} devices: "
                 f"QEMU's main loop held refusing the rest",
                 f"{refused * 1000:.1f} ms per s", "", "", "", ""))
    q.quit()
    for path in files + [health, bad]:
        os.unlink(path)
    return rows


for r in run():
    print("ROW\t" + "\t".join(r))
