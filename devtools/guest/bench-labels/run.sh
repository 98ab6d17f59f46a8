# SPDX-License-Identifier: GPL-2.0-or-later
#
# P4 of the benchmark: label I/O through the guest's _DSM, timed in the
# guest on its one NVDIMM (xen-nvdimm or QEMU's own, the host says which):
# read-labels, init-labels and write-labels of the whole label area, each
# repeated; prints "LABELS op count seconds".
arg() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" /proc/cmdline; }
n=$(arg xtrepeat)
now() { cut -d' ' -f1 /proc/uptime; }

# timed OP ARGS...: run "ndctl OP ARGS... nmem0" n times.
timed() {
    op=$1
    shift
    t0=$(now)
    i=0
    while [ $i -lt "$n" ]; do
        ndctl "$op" "$@" nmem0 >/dev/null 2>&1 || echo "FAILED $op"
        i=$((i + 1))
    done
    echo "LABELS $op $n $(echo "$(now) $t0" | awk '{ print $1 - $2 }')"
}

ndctl disable-region all >/dev/null
ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1 ||
    echo "FAILED read-labels"
echo "LABELSIZE $(stat -c %s /tmp/labels.bin)"
timed read-labels -o /tmp/labels.bin
timed init-labels -f
ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1
timed write-labels -i /tmp/labels.bin
