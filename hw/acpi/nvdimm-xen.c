/*
 * NVDIMM ACPI tables for Xen HVM guests
 *
 * Under Xen, hvmloader builds the guest's ACPI tables and appends the
 * tables the device model hands over, byte for byte: it patches nothing
 * and checks nothing.  These builders make the NFIT and one SSDT for the
 * xen-nvdimm devices, complete and checksummed.  The SSDT defines nothing
 * outside the device model's reserved root device, \_SB.XNVR, but the
 * handler of GPE 4, which hvmloader's DSDT leaves free, so it cannot
 * collide with hvmloader's DSDT.  Integers in that namespace are 64-bit
 * (hvmloader's DSDT has revision 2), in QEMU's own 32-bit: the AML works
 * with both.
 *
 * The guest's _DSM calls reach the device model through a request/reply
 * page and a notify register at addresses it chooses; the protocol is in
 * nvdimm-dsm.c.
 *
 * The NFIT structures and the _DSM and label methods are QEMU's own
 * (hw/acpi/nvdimm.c), so a guest sees the same NVDIMMs as with -device
 * nvdimm.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/acpi/aml-build.h"
#include "hw/acpi/nvdimm-xen.h"
#include "trace.h"

/* NV00..NV1F: the label mask of NvdimmXenDsmConf has 32 bits. */
#define XEN_NVDIMM_SSDT_SLOTS   32

void nvdimm_xen_build_fit(GArray *out, const NvdimmNfitDesc *dimms,
                          unsigned n, uint32_t capabilities)
{
    for (unsigned i = 0; i < n; i++) {
        nvdimm_build_nfit_dimm(out, &dimms[i]);
    }
    if (capabilities) {
        nvdimm_build_nfit_caps(out, capabilities);
    }
}

/* ACPI 6.0: 5.2.25 NVDIMM Firmware Interface Table (NFIT) */
void nvdimm_xen_build_nfit(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, uint32_t capabilities)
{
    AcpiTable table = { .sig = "NFIT", .rev = 1, .oem_id = ACPI_BUILD_APPNAME6,
                        .oem_table_id = "XENNVDIM" };
    unsigned start = out->len;

    acpi_table_begin(&table, out);
    build_append_int_noprefix(out, 0, 4);       /* Reserved */
    nvdimm_xen_build_fit(out, dimms, n, capabilities);
    acpi_table_end(NULL, &table);
    trace_nvdimm_xen_build_nfit(n, capabilities, out->len - start);
}

/*
 * The notify register, also read by \_GPE._E04 for the device model's
 * events (NCAL declares its own view of it, to write).
 */
static void nvdimm_xen_build_events(Aml *root, const NvdimmXenDsmConf *dsm)
{
    Aml *field;

    aml_append(root, aml_operation_region("NEVR", AML_SYSTEM_MEMORY,
                                          aml_int(dsm->notify), 4));
    field = aml_field("NEVR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
    aml_append(field, aml_named_field("NEVT", 32));
    aml_append(root, field);
}

/*
 * GPE 4, the one QEMU's NVDIMM hotplug uses: hvmloader's DSDT leaves it
 * free, and so does QEMU's without -machine nvdimm=on (which xen-nvdimm
 * refuses).  The only name the SSDT defines outside the root device.
 */
static Aml *nvdimm_xen_build_gpe(void)
{
    Aml *gpe = aml_scope("\\_GPE");
    Aml *method = aml_method("_E04", 0, AML_NOTSERIALIZED);
    Aml *events = aml_local(0), *ifctx;

    aml_append(method, aml_store(aml_name(NVDIMM_XEN_ROOT_PATH ".NEVT"),
                                 events));
    ifctx = aml_if(aml_and(events, aml_int(NVDIMM_XEN_EVENT_HOTPLUG), NULL));
    aml_append(ifctx, aml_notify(aml_name(NVDIMM_XEN_ROOT_PATH),
                                 aml_int(0x80)));
    aml_append(method, ifctx);
    ifctx = aml_if(aml_and(events, aml_int(NVDIMM_XEN_EVENT_MEDIA), NULL));
    aml_append(ifctx, aml_notify(aml_name(NVDIMM_XEN_ROOT_PATH),
                                 aml_int(0x81)));
    aml_append(method, ifctx);
    aml_append(gpe, method);
    return gpe;
}

/*
 * The NVDIMM root device (_HID ACPI0012) with the _DSM machinery and _FIT
 * (Linux prefers it to the NFIT, and re-reads it when notified 0x80), and
 * one child per NVDIMM, whose _ADR is its NFIT device handle.
 */
void nvdimm_xen_build_ssdt(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, const NvdimmXenDsmConf *dsm)
{
    AcpiTable table = { .sig = "SSDT", .rev = 2, .oem_id = ACPI_BUILD_APPNAME6,
                        .oem_table_id = "XENNVDIM" };
    unsigned start = out->len;
    /* QEMU's _DSM AML, on the page and register the device model chose. */
    NvdimmDsmTransport transport = {
        .notify_space = AML_SYSTEM_MEMORY,
        .notify_addr = dsm->notify,
        .notify_bits = 32,
        .int64 = true,          /* hvmloader's DSDT has revision 2 */
    };
    Aml *ssdt, *sb, *root;

    acpi_table_begin(&table, out);
    ssdt = init_aml_allocator();
    transport.page = aml_int(dsm->page);
    sb = aml_scope("\\_SB");
    root = aml_device(NVDIMM_XEN_ROOT);
    aml_append(root, aml_name_decl("_HID", aml_string("ACPI0012")));
    nvdimm_build_ncal(root, &transport);
    nvdimm_build_device_dsm(root, 0);
    nvdimm_build_fit(root, &transport);
    nvdimm_xen_build_events(root, dsm);
    /*
     * One child per slot, also the free ones a device may be hot-plugged
     * into (the guest sees them at boot only); those have no labels.
     */
    for (unsigned slot = 0; slot < XEN_NVDIMM_SSDT_SLOTS; slot++) {
        uint32_t handle = nvdimm_slot_to_handle(slot);
        bool used = false;
        Aml *dimm;

        for (unsigned i = 0; i < n; i++) {
            used |= dimms[i].slot == slot;
        }
        if (!used && slot >= dsm->slots) {
            continue;
        }
        dimm = aml_device("NV%02X", slot);
        aml_append(dimm, aml_name_decl("_ADR", aml_int(handle)));
        if (used && (dsm->labelled & (1u << slot))) {
            nvdimm_build_label_methods(dimm, handle, &transport);
        }
        nvdimm_build_device_dsm(dimm, handle);
        aml_append(root, dimm);
    }
    aml_append(sb, root);
    aml_append(ssdt, sb);
    aml_append(ssdt, nvdimm_xen_build_gpe());
    g_array_append_vals(out, ssdt->buf->data, ssdt->buf->len);
    free_aml_allocator();
    acpi_table_end(NULL, &table);
    trace_nvdimm_xen_build_ssdt(n, out->len - start);
}
