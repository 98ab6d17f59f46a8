# SPDX-License-Identifier: GPL-2.0-or-later
#
# A "dom0" whose NVDIMM is xen-nvdimm in emulated mode, so that its host
# driver has what real NVDIMMs give and QEMU's own NVDIMM does not: media
# errors found by address range scrub, and SMART health.  xen-nvdimm's
# resolver (linked unchanged) reads both through libndctl and sysfs, as
# xen-nvdimm does in a real dom0.
for b in /sys/block/pmem*; do
    [ "$(cat "$b/size")" = $((64 * 2048)) ] && DEV=/dev/${b##*/}
done
echo "REGION $(cat /sys/bus/nd/devices/region*/resource | head -n 1)"
echo "DEV $DEV"
echo "PERSIST $(cat /sys/bus/nd/devices/region*/persistence_domain | head -n 1)"
/test/xen-nvdimm-resolve resolve "$DEV" 64M | sed 's/^/RESOLVE /'
