#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Walk a nested (NPT) page table of the Xen under test from outside, through
# the outer QEMU's QMP socket: the memory type Xen gave a guest's mapping is
# in the leaves' PWT, PCD and PAT bits, which TCG does not act on but keeps.
#
#   npt-walk.py QMP-SOCKET H_CR3 GPA SIZE
#
# H_CR3 (from xl debug-keys v) is an address in the outer machine's memory,
# which is what pmemsave reads.  Prints one line:
#   leaves=N 2m=N 4k=N missing=N pcd=N pwt=N pat=N types=T,.. mfn=0x..
# counting the leaves that map [GPA, GPA + SIZE): how many are 2 MiB and
# 4 KiB pages, how many have each cache bit set, Xen's p2m types among them
# (PTE bits 52-58: 5 is p2m_mmio_direct), and the host frame of GPA.
import os
import sys
import tempfile

from qmp import Qmp

PRESENT, PWT, PCD, PSE = 1 << 0, 1 << 3, 1 << 4, 1 << 7
PAT_4K, PAT_LARGE = 1 << 7, 1 << 12
ADDR = ((1 << 52) - 1) & ~0xfff


def main():
    sock, h_cr3, gpa, size = sys.argv[1], *(int(a, 0) for a in sys.argv[2:5])
    qmp = Qmp(sock)
    tables = {}
    tmp = tempfile.mkdtemp()

    def table(addr):
        if addr not in tables:
            path = os.path.join(tmp, "t")
            qmp.cmd("pmemsave", val=addr, size=4096, filename=path)
            with open(path, "rb") as f:
                data = f.read()
            os.unlink(path)
            tables[addr] = [int.from_bytes(data[i:i + 8], "little")
                            for i in range(0, 4096, 8)]
        return tables[addr]

    count = {"leaves": 0, "2m": 0, "4k": 0, "missing": 0,
             "pcd": 0, "pwt": 0, "pat": 0}
    types, first_mfn = set(), None
    addr, end = gpa, gpa + size
    while addr < end:
        t = h_cr3 & ADDR
        for level, shift in ((4, 39), (3, 30), (2, 21), (1, 12)):
            e = table(t)[(addr >> shift) & 511]
            if not e & PRESENT:
                count["missing"] += 1
                step = 1 << shift
                break
            if level == 1 or (level in (2, 3) and e & PSE):
                large = level != 1
                kind = {1: "4k", 2: "2m", 3: "1g"}[level]
                count["leaves"] += 1
                count[kind] = count.get(kind, 0) + 1
                count["pcd"] += bool(e & PCD)
                count["pwt"] += bool(e & PWT)
                count["pat"] += bool(e & (PAT_LARGE if large else PAT_4K))
                types.add((e >> 52) & 0x7f)
                step = 1 << shift
                if first_mfn is None:
                    base = e & ADDR & ~((1 << shift) - 1 if large else 0)
                    first_mfn = (base + (addr & (step - 1))) >> 12
                break
            t = e & ADDR
        addr = (addr & ~(step - 1)) + step
    os.rmdir(tmp)
    print(" ".join("%s=%d" % kv for kv in count.items()),
          "types=" + ",".join(str(t) for t in sorted(types)),
          "mfn=%#x" % (first_mfn or 0))


if __name__ == "__main__":
    main()
