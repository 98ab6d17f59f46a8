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

# Where make mutate keeps the originals of the files a mutant replaces in
# $SRC (a symlink into this tree, or a patched file), so that a run that was
# killed leaves no mutant in the build, and never one in this tree.
MUTANT_SAVED=$BUILD/mutant-saved
mutant_restore() {
    local f
    [ -d "$MUTANT_SAVED" ] || return 0
    while IFS= read -r -d '' f; do
        cp -a -P --remove-destination "$MUTANT_SAVED/$f" "$SRC/$f"
        # (Newer than the mutant's objects, so that ninja rebuilds them.)
        touch "$SRC/$f"
    done < <(cd "$MUTANT_SAVED" && find . \( -type f -o -type l \) -print0)
    rm -rf "$MUTANT_SAVED"
}
