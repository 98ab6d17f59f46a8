#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Linux test guest from Debian packages: the stock kernel, booted
# PVH-style from its uncompressed vmlinux (no decompression under TCG),
# and a busybox initramfs with the NVDIMM tools.
#
#   image.sh OUTDIR [FILE...]
#
# writes OUTDIR/vmlinux, OUTDIR/vmlinuz (the bzImage) and OUTDIR/initrd.img; the FILEs go to /test in the
# guest, and /test/run.sh (one of them) is what the guest runs.
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
MODULES="nfit nd_pmem nd_btt nd_e820 dax_pmem device_dax ext4 xfs crc32c_generic
         vfat nls_cp437 nls_utf8 nls_ascii xen-blkfront xen-netfront"
kdir=$CACHE/guest/kernel-$kver-$(echo "$MODULES" | md5sum | cut -c1-8)

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
    md=$tmp/x/lib/modules/$kver
    depmod -b "$tmp/x" "$kver"      # the package leaves modules.dep to its postinst
    mkdir -p "$tmp/mods/lib/modules/$kver"
    for m in $MODULES; do
        line=$(grep -E "/$m\.ko(\.xz)?:" "$md/modules.dep") ||
            die "module $m is not in kernel $kver"
        for f in ${line%%:*} ${line#*:}; do
            mkdir -p "$tmp/mods/lib/modules/$kver/$(dirname "$f")"
            cp "$md/$f" "$tmp/mods/lib/modules/$kver/$f"
        done
    done
    cp "$md"/modules.order "$md"/modules.builtin "$md"/modules.builtin.modinfo \
        "$tmp/mods/lib/modules/$kver/"
    depmod -b "$tmp/mods" "$kver"
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
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,test,lib64}
cp -a "$kdir/mods/lib" "$root/"
cp /usr/bin/busybox "$root/bin/"
tools="ndctl daxctl mke2fs mkfs.xfs sfdisk kmod"
for t in $tools; do
    cp "$(command -v "$t")" "$root/bin/"
done
# Tools that busybox also has, at their own paths: the real ones are meant.
mkdir -p "$root/usr/bin" "$root/etc"
for t in fallocate e4defrag xfs_fsr; do
    cp "$(command -v "$t")" "$root/usr/bin/"
done
ln -s /proc/mounts "$root/etc/mtab"
ln -s mke2fs "$root/bin/mkfs.ext4"
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
