#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libFuzzer over every parser of untrusted input in xen-nvdimm: the
# guest's _DSM requests (labels, SMART, address range scrub), the ACPI
# tables QEMU reads back (the admin's blob, the host's NFIT), and the
# extent and placement arithmetic fed hostile extents.  Each target is
# built with clang, ASan and UBSan (any report aborts) from the QEMU
# source files as they are, and starts from its corpus in
# devtools/fuzz/corpus/TARGET.
#
#   fuzz.sh smoke          each target for SMOKE_SECONDS (20 s) after
#                          replaying its corpus: make check's run
#   fuzz.sh bench [RUNS]   each target for RUNS executions (10 million),
#                          then the corpus is merged back into the tree
#
# Prints one line per target: executions, rate, coverage, corpus, and
# whether anything was found; a finding fails the run and leaves its
# input in build/fuzz/TARGET/.  Inputs that once found a bug are kept,
# named, in devtools/fuzz/regressions/TARGET and replayed by every run.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:-smoke}
runs=${2:-10000000}
work=$BUILD/fuzz
mkdir -p "$work"
TARGETS="dsm acpi extents"

# The QEMU build's include paths and defines, for clang.
flags=$(/usr/bin/python3 - "$QBUILD/compile_commands.json" <<'PY'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("hw/xen/xen-nvdimm-layout.c"):
        args = shlex.split(e["command"])[1:]
        out, keep = [], False
        for a in args:
            if keep:
                out.append(a)
                keep = False
            elif a in ("-iquote", "-isystem", "-I", "-include"):
                out.append(a)
                keep = True
            elif a.startswith(("-I", "-D", "-std=")):
                out.append(a)
        print(" ".join(shlex.quote(a) for a in out))
        break
PY
)
[ -n "$flags" ] || die "no compile command for xen-nvdimm-layout.c: run make build"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1"
sources() {
    case $1 in
    dsm) echo "$SRC/hw/acpi/nvdimm-dsm.c $SRC/hw/acpi/nvdimm-ars.c" ;;
    acpi|extents) echo "$SRC/hw/xen/xen-nvdimm-layout.c" ;;
    esac
}

build() {
    local t=$1 objs=() f
    mkdir -p "$work/$t"
    for f in "$TOP/devtools/fuzz/fuzz-$t.c" $(sources "$t"); do
        # (From the build directory: its include paths are relative.)
        (cd "$QBUILD" && eval clang "$flags" $SAN -c \
            -o "$work/$t/$(basename "$f" .c).o" "$f")
        objs+=("$work/$t/$(basename "$f" .c).o")
    done
    # QEMU's utility library gives the trace points, errors and cutils.
    clang $SAN -o "$work/$t/fuzz-$t" "${objs[@]}" \
        -Wl,--start-group "$QBUILD/libqemuutil.a" \
        "$QBUILD"/libqom.a.p/qom_object.c.o "$QBUILD"/libqom.a.p/qom_container.c.o \
        "$QBUILD"/libqom.a.p/qom_object_interfaces.c.o "$QBUILD"/libqom.a.p/qom_qom-qobject.c.o \
        "$QBUILD"/libevent-loop-base.a.p/event-loop-base.c.o -Wl,--end-group \
        $(pkg-config --libs glib-2.0 gmodule-2.0) -lm -pthread
}

fails=0
for t in $TARGETS; do
    build "$t"
    corpus=$TOP/devtools/fuzz/corpus/$t
    regressions=$TOP/devtools/fuzz/regressions/$t
    mkdir -p "$corpus" "$work/$t/new"
    [ -d "$regressions" ] || regressions=
    case $mode in
    smoke) limit=(-max_total_time="${SMOKE_SECONDS:-20}") ;;
    bench) limit=(-runs="$runs") ;;
    *) die "usage: fuzz.sh smoke | bench [RUNS]" ;;
    esac
    t0=$SECONDS
    # New inputs go to a scratch corpus; the tree's is only read here.
    if (cd "$work/$t" && ./fuzz-$t "${limit[@]}" -print_final_stats=1 \
            -max_len=8192 -artifact_prefix="$work/$t/" \
            "$work/$t/new" "$corpus" $regressions >"$work/$t/log" 2>&1); then
        verdict=ok
    else
        verdict=FOUND
        fails=$((fails + 1))
        grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$work/$t/log" | head -n 8
    fi
    # (A crash while replaying the corpus leaves no statistics.)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
    cov=$(grep -Eo 'cov: [0-9]+' "$work/$t/log" | tail -n 1) || true
    if [ "$mode" = bench ] && [ "$verdict" = ok ]; then
        # Keep what covers new ground, minimised, in the tree.
        mkdir -p "$work/$t/merged"
        (cd "$work/$t" && ./fuzz-$t -merge=1 -max_len=8192 merged "$corpus" new \
            >"$work/$t/merge.log" 2>&1)
        rm -rf "$corpus"
        mv "$work/$t/merged" "$corpus"
    fi
    rm -rf "$work/$t/new"
    printf '%-8s %-5s %12s executions in %4d s (%s/s), %s, corpus %s inputs\n' \
        "$t" "$verdict" "${execs:-?}" $((SECONDS - t0)) \
        "$(( ${execs:-0} / (SECONDS - t0 > 0 ? SECONDS - t0 : 1) ))" \
        "${cov:-cov: ?}" "$(ls "$corpus" | wc -l)"
done
[ $fails = 0 ]
