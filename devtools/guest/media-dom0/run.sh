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
# watch_start OUT SECONDS: xen-nvdimm's watch of $DEV's lists in the
# background, its report in OUT; returns once it watches.
watch_start() {
    /test/xen-nvdimm-resolve watch "$DEV" 64M "$2" >"$1" &
    watcher=$!
    waited=0
    while ! grep -q '^watching' "$1" && [ $waited -lt 60 ]; do
        sleep 1
        waited=$((waited + 1))
    done
}
# The host finds a new bad range while this dom0 runs: its device tells
# this Linux (GPE 4), which scrubs and changes its lists, and
# xen-nvdimm's watch sees that, with nothing asked here.
watch_start /tmp/watch 300
echo "WATCH-READY $(head -n 1 /tmp/watch)"
wait $watcher
sed 's/^/WATCH /' /tmp/watch
# An admin of this dom0 marks a range bad through sysfs: the driver flags
# nothing for poll(), the write itself is what the watch must see.
admin=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^xtadmin=//p')
watch_start /tmp/watch2 60
echo "$admin 8" >"/sys/block/${DEV#/dev/}/badblocks"
wait $watcher
sed 's/^/WATCH2 /' /tmp/watch2
