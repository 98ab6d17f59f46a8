# SPDX-License-Identifier: GPL-2.0-or-later
# Print the NFIT and SSDTs this guest received, for the host to compare.
for t in /sys/firmware/acpi/tables/NFIT /sys/firmware/acpi/tables/SSDT*; do
    [ -f "$t" ] && echo "TABLE ${t##*/} $(od -An -v -tx1 "$t" | tr -d ' \n')"
done
