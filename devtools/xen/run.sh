#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen-nvdimm on a real Xen: Debian's Xen and a PV dom0 nested under the
# outer (Debian's) QEMU with TCG and an emulated NVDIMM; in dom0, xl creates
# HVM guests with a xen-nvdimm on dom0's pmem (dom0-run.sh says what is
# checked).  Afterwards the host finds dom0's and the guest's patterns in
# the outer NVDIMM's backing file.
#
#   run.sh [bookworm]   Xen 4.17, the xen-nvdimm build of Debian's
#                       hypervisor package (make xen-deb), which maps the
#                       guests' pmem write-back: the device model is the
#                       QEMU built from this tree, through
#                       device_model_override (as root, after make build
#                       and make xen-deb)
#   run.sh trixie       Xen 4.20: the device model is Debian's
#                       qemu-system-xen from make deb, installed by apt in
#                       dom0 and started by libxl as its default; the first
#                       guest also has a disk, a network, a display and a
#                       USB tablet (as root, after make build and make deb)
#
# Environment: XEN_TEST_STALL (seconds without a byte on the serial port
# that mean a hang, default 600), XEN_TEST_TIMEOUT (seconds for the whole
# nested run however it progresses, default 14400), XEN_TEST_BENCH=1 (dom0 runs make bench's Xen part instead of the
# test: build/test-xen-SUITE-bench), XEN_TEST_CPU (outer -cpu, default
# qemu64,+svm,+npt), XEN_TEST_QEMU
# (a qemu-system-x86_64 to test instead of this tree's build; the option
# ROMs still come from the build).  Logs stay in $BUILD/test-xen-SUITE.
# The memory type the guests' pmem got is proven from outside: dom0 prints
# "XTEST-WALK ID H_CR3 GPA SIZE", this script walks that nested page table
# through the outer QEMU's QMP socket (npt-walk.py) and answers on a
# mailbox disk (dom0's /dev/vdc, 4 KiB per request).
# Exits non-zero unless every assertion passed.
set -euo pipefail
. "$(dirname "$0")/../common.sh"
QEMU=${XEN_TEST_QEMU:-$QEMU}    # another build of ours to test, if given

SUITE=${1:-bookworm}
BENCH=${XEN_TEST_BENCH:-0}
# A busy host makes the nested run slow, not wrong: it is stopped when its
# serial port has been silent for $stall s (Xen and dom0 print all along;
# dom0 says so every minute while it waits for a guest), or after $limit,
# a bound only for a run that prints forever: the Xen 4.20 test takes about
# 2400 s alone and 3.3 times as long beside a busy loop.
stall=${XEN_TEST_STALL:-600}
limit=${XEN_TEST_TIMEOUT:-14400}
cpu=${XEN_TEST_CPU:-qemu64,+svm,+npt}
work=$BUILD/test-xen-$SUITE
[ "$BENCH" = 0 ] || work=$work-bench
SIZE=$((512 << 20))             # the xen-nvdimm backend: part of dom0's pmem
LABEL=$((128 << 10))
OUTER_NV_ADDR=0x140000000       # where the outer NVDIMM goes (-m 4G: 5 GiB)
OUTER_NV_SIZE=1G                # dom0's pmem (sparse): the benchmark's is big
OUTER_MAXMEM=8G
[ "$BENCH" = 0 ] || { OUTER_NV_SIZE=64G; OUTER_MAXMEM=72G; }
start=$SECONDS

[ -x "$QEMU" ] || die "$QEMU is not built (make build)"
xen_wb=0
case $SUITE in
    bookworm)
        dm_mode=override
        xen_wb=1
        xdeb=$(ls "$BUILD"/xen-deb/xen-hypervisor-4.17-amd64_*_amd64.deb 2>/dev/null | tail -n 1 || true)
        [ -n "$xdeb" ] || die "no $BUILD/xen-deb/xen-hypervisor-4.17-amd64_*.deb (make xen-deb)" ;;
    trixie)
        dm_mode=package
        deb=$(ls "$BUILD"/deb/qemu-system-xen_*_amd64.deb 2>/dev/null | tail -n 1 || true)
        [ -n "$deb" ] || die "no $BUILD/deb/qemu-system-xen_*.deb (make deb)" ;;
    *) die "no Xen test for suite $SUITE (bookworm or trixie)" ;;
