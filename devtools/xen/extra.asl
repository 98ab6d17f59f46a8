/*
 * An administrator's own table for the Xen test's second guest (xl's
 * acpi_firmware=): a device the guest's ACPI scan must find beside the
 * xen-nvdimm tables.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
DefinitionBlock ("", "SSDT", 2, "XTEST", "XTSTSSDT", 1)
{
    Scope (\_SB)
    {
        Device (XTST)
        {
            Name (_HID, "XTST0001")
            Name (MAGC, "xen-nvdimm acpi_firmware test")
        }
    }
}
