# SPDX-License-Identifier: GPL-2.0-or-later
# Print the NFIT this guest received, for the host to compare.
echo "TABLE NFIT $(od -An -v -tx1 /sys/firmware/acpi/tables/NFIT | tr -d ' \n')"
