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
#include "hw/acpi/nvdimm-dsm.h"
#include "trace.h"

/* ACPI 6.0: 5.2.25 NVDIMM Firmware Interface Table (NFIT) */
void nvdimm_xen_build_nfit(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, uint32_t capabilities)
{
    AcpiTable table = { .sig = "NFIT", .rev = 1, .oem_id = ACPI_BUILD_APPNAME6,
                        .oem_table_id = "XENNVDIM" };
    unsigned start = out->len;

    acpi_table_begin(&table, out);
    build_append_int_noprefix(out, 0, 4);       /* Reserved */
    for (unsigned i = 0; i < n; i++) {
        nvdimm_build_nfit_dimm(out, &dimms[i]);
    }
    if (capabilities) {
        nvdimm_build_nfit_caps(out, capabilities);
    }
    acpi_table_end(NULL, &table);
    trace_nvdimm_xen_build_nfit(n, capabilities, out->len - start);
}

/* The _DSM UUIDs: the NVDIMM root device's, and the Intel DSM family's. */
#define NVDIMM_XEN_ROOT_UUID    "2F10E7A4-9E91-11E4-89D3-123B93F75CBA"
#define NVDIMM_XEN_DIMM_UUID    "4309AC30-0D11-11E4-9191-0800200C9A66"

#define NVDIMM_XEN_NCAL         NVDIMM_XEN_ROOT_PATH ".NCAL"

/*
 * The request/reply page and the notify register, and NCAL(UUID, revision,
 * function, argument package, handle), which every _DSM and _LSx method
 * calls: it checks the UUID, writes the request, notifies the device model
 * and returns the reply's payload as a Buffer.  Mid() keeps it a Buffer
 * whatever its length, also under 64-bit integers.
 */
