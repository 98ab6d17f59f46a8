#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The dom0 of the nested Xen test, from Debian packages only: Xen, its tools,
# the NVDIMM tools and Debian's kernel, of either suite:
#   bookworm  Xen 4.17, kernel 6.1, and the shared libraries of the QEMU
#             built from this tree (which the test installs in /usr/local)
#   trixie    Xen 4.20, kernel 6.12, and Debian's own qemu-system-xen (which
#             the test replaces with make deb's package, by apt); libvirt
#             with its Xen driver, as an admin installs it
# Cached in $CACHE/xen-dom0-SUITE/KEY, where KEY hashes every package that
# goes in at the version apt picks (the dependency closure), this script and
# the archive entries; rebuilt from scratch when absent.
#
#   image.sh [SUITE]    build if needed; print the image directory on stdout
#
# XEN_TEST_QEMU names the QEMU binary whose libraries go in for bookworm
# (default: the build's).
#
# The directory holds rootfs.img (ext4, sparse; boot it read-only or with
# snapshot=on), xen (the multiboot ELF), vmlinuz, initrd.img, kernel-version
# and manifest (what dpkg installed).  dom0 boots with init=/sbin/xtest-init,
# which runs /xt/run.sh from a tar on the second virtio disk, then powers off.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
. "$TOP/devtools/apt-suite.sh"
QEMU=${XEN_TEST_QEMU:-$QEMU}    # another build of ours to test, if given
exec 3>&1 1>&2          # progress on stderr; stdout carries only the result

APT="apt-get -o DPkg::Lock::Timeout=600 -y -q"
export DEBIAN_FRONTEND=noninteractive
SUITE=${1:-bookworm}

# (Host tools, debootstrap and the outer QEMU among them: devtools/deps.sh.)
[ -x /usr/sbin/debootstrap ] || die "no debootstrap: run make deps"

# The shared libraries of our QEMU, as the packages that ship them.
qemu_lib_pkgs() {
    local lib pkg
    ldd "$QEMU" | awk '/=> \// { print $3 }' | while read -r lib; do
        # usrmerge: dpkg may know the file under /lib or under /usr/lib.
        pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
              dpkg -S "${lib#/usr}" 2>/dev/null) || die "no package ships $lib"
        echo "${pkg%%:*}"
    done | sort -u
}
# Bridges for the guests' network: iproute2 (Xen's vif-bridge uses ip).
# attr: setfattr, to leave a pin as a crashed host leaves it.
COMMON="xenstore-utils ndctl daxctl linux-image-amd64 busybox kmod udev iproute2 procps
        seabios e2fsprogs attr"
case $SUITE in
    bookworm)
        XEN_VER=4.17
        [ -x "$QEMU" ] || die "$QEMU is not built (make build)"
        PKGS="$(qemu_lib_pkgs | tr '\n' ' ')" ;;
    trixie)
        XEN_VER=4.20
        PKGS="qemu-system-xen libvirt-daemon-system libvirt-daemon-driver-xen libvirt-clients" ;;
    *) die "no dom0 image for suite $SUITE (bookworm or trixie)" ;;
esac
PKGS="xen-hypervisor-$XEN_VER-amd64 xen-utils-$XEN_VER $COMMON $PKGS"

sources=$(suite_sources "$SUITE")
mirror=$(printf '%s\n' "$sources" | sed -n 's/^URIs: //p' | head -n 1)

# Cache key: every package apt would install, this script and the archive
# entries.
suite_apt "$SUITE"
# shellcheck disable=SC2086
versions=$(suite_plan install $PKGS) || die "apt cannot install the $SUITE dom0: $PKGS"
key=$( { echo "$versions"; cat "$0"; echo "$sources"; } | sha256sum | cut -c1-16)
out=$CACHE/xen-dom0-$SUITE/$key

if [ -f "$out/rootfs.img" ] && [ -f "$out/xen" ] && [ -f "$out/manifest" ]; then
    log "dom0 image cached: $out"
    echo "$out" >&3
    exit 0
