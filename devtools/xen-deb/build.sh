#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian's Xen hypervisor with the xen-nvdimm Xen patches (make xen-deb): the
# xen source of bookworm (Xen 4.17; trixie's cannot be downloaded), with the
# patches of xen/patches/series added to debian/patches/xen-nvdimm/, the
# packaging change in debian-packaging.diff (a build profile
# pkg.xen.hypervisor-only: the hypervisor packages alone, no tools, docs or
# shim) and a local version, built by dpkg-buildpackage in a clean bookworm
# chroot (devtools/deb/chroot.sh), then checked by lintian.  About 4.5 min
# the first time (1.5 the chroot, 3 the package), 3 min after a change of the
# patches, 7 s when cached.
#
# Output: build/xen-deb/ holds the .debs (xen-hypervisor-4.17-amd64 and its
# -dbg), the .changes and .buildinfo, lintian.txt, build.log, and PACKAGE:
# the path of the xen-hypervisor .deb, which is also all this script writes
# on stdout (progress goes to stderr), for other scripts:
#   deb=$(devtools/xen-deb/build.sh)
# The result is cached in $CACHE/xen-deb/KEY, KEY hashing every input (the
# source, the patches in their order, the packaging change, this script, the
# chroot).
#
# With --chroot-only, it makes (or finds) the chroot and stops there: make
# check prepares it so beside the tiers that leave a core idle.
#
# Environment: DEBFULLNAME and DEBEMAIL name the builder in the changelog entry.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
. "$TOP/devtools/deb/package.sh"
exec 3>&1 1>&2          # progress on stderr; stdout carries only the result

LOCAL_SUFFIX=+xennvdimm1
SUITE=bookworm
PROFILES=pkg.xen.hypervisor-only,nocheck
# No ccache: the hypervisor alone builds in under 3 minutes.
EXTRA="build-essential lintian"
packaging=$TOP/devtools/xen-deb/debian-packaging.diff
patches=$TOP/xen/patches
out=$BUILD/xen-deb

chroot_only=false
[ "${1:-}" != --chroot-only ] || chroot_only=true

# (No package from an earlier build may outlive a failed one.)
$chroot_only || rm -rf "$out"
# The source, downloaded where and as devtools/xen-acpi.sh does (one at a
# time: make check may run both at once).
dl=$CACHE/xen-source
mkdir -p "$dl"
(flock 9 && cd "$dl" && apt-get source --download-only -q -o APT::Sandbox::User=root \
    "xen/$SUITE" >apt-source.log 2>&1) 9>"$dl/.lock" ||
    { cat "$dl/apt-source.log"; die "apt-get source xen/$SUITE failed"; }
dsc=$dl/$(cd "$dl" && ls -t xen_*.dsc | head -n 1)
version=$(sed -n 's/^Version: //p' "$dsc")
newversion=$version$LOCAL_SUFFIX
hypervisor=xen-hypervisor-$(echo "$version" | cut -d. -f1,2)-amd64
deb=${hypervisor}_${newversion}_amd64.deb

mkdir -p "$BUILD"
work=$(mktemp -d "$BUILD/xen-deb-work.XXXXXX")
chmod 755 "$work"       # lintian runs as nobody
root=/nonexistent
cleanup() {
    umount_below "$root"
    rm -rf "$work"
}
trap cleanup EXIT

# The series: file names, one a line, '#' starting a comment.  The patches
# are copied first, so that what is hashed is what is built.
series=()
mkdir "$work/patches"
while read -r name rest; do
    [ -n "$name" ] || continue
    [ -z "$rest" ] || die "xen/patches/series: one file name a line, not '$name $rest'"
    [ -f "$patches/$name" ] || die "xen/patches/series names $name, which is not in xen/patches/"
    install -D -m 644 "$patches/$name" "$work/patches/$name"
    series+=("$name")
done < <(sed 's/#.*//' "$patches/series")

