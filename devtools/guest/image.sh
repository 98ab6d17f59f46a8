#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Linux test guest from Debian packages: the stock kernel, booted
# PVH-style from its uncompressed vmlinux (no decompression under TCG),
# and a busybox initramfs with the NVDIMM tools.
#
#   [GUEST_FS=no] image.sh OUTDIR [FILE...]
#
# writes OUTDIR/vmlinux, OUTDIR/vmlinuz (the bzImage) and OUTDIR/initrd.img; the FILEs go to /test in the
# guest, and /test/run.sh (one of them) is what the guest runs.  GUEST_FS=no:
# a guest that makes and mounts no filesystem (the nested Xen guests), without
# the filesystem modules and mkfs tools: loading ext4 and xfs takes about a
# third of a guest's way to its test.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

out=$1
shift
mkdir -p "$out"

# The kernel is cached by version: download, vmlinux and needed modules.
kpkg=$(apt-cache depends linux-image-amd64 |
       sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
kver=${kpkg#linux-image-}
[ -n "$kver" ] || die "cannot find the kernel package of linux-image-amd64"
FS_MODULES="ext4 xfs vfat nls_cp437 nls_utf8 nls_ascii"
MODULES="nfit nd_pmem nd_btt nd_e820 dax_pmem device_dax crc32c_generic $FS_MODULES
         xen-blkfront xen-netfront"
kdir=$CACHE/guest/kernel-$kver-$(echo "$MODULES" | md5sum | cut -c1-8)

# copy_modules FROM TO MODULE...: the modules and what they depend on, from
# one module tree (FROM/lib/modules/$kver with its modules.dep) to another,
# with its own modules.dep.
copy_modules() {
    local from=$1/lib/modules/$kver dest=$2 to=$2/lib/modules/$kver m line f
    shift 2
    mkdir -p "$to"
    for m in "$@"; do
        line=$(grep -E "/$m\.ko(\.xz)?:" "$from/modules.dep") ||
            die "module $m is not in kernel $kver"
        for f in ${line%%:*} ${line#*:}; do
            mkdir -p "$to/$(dirname "$f")"
            cp "$from/$f" "$to/$f"
        done
    done
    cp "$from"/modules.order "$from"/modules.builtin "$from"/modules.builtin.modinfo "$to/"
    depmod -b "$dest" "$kver"
}

if [ ! -f "$kdir/vmlinux" ] || [ ! -f "$kdir/vmlinuz" ]; then
    log "fetching Debian kernel $kver"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >/dev/null) ||
        die "apt-get download $kpkg failed"
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    # bzImage carries an xz-compressed vmlinux: take it out.
    /usr/bin/python3 - "$tmp/x/boot/vmlinuz-$kver" "$tmp/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")
if at < 0:
    sys.exit("no xz payload in " + sys.argv[1])
open(sys.argv[2], "wb").write(lzma.LZMADecompressor().decompress(data[at:]))
PY
    depmod -b "$tmp/x" "$kver"      # the package leaves modules.dep to its postinst
    # shellcheck disable=SC2086
    copy_modules "$tmp/x" "$tmp/mods" $MODULES
    rm -rf "$kdir"
    mkdir -p "$kdir"
    mv "$tmp/vmlinux" "$tmp/mods" "$kdir/"
    # The bzImage too, for guests whose firmware loads it (Xen HVM).
    cp "$tmp/x/boot/vmlinuz-$kver" "$kdir/vmlinuz"
    echo "$kpkg $(dpkg-deb -f "$tmp"/*.deb Version)" >"$kdir/version"
    rm -rf "$tmp"
fi
cp "$kdir/vmlinux" "$out/vmlinux"
cp "$kdir/vmlinuz" "$out/vmlinuz"

# The initramfs is rebuilt every time (about a second): tests change.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,test,lib64} "$root/usr/bin" "$root/etc"
cp /usr/bin/busybox "$root/bin/"
tools="ndctl daxctl sfdisk kmod"
if [ "${GUEST_FS:-yes}" = no ]; then
    load=$(for m in $MODULES; do [[ " $FS_MODULES " == *" $m "* ]] || echo "$m"; done)
    # shellcheck disable=SC2086
    copy_modules "$kdir/mods" "$root" $load
else
    load=$MODULES
    cp -a "$kdir/mods/lib" "$root/"
    tools="$tools mke2fs mkfs.xfs"
    # Tools that busybox also has, at their own paths: the real ones are meant.
    for t in fallocate e4defrag xfs_fsr; do
        cp "$(command -v "$t")" "$root/usr/bin/"
    done
    ln -s mke2fs "$root/bin/mkfs.ext4"
fi
# What the guest's init loads (a Xen guest's test loads the PV drivers).
# shellcheck disable=SC2086
echo $load | tr ' ' '\n' | grep -v -x -E 'xen-(blk|net)front' | tr '\n' ' ' >"$root/etc/modules"
for t in $tools; do
    cp "$(command -v "$t")" "$root/bin/"
done
ln -s /proc/mounts "$root/etc/mtab"
for m in modprobe insmod depmod; do
    ln -s kmod "$root/bin/$m"
done
cp "$@" "$root/test/"
# Shared libraries at the paths the loader expects (host = Debian 12 too).
for f in "$root"/bin/* "$root"/usr/bin/* "$root"/test/*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    { ldd "$f" 2>/dev/null || true; } |    # static busybox: no libraries
        awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
cp "$TOP/devtools/guest/init" "$root/init"
chmod +x "$root/init" "$root"/test/*.sh
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out/initrd.img"
log "guest: kernel $kver, initramfs $(du -h "$out/initrd.img" | cut -f1)"