fi

log "building the $SUITE dom0 image $key ($(echo "$versions" | wc -l) packages)"
t0=$SECONDS
mkdir -p "$CACHE/xen-dom0-$SUITE"
work=$(mktemp -d "$CACHE/xen-dom0-$SUITE/tmp.XXXXXX")
root=$work/rootfs
cleanup() {
    local m
    # Never delete through a mount: unmount what the chroot had, innermost first.
    for m in $(findmnt -rn -o TARGET | grep "^$root/" | sort -r); do
        umount -l "$m" || true
    done
    if findmnt -rn -o TARGET | grep -q "^$root/"; then
        echo "error: mounts left under $root; not removing $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; die "debootstrap failed"; }

# The rest with apt in the chroot, from the suite with its updates and
# security, so what gets in is what the key was made of.
rm -f "$root/etc/apt/sources.list"
printf '%s\n' "$sources" >"$root/etc/apt/sources.list.d/debian.sources"
# No services start in the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
# shellcheck disable=SC2086
if ! { chroot "$root" $APT update &&
       chroot "$root" $APT dist-upgrade &&
       chroot "$root" $APT install --no-install-recommends $PKGS; } >"$work/apt.log" 2>&1; then
    tail -n 40 "$work/apt.log"
    die "installing the dom0 packages failed (log above)"
fi
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$work/manifest"
chroot "$root" apt-get clean
umount "$root/sys" "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/*

# What the key was made of must be what got in: the same version of every
# package both name (apt may satisfy a virtual package in the key by
# another provider, one that debootstrap had installed).
while read -r p v; do
    got=$(awk -v p="$p" '$1 == p { print $2 }' "$work/manifest")
    [ -z "$got" ] || [ "$got" = "$v" ] || die "dom0 got $p $got, the key says $v"
done <<<"$versions"

# dom0's init: mount, unpack the test tar from the second disk to /xt, run
# /xt/run.sh, power off (Xen then enters S5 and the outer QEMU exits).
{
echo '#!/bin/sh'
echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-$XEN_VER/bin"
cat <<'INIT'
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
echo "XTEST: dom0 userspace at $(cut -d' ' -f1 /proc/uptime) s"
modprobe virtio_blk 2>/dev/null
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
mkdir -p /xt
if (cd /xt && tar -xf /dev/vdb) && [ -x /xt/run.sh ]; then
    /xt/run.sh </dev/null 2>&1
    echo "XTEST: run.sh exit $?"
else
    echo "XTEST: no test tar on /dev/vdb"
fi
echo "XTEST: powering off at $(cut -d' ' -f1 /proc/uptime) s"
sync
echo o >/proc/sysrq-trigger
sleep 60
INIT
} >"$root/sbin/xtest-init"
chmod 755 "$root/sbin/xtest-init"
echo xtest-dom0 >"$root/etc/hostname"

kver=$(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel in the image"
xengz=$root/boot/xen-$XEN_VER-amd64.gz
zcat "$xengz" >"$work/xen"
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
echo "$kver" >"$work/kernel-version"
echo "$XEN_VER" >"$work/xen-version"

# ext4 with room to spare for logs; sparse, about the size of the tree.
mb=$(( $(du -sm "$root" | cut -f1) + 512 ))
truncate -s "${mb}M" "$work/rootfs.img"
mkfs.ext4 -q -F -L xroot -d "$root" "$work/rootfs.img"
rm -rf "$root"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# Only the newest image is kept.
for old in "$CACHE/xen-dom0-$SUITE"/*; do
    [ "$old" = "$out" ] || [ ! -d "$old" ] || case ${old##*/} in tmp.*) ;; *) rm -rf "$old" ;; esac
done
log "$SUITE dom0 image $key built in $((SECONDS - t0)) s: Xen $(awk -v p="xen-hypervisor-$XEN_VER-amd64" '$1 == p { print $2 }' "$out/manifest"), kernel $kver, $(du -sh "$out" | cut -f1) on disk"
echo "$out" >&3
