#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A xenstore stand-in for tests without Xen: serves xenstored's wire
# protocol (xen/io/xs_wire.h) on a Unix socket, so real libxenstore clients
# (QEMU, xenstore-read/-write, ...) reached through XENSTORED_PATH work
# unchanged.  One flat tree, permissions kept (a new node gets its
# parent's, as xenstored does) but not enforced, transactions without
# isolation, watches fire once when set and on every later change.  For
# tests of error paths, reads and listings of any path that starts with
# the value of /standin/fail-prefix fail with EACCES.
#
#   xenstored-standin.py SOCKET [DUMPFILE]
#
# On SIGTERM it writes the whole tree ("path=value" lines) to DUMPFILE.
import os
import signal
import socket
import socketserver
import struct
import sys
import threading

(XS_CONTROL, XS_DIRECTORY, XS_READ, XS_GET_PERMS, XS_WATCH, XS_UNWATCH,
 XS_TRANSACTION_START, XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE,
 XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS, XS_WATCH_EVENT,
 XS_ERROR, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET) = range(20)
XS_RESET_WATCHES, XS_DIRECTORY_PART = 21, 22
HEADER = struct.Struct("<IIII")         # type, req_id, tx_id, len
PAYLOAD_MAX = 4096

tree = {"/": b""}
perms = {"/": b"n0\0"}
lock = threading.Lock()
watches = []                            # (connection, path, token)


def parents(path):
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def children(path):
    prefix = path.rstrip("/") + "/"
    return sorted({p[len(prefix):].split("/")[0] for p in tree
                   if p.startswith(prefix) and p != prefix})


def create(path):
    """Make @path and its missing parents, each with its parent's perms."""
    for p in parents(path) + [path]:
        if p not in tree:
            tree[p] = b""
            perms[p] = perms.get(p.rsplit("/", 1)[0] or "/", b"n0\0")


def changed(path):
    for conn, wpath, token in list(watches):
        if path == wpath or path.startswith(wpath.rstrip("/") + "/"):
            conn.send_msg(XS_WATCH_EVENT, 0, 0,
                          path.encode() + b"\0" + token + b"\0")


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.send_lock = threading.Lock()

    def send_msg(self, kind, req_id, tx_id, payload):
        with self.send_lock:
            self.request.sendall(HEADER.pack(kind, req_id, tx_id,
                                             len(payload)) + payload)

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def handle(self):
        try:
            while True:
                kind, req_id, tx_id, length = HEADER.unpack(
                    self.recv_exact(HEADER.size))
                if length > PAYLOAD_MAX:
                    return
                body = self.recv_exact(length)
                with lock:
                    reply = self.serve(kind, body)
                if isinstance(reply, str):
                    self.send_msg(XS_ERROR, req_id, tx_id,
                                  reply.encode() + b"\0")
                    continue
                self.send_msg(kind, req_id, tx_id, reply)
                if kind == XS_WATCH:
                    # xenstored fires a new watch once straight away.
                    self.send_msg(XS_WATCH_EVENT, 0, 0, body)
        except (EOFError, ConnectionError):
            pass
        finally:
            with lock:
                watches[:] = [w for w in watches if w[0] is not self]

    def serve(self, kind, body):
        args = body.split(b"\0")
        path = args[0].decode(errors="replace")
        fail = tree.get("/standin/fail-prefix", b"").decode()
        if fail and path.startswith(fail) and kind in (XS_READ, XS_DIRECTORY):
            return "EACCES"
        if kind == XS_READ:
            return tree[path] if path in tree else "ENOENT"
        if kind == XS_WRITE:
            create(path)
            tree[path] = body[len(args[0]) + 1:]
            changed(path)
            return b"OK\0"
        if kind == XS_MKDIR:
            create(path)
            return b"OK\0"
        if kind == XS_RM:
            if path not in tree:
                return "ENOENT"
            for p in [p for p in tree if p == path or p.startswith(path + "/")]:
                del tree[p]
                perms.pop(p, None)
            changed(path)
            return b"OK\0"
        if kind == XS_DIRECTORY:
            if path not in tree:
                return "ENOENT"
            return b"".join(c.encode() + b"\0" for c in children(path))
        if kind == XS_GET_PERMS:
            return perms[path] if path in tree else "ENOENT"
        if kind == XS_SET_PERMS:
            if path not in tree:
                return "ENOENT"
            perms[path] = body[len(args[0]) + 1:]
            return b"OK\0"
        if kind == XS_WATCH:
            watches.append((self, path, args[1]))
            return b"OK\0"
        if kind == XS_UNWATCH:
            watches[:] = [w for w in watches
                          if not (w[0] is self and w[1] == path)]
            return b"OK\0"
        if kind == XS_TRANSACTION_START:
            return b"1\0"
        if kind in (XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE, XS_RESUME,
                    XS_SET_TARGET, XS_RESET_WATCHES):
            return b"OK\0"
        if kind == XS_IS_DOMAIN_INTRODUCED:
            return b"T\0"
        if kind == XS_GET_DOMAIN_PATH:
            return b"/local/domain/" + args[0] + b"\0"
        return "EINVAL"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[1]
    dump = sys.argv[2] if len(sys.argv) > 2 else None
    if os.path.exists(path):
        os.unlink(path)
    server = Server(path, Handler)

    def stop(signum, frame):
        if dump:
            with lock, open(dump, "w") as f:
                for p in sorted(tree):
                    f.write(f"{p}={tree[p].decode(errors='replace')}\n")
        os.unlink(path)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
