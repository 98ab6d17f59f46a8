#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A clean Debian build chroot: debootstrap's buildd variant plus the build
# dependencies of a source package (architecture packages only, under the
# given build profiles) and some extra packages; by default trixie's, for
# qemu-system-xen (make deb: Debian's qemu source, ccache and lintian).
# Cached in $CACHE/deb-chroot/KEY (other suites than trixie: in
# $CACHE/deb-chroot-SUITE/KEY), where KEY hashes every package that goes in
# at its version in the suite (resolved by apt in a private configuration,
# against an empty system), the debootstrap variant and the archive entries;
# rebuilt from scratch when absent, and the only chroot kept in its directory.
# A new chroot takes some minutes (debootstrap and the packages).
#
#   chroot.sh SRC [SUITE [PROFILES [EXTRA]]]
#       build if needed; print the chroot directory on stdout.  SRC: a .dsc,
#       or a source tree of which apt reads debian/control (for a profile
#       that comes with a packaging change, which the .dsc does not know);
#       PROFILES comma-separated, EXTRA packages space-separated.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
. "$TOP/devtools/apt-suite.sh"
. "$TOP/devtools/deb/package.sh"
exec 3>&1 1>&2          # progress on stderr; stdout carries only the result

src=$(readlink -f "$1")
SUITE=${2:-trixie}
# By default the build profiles of make deb (build.sh; pkg.qemu.omit-tools
# comes with its packaging change), as far as they change the build
# dependencies.
PROFILES=${3-pkg.qemu.omit-system,pkg.qemu.omit-user,nocheck}
VARIANT=buildd
EXTRA=${4-build-essential fakeroot ccache lintian libndctl-dev libdaxctl-dev}
# (trixie's chroot stays where make deb has always found it.)
base=$CACHE/deb-chroot
[ "$SUITE" = trixie ] || base=$CACHE/deb-chroot-$SUITE
if [ -d "$src" ]; then
    [ -f "$src/debian/control" ] || die "no $src/debian/control"
else
    [ -f "$src" ] || die "no $src"
fi
export DEBIAN_FRONTEND=noninteractive

[ -x /usr/sbin/debootstrap ] || die "no debootstrap: run make deps"
sources=$(suite_sources "$SUITE")
mirror=$(printf '%s\n' "$sources" | sed -n 's/^URIs: //p' | head -n 1)

# What apt would install into an empty system of the suite: the cache key.
suite_apt "$SUITE"
# shellcheck disable=SC2086
plan=$( { suite_plan -P "$PROFILES" --arch-only build-dep "$src" &&
          suite_plan install $EXTRA; } | sort -u) ||
    die "apt cannot resolve the build dependencies of $src"
key=$( { echo "$plan"; echo "$sources"; echo "$VARIANT"; } | sha256sum | cut -c1-16)
out=$base/$key
if [ -f "$out/.complete" ]; then
    log "$SUITE build chroot cached: $out"
    echo "$out" >&3
    exit 0
fi

log "building the $SUITE build chroot $key ($(echo "$plan" | wc -l) packages)"
t0=$SECONDS
mkdir -p "$base"
work=$(mktemp -d "$base/tmp.XXXXXX")
root=$work/root
cleanup() {
    umount_below "$root"
    findmnt -rn -o TARGET | grep -q "^$root/" ||  rm -rf "$work"
}
trap cleanup EXIT
debootstrap --variant="$VARIANT" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; die "debootstrap $SUITE failed"; }
rm -f "$root/etc/apt/sources.list"
printf '%s\n' "$sources" >"$root/etc/apt/sources.list.d/debian.sources"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
# apt-get build-dep takes a .dsc, or a source tree of which it reads only
# debian/control.
if [ -d "$src" ]; then
    dep=/tmp/src
    mkdir -p "$root$dep/debian"
    cp "$src/debian/control" "$root$dep/debian/"
else
    dep=/tmp/${src##*/}
    cp "$src" "$root$dep"
fi
mount -t proc proc "$root/proc"
APT="apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends"
# shellcheck disable=SC2086
if ! { chroot "$root" $APT update &&
       chroot "$root" $APT dist-upgrade &&
       chroot "$root" $APT -P "$PROFILES" --arch-only build-dep "$dep" &&
       chroot "$root" $APT install $EXTRA; } >"$work/apt.log" 2>&1; then
    tail -n 40 "$work/apt.log"
    die "installing the build dependencies failed (log above)"
fi
chroot "$root" apt-get clean
umount "$root/proc"
rm -rf "${root:?}$dep"
rm -rf "$root"/var/lib/apt/lists/*
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$work/manifest"
# What the key was made of must be what got in: the same version of every
# package both name (apt may satisfy a virtual package in the key by
# another provider, one that debootstrap had installed).
while read -r p v; do
    got=$(awk -v p="$p" '$1 == p { print $2 }' "$work/manifest")
    [ -z "$got" ] || [ "$got" = "$v" ] || die "the chroot got $p $got, the key says $v"
done <<<"$plan"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
touch "$out/.complete"
for old in "$base"/*; do
    case ${old##*/} in tmp.*|"$key") ;; *) rm -rf "$old" ;; esac
done
log "$SUITE build chroot $key built in $((SECONDS - t0)) s, $(du -sh "$out" | cut -f1)"
echo "$out" >&3