# The chroot has the build dependencies under the new profile, which the .dsc
# does not know: chroot.sh reads them from debian/control as changed by the
# packaging change (all that is unpacked for it: control and rules).
mkdir "$work/packaging"
tar -C "$work/packaging" -xJf "${dsc%.dsc}.debian.tar.xz" debian/control debian/rules
patch -d "$work/packaging" -p1 --batch --fuzz=0 --no-backup-if-mismatch --quiet \
    <"$packaging" || die "debian-packaging.diff does not apply"
chroot_dir=$("$TOP/devtools/deb/chroot.sh" "$work/packaging" "$SUITE" "$PROFILES" "$EXTRA")
if $chroot_only; then
    echo "$chroot_dir" >&3
    exit 0
fi
root=$chroot_dir/root

key=$( { for f in "$dsc" "$packaging" "$0"; do sha256sum <"$f"; done
         for p in "${series[@]}"; do echo "$p"; sha256sum <"$work/patches/$p"; done
         echo "$chroot_dir"; } | sha256sum | cut -c1-16)
cached=$CACHE/xen-deb/$key
if [ -f "$cached/$deb" ]; then
    log "$hypervisor $newversion cached: $cached"
else
    log "building $hypervisor $newversion (${#series[@]} patches) in $chroot_dir"
    t0=$SECONDS
    src=$work/xen-${version%-*}
    dpkg-source --no-copy --no-check -x "$dsc" "$src" >"$work/unpack.log" 2>&1 ||
        { cat "$work/unpack.log"; die "cannot unpack $dsc"; }
    # The patches, applied by dpkg-source --before-build after Debian's own.
    mkdir "$src/debian/patches/xen-nvdimm"
    cp -R "$work/patches/." "$src/debian/patches/xen-nvdimm/"
    for p in "${series[@]}"; do
        echo "xen-nvdimm/$p" >>"$src/debian/patches/series"
    done
    patch -d "$src" -p1 --batch --fuzz=0 --no-backup-if-mismatch --quiet \
        <"$packaging" || die "debian-packaging.diff does not apply"
    {
        echo "xen ($newversion) $SUITE; urgency=medium"
        echo
        echo "  * Add the xen-nvdimm patches (debian/patches/xen-nvdimm/): the"
        echo "    hypervisor's part of virtual NVDIMMs for HVM guests, backed by the"
        echo "    host's persistent memory."
        echo "  * New build profile pkg.xen.hypervisor-only: the hypervisor packages"
        echo "    alone, without tools, docs and shim."
        echo
        echo " -- ${DEBFULLNAME:-xen-nvdimm local build} <${DEBEMAIL:-xen-nvdimm@example.org}>  $(date -R)"
        echo
        cat "$src/debian/changelog"
    } >"$work/changelog"
    mv "$work/changelog" "$src/debian/changelog"

    mkdir -p "$root/build"
    mount --bind "$work" "$root/build"
    mount -t proc proc "$root/proc"
    name=${src##*/}
    if ! chroot "$root" env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEB_BUILD_PROFILES="${PROFILES//,/ }" DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
            sh -c "cd /build/$name && dpkg-buildpackage -B -us -uc" >"$work/build.log" 2>&1; then
        tail -n 60 "$work/build.log"
        die "dpkg-buildpackage failed (log above)"
    fi
    log "dpkg-buildpackage: $((SECONDS - t0)) s"
    # (Debian's own packages of this version have no lintian warnings or
    # errors; the local version makes the -dbg file name long: a warning.)
    lintian_check "$root" "$work"
    umount "$root/proc" "$root/build"
    [ -f "$work/$deb" ] || die "dpkg-buildpackage made no $deb: $(ls "$work")"
    keep_result "$work" "$cached"
    log "built $deb in $((SECONDS - t0)) s"
fi
mkdir -p "$out"
cp "$cached"/* "$out/"
echo "$out/$deb" >"$out/PACKAGE"
log "$out/$deb: $(dpkg-deb -f "$out/$deb" Version), lintian: $(grep -c '^W: ' "$out/lintian.txt" || true) warnings, 0 errors"
echo "$out/$deb" >&3