esac
rm -rf "$work"
mkdir -p "$work/xt/qemu/share"

img=$("$TOP/devtools/xen/image.sh" "$SUITE")
xen=$img/xen
if [ "$xen_wb" = 1 ]; then
    # The hypervisor of the package, as GRUB would boot it once installed.
    xen=$work/xen-nvdimm-xen
    dpkg-deb --fsys-tarfile "$xdeb" | tar -xOf - ./boot/xen-4.17-amd64.gz | zcat >"$xen" ||
        die "no /boot/xen-4.17-amd64.gz in $xdeb"
    log "hypervisor: $(dpkg-deb -f "$xdeb" Package) $(dpkg-deb -f "$xdeb" Version)"
fi

# The guest: Debian's kernel and the test initramfs with our report script
# (the same for every dom0: the guest brings its own kernel).
GUEST_FS=no "$TOP/devtools/guest/image.sh" "$work/guest" "$TOP/devtools/xen/guest/run.sh" \
    "$TOP/devtools/guest/nd-lib.sh" >/dev/null
cp "$work/guest/vmlinuz" "$work/xt/guest-vmlinuz"

# The test tar: the device model (our QEMU with its data files, the option
# ROMs -kernel needs and the keymaps; or make deb's package), the dom0
# script, helpers built here against the same Debian libraries, the
# admin's table.
dm_shim=0
if [ "$dm_mode" = package ]; then
    cp "$deb" "$work/xt/"
