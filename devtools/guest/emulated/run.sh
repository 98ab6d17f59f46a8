# SPDX-License-Identifier: GPL-2.0-or-later
#
# In a guest with two xen-nvdimm devices (QEMU in emulated mode): report
# what Linux found, and write a pattern into each pmem block device.  The
# host checks the report against QEMU's trace and finds the patterns in the
# backing files.
echo "TABLES $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
# The tables as the guest got them, for the host to check.
for t in NFIT SSDT; do
    echo "TABLE $t $(od -An -v -tx1 /sys/firmware/acpi/tables/$t | tr -d ' \n')"
done
echo "NFIT-DRIVER $(ls /sys/bus/acpi/drivers/nfit | grep ACPI0012 | tr '\n' ' ')"
echo "--- ndctl list -DRN"
ndctl list -DRN
for r in /sys/bus/nd/devices/region*; do
    n=${r##*region}
    echo "REGION $n $(cat "$r/resource") $(cat "$r/size") $(cat "$r/mappings") $(cat "$r/mapping0")"
done
for d in /sys/bus/nd/devices/nmem*; do
    echo "DIMM ${d##*/} handle=$(cat "$d/nfit/handle") serial=$(cat "$d/nfit/serial") flags=$(cat "$d/nfit/flags")"
done
# The label-less namespaces are raw and span their regions.
for b in /sys/block/pmem*; do
    dev=${b##*/}
    region=$(basename "$(readlink -f "$b/device/..")")
    end=$(($(cat "$b/size") * 512 - 64))
    for off in $((0x1234567)) $end; do
        pat="<<$dev-GUEST-WROTE-THIS-AT-$off>>"
        printf '%s' "$pat" | dd of="/dev/$dev" bs=1 seek=$off conv=notrunc 2>/dev/null
        echo "WROTE $region $(printf '0x%x' $off) $pat"
    done
    sync
done
