#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: show the xen-nvdimm device in the built QEMU.  With no Xen
# host it runs in emulated mode under the qtest accelerator: the "guest"
# writes at the device's guest-physical address and the bytes appear in the
# backing file.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "QEMU $(qemu_source_version) with the xen-nvdimm series: $QEMU"
echo
echo "\$ qemu-system-x86_64 -device help | grep xen-nvdimm"
"$QEMU" -device help | grep xen-nvdimm
echo
echo "\$ qemu-system-x86_64 -device xen-nvdimm,help"
"$QEMU" -device xen-nvdimm,help
echo

truncate -s 64M "$tmp/pmem.img"
args=(-machine pc -accel qtest -m 256M -nodefaults -display none
      -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path="$tmp/pmem.img"
      -device xen-nvdimm,id=nv0,memdev=pm0,label-size=128K,x-emu-extent-size=16M)
echo "\$ qemu-system-x86_64 ${args[*]//$tmp\//} \\"
echo "      -trace enable=xen_nvdimm_*,file=trace.log -qtest stdio"
coproc QEMU_PROC { exec "$QEMU" "${args[@]}" -trace "enable=xen_nvdimm_*,file=$tmp/trace.log" \
                   -qtest stdio 2>"$tmp/stderr"; }
# The device is placed during realize, before qtest starts answering.
qtest() {
    echo "$*" >&"${QEMU_PROC[1]}"
    read -r reply <&"${QEMU_PROC[0]}"
    echo "  qtest> $*  ->  $reply"
}
qtest "readb 0x0"
gpa=$(sed -n 's/.*xen_nvdimm_place pm0: gpa \(0x[0-9a-f]*\).*/\1/p' "$tmp/trace.log")
echo
echo "What the device did (trace):"
sed -n 's/.*\(xen_nvdimm_[a-z_]* .*\)/  \1/p' "$tmp/trace.log"
echo
echo "The guest writes at the data area (guest-physical $gpa):"
qtest "writeq $gpa 0x4d454d502d4e4558"
qtest "writeq $(printf '0x%x' $((gpa + 0x2345678))) 0x216e657474697277"
qtest "readq $(printf '0x%x' $((gpa + 0x2345678)))"
echo
echo "The backing file holds the bytes at the same offsets:"
od -A x -t x1z -N 8 "$tmp/pmem.img" | sed -n "1s/^/  /p"
od -A x -t x1z -j $((0x2345678)) -N 8 "$tmp/pmem.img" | sed -n "1s/^/  /p"
# Like libqtest, end QEMU with SIGTERM: an orderly shutdown.
pid=$QEMU_PROC_PID
kill -TERM "$pid"
wait "$pid" || true
echo
echo "At exit the device unmapped and revoked everything:"
sed -n 's/.*\(xen_nvdimm_\(teardown\|memory_mapping.*add 0\|iomem_permission.*allow 0\).*\)/  \1/p' "$tmp/trace.log" | head -4
echo "  ... ($(grep -c 'add 0 rc 0' "$tmp/trace.log") unmaps, $(grep -c 'allow 0 rc 0' "$tmp/trace.log") revocations)"
