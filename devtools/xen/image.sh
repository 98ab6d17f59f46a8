#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The dom0 of the nested Xen test, from Debian bookworm packages only: Xen
# 4.17, its tools, the NVDIMM tools, Debian's kernel and the shared libraries
# the QEMU built from this tree needs.  Cached in $CACHE/xen-dom0/KEY, where
# KEY hashes the candidate versions of every package that goes in (the
# dependency closure) and this script; rebuilt from scratch when absent.
#
#   image.sh            build if needed; print the image directory on stdout
#
# XEN_TEST_QEMU names the QEMU binary whose libraries go in (default: the
# build's).
#
# The directory holds rootfs.img (ext4, sparse; boot it read-only or with
# snapshot=on), xen (the multiboot ELF), vmlinuz, initrd.img, kernel-version
# and manifest (what dpkg installed).  dom0 boots with init=/sbin/xtest-init,
# which runs /xt/run.sh from a tar on the second virtio disk, then powers off.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
QEMU=${XEN_TEST_QEMU:-$QEMU}    # another build of ours to test, if given
exec 3>&1 1>&2          # progress on stderr; stdout carries only the result

APT="apt-get -o DPkg::Lock::Timeout=600 -y -q"
export DEBIAN_FRONTEND=noninteractive
SUITE=bookworm

# (Host tools, debootstrap and the outer QEMU among them: devtools/deps.sh.)
[ -x /usr/sbin/debootstrap ] || die "no debootstrap: run make deps"
[ -x "$QEMU" ] || die "$QEMU is not built (make build)"

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
PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils ndctl daxctl
      linux-image-amd64 busybox kmod udev iproute2 procps seabios
      $(qemu_lib_pkgs | tr '\n' ' ')"

# The Debian archive entries of this machine for bookworm, its updates and
# security suites (deb822 stanzas or one-line entries), main only.
host_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
            {
                types = uris = suites = signed = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/) types = $i
                    if ($i ~ /^URIs:/) uris = $i
                    if ($i ~ /^Suites:/) suites = $i
                    if ($i ~ /^Signed-By:/) signed = $i
                }
                if (types !~ /[ \t]deb([ \t]|$)/) next
                n = split(suites, s, /[ \t]+/); keep = ""
                for (i = 2; i <= n; i++)
                    if (s[i] == suite || s[i] == suite "-updates" || s[i] == suite "-security")
                        keep = keep " " s[i]
                if (keep == "") next
                printf "Types: deb\n%s\nSuites:%s\nComponents: main\n%s\n\n", uris, keep, signed
            }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v suite="$SUITE" '$1 == "deb" && ($3 == suite || $3 == suite "-updates" ||
                                                $3 == suite "-security") {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print "deb", $i, $3, "main"; next }
        }' || true
}
sources=$(host_sources)
mirror=$(printf '%s\n' "$sources" |
         awk -v suite="$SUITE" '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) { print u; exit } }
              $1 == "deb" && $3 == suite { print $2; exit }')
[ -n "$mirror" ] || die "cannot find the Debian $SUITE archive in the apt sources"

# Cache key: every package of the closure at its candidate version, this
# script and the archive entries.
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
              --no-breaks --no-replaces --no-enhances $PKGS |
          grep -v '^[ <]' | sort -u)
# shellcheck disable=SC2086
versions=$(apt-cache policy $closure | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
echo "$versions" | grep -q ' (none)$' &&
    die "no candidate for: $(echo "$versions" | awk '$2 == "(none)" { print $1 }' | tr '\n' ' ')"
key=$( { echo "$versions"; cat "$0"; echo "$sources"; } | sha256sum | cut -c1-16)
out=$CACHE/xen-dom0/$key

if [ -f "$out/rootfs.img" ] && [ -f "$out/xen" ] && [ -f "$out/manifest" ]; then
    log "dom0 image cached: $out"
    echo "$out" >&3
    exit 0
fi

log "building the dom0 image $key ($(echo "$closure" | wc -w) packages in the closure)"
t0=$SECONDS
mkdir -p "$CACHE/xen-dom0"
work=$(mktemp -d "$CACHE/xen-dom0/tmp.XXXXXX")
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

# The rest with apt in the chroot, from the same suites as the host (with
# updates and security), so what gets in is what the key was made of.
rm -f "$root/etc/apt/sources.list"
printf '%s\n' "$sources" >"$root/etc/apt/sources.list.d/host.sources"
if ! grep -q '^Types:' "$root/etc/apt/sources.list.d/host.sources"; then
    mv "$root/etc/apt/sources.list.d/host.sources" "$root/etc/apt/sources.list"
fi
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

# What we asked for must be what got in (a stale host list would differ).
while read -r p v; do
    grep -qx "$p $v" "$work/manifest" || die "dom0 got $(grep "^$p " "$work/manifest" || echo "no $p"), the key says $v"
done < <(echo "$versions" | grep -E "^($(echo $PKGS | tr ' ' '|')) ")

# dom0's init: mount, unpack the test tar from the second disk to /xt, run
# /xt/run.sh, power off (Xen then enters S5 and the outer QEMU exits).
cat >"$root/sbin/xtest-init" <<'INIT'
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
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
chmod 755 "$root/sbin/xtest-init"
echo xtest-dom0 >"$root/etc/hostname"

kver=$(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel in the image"
xengz=$(ls "$root"/boot/xen-4.17-amd64.gz 2>/dev/null || ls "$root"/boot/xen-*.gz | head -n 1)
zcat "$xengz" >"$work/xen"
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
echo "$kver" >"$work/kernel-version"

# ext4 with room to spare for logs; sparse, about the size of the tree.
mb=$(( $(du -sm "$root" | cut -f1) + 512 ))
truncate -s "${mb}M" "$work/rootfs.img"
mkfs.ext4 -q -F -L xroot -d "$root" "$work/rootfs.img"
rm -rf "$root"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# Only the newest image is kept.
for old in "$CACHE"/xen-dom0/*; do
    [ "$old" = "$out" ] || [ ! -d "$old" ] || case ${old##*/} in tmp.*) ;; *) rm -rf "$old" ;; esac
done
log "dom0 image $key built in $((SECONDS - t0)) s: Xen $(awk '$1 == "xen-hypervisor-4.17-amd64" { print $2 }' "$out/manifest"), kernel $kver, $(du -sh "$out" | cut -f1) on disk"
echo "$out" >&3
