#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian's qemu-system-xen with the xen-nvdimm series (make deb): the qemu
# source of trixie, the series added to debian/patches/xen-nvdimm/, the
# packaging change in debian-packaging.diff (libndctl and libdaxctl for the
# Xen build; a pkg.qemu.omit-tools profile, so that only qemu-system-xen is
# built) and a local version, built by dpkg-buildpackage in a clean trixie
# chroot (chroot.sh), then checked by lintian.
#
# Output: build/deb/ holds the .deb, the .changes and .buildinfo, and
# lintian.txt.  The result is cached in $CACHE/deb/KEY, KEY hashing every
# input (source, series, packaging change, this script, the chroot).
#
# Environment: XEN_NVDIMM_CCACHE=0 builds without ccache; DEBFULLNAME and
# DEBEMAIL name the builder in the changelog entry.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
. "$TOP/devtools/deb/package.sh"

LOCAL_SUFFIX=+xennvdimm1
PROFILES=pkg.qemu.omit-system,pkg.qemu.omit-user,pkg.qemu.omit-tools,nocheck
out=$BUILD/deb

# (No package from an earlier build may outlive a failed one.)
rm -rf "$out"
"$TOP/devtools/qemu-source.sh" >&2
version=$(qemu_source_version)
dsc=$CACHE/qemu-source/qemu_${version#*:}.dsc
[ -f "$dsc" ] || die "no $dsc"
newversion=$version$LOCAL_SUFFIX
deb=qemu-system-xen_${newversion#*:}_amd64.deb

chroot_dir=$("$TOP/devtools/deb/chroot.sh" "$dsc")
root=$chroot_dir/root

work=$(mktemp -d "$BUILD/deb-work.XXXXXX")
chmod 755 "$work"       # lintian runs as nobody
cleanup() {
    umount_below "$root"
    rm -rf "$work"
}
trap cleanup EXIT
"$TOP/devtools/export-series.sh" "$work/series" >/dev/null

key=$( { sha256sum "$dsc" "$TOP/devtools/deb/debian-packaging.diff" "$0"
         cat "$work"/series/*.patch; echo "$chroot_dir ${XEN_NVDIMM_CCACHE:-1}"; } |
       sha256sum | cut -c1-16)
cached=$CACHE/deb/$key
if [ -f "$cached/$deb" ]; then
    log "qemu-system-xen $newversion cached: $cached"
else
    log "building qemu-system-xen $newversion in $chroot_dir"
    t0=$SECONDS
    src=$work/qemu-${version#*:}
    src=${src%-*}
    dpkg-source --no-copy --no-check -x "$dsc" "$src" >"$work/unpack.log" 2>&1 ||
        { cat "$work/unpack.log"; die "cannot unpack $dsc"; }
    # The series, applied by quilt after Debian's own patches.
    mkdir -p "$src/debian/patches/xen-nvdimm"
    for p in "$work"/series/*.patch; do
        [ "${p##*/}" != 0000-cover-letter.patch ] || continue
        cp "$p" "$src/debian/patches/xen-nvdimm/"
        echo "xen-nvdimm/${p##*/}" >>"$src/debian/patches/series"
    done
    patch -d "$src" -p1 --batch --fuzz=0 --no-backup-if-mismatch --quiet \
        <"$TOP/devtools/deb/debian-packaging.diff" || die "debian-packaging.diff does not apply"
    {
        echo "qemu ($newversion) $QEMU_SUITE; urgency=medium"
        echo
        echo "  * Add the xen-nvdimm series (debian/patches/xen-nvdimm/): virtual"
        echo "    NVDIMMs for Xen HVM guests, backed by the host's persistent memory."
        echo "  * qemu-system-xen: build with libndctl and libdaxctl."
        echo "  * New build profile pkg.qemu.omit-tools: with pkg.qemu.omit-system and"
        echo "    pkg.qemu.omit-user, only qemu-system-xen is built."
        echo
        echo " -- ${DEBFULLNAME:-xen-nvdimm local build} <${DEBEMAIL:-xen-nvdimm@example.org}>  $(date -R)"
        echo
        cat "$src/debian/changelog"
    } >"$work/changelog"
    mv "$work/changelog" "$src/debian/changelog"

    mkdir -p "$root/build" "$CACHE/ccache-deb" "$root/ccache"
    mount --bind "$work" "$root/build"
    mount --bind "$CACHE/ccache-deb" "$root/ccache"
    mount -t proc proc "$root/proc"
    ccache_env=(CCACHE_DISABLE=1)
    if [ "${XEN_NVDIMM_CCACHE:-1}" = 1 ]; then
        ccache_env=(PATH=/usr/lib/ccache:/usr/sbin:/usr/bin:/sbin:/bin CCACHE_DIR=/ccache
                    CCACHE_BASEDIR=/build CCACHE_NOHASHDIR=1)
        chroot "$root" env CCACHE_DIR=/ccache ccache --max-size=3G >/dev/null
    fi
    name=${src##*/}
    if ! chroot "$root" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            "${ccache_env[@]}" \
            DEB_BUILD_PROFILES="${PROFILES//,/ }" DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
            sh -c "cd /build/$name && debian/rules debian/control &&
                   dpkg-buildpackage -B -us -uc" >"$work/build.log" 2>&1; then
        tail -n 60 "$work/build.log"
        die "dpkg-buildpackage failed (log above)"
    fi
    lintian_check "$root" "$work"
    umount "$root/proc" "$root/ccache" "$root/build"
    [ -f "$work/$deb" ] || die "dpkg-buildpackage made no $deb: $(ls "$work")"
    keep_result "$work" "$cached"
    log "built $deb in $((SECONDS - t0)) s"
fi
mkdir -p "$out"
cp "$cached"/* "$out/"
log "$out/$deb: $(dpkg-deb -f "$out/$deb" Version), lintian: $(grep -c '^W: ' "$out/lintian.txt" || true) warnings, 0 errors"
