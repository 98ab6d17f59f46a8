#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Export the patch series as `git format-patch` files on top of the QEMU
# version it is built on, ready to post:  export-series.sh [OUTDIR]
#
# The base is a git repository of Debian's unpacked QEMU source (without
# debian/ and .pc/), made once per version and cached.
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=${1:-$BUILD/series}
version=$(qemu_source_version)
base=$CACHE/qemu-git/${version//:/_}.git

if [ ! -f "$base/xen-nvdimm-base" ]; then
    log "making the export base $base"
    dsc=$(ls "$CACHE"/qemu-source/qemu_"${version#*:}".dsc)
    tmp=$(mktemp -d)
    dpkg-source --no-copy --no-check -x "$dsc" "$tmp/qemu" >/dev/null 2>&1
    rm -rf "$tmp/qemu/debian" "$tmp/qemu/.pc" "$base"
    git init -q --bare "$base"
    GIT_DIR=$base GIT_WORK_TREE=$tmp/qemu GIT_INDEX_FILE=$tmp/index git add -A -f
    tree=$(GIT_DIR=$base GIT_INDEX_FILE=$tmp/index git write-tree)
    commit=$(echo "QEMU $version (Debian source)" |
             GIT_DIR=$base GIT_AUTHOR_NAME=Debian GIT_AUTHOR_EMAIL=qemu@packages.debian.org \
             GIT_COMMITTER_NAME=Debian GIT_COMMITTER_EMAIL=qemu@packages.debian.org \
             git commit-tree "$tree")
    GIT_DIR=$base git update-ref HEAD "$commit"
    rm -rf "$tmp"
    touch "$base/xen-nvdimm-base"
fi
"$TOP/devtools/series.sh" export "$base" "$out"
