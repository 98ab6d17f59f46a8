#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The series on the newest QEMU that Debian's archive serves (unstable), so
# that a port is never a surprise: fetch its source, apply the series, build
# the test build's targets with the same configuration (less TCG: the tests
# here need only qtest), run the unit tests and both qtests, and its
# checkpatch.pl over the series.
#
# A patch whose context differs in that QEMU is carried over by a three-way
# merge of its own change (trixie's file before and after it) into the newer
# file, never by fuzz: an overlap with upstream's changes stops the run, and
# each merge is named.  Where the change overlaps upstream's, the merge's
# conflict is resolved by hand, in patches/newest/PATCH/FILE.diff (a diff of
# the merged file, conflict markers and all); differences in QEMU's API that the new files meet are kept in
# patches/newest/*.patch, applied to copies of them.
#
#   test-newest-qemu.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"

work=$BUILD/newest
dl=$CACHE/qemu-newest
mkdir -p "$work" "$dl"

# --- The source: sid's newest version that the archive really serves (its
# index can list versions whose files are not there yet).
. "$TOP/devtools/apt-suite.sh"
log "reading Debian unstable's source index"
suite_src_apt sid
APT=("${SUITE_APT[@]}" -o APT::Sandbox::User=root -q)
listed=$(apt-cache "${APT[@]}" showsrc qemu | sed -n 's/^Version: //p' | sort -u -V -r)
[ -n "$listed" ] || die "Debian unstable lists no qemu source"
version=
for v in $listed; do
    if (cd "$dl" && apt-get "${APT[@]}" source --download-only "qemu=$v" >"$dl/source.log" 2>&1); then
        version=$v
        break
    fi
    log "qemu $v is listed in sid but not served: $(grep -m1 -o '[0-9]*  *Not Found' "$dl/source.log" || tail -n 1 "$dl/source.log")"
done
[ -n "$version" ] || die "none of sid's qemu sources could be fetched ($(echo $listed))"
upstream=${version#*:}
upstream=${upstream%%+*}
newest_series=${upstream%.*}
[ "$(printf '%s\n%s\n' "$QEMU_SERIES" "$newest_series" | sort -V | tail -n 1)" != "$QEMU_SERIES" ] ||
    die "sid's QEMU $upstream is no newer than the $QEMU_SERIES the series is written for"
log "the newest QEMU in Debian: $version (sid lists: $(echo $listed))"
dsc=$dl/qemu_${version#*:}.dsc
for f in "$dl"/qemu_*; do
    case "${f##*/}" in
        qemu_"${version#*:}"*|qemu_"$upstream"+ds.orig*) ;;
        *) rm -f "$f" ;;
    esac
done

# --- The series, applied.
apply() { patch -d "$1" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch --quiet "${@:2}"; }
# apply_series DIR: the series on DIR, with trixie's QEMU (unpacked beside
# it, patched in step) as the base of each three-way merge.
apply_series() {
    local new=$1 old=$work/trixie name p files f pre
    "$TOP/devtools/qemu-source.sh" >/dev/null
    rm -rf "$old"
    dpkg-source --no-copy --no-check -x "$(ls "$CACHE"/qemu-source/qemu_*.dsc | head -n 1)" "$old" \
        >"$work/unpack-trixie.log" 2>&1 || { cat "$work/unpack-trixie.log"; die "cannot unpack trixie's qemu"; }
    for name in $("$TOP/devtools/series.sh" patches); do
        # (The changes to the series' own files are in their final form.)
        p=$work/qemu-part.patch
        "$TOP/devtools/series.sh" part "$TOP/patches/$name" qemu >"$p"
        grep -q '^diff --git ' "$p" || continue
        if apply "$new" --dry-run <"$p" >/dev/null 2>&1; then
            apply "$new" <"$p"
            apply "$old" <"$p" || die "$name does not apply to trixie's QEMU"
            continue
        fi
        files=$(sed -n 's|^+++ b/||p' "$p")
        pre=$work/pre
        rm -rf "$pre"
        for f in $files; do
            [ ! -f "$old/$f" ] || install -D -m 644 "$old/$f" "$pre/$f"
        done
        apply "$old" <"$p" || die "$name does not apply to trixie's QEMU"
        for f in $files; do
            if [ ! -f "$pre/$f" ]; then
                [ ! -e "$new/$f" ] || die "$name adds $f, which QEMU $upstream already has"
                install -D -m 644 "$old/$f" "$new/$f"
            elif ! git merge-file -L "newer QEMU" -L "trixie's QEMU" -L "$name" \
                    "$new/$f" "$pre/$f" "$old/$f"; then
                # An overlap: its resolution, a diff of the merged file.
                res=$port/${name%.patch}/$f.diff
                mkdir -p "$work/conflicts/${name%.patch}/$(dirname "$f")"
                cp "$new/$f" "$work/conflicts/${name%.patch}/$f"
                if [ ! -f "$res" ] || ! apply "$new" <"$res" ||
                   grep -q -E '^(<<<<<<<|=======|>>>>>>>)( |$)' "$new/$f"; then
                    grep -n -A 3 -B 3 -E '^(<<<<<<<|=======|>>>>>>>)( |$)' \
                        "$work/conflicts/${name%.patch}/$f" | head -n 60
                    die "$name: its change to $f overlaps upstream's in QEMU $upstream, and patches/newest/${res#"$port"/} does not resolve it (the merge: $work/conflicts/${name%.patch}/$f)"
                fi
                log "$name: its change to $f overlaps upstream's in QEMU $upstream; resolved by patches/newest/${res#"$port"/}"
            fi
        done
        log "$name: its context differs in QEMU $upstream; its change carried over by a three-way merge ($(echo $files))"
    done
    rm -rf "$old" "$work/pre" "$work/qemu-part.patch"
}