else
    cp "$QEMU" "$work/xt/qemu/"
    # (A binary copied while a build relinks it would be cut short.)
    devices=$("$work/xt/qemu/qemu-system-x86_64" -device help 2>/dev/null || true)
    grep -q '"xen-nvdimm"' <<<"$devices" ||
        die "the copy of $QEMU does not run or has no xen-nvdimm (being rebuilt? retry)"
    chmod 755 "$work/xt/qemu/qemu-system-x86_64"
    cp -L "$QBUILD"/pc-bios/optionrom/*.bin "$work/xt/qemu/share/"
    # VNC (libxl always passes -vnc) loads a keymap even for "none".
    mkdir -p "$work/xt/qemu/share/keymaps"
    find "$SRC/pc-bios/keymaps" -maxdepth 1 -type f ! -name 'meson.build' \
        -exec cp {} "$work/xt/qemu/share/keymaps/" \;
    # libxl always passes "-vnc none"; see whether our QEMU takes it.
    vnc=$("$QEMU" -vnc none -version 2>&1 || true)  # (-version exits once -vnc is parsed)
    if grep -q -- '-vnc: invalid option' <<<"$vnc"; then
        dm_shim=1
    fi
fi
cp "$TOP/devtools/xen/dom0-run.sh" "$work/xt/run.sh"
cp "$work/guest/initrd.img" "$work/xt/guest-initrd.img"
gcc -O2 -Wall -Werror -o "$work/xt/xtest-acpi" "$TOP/devtools/xen/xtest-acpi.c" -lxenforeignmemory
gcc -O2 -Wall -Werror -o "$work/xt/xtest-hmp" "$TOP/devtools/xen/xtest-hmp.c"
gcc -O2 -Wall -Werror -o "$work/xt/xtest-qmp" "$TOP/devtools/xen/xtest-qmp.c"
gcc -O2 -Wall -Werror -o "$work/xt/xtest-mmap" "$TOP/devtools/xen/xtest-mmap.c"
gcc -O2 -Wall -Werror -o "$work/xt/xtest-mapwb" "$TOP/devtools/xen/xtest-mapwb.c"
gcc -O2 -Wall -Werror -shared -fPIC -o "$work/xt/xtest-slowsync.so" \
    "$TOP/devtools/xen/xtest-slowsync.c" -ldl
iasl -p "$work/xt/extra" "$TOP/devtools/xen/extra.asl" >"$work/iasl.log" 2>&1 ||
    { cat "$work/iasl.log"; die "iasl extra.asl failed"; }
rm -f "$work/xt/extra.asl"
# How long dom0 waits for a guest's report, in seconds of its own waiting:
# three stalls.  A guest's Linux says nothing until its init runs, and
# with a second nested Xen beside this one on 2 cores that took 1100 s.
cat >"$work/xt/opts" <<OPTS
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SIZE=$SIZE
LABEL=$LABEL
OUTER_NV_ADDR=$OUTER_NV_ADDR
GUEST_TIMEOUT=$((3 * stall))
DM_SHIM=$dm_shim
XEN_VER=$(cat "$img/xen-version")
XEN_WB=$xen_wb
DM_MODE=$dm_mode
BENCH=$BENCH
OPTS
chmod 755 "$work/xt/run.sh"
tar -cf "$work/xt.tar" -C "$work/xt" .

# serve_walks: walk the nested page tables dom0 asked for (see above).
serve_walks() {
    local id cr3 gpa size res
    [ -f "$serial" ] || return 0
    while read -r _ id cr3 gpa size; do
        [ -e "$work/walk-$id" ] && continue
        res=$(timeout 120 "$TOP/devtools/xen/npt-walk.py" "$work/qmp.sock" "$cr3" "$gpa" "$size" 2>&1 |
              tail -n 1)
        echo "$res" >"$work/walk-$id"
        log "nested page table walk $id (H_CR3 $cr3, $gpa+$size): $res"
        printf 'WALK %s %s\n' "$id" "$res" |
            dd of="$work/mailbox.img" bs=4096 seek="$id" conv=notrunc,sync status=none
    done < <(tr -d '\r' <"$serial" 2>/dev/null |
             grep -a -o -E 'XTEST-WALK [0-9]+ 0x[0-9a-f]+ 0x[0-9a-f]+ [0-9]+' || true)
}

# boot: one nested run, from a new outer NVDIMM (sparse) to dom0's poweroff;
# sets why to what went wrong, if anything.
boot() {
    truncate -s 0 "$work/pmem.img"
    truncate -s "$OUTER_NV_SIZE" "$work/pmem.img"
    rm -f "$work"/walk-* "$work/qmp.sock" "$work/hang-state.log"
    truncate -s 0 "$work/mailbox.img"
    truncate -s 1M "$work/mailbox.img"
    log "booting Xen under TCG ($cpu), serial: $serial, stopped after $stall s of silence or $limit s"
    t_boot=$SECONDS
    t_heard=$SECONDS heard=0
    qemu-system-x86_64 -machine pc,nvdimm=on,nvdimm-persistence=cpu,accel=tcg -cpu "$cpu" -smp 2 \
        -m 4G,slots=2,maxmem=$OUTER_MAXMEM \
        -object memory-backend-file,id=nv0,share=on,mem-path="$work/pmem.img",size=$OUTER_NV_SIZE \
        -device nvdimm,id=nvd0,memdev=nv0,label-size=128K,addr=$OUTER_NV_ADDR \
        -kernel "$xen" \
        -append "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all conring_size=1M dom0_mem=1536M,max:1536M dom0_max_vcpus=2 noreboot" \
        -initrd "$img/vmlinuz root=/dev/vda rw console=hvc0 earlyprintk=xen loglevel=3 init=/sbin/xtest-init,$img/initrd.img" \
        -drive file="$img/rootfs.img",if=virtio,format=raw,snapshot=on \
        -drive file="$work/xt.tar",if=virtio,format=raw,readonly=on \
        -drive file="$work/mailbox.img",if=virtio,format=raw \
        -qmp unix:"$work/qmp.sock",server=on,wait=off \
        -net none -vga none -display none -monitor none -no-reboot \
        -serial file:"$serial" </dev/null >"$work/outer-qemu.log" 2>&1 &
    pid=$!
    trap 'kill -KILL $pid 2>/dev/null || true' EXIT

    # Wait for poweroff; stop early on a panic or a crashed dom0.
    why=
    while kill -0 "$pid" 2>/dev/null; do
        # (Anchored: dom0 echoes the guests' consoles with a prefix.)
        if grep -a -q -E '^\(XEN\) .*(Panic on CPU|Domain 0 crashed)|^\[ *[0-9.]+\] Kernel panic' "$serial" 2>/dev/null; then
            sleep 3
            why="Xen or dom0 crashed"
            break
        fi
        now=$(stat -c %s "$serial" 2>/dev/null || echo 0)
        if [ "$now" != "$heard" ]; then
            heard=$now t_heard=$SECONDS
        elif ((SECONDS - t_heard > stall)); then
            why="hung: nothing on the serial port for $stall s (after $((SECONDS - t_boot)) s)"
            # Where the outer machine's vCPUs are, for the evidence.
            timeout 60 "$TOP/devtools/xen/outer-state.py" "$work/qmp.sock" \
                >"$work/hang-state.log" 2>&1 || true
            break
        fi
        if ((SECONDS - t_boot > limit)); then
            why="timed out after $limit s"
            break
        fi
        serve_walks
        sleep 2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null || true
    trap - EXIT
}
serial=$work/serial.log
boot
# A crash before dom0 reached its init is the nested emulation's (seen once:
# a kernel text patch hit under TCG), not the test's: boot once more.
if [ -n "$why" ] && ! grep -a -q '^XTEST: dom0 userspace' "$serial"; then
    echo "RETRY: $why before dom0's userspace; booting once more:"
    grep -a -m1 -E 'Kernel panic|Panic on CPU|Domain 0 crashed' "$serial" | sed 's/^/RETRY:   /'
    mv "$serial" "$work/serial-first-boot.log"
    boot
fi
nested=$((SECONDS - t_boot))

out=$(tr -d '\r' <"$serial")
bad=0
report() {
    echo "$out" | grep -E '^(PASS|FAIL|RETRY): |^XTEST-(MEMTYPE|WRITEBACK) ' || true
}
[ -z "$why" ] || { echo "FAIL: $why"; bad=1; }
grep -qx 'XTEST-RESULT: ALL-PASSED' <<<"$out" || bad=1

# The host's view: each pattern at its offset in the outer backing file.
hostpass=0
while read -r _ off pat; do
    got=$(dd if="$work/pmem.img" bs=1 skip=$((off)) count=${#pat} 2>/dev/null | tr -d '\0')
    if [ "$got" = "$pat" ]; then
        echo "PASS: host: $pat is in the outer backing file at $off"
        hostpass=$((hostpass + 1))
    else
        echo "FAIL: host: $pat is not in the outer backing file at $off (found '$got')"
        bad=1
    fi
done < <(grep '^HOSTCHECK ' <<<"$out" || true)
[ "$hostpass" -gt 0 ] || [ "$BENCH" = 1 ] ||
    { echo "FAIL: host: dom0 named no patterns to look for"; bad=1; }

if [ $bad != 0 ]; then
    # Xen's whole console since boot (its lines on the serial port), what
    # dom0 gathered on a guest's failure (xl's and QEMU's logs, the guest's
    # console), then the serial log's end.
    echo "--- Xen's console since boot:"
    grep -a '^(XEN)' "$serial" | tr -d '\r'
    echo "$out" | sed -n '/^XTEST\[[0-9.]*\] evidence for .*(/,/^XTEST\[[0-9.]*\] evidence for .*: end$/p'
    echo "--- end of the serial log ($serial):"
    tail -n 100 "$serial" | tr -d '\r'
    echo "--- outer QEMU:"
    tail -n 20 "$work/outer-qemu.log"
    if [ -f "$work/hang-state.log" ]; then
        echo "--- the outer machine when the run went silent:"
        cat "$work/hang-state.log"
    fi
    echo "--- verdicts:"
fi
report
echo "$out" | grep '^XTEST-RESULT: ' || echo "no XTEST-RESULT: dom0's script did not finish"
log "Xen $(cat "$img/xen-version") test: $((SECONDS - start)) s wall ($nested s nested run), logs in $work"
[ $bad = 0 ]
