#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch Debian's qemu source of the trixie suite into the cache (by suite: a
# stable suite keeps only its newest version), refuse anything but 10.0.x,
# and unpack it to build/src with the patch series applied and this tree's
# new files linked in.  Re-unpacks only when the source or the series changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dl=$CACHE/qemu-source
mkdir -p "$dl"
cd "$dl"
log "fetching qemu/$QEMU_SUITE source (cached in $dl)"
# apt-get skips files already present with the right checksums.
apt-get source --download-only -q "qemu/$QEMU_SUITE" >apt-source.log 2>&1 ||
    { cat apt-source.log; die "apt-get source qemu/$QEMU_SUITE failed (deb-src entries: devtools/deps.sh)"; }
dsc=$(grep -o "qemu_[^ ']*\.dsc" apt-source.log | tail -n 1 || true)
if [ -z "$dsc" ]; then
    dsc=$(ls -t qemu_*.dsc | head -n 1)
fi
version=$(sed -n 's/^Version: //p' "$dsc")
upstream=${version#*:}
upstream=${upstream%%+*}
log "qemu source: Debian $version ($dsc)"
case "$upstream" in
    "$QEMU_SERIES".*) ;;
    *) die "qemu/$QEMU_SUITE is now $version; the xen-nvdimm series is written for QEMU $QEMU_SERIES.x and must be ported first" ;;
esac
# Drop older downloads that the suite no longer serves.
for f in qemu_*; do
    case "$f" in
        qemu_"${version#*:}"*|qemu_"${upstream}"+ds.orig*) ;;
        *) rm -f "$f" ;;
    esac
done

want="$version $(cat "$TOP/patches/series" "$TOP"/patches/*.patch | sha256sum | cut -c1-16)"
if [ "$(cat "$BUILD/src.stamp" 2>/dev/null)" != "$want" ]; then
    log "unpacking into $SRC"
    rm -rf "$SRC.new"
    mkdir -p "$BUILD"
    # apt-get verified the download against the signed Sources index.
    dpkg-source --no-copy --no-check -x "$dl/$dsc" "$SRC.new" >"$BUILD/unpack.log" 2>&1 ||
        { cat "$BUILD/unpack.log"; die "cannot unpack $dsc"; }
    "$TOP/devtools/series.sh" apply "$SRC.new"
    rm -rf "$SRC"
    mv "$SRC.new" "$SRC"
    echo "$want" >"$BUILD/src.stamp"
fi
# What a killed make mutate left in the source, put back.
mutant_restore
# New files are symlinks so edits reach the build without another unpack.
"$TOP/devtools/series.sh" link "$SRC"
log "source ready: QEMU $version + xen-nvdimm series"
