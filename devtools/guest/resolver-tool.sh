#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build xen-nvdimm-resolve, the test guests' front end to xen-nvdimm's SPA
# resolver, from the QEMU build's own objects and compiler flags.
#
#   resolver-tool.sh OUT
set -euo pipefail
. "$(dirname "$0")/../common.sh"

out=$1
flags=$(/usr/bin/python3 - "$QBUILD/compile_commands.json" <<'PY'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("hw/xen/xen-nvdimm-spa.c"):
        args = shlex.split(e["command"])[1:]
        out = []
        skip = False
        for a in args:
            if skip:
                skip = False
            elif a in ("-MQ", "-MF", "-o"):
                skip = True
            elif a not in ("-MD", "-c") and not a.endswith(".c"):
                out.append(a)
        print(" ".join(shlex.quote(a) for a in out))
PY
)
(
    cd "$QBUILD"
    eval cc "$flags" -c -o "$out.o" "$TOP/devtools/guest/xen-nvdimm-resolve.c"
    cc -o "$out" "$out.o" \
        libcommon.a.p/hw_xen_xen-nvdimm-spa.c.o \
        libcommon.a.p/hw_xen_xen-nvdimm-layout.c.o \
        libcommon.a.p/backends_hostmem-xen-pmem.c.o \
        libqom.a.p/*.o libqemuutil.a \
        $(pkg-config --libs glib-2.0 gmodule-2.0 libndctl libdaxctl) -lm -pthread
)

rm -f "$out.o"
