# SPDX-License-Identifier: GPL-2.0-or-later
#
# A minimal QMP client for the Xen test's host-side tools (npt-walk.py,
# outer-state.py): they talk to the outer QEMU through its QMP socket.
import json
import socket


class Qmp:
    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
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

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})
