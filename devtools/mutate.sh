#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The mutation score: compile each mutant of devtools/mutants/list into the
# warm build, run the fast tiers (the unit tests and the qtest) and see
# whether they notice.  Prints killed/survived per mutant and the score;
# exits non-zero if a mutant survives that the list does not explain as
# equivalent, or if a mutant does not apply or does not build.
#
#   mutate.sh [NAME...]     (all mutants, or those named)
set -uo pipefail
. "$(dirname "$0")/common.sh"

LIST=$TOP/devtools/mutants/list
# A mutant that makes a test hang is killed by this timeout.
PER_TEST=${XEN_NVDIMM_MUTANT_TIMEOUT:-90}

# (build.sh puts back what a killed run left, see mutant_restore.)
"$TOP/devtools/build.sh" >/dev/null || die "the build fails without mutants"

TARGETS=(qemu-system-x86_64 tests/qtest/xen-nvdimm-test tests/qtest/nvdimm-dsm-test
         tests/unit/test-xen-nvdimm-layout tests/unit/test-nvdimm-dsm)
export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=$CACHE/ccache
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1

work=$(mktemp -d)
standin=
cleanup() {
    mutant_restore
    [ -z "$standin" ] || kill "$standin" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# fast_tiers: the unit tests and the qtest; the first failure in one line.
# Each run gets a fresh xenstore stand-in (as check.sh provides one): what
# a killed run left there must not decide the next.
fast_tiers() {
    local t rc=0
    XENSTORED_PATH=$work/xenstored.sock
    export XENSTORED_PATH
    rm -f "$XENSTORED_PATH"
    /usr/bin/python3 "$TOP/devtools/xenstored-standin.py" "$XENSTORED_PATH" &
    standin=$!
    for t in test-xen-nvdimm-layout test-nvdimm-dsm qtest-x86_64/nvdimm-dsm-test \
             qtest-x86_64/xen-nvdimm-test; do
        if ! timeout -k 5 "$PER_TEST" "$QBUILD/pyvenv/bin/meson" test -C "$QBUILD" \
                --no-rebuild --print-errorlogs "$t" >"$work/test.log" 2>&1; then
            why=$( { grep -m1 -E 'ERROR:\.\./|assertion|Bail out|kill_qemu\(\)' "$work/test.log" ||
                     grep -m1 -E 'Timeout|killed by signal' "$work/test.log"; } |
                  sed 's/^ *▶ *[0-9\/]* *//; s/ *ERROR *$//' | cut -c1-160)
            echo "$t: ${why:-failed (timeout $PER_TEST s)}"
            rc=1
            break
        fi
    done
    kill "$standin" 2>/dev/null
    wait "$standin" 2>/dev/null
    standin=
    return $rc
}

killed=0 survived=0 equivalent=0 broken=0 total=0
report=$work/report
equiv_why=
while IFS= read -r line; do
    case $line in
        "# equivalent: "*) equiv_why=${line#\# equivalent: }; continue ;;
        ""|"#"*) continue ;;
    esac
    read -r name file expr <<<"$line"
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
        equiv_why=
        continue
    fi
    total=$((total + 1))
    [ -f "$SRC/$file" ] || die "$name: no file $SRC/$file"
    # The mutant replaces the file in $SRC, never the tree's own file that
    # a symlink there leads to; the original is kept in $MUTANT_SAVED.
    mkdir -p "$MUTANT_SAVED/$(dirname "$file")"
    cp -a -P "$SRC/$file" "$MUTANT_SAVED/$file"
    sed "$expr" "$SRC/$file" >"$work/mutant"
    rm -f "$SRC/$file"
    cp "$work/mutant" "$SRC/$file"
    if cmp -s "$SRC/$file" "$(readlink -f "$MUTANT_SAVED/$file")"; then
        printf '%-24s NOT APPLIED: %s\n' "$name" "$expr" | tee -a "$report"
        broken=$((broken + 1))
    elif ! ninja -C "$QBUILD" "${TARGETS[@]}" >"$work/build.log" 2>&1; then
        printf '%-24s DOES NOT BUILD: %s\n' "$name" \
            "$(grep -m1 'error:' "$work/build.log")" | tee -a "$report"
        broken=$((broken + 1))
    elif why=$(fast_tiers); then
        if [ -n "$equiv_why" ]; then
            printf '%-24s survived (equivalent: %s)\n' "$name" "$equiv_why" | tee -a "$report"
            equivalent=$((equivalent + 1))
        else
            printf '%-24s SURVIVED\n' "$name" | tee -a "$report"
            survived=$((survived + 1))
        fi
    else
        printf '%-24s killed by %s\n' "$name" "$why" | tee -a "$report"
        killed=$((killed + 1))
    fi
    mutant_restore
    equiv_why=
done <"$LIST"

log "rebuilding without mutants"
ninja -C "$QBUILD" "${TARGETS[@]}" >/dev/null || die "the build without mutants fails"
echo
echo "mutants: $total; killed $killed, survived $survived, equivalent $equivalent, broken $broken"
scored=$((killed + survived))
[ $scored = 0 ] || echo "mutation score: $killed/$scored = $((100 * killed / scored))%"
[ $survived = 0 ] && [ $broken = 0 ]
