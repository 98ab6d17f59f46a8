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

# The test build (build.sh; test-newest-qemu.sh without TCG).
QEMU_CONFIGURE_ARGS=(
    --target-list=x86_64-softmmu
    --without-default-features
    --without-default-devices
    --with-devices-x86_64=xen-nvdimm-test
    --enable-xen --enable-tcg --disable-kvm
    --enable-vnc --enable-pixman
    --enable-libdaxctl --enable-libndctl
    --disable-docs --disable-tools --audio-drv-list=
    --python=/usr/bin/python3 --disable-download --disable-install-blobs
    --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
    # As Debian's package build: a missing prototype must not build (an
    # implicit int truncates a pointer, seen as a segfault on Xen only).
    --extra-cflags=-Werror=implicit-function-declaration
)
# What the test suite runs, built explicitly: a bare `ninja` builds far more.
QEMU_TEST_TARGETS=(
    qemu-system-x86_64
    tests/qtest/nvdimm-dsm-test
    tests/qtest/xen-nvdimm-test
    tests/unit/test-xen-nvdimm-layout
    tests/unit/test-nvdimm-dsm
)

log() { echo "[$(date +%T)] $*"; }
die() { echo "error: $*" >&2; exit 1; }

# The Debian version of the unpacked source, e.g. 1:10.0.13+ds-0+deb13u1.
qemu_source_version() {
    dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version
}

# The firmware where the QEMU built in $QBUILD looks for it: the build
# tree's qemu-bundle stands for the install prefix.
link_firmware() {
    local bundle=$QBUILD/qemu-bundle dir
    mkdir -p "$bundle/usr/local/share/qemu"
    for dir in /usr/share/seabios /usr/lib/ipxe/qemu; do
        mkdir -p "$(dirname "$bundle$dir")"
        ln -sfn "$dir" "$bundle$dir"
    done
    # VNC loads a keymap even for libxl's "-vnc none".
    ln -sfn "$SRC/pc-bios/keymaps" "$bundle/usr/local/share/qemu/keymaps"
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

# One check per test program of the build in $QBUILD, through QEMU's own
# harness.  A skipped subtest fails the check: nothing here may pass by not
# running.
meson_tests() {
    local out rc skipped
    out=$("$QBUILD/pyvenv/bin/meson" test -C "$QBUILD" --no-rebuild \
              --print-errorlogs --verbose "$@" 2>&1)
    rc=$?
    echo "$out" | grep -E '^(Ok|Fail|Skipped|Timeout):|subtests passed|^not ok'
    skipped=$(echo "$out" | grep -E '^ *▶ .* SKIP *$|^ok .*# SKIP' || true)
    if [ -n "$skipped" ]; then
        echo "skipped, which counts as failed:"
        echo "$skipped"
        return 1
    fi
    [ $rc = 0 ] || echo "$out" | tail -n 40
    return $rc
}

# Is file $1 in an F: pattern of the series' one MAINTAINERS section?
maintained() {
    local pat
    while read -r pat; do
        # shellcheck disable=SC2053  # the pattern is a glob
        [[ $1 == $pat ]] && return 0
    done < <(awk '/^Xen virtual NVDIMM$/ { on = 1; next }
                  on && /^$/ { exit }
                  on && /^F: / { print $2 }' "$SRC/MAINTAINERS")
    return 1
}

# The checkpatch.pl of the QEMU in $SRC over the exported series; a warning fails it too,
# but for "does MAINTAINERS need updating?" on a patch whose new files the
# MAINTAINERS section of the first patch already covers (one section, one
# hunk, for the whole series; QEMU 10.2 lists the files in that warning).
checkpatch() {
    local patch out rc=0 f uncovered
    "$TOP/devtools/export-series.sh" "$BUILD/series" >/dev/null || return 1
    for patch in "$BUILD"/series/*.patch; do
        [ "${patch##*/}" != 0000-cover-letter.patch ] || continue
        out=$(cd "$SRC" && ./scripts/checkpatch.pl "$patch" 2>&1)
        if grep -q '^total: 0 errors, 1 warnings' <<<"$out" &&
           grep -q '^WARNING: added, moved or deleted file(s)' <<<"$out"; then
            uncovered=
            while read -r f; do
                maintained "$f" || uncovered="$uncovered $f"
            done < <(sed -n 's/^ create mode [0-7]* //p' "$patch")
            if [ -z "$uncovered" ]; then
                echo "$(basename "$patch"): 0 errors, 0 warnings but for MAINTAINERS, whose section covers its new files"
                continue
            fi
            echo "$(basename "$patch"): new files in no F: line of the MAINTAINERS section:$uncovered"
        fi
        if ! grep -q '^total: 0 errors, 0 warnings' <<<"$out"; then
            echo "$out"
            rc=1
        fi
        echo "$(basename "$patch"): $(grep '^total:' <<<"$out")"
    done
    return $rc
}
