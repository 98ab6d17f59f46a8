#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The outer machine's state when the nested run went silent, through the
# outer QEMU's QMP socket: its run state, and every vCPU's registers twice,
# 5 s apart.  Instructions that moved mean a livelock or a wait in Xen or
# dom0 (the RIPs say where); the same ones with interrupts enabled and HLT
# mean idle vCPUs that nothing wakes; the same ones throughout mean TCG
# itself is stuck.
#
#   outer-state.py QMP-SOCKET
import sys
import time

from qmp import Qmp


def main():
    qmp = Qmp(sys.argv[1], timeout=30)
    print("run state: %s" % qmp.cmd("query-status").get("status"))
    for sample in (1, 2):
        if sample == 2:
            time.sleep(5)
        print("--- sample %d:" % sample)
        print(qmp.hmp("info cpus").rstrip())
        # (The FPU and vector registers say nothing of where it is.)
        print("\n".join(line for line in
                        qmp.hmp("info registers -a").splitlines()
                        if not line.startswith(("FPR", "XMM", "YMM", "FCW"))))


if __name__ == "__main__":
    main()
