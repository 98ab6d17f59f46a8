#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every commit of the exported series builds, as a maintainer bisecting
# would need: QEMU and the unit tests and qtests that exist at that commit,
# in the test build's configuration, and with no compiler warning in a file
# the series adds or changes (as -Werror in a git tree of QEMU would have
# it; the flag itself would also stop at QEMU 10.0's own warnings in this
# configuration, and part the build from the test build's ccache).  The
# commits are applied one at a time with `git am` to a checkout of the
# base, and built in one build tree, so each step rebuilds only what its
# commit changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/devtools/qemu-source.sh" >/dev/null
work=$BUILD/series-builds
version=$(qemu_source_version)
base=$CACHE/qemu-git/${version//:/_}.git
"$TOP/devtools/export-series.sh" "$work/series" >/dev/null
patches=("$work"/series/0*.patch)
patches=("${patches[@]/*0000-cover-letter.patch/}")

# The source tree has no .git (its repository is beside it): in a git tree,
# QEMU's configure makes -Werror the default, which --disable-werror does
# not undo once meson regenerates.
src=$work/src
repo=$work/repo.git
g() { git --git-dir="$repo" --work-tree="$src" "$@"; }
if [ "$(git --git-dir="$repo" config --get remote.origin.url 2>/dev/null)" != "$base" ]; then
    rm -rf "$src" "$repo"
    git clone -q --shared --bare "$base" "$repo"
    git --git-dir="$repo" config core.bare false
fi
mkdir -p "$src"
g am --abort >/dev/null 2>&1 || true
g checkout -q -f --detach "$(git --git-dir="$base" rev-parse HEAD)"
rm -rf "$work/build"

if [ "${XEN_NVDIMM_CCACHE:-1}" = 1 ]; then
    export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=$CACHE/ccache
    export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
else
    export CCACHE_DISABLE=1
fi

# The test build's devices, but for the symbols that do not exist yet at a
# commit (minikconf refuses an unknown one).  Rewritten only when it
# changes: a new mtime makes meson regenerate.
devices() {
    local mak=$src/configs/devices/x86_64-softmmu/xen-nvdimm-test.mak tmp
    tmp=$(mktemp)
    if grep -q '^config XEN_NVDIMM$' "$src/hw/xen/Kconfig"; then
        cp "$TOP/devtools/devices.mak" "$tmp"
    else
        grep -v '^CONFIG_XEN_NVDIMM=' "$TOP/devtools/devices.mak" >"$tmp"
    fi
    if cmp -s "$tmp" "$mak"; then rm -f "$tmp"; else mv "$tmp" "$mak"; fi
}

# The files the series adds or changes, one per line.
ours=$( { "$TOP/devtools/series.sh" files
          for p in "${patches[@]}"; do [ -z "$p" ] || sed -n 's|^+++ b/||p' "$p"; done; } |
        sort -u)

build() {
    local what=$1 targets=(qemu-system-x86_64) t warned
    for t in "${QEMU_TEST_TARGETS[@]:1}"; do
        [ ! -f "$src/$t.c" ] || targets+=("$t")
    done
    devices
    if ! ninja -C "$work/build" "${targets[@]}" >"$work/ninja.log" 2>&1; then
        grep -E 'error|FAILED|undefined reference' "$work/ninja.log" | head -n 40
        echo "FAIL: $what does not build ($(echo "${targets[@]}"); log: $work/ninja.log)"
        return 1
    fi
    # (ccache replays a cached compile's warnings too.)
    warned=$(grep -E '^(\.\./src/)?[^ :]+:[0-9]+:[0-9]+: warning:' "$work/ninja.log" |
             sed 's|^\.\./src/||' |
             awk -F: 'NR == FNR { ours[$0] = 1; next } ($1 in ours)' <(echo "$ours") - || true)
    if [ -n "$warned" ]; then
        echo "$warned" | head -n 20
        echo "FAIL: $what builds, with warnings in the series' files (log: $work/ninja.log)"
        return 1
    fi
    echo "PASS: $what builds, without a warning in the series' files ($(echo "${targets[@]}"))"
}

# Configure once every option of the test build exists: the first commits
# (the docs, the libndctl option) are built together with the commit that
# adds the last one, so that the build's configuration is the test
# build's throughout (and ccache finds its objects).
has_options() {
    local a
    for a in "${QEMU_CONFIGURE_ARGS[@]}"; do
        [[ $a != --enable-* ]] || grep -q -- "${a#--})" "$src/scripts/meson-buildoptions.sh" || return 1
    done
}
am() {
    g -c user.name=series -c user.email=series@localhost am -q "$1" && return 0
    g am --abort || true
    die "${1##*/} does not apply with git am"
}

rc=0
first=
for p in "${patches[@]}"; do
    [ -n "$p" ] || continue
    am "$p"
    if [ ! -f "$work/build/build.ninja" ]; then
        first=${first:-${p##*/}}
        has_options || continue
        devices
        log "configuring QEMU in $work/build at ${p##*/}"
        rm -rf "$work/build"
        mkdir -p "$work/build"
        (cd "$work/build" && "$src/configure" "${QEMU_CONFIGURE_ARGS[@]}" >configure.log 2>&1) ||
            { tail -n 40 "$work/build/configure.log"; die "configure failed"; }
        what=${p##*/}
        [ "$first" = "$what" ] || what="$first to $what"
    else
        what=${p##*/}
    fi
    build "$what" || rc=1
done
[ -f "$work/build/build.ninja" ] || die "no commit of the series has every option of the test build"
exit $rc