SRC=$work/src
port=$TOP/patches/newest
want="$version $(ls "$CACHE"/qemu-source/qemu_*.dsc) $({ cat "$TOP/patches/series" "$TOP"/patches/*.patch "$0"
                   find "$port" -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)"
if [ "$(cat "$work/src.stamp" 2>/dev/null)" != "$want" ]; then
    log "unpacking into $SRC and applying the series"
    rm -rf "$SRC"
    dpkg-source --no-copy --no-check -x "$dsc" "$SRC" >"$work/unpack.log" 2>&1 ||
        { cat "$work/unpack.log"; die "cannot unpack $dsc"; }
    apply_series "$SRC"
    echo "$want" >"$work/src.stamp"
fi
# The new files this QEMU needs changed: copies, patched (and links again
# before, so that the series' own links are made afresh).
for p in "$port"/*.patch; do
    [ -e "$p" ] || continue
    for f in $(sed -n 's|^+++ b/||p' "$p"); do rm -f "$SRC/$f"; done
done
"$TOP/devtools/series.sh" link "$SRC"
for p in "$port"/*.patch; do
    [ -e "$p" ] || continue
    for f in $(sed -n 's|^+++ b/||p' "$p"); do
        cp --remove-destination "$TOP/$f" "$SRC/$f"
    done
    apply "$SRC" <"$p" || die "patches/newest/${p##*/} does not apply to the series' new files"
    log "ported for QEMU $upstream: ${p##*/}"
done

# --- Build and test.
QBUILD=$work/build
# QEMU 10.2's x86 ACPI always builds the CXL tables, which then need the CXL
# host code (its stub lacks cxl_fmws_get_all_sorted()), and its Xen PVH
# machine needs TPM (unused variables without it, an error under -Werror).
devices=$SRC/configs/devices/x86_64-softmmu/xen-nvdimm-test.mak
{
    cat "$TOP/devtools/devices.mak"
    printf 'CONFIG_%s=y\n' PCI_EXPRESS PCIE_PORT PXB CXL CXL_MEM_DEVICE
} >"$work/devices.mak"
cmp -s "$work/devices.mak" "$devices" || cp "$work/devices.mak" "$devices"
args=("${QEMU_CONFIGURE_ARGS[@]/--enable-tcg/--disable-tcg}" --enable-tpm)
export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
if [ "$(cat "$QBUILD/configure.stamp" 2>/dev/null)" != "${args[*]}" ]; then
    log "configuring QEMU $upstream in $QBUILD"
    rm -rf "$QBUILD"
    mkdir -p "$QBUILD"
    (cd "$QBUILD" && "$SRC/configure" "${args[@]}" >configure.log 2>&1) ||
        { tail -n 40 "$QBUILD/configure.log"; die "configure failed (log: $QBUILD/configure.log)"; }
    echo "${args[*]}" >"$QBUILD/configure.stamp"
fi
log "building ${QEMU_TEST_TARGETS[*]} of QEMU $upstream"
ninja -C "$QBUILD" "${QEMU_TEST_TARGETS[@]}" >"$QBUILD/ninja.log" 2>&1 ||
    { grep -E -A 12 '^FAILED|error:' "$QBUILD/ninja.log" | head -n 80; die "QEMU $upstream with the series does not build"; }

link_firmware

XENSTORED_PATH=$(mktemp -u /tmp/xen-nvdimm-xs.XXXXXX)
export XENSTORED_PATH
/usr/bin/python3 "$TOP/devtools/xenstored-standin.py" "$XENSTORED_PATH" &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT
if ! meson_tests test-xen-nvdimm-layout test-nvdimm-dsm \
        qtest-x86_64/nvdimm-dsm-test qtest-x86_64/xen-nvdimm-test; then
    die "the series' tests fail on QEMU $upstream"
fi
log "QEMU $upstream's checkpatch.pl over the exported series"
checkpatch || die "QEMU $upstream's checkpatch.pl finds fault with the series"
log "the series builds on QEMU $upstream ($version), its unit tests and qtests pass there, and its checkpatch.pl is content"
