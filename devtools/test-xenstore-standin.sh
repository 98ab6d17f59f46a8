#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The xenstore stand-in against the real libxenstore clients of Debian's
# xenstore-utils, reached through XENSTORED_PATH as QEMU will reach it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$(mktemp -d)
export XENSTORED_PATH=$work/socket
/usr/bin/python3 "$TOP/devtools/xenstored-standin.py" "$XENSTORED_PATH" "$work/dump" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
    [ -S "$XENSTORED_PATH" ] && break
    sleep 0.1
done

fail() { echo "FAIL $*"; exit 1; }
d=/local/domain/7/hvmloader/acpi
xenstore-write "$d/address" 0xfe000000 "$d/length" 408
[ "$(xenstore-read "$d/address")" = 0xfe000000 ] || fail "read back a written key"
[ "$(xenstore-ls -f /local/domain/7 | grep -c =)" = 4 ] ||
    fail "parents are created and listed"
! xenstore-exists "$d/nosuch" || fail "a missing key does not exist"
xenstore-rm "$d/length"
! xenstore-exists "$d/length" || fail "rm removes a key"
timeout 5 xenstore-watch -n 1 /local/domain/7 >"$work/watch" ||
    fail "a new watch fires once"
[ "$(cat "$work/watch")" = /local/domain/7 ] || fail "the watch event names its path"
kill -TERM $pid
wait $pid || true
grep -qx "$d/address=0xfe000000" "$work/dump" || fail "the tree is dumped at exit"
echo "ok   libxenstore clients write, read, list, remove and watch through the stand-in"
