#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job: show what the built QEMU offers with the xen-nvdimm device.
set -euo pipefail
. "$(dirname "$0")/common.sh"

show() {
    echo "\$ qemu-system-x86_64 $*"
    "$QEMU" "$@" 2>&1 || true
    echo
}

# Run QEMU under the qtest accelerator and print the answers to QMP commands.
qmp() {
    local cmd
    {
        echo '{"execute": "qmp_capabilities"}'
        for cmd in "${QMP[@]}"; do
            echo "$cmd"
        done
        echo '{"execute": "quit"}'
    } | "$QEMU" "$@" -qmp stdio 2>&1 |
        /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        print(line, end="")
        continue
    if msg.get("return") not in (None, {}):
        print("   ", json.dumps(msg["return"]))
    elif "error" in msg:
        print("    error:", msg["error"]["desc"])
'
}

echo "QEMU $(qemu_source_version) with the xen-nvdimm series: $QEMU"
echo
echo "\$ qemu-system-x86_64 -device help | grep xen-nvdimm"
"$QEMU" -device help | grep xen-nvdimm
echo
show -device xen-nvdimm,help

base=(-machine pc -accel qtest -m 256M -nodefaults -display none
      -object memory-backend-ram,id=pm0,size=64M)
QMP=('{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/nv0", "property": "memdev"}}'
     '{"execute": "qom-get", "arguments": {"path": "/machine/peripheral/nv0", "property": "size"}}'
     '{"execute": "device_add", "arguments": {"driver": "xen-nvdimm", "memdev": "pm0"}}')
echo "\$ qemu-system-x86_64 ${base[*]} -device xen-nvdimm,id=nv0,memdev=pm0,label-size=128K"
echo "  QMP: qom-get nv0 memdev; qom-get nv0 size (64 MiB less the label area); device_add"
qmp "${base[@]}" -device xen-nvdimm,id=nv0,memdev=pm0,label-size=128K
echo
echo "Wrong command lines get a clear error:"
show "${base[@]}" -device xen-nvdimm,memdev=pm0,label-size=64K
show "${base[@]}" -device xen-nvdimm,memdev=pm0 -device xen-nvdimm,memdev=pm0
