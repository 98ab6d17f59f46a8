# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared settings for the devtools scripts; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Downloads and images are cached outside the clone so repeat runs skip them.
CACHE=${XEN_NVDIMM_CACHE:-/var/cache/xen-nvdimm}
BUILD=${XEN_NVDIMM_BUILD:-$TOP/build}
SRC=$BUILD/src              # Debian's QEMU source with the series applied
QBUILD=$BUILD/qemu          # meson build directory
QEMU=$QBUILD/qemu-system-x86_64
QEMU_SUITE=trixie
QEMU_SERIES=10.0            # the major.minor the patch series is written for

log() { echo "[$(date +%T)] $*"; }
die() { echo "error: $*" >&2; exit 1; }

# The Debian version of the unpacked source, e.g. 1:10.0.13+ds-0+deb13u1.
qemu_source_version() {
    dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version
}
