/*
 * NVDIMM ACPI tables for Xen HVM guests
 *
 * Under Xen, hvmloader builds the guest's ACPI tables and appends the
 * tables the device model hands over, byte for byte: it patches nothing
 * and checks nothing.  These builders make the NFIT and one SSDT for the
 * xen-nvdimm devices, complete and checksummed.  The SSDT defines nothing
 * outside the device model's reserved root device, \_SB.XNVR, so it cannot
 * collide with hvmloader's DSDT.  Integers in that namespace are 64-bit
 * (hvmloader's DSDT has revision 2).
 *
 * The NFIT structures are QEMU's own (hw/acpi/nvdimm.c), so a guest sees
 * the same NVDIMMs as with -device nvdimm.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/acpi/aml-build.h"
#include "hw/acpi/nvdimm-xen.h"
#include "trace.h"

/* ACPI 6.0: 5.2.25 NVDIMM Firmware Interface Table (NFIT) */
void nvdimm_xen_build_nfit(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n)
{
    AcpiTable table = { .sig = "NFIT", .rev = 1, .oem_id = ACPI_BUILD_APPNAME6,
                        .oem_table_id = "XENNVDIM" };
    unsigned start = out->len;

    acpi_table_begin(&table, out);
    build_append_int_noprefix(out, 0, 4);       /* Reserved */
    for (unsigned i = 0; i < n; i++) {
        nvdimm_build_nfit_dimm(out, &dimms[i]);
    }
    acpi_table_end(NULL, &table);
    trace_nvdimm_xen_build_nfit(n, out->len - start);
}

/*
 * The NVDIMM root device (_HID ACPI0012) and one child per NVDIMM, whose
 * _ADR is its NFIT device handle.
 */
void nvdimm_xen_build_ssdt(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n)
{
    AcpiTable table = { .sig = "SSDT", .rev = 2, .oem_id = ACPI_BUILD_APPNAME6,
                        .oem_table_id = "XENNVDIM" };
    unsigned start = out->len;
    Aml *ssdt, *sb, *root;

    acpi_table_begin(&table, out);
    ssdt = init_aml_allocator();
    sb = aml_scope("\\_SB");
    root = aml_device(NVDIMM_XEN_ROOT);
    aml_append(root, aml_name_decl("_HID", aml_string("ACPI0012")));
    for (unsigned i = 0; i < n; i++) {
        Aml *dimm = aml_device("NV%02X", dimms[i].slot);

        aml_append(dimm, aml_name_decl("_ADR",
                   aml_int(nvdimm_slot_to_handle(dimms[i].slot))));
        aml_append(root, dimm);
    }
    aml_append(sb, root);
    aml_append(ssdt, sb);
    g_array_append_vals(out, ssdt->buf->data, ssdt->buf->len);
    free_aml_allocator();
    acpi_table_end(NULL, &table);
    trace_nvdimm_xen_build_ssdt(n, out->len - start);
}
