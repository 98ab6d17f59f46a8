# SPDX-License-Identifier: GPL-2.0-or-later
#
# P4 of the benchmark: label I/O through the guest's _DSM, timed in the
# guest on its one NVDIMM (xen-nvdimm or QEMU's own, the host says which):
# read-labels, init-labels and write-labels of the whole label area, each
# repeated; prints "LABELS op count seconds".
arg() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" /proc/cmdline; }
n=$(arg xtrepeat)
now() { cut -d' ' -f1 /proc/uptime; }
ndctl disable-region all >/dev/null
ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1 ||
    echo "FAILED read-labels"
echo "LABELSIZE $(stat -c %s /tmp/labels.bin)"
t0=$(now)
i=0
while [ $i -lt "$n" ]; do
    ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1 || echo "FAILED read-labels"
    i=$((i + 1))
done
echo "LABELS read-labels $n $(echo "$(now) $t0" | awk '{ print $1 - $2 }')"
t0=$(now)
i=0
while [ $i -lt "$n" ]; do
    ndctl init-labels -f nmem0 >/dev/null 2>&1 || echo "FAILED init-labels"
    i=$((i + 1))
done
echo "LABELS init-labels $n $(echo "$(now) $t0" | awk '{ print $1 - $2 }')"
ndctl read-labels -o /tmp/labels.bin nmem0 >/dev/null 2>&1
t0=$(now)
i=0
while [ $i -lt "$n" ]; do
    ndctl write-labels -i /tmp/labels.bin nmem0 >/dev/null 2>&1 || echo "FAILED write-labels"
    i=$((i + 1))
done
echo "LABELS write-labels $n $(echo "$(now) $t0" | awk '{ print $1 - $2 }')"
