#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Configure and build one QEMU that is both a Xen device model and able to
# boot test guests under TCG, plus the project's unit tests and qtests.
#
# Environment: XEN_NVDIMM_CCACHE=0 builds without ccache.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/devtools/qemu-source.sh"

# The minimal device set lives with the build tooling, not in the series.
# (Copied only when changed: a new mtime makes meson regenerate.)
devices=$SRC/configs/devices/x86_64-softmmu/xen-nvdimm-test.mak
cmp -s "$TOP/devtools/devices.mak" "$devices" || cp "$TOP/devtools/devices.mak" "$devices"

if [ "${XEN_NVDIMM_CCACHE:-1}" = 1 ]; then
    export PATH=/usr/lib/ccache:$PATH
    export CCACHE_DIR=$CACHE/ccache
    # Hit the cache from any clone path.
    export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
    ccache --max-size=2G >/dev/null
else
    export CCACHE_DISABLE=1
fi

want="${QEMU_CONFIGURE_ARGS[*]} ccache=${XEN_NVDIMM_CCACHE:-1}"
if [ ! -f "$QBUILD/build.ninja" ] || [ ! -f "$QBUILD/pc-bios/optionrom/config.mak" ] ||
   [ "$(cat "$QBUILD/configure.stamp" 2>/dev/null)" != "$want" ]; then
    log "configuring QEMU in $QBUILD"
    rm -rf "$QBUILD"
    mkdir -p "$QBUILD"
    (cd "$QBUILD" && "$SRC/configure" "${QEMU_CONFIGURE_ARGS[@]}" >configure.log 2>&1) ||
        { tail -n 40 "$QBUILD/configure.log"; die "configure failed (log: $QBUILD/configure.log)"; }
    [ -f "$QBUILD/pc-bios/optionrom/config.mak" ] ||
        die "configure found no compiler for the x86 option ROMs (lib32gcc-12-dev)"
    echo "$want" >"$QBUILD/configure.stamp"
fi

log "building ${QEMU_TEST_TARGETS[*]}"
ninja -C "$QBUILD" "${QEMU_TEST_TARGETS[@]}"
# The option ROMs -kernel needs (pvh.bin, linuxboot_dma.bin, ...), built
# from this source since the Debian tarball ships no blobs.
make -s -C "$QBUILD/pc-bios/optionrom"

# Run from the build tree, QEMU looks for its firmware inside qemu-bundle/:
# give it the option ROMs and Debian's seabios and ipxe-qemu.
link_firmware
ln -sfn "$QBUILD"/pc-bios/optionrom/*.bin "$QBUILD/qemu-bundle/usr/local/share/qemu/"
log "built QEMU $(qemu_source_version) in $QBUILD"
