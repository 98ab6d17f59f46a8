#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The qtest as QEMU's CI would run it: as an unprivileged user (nobody),
# without strace (an strace first on its PATH fails and says so), the
# emulated host's state in a directory of its own and a xenstore stand-in
# of its own.  Every test must pass but the
# nine that need root (loop devices, mounts, immutable files) or strace,
# which the qtest leaves out by itself when it is not root.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ROOT_ONLY=9
work=$(mktemp -d /tmp/xen-nvdimm-unprivileged.XXXXXX)
sock=$(mktemp -u /tmp/xen-nvdimm-xs-unprivileged.XXXXXX)
trap 'rm -rf "$work" "$sock"' EXIT
# A copy, so that nobody needs no access to the build tree's path.
cp "$QEMU" "$QBUILD/tests/qtest/xen-nvdimm-test" \
    "$TOP/devtools/xenstored-standin.py" "$work/"
mkdir "$work/bin"
printf '#!/bin/sh\necho "strace $*" >>%s/strace.called\nexit 127\n' "$work" >"$work/bin/strace"
chmod 755 "$work/bin/strace"
chmod 1777 "$work"
all=$(cd "$work" && QTEST_QEMU_BINARY=./qemu-system-x86_64 ./xen-nvdimm-test -l | grep -c '^/')

set +e
out=$(cd "$work" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
          --inh-caps=-all env -i PATH="$work/bin:/usr/bin:/bin" HOME=/tmp \
          XENSTORED_PATH="$sock" QTEST_QEMU_BINARY=./qemu-system-x86_64 \
          bash -c '
    /usr/bin/python3 ./xenstored-standin.py "$XENSTORED_PATH" & standin=$!
    trap "kill $standin" EXIT
    for _ in $(seq 50); do [ -S "$XENSTORED_PATH" ] && break; sleep 0.1; done
    ./xen-nvdimm-test --tap -k' 2>&1)
rc=$?
set -e
ran=$(grep -c '^ok ' <<<"$out" || true)
echo "$out" | grep -E '^(not )?ok |^1\.\.' || true
if [ -e "$work/strace.called" ]; then
    echo "FAIL: the unprivileged subset ran strace:"
    cat "$work/strace.called"
    exit 1
fi
if [ $rc != 0 ] || grep -qE '^not ok|# SKIP' <<<"$out" ||
   [ "$ran" != $((all - ROOT_ONLY)) ]; then
    echo "$out" | tail -n 40
    echo "FAIL: as nobody, rc $rc, $ran tests passed of $all less $ROOT_ONLY"
    exit 1
fi
echo "as nobody without strace: $ran of the qtest's $all tests passed" \
     "(the $ROOT_ONLY left out need root or strace)"
