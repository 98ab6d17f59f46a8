# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# What make deb and make xen-deb share around dpkg-buildpackage in a build
# chroot; sourced, not run.
#
#   umount_below DIR         lazily unmount everything mounted below DIR
#   lintian_check ROOT WORK  lintian, as nobody in chroot ROOT, on the
#                            .changes in WORK (bind-mounted at /build):
#                            errors fail, the report is WORK/lintian.txt
#   keep_result WORK CACHED  keep the packages, .changes, .buildinfo,
#                            lintian.txt and build.log of WORK in CACHED,
#                            the only result kept in CACHED's directory

umount_below() {
    local m
    for m in $(findmnt -rn -o TARGET | grep "^$1/" | sort -r); do
        umount -l "$m" || true
    done
}

lintian_check() {
    local changes
    changes=$(cd "$2" && ls ./*.changes)
    chroot "$1" su nobody -s /bin/sh -c \
        "cd /build && HOME=/tmp lintian --fail-on error --display-level '>=warning' $changes" \
        >"$2/lintian.txt" 2>&1 ||
        { cat "$2/lintian.txt"; die "lintian reports errors"; }
}

keep_result() {
    local old
    mkdir -p "${2%/*}"
    rm -rf "$2.tmp"
    mkdir "$2.tmp"
    cp "$1"/*.deb "$1"/*.changes "$1"/*.buildinfo "$1/lintian.txt" "$1/build.log" "$2.tmp/"
    rm -rf "$2"
    mv "$2.tmp" "$2"
    for old in "${2%/*}"/*; do
        [ "$old" = "$2" ] || rm -rf "$old"
    done
}
