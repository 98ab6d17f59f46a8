# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers of the TCG test guests' scripts (/test/nd-lib.sh in the guest).

# The block device of the region whose DIMM has NFIT handle $1; nothing
# while there is none (a hot-plugged DIMM may not be there yet).
dev_of_handle() {
    for r in /sys/bus/nd/devices/region*; do
        [ -e "$r/mapping0" ] || continue
        nmem=$(cut -d, -f1 "$r/mapping0")
        [ "$(cat /sys/bus/nd/devices/$nmem/nfit/handle)" = "$1" ] || continue
        for b in /sys/block/pmem*; do
            [ -e "$b" ] || continue
            [ "$(basename "$(readlink -f "$b/device/..")")" = "${r##*/}" ] ||
                [ "$(basename "$(readlink -f "$b/device/../..")")" = "${r##*/}" ] ||
                continue
            echo "${b##*/}"
            return
        done
    done
}
