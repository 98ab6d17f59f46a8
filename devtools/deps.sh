#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what building and testing xen-nvdimm needs on Debian 12 (root).
# Adds deb-src (bookworm, trixie) and bookworm-backports entries that point at
# the Debian archive this machine already uses; never a hard-coded host.
set -euo pipefail

APT="apt-get -o DPkg::Lock::Timeout=600 -y"
export DEBIAN_FRONTEND=noninteractive
LIST=/etc/apt/sources.list.d/xen-nvdimm.sources

die() { echo "deps: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"

# The archive URI of the machine's own bookworm entry (deb822 or one-line form).
debian_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] && [ "$f" != "$LIST" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ {
                 for (i = 1; i <= NF; i++)
                     if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); print u[2]; exit }
             }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $0 ~ / bookworm / {
                 for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
             }' || true
}

mirror=$(debian_mirror | head -n 1)
[ -n "$mirror" ] || die "cannot find the Debian bookworm archive in the apt sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

want=$(cat <<SRC
# Written by xen-nvdimm devtools/deps.sh from this machine's own archive.
Types: deb deb-src
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: $keyring

Types: deb-src
URIs: $mirror
Suites: bookworm trixie
Components: main
Signed-By: $keyring
SRC
)
stamp=/var/lib/xen-nvdimm-deps.stamp
if [ "$(cat "$LIST" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" >"$LIST"
    rm -f "$stamp"
fi

# QEMU's build deps (lib32gcc for its x86 option ROMs), the Xen and NVDIMM
# libraries (pixman for VNC, which libxl always asks for), firmware for
# guests, tools for the series export, what the test guests' initramfs is
# made of, for the Xen test, debootstrap and the outer QEMU, and strace,
# which the qtest uses to watch and fail QEMU's label syncs, PMDK's
# libpmem2, a client of the guest's unsafe-shutdown count, and clang with
# libFuzzer and the sanitizers' runtimes, for the fuzz targets.
PKGS="build-essential pkg-config ninja-build python3-venv python3-setuptools
      flex bison ccache dpkg-dev git xz-utils lib32gcc-12-dev
      libglib2.0-dev zlib1g-dev
      libxen-dev libndctl-dev libdaxctl-dev
      seabios ipxe-qemu
      libpixman-1-dev
      busybox-static kmod ndctl daxctl e2fsprogs xfsprogs fdisk acpica-tools xenstore-utils
      debootstrap qemu-system-x86 strace libpmem2-dev
      clang libfuzzer-14-dev libclang-rt-14-dev"

if [ ! -e "$stamp" ] || [ "$(cat "$stamp")" != "$(echo $PKGS)" ]; then
    $APT update
    # shellcheck disable=SC2086
    $APT install --no-install-recommends $PKGS
    $APT install --no-install-recommends -t bookworm-backports meson
    echo $PKGS >"$stamp"
fi

meson_version=$(meson --version)
if ! dpkg --compare-versions "$meson_version" ge 1.5; then
    die "meson $meson_version is too old: QEMU 10.0 needs >= 1.5 (bookworm-backports)"
fi
echo "deps: ok (archive $mirror, meson $meson_version)"
