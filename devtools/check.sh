#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole test suite.  Builds first, then runs every check, keeps going
# after a failure, and ends with one line: "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/devtools/build.sh" || die "build failed"

# The dom0 images and the packages' build chroots are mostly downloads and
# dpkg, while the tiers up to the newest QEMU's build leave a core idle:
# they are made beside those tiers (a cached one takes seconds) and waited
# for before the first tier that boots or builds in a chroot.  A failure
# here is only logged: the tier that needs the cache makes it again, and
# fails in its own words.
prepare_caches() {
    local version
    version=$(qemu_source_version)
    nice "$TOP/devtools/xen/image.sh" bookworm >/dev/null &&
        nice "$TOP/devtools/xen/image.sh" trixie >/dev/null &&
        nice "$TOP/devtools/deb/chroot.sh" \
            "$CACHE/qemu-source/qemu_${version#*:}.dsc" >/dev/null &&
        nice "$TOP/devtools/xen-deb/build.sh" --chroot-only >/dev/null
}
prepare_caches >"$BUILD/prepare-caches.log" 2>&1 &
preparing=$!
caches_ready() {
    local t0=$SECONDS
    if wait "$preparing"; then
        log "dom0 images and build chroots ready (waited $((SECONDS - t0)) s)"
    else
        log "preparing the dom0 images and build chroots failed; their tiers try again:"
        tail -n 20 "$BUILD/prepare-caches.log"
    fi
}

passed=0
failed=0
failures=()
start=$SECONDS

# check NAME COMMAND...: run one check, record the verdict.
check() {
    local name=$1 t0=$SECONDS
    shift
    log "--- $name"
    if "$@"; then
        passed=$((passed + 1))
        log "PASS $name ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        log "FAIL $name ($((SECONDS - t0)) s)"
    fi
}

# Every file of this tree at a QEMU path must belong to a commit of the series.
series_lists_all_files() {
    local missing
    missing=$(comm -23 \
        <(git -C "$TOP" ls-files | grep -Ev '^(devtools|patches|xen|\.ci)/|^(README\.md|Makefile|\.gitignore)$' | sort) \
        <("$TOP/devtools/series.sh" files | sort))
    [ -z "$missing" ] || { echo "not in patches/series: $missing"; return 1; }
}

# The qtest publishes tables to a xenstore stand-in, as QEMU does on Xen.
XENSTORED_PATH=$(mktemp -u /tmp/xen-nvdimm-xs.XXXXXX)
export XENSTORED_PATH
/usr/bin/python3 "$TOP/devtools/xenstored-standin.py" "$XENSTORED_PATH" &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT

check "the series tool: a later patch may change an earlier patch's new file (import, apply, export, made-up series)" "$TOP/devtools/test-series-tool.sh"
check "unit/test-xen-nvdimm-layout" meson_tests test-xen-nvdimm-layout
check "unit/test-nvdimm-dsm" meson_tests test-nvdimm-dsm
check "qtest-x86_64/nvdimm-dsm-test: the _DSM of QEMU's own NVDIMM, every reply byte for byte" meson_tests qtest-x86_64/nvdimm-dsm-test
check "qtest-x86_64/xen-nvdimm-test" meson_tests qtest-x86_64/xen-nvdimm-test
kill $standin
unset XENSTORED_PATH
check "qtest-x86_64/xen-nvdimm-test as nobody without strace: every test that needs neither root nor strace" "$TOP/devtools/test-qtest-unprivileged.sh"
check "fuzz smoke: libFuzzer with ASan and UBSan on the _DSM, ACPI and extent parsers (20 s each)" "$TOP/devtools/fuzz.sh" smoke
check "SPA resolver on Linux's NVDIMM driver (TCG guest)" "$TOP/devtools/test-resolver.sh"
check "a Linux guest uses two xen-nvdimms (TCG, emulated mode)" "$TOP/devtools/test-guest.sh"
check "the host's bad blocks, health and persistence domain reach a Linux guest: ndctl, reads, scrub, errors pushed while it runs, PMDK (TCG, emulated mode)" "$TOP/devtools/test-media.sh"
check "labels, fsdax and DAX writes across reboot and restart (TCG guest)" "$TOP/devtools/test-labels.sh"
check "NVDIMM hotplug into a running Linux guest through QMP: found by itself, used, and the refusals (TCG, emulated mode)" "$TOP/devtools/test-hotplug.sh"
check "QEMU's own NFIT and NVDIMM SSDT unchanged (expected NFIT.dimmpxm and SSDT.dimmpxm, TCG guest)" "$TOP/devtools/test-nfit-golden.sh"
check "xenstore stand-in with libxenstore clients" "$TOP/devtools/test-xenstore-standin.sh"
check "the series on the newest QEMU in Debian (unstable): it applies, builds, and its unit tests and qtests pass" "$TOP/devtools/test-newest-qemu.sh"
caches_ready
check "Debian's Xen 4.17 hypervisor with xen/patches builds in a bookworm chroot, lintian clean" "$TOP/devtools/xen-deb/build.sh"
check "real Xen 4.17, the xen-nvdimm build, nested under TCG: xl-created HVM guests with xen-nvdimm, pmem write-back in the nested p2m" "$TOP/devtools/xen/run.sh" bookworm
check "Debian's qemu-system-xen with the series builds in a trixie chroot, lintian clean" "$TOP/devtools/deb/build.sh"
check "real Xen 4.20 nested under TCG: the package installed by apt, an ordinary guest with xen-nvdimm" "$TOP/devtools/xen/run.sh" trixie
check "every commit of the series builds, with the unit tests and qtests it has (git am, one commit at a time)" "$TOP/devtools/test-series-builds.sh"
check "series lists every new file" series_lists_all_files
check "checkpatch on the exported series" checkpatch

echo
log "test suite wall time: $((SECONDS - start)) s"
for f in "${failures[@]}"; do
    echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
