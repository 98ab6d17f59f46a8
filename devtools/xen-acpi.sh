#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hvmloader's own ACPI tables, compiled from Debian's Xen source (bookworm:
# Xen 4.17): the DSDT of an HVM guest with the qemu-xen device model, and
# the SSDTs hvmloader may add.  Cached by version; prints the directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dl=$CACHE/xen-source
mkdir -p "$dl"
# One download at a time (make xen-deb's chroot may be prepared meanwhile).
(flock 9 && cd "$dl" && apt-get source --download-only -q -o APT::Sandbox::User=root \
    xen/bookworm >apt-source.log 2>&1) 9>"$dl/.lock" ||
    { cat "$dl/apt-source.log" >&2; die "apt-get source xen/bookworm failed"; }
dsc=$(cd "$dl" && ls -t xen_*.dsc | head -n 1)
version=$(sed -n 's/^Version: //p' "$dl/$dsc")
out=$CACHE/xen-acpi/$version
if [ ! -f "$out/dsdt.aml" ]; then
    tmp=$(mktemp -d)
    tar -C "$tmp" -xJf "$dl"/xen_"${version%-*}".orig.tar.xz \
        --wildcards '*/tools/libacpi/*'
    src=$(echo "$tmp"/*/tools/libacpi)
    # As tools/libacpi/Makefile makes dsdt_anycpu_qemu_xen.asl.
    gcc -DCONFIG_X86 -D__XEN_TOOLS__ -o "$tmp/mk_dsdt" "$src/mk_dsdt.c"
    awk 'NR > 1 {print s} {s=$0}' "$src/dsdt.asl" >"$tmp/dsdt.asl"
    cat "$src/dsdt_acpi_info.asl" >>"$tmp/dsdt.asl"
    "$tmp/mk_dsdt" --debug=n --dm-version qemu-xen >>"$tmp/dsdt.asl"
    cp "$src"/ssdt_*.asl "$tmp/"
    mkdir -p "$out.new"
    for asl in "$tmp"/dsdt.asl "$tmp"/ssdt_*.asl; do
        base=$(basename "$asl" .asl)
        iasl -p "$out.new/$base" "$asl" >"$tmp/$base.log" 2>&1 ||
            { cat "$tmp/$base.log" >&2; die "iasl $base.asl failed"; }
    done
    rm -rf "$tmp" "$out"
    mv "$out.new" "$out"
fi
echo "$out"
