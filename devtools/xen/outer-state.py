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
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = b""
        self.read()                     # the greeting
        self.cmd("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit("QMP closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        self.sock.sendall(json.dumps({"execute": name,
                                      "arguments": args}).encode() + b"\n")
        while True:
            r = self.read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise SystemExit("QMP %s: %s" % (name, r["error"]))


def hmp(qmp, line):
    return qmp.cmd("human-monitor-command", **{"command-line": line})


def main():
    qmp = Qmp(sys.argv[1])
    print("run state: %s" % qmp.cmd("query-status").get("status"))
    for sample in (1, 2):
        if sample == 2:
            time.sleep(5)
        print("--- sample %d:" % sample)
        print(hmp(qmp, "info cpus").rstrip())
        # (The FPU and vector registers say nothing of where it is.)
        print("\n".join(line for line in
                        hmp(qmp, "info registers -a").splitlines()
                        if not line.startswith(("FPR", "XMM", "YMM", "FCW"))))


if __name__ == "__main__":
    main()
