#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot a test guest under TCG and wait for it to power off.
#
#   boot.sh [--reboot] LOG TIMEOUT QEMU-ARGS...
#
# The serial console goes to LOG.  QEMU is killed if the guest has not
# finished after TIMEOUT seconds; on any failure the end of LOG is shown.
# With --reboot, a guest reboot restarts the guest in the same QEMU instead
# of ending the run.
set -uo pipefail
. "$(dirname "$0")/../common.sh"

reboot=-no-reboot
if [ "$1" = --reboot ]; then
    reboot=
    shift
fi
logfile=$1
limit=$2
shift 2
start=$SECONDS
# -vnc none: libxl passes it to every HVM device model.
"$QEMU" -accel tcg -nodefaults -nographic -vnc none $reboot \
    -serial "file:$logfile" -monitor none "$@" </dev/null &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start > limit)); then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
        echo "guest timed out after $limit s; its console:" >&2
        tail -n 60 "$logfile" >&2
        exit 1
    fi
    sleep 1
done
wait "$pid"
rc=$?
if [ $rc != 0 ] || ! grep -q '^@@@ END rc=0' "$logfile"; then
    echo "guest failed (QEMU exit $rc); its console:" >&2
    tail -n 60 "$logfile" >&2
    exit 1
fi
log "guest ran in $((SECONDS - start)) s"