static void nvdimm_xen_build_ncal(Aml *root, const NvdimmXenDsmConf *dsm)
{
    Aml *method, *ifctx, *elsectx, *unsupported, *field;
    Aml *uuid = aml_arg(0), *function = aml_arg(2), *pkg = aml_arg(3);
    Aml *handle = aml_arg(4), *expected = aml_local(0);
    uint8_t none = 0, not_supported = NVDIMM_DSM_UNSUPPORTED;

    aml_append(root, aml_operation_region("XDSP", AML_SYSTEM_MEMORY,
                                          aml_int(dsm->page),
                                          NVDIMM_DSM_PAGE));
    field = aml_field("XDSP", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
    aml_append(field, aml_named_field("HDLE", 32));
    aml_append(field, aml_named_field("REVS", 32));
    aml_append(field, aml_named_field("FUNC", 32));
    aml_append(field, aml_named_field("FARG", NVDIMM_DSM_ARG3_SIZE *
                                              BITS_PER_BYTE));
    aml_append(root, field);
    field = aml_field("XDSP", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
    aml_append(field, aml_named_field("RLEN", 32));
    aml_append(field, aml_named_field("ODAT", (NVDIMM_DSM_PAGE - 4) *
                                              BITS_PER_BYTE));
    aml_append(root, field);
    aml_append(root, aml_operation_region("XDSN", AML_SYSTEM_MEMORY,
                                          aml_int(dsm->notify), 4));
    field = aml_field("XDSN", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
    aml_append(field, aml_named_field("NTFI", 32));
    aml_append(root, field);

    method = aml_method("NCAL", 5, AML_SERIALIZED);
    ifctx = aml_if(aml_equal(handle, aml_int(0)));
    aml_append(ifctx, aml_store(aml_touuid(NVDIMM_XEN_ROOT_UUID), expected));
    aml_append(method, ifctx);
    elsectx = aml_else();
    aml_append(elsectx, aml_store(aml_touuid(NVDIMM_XEN_DIMM_UUID), expected));
    aml_append(method, elsectx);

    /* Unknown UUID: no functions; function 0 says so. */
    unsupported = aml_if(aml_lnot(aml_equal(uuid, expected)));
    ifctx = aml_if(aml_equal(function, aml_int(0)));
    aml_append(ifctx, aml_return(aml_buffer(1, &none)));
    aml_append(unsupported, ifctx);
    aml_append(unsupported, aml_return(aml_buffer(1, &not_supported)));
    aml_append(method, unsupported);

    aml_append(method, aml_store(handle, aml_name("HDLE")));
    aml_append(method, aml_store(aml_arg(1), aml_name("REVS")));
    aml_append(method, aml_store(function, aml_name("FUNC")));
    /* Arg3 is a package holding one buffer of function arguments. */
    ifctx = aml_if(aml_land(aml_equal(aml_object_type(pkg), aml_int(4)),
                            aml_equal(aml_sizeof(pkg), aml_int(1))));
    aml_append(ifctx, aml_store(aml_derefof(aml_index(pkg, aml_int(0))),
                                aml_name("FARG")));
    aml_append(method, ifctx);
    /* The device model answers before this store completes. */
    aml_append(method, aml_store(aml_int(dsm->page), aml_name("NTFI")));
    aml_append(method, aml_return(aml_mid(aml_name("ODAT"), aml_int(0),
                                          aml_subtract(aml_name("RLEN"),
                                                       aml_int(4), NULL),
                                          NULL)));
    aml_append(root, method);
}

/* Method(_DSM, 4) { Return (NCAL(Arg0, Arg1, Arg2, Arg3, handle)) } */
static Aml *nvdimm_xen_build_dsm(uint32_t handle)
{
    Aml *method = aml_method("_DSM", 4, AML_NOTSERIALIZED);

    aml_append(method, aml_return(aml_call5(NVDIMM_XEN_NCAL, aml_arg(0),
                                            aml_arg(1), aml_arg(2),
                                            aml_arg(3), aml_int(handle))));
    return method;
}

/*
 * NCAL(Intel UUID, 1, @function, @args, @handle), padded with @pad zero
 * bytes so that a short (failed) reply still has every field read from it.
 */
static Aml *nvdimm_xen_call_intel(uint32_t handle, int function, Aml *args,
                                  int pad)
{
    return aml_concatenate(aml_call5(NVDIMM_XEN_NCAL,
                                     aml_touuid(NVDIMM_XEN_DIMM_UUID),
                                     aml_int(1), aml_int(function), args,
                                     aml_int(handle)),
                           aml_buffer(pad, NULL), NULL);
}

/*
 * A label transfer: call Intel function @function with a package of one
 * buffer, {Offset (Arg0), Length (Arg1)} followed by Arg2 if @with_data;
 * the reply goes to @reply and its status to the field STTS.
 */
static void nvdimm_xen_label_call(Aml *method, uint32_t handle, int function,
                                  bool with_data, Aml *reply)
{
    Aml *args = aml_local(2), *pkg = aml_local(3), *req = aml_local(4);

    aml_append(method, aml_store(aml_buffer(8, NULL), args));
    aml_append(method, aml_create_dword_field(args, aml_int(0), "OFST"));
    aml_append(method, aml_create_dword_field(args, aml_int(4), "LENG"));
    aml_append(method, aml_store(aml_arg(0), aml_name("OFST")));
    aml_append(method, aml_store(aml_arg(1), aml_name("LENG")));
    if (with_data) {
        aml_append(method, aml_concatenate(args, aml_arg(2), req));
        args = req;
    }
    aml_append(method, aml_store(aml_package(1), pkg));
    aml_append(method, aml_store(args, aml_index(pkg, aml_int(0))));
    aml_append(method, aml_store(nvdimm_xen_call_intel(handle, function, pkg,
                                                       4),
                                 reply));
    aml_append(method, aml_create_dword_field(reply, aml_int(0), "STTS"));
}

/*
 * ACPI 6.2 label methods, on top of the Intel DSM functions 4-6:
 * _LSI: Package {Status, Size of Label Area, Max Transfer Length},
 * _LSR(Offset, Length): Package {Status, Buffer},
 * _LSW(Offset, Length, Buffer): Status.
 */
static void nvdimm_xen_build_lsx(Aml *dev, uint32_t handle)
{
    Aml *method, *reply = aml_local(0), *ret = aml_local(1);

    method = aml_method("_LSI", 0, AML_SERIALIZED);
    aml_append(method, aml_store(nvdimm_xen_call_intel(handle, 4,
                                                       aml_int(0), 12),
                                 reply));
    aml_append(method, aml_create_dword_field(reply, aml_int(0), "STTS"));
    aml_append(method, aml_create_dword_field(reply, aml_int(4), "SLSA"));
    aml_append(method, aml_create_dword_field(reply, aml_int(8), "MAXT"));
    aml_append(method, aml_store(aml_package(3), ret));
    aml_append(method, aml_store(aml_name("STTS"), aml_index(ret, aml_int(0))));
    aml_append(method, aml_store(aml_name("SLSA"), aml_index(ret, aml_int(1))));
    aml_append(method, aml_store(aml_name("MAXT"), aml_index(ret, aml_int(2))));
    aml_append(method, aml_return(ret));
    aml_append(dev, method);

    method = aml_method("_LSR", 2, AML_SERIALIZED);
    nvdimm_xen_label_call(method, handle, 5, false, reply);
    aml_append(method, aml_store(aml_package(2), ret));
    aml_append(method, aml_store(aml_name("STTS"), aml_index(ret, aml_int(0))));
    /* The data: the reply less its status and the padding. */
    aml_append(method, aml_store(aml_mid(reply, aml_int(4),
                                         aml_subtract(aml_sizeof(reply),
                                                      aml_int(8), NULL),
                                         NULL),
                                 aml_index(ret, aml_int(1))));
    aml_append(method, aml_return(ret));
    aml_append(dev, method);

    method = aml_method("_LSW", 3, AML_SERIALIZED);
    nvdimm_xen_label_call(method, handle, 6, true, reply);
    aml_append(method, aml_return(aml_name("STTS")));
    aml_append(dev, method);
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

    aml_append(method, aml_store(aml_name(NVDIMM_XEN_ROOT_PATH ".NTFI"),
                                 events));
    ifctx = aml_if(aml_and(events, aml_int(NVDIMM_XEN_EVENT_MEDIA), NULL));
    aml_append(ifctx, aml_notify(aml_name(NVDIMM_XEN_ROOT_PATH),
                                 aml_int(0x81)));
    aml_append(method, ifctx);
    aml_append(gpe, method);
    return gpe;
}

/*
 * The NVDIMM root device (_HID ACPI0012) with the _DSM machinery, and one
 * child per NVDIMM, whose _ADR is its NFIT device handle.
 */
void nvdimm_xen_build_ssdt(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, const NvdimmXenDsmConf *dsm)
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
    nvdimm_xen_build_ncal(root, dsm);
    aml_append(root, nvdimm_xen_build_dsm(0));
    for (unsigned i = 0; i < n; i++) {
        uint32_t handle = nvdimm_slot_to_handle(dimms[i].slot);
        Aml *dimm = aml_device("NV%02X", dimms[i].slot);

        aml_append(dimm, aml_name_decl("_ADR", aml_int(handle)));
        aml_append(dimm, nvdimm_xen_build_dsm(handle));
        if (dsm->labelled & (1u << dimms[i].slot)) {
            nvdimm_xen_build_lsx(dimm, handle);
        }
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
