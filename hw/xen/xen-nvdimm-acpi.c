/*
 * Xen virtual NVDIMM: the guest's ACPI tables
 *
 * The NFIT and SSDT for the devices: for hvmloader through xenstore on Xen
 * (after the admin's own tables), or appended to QEMU's own ACPI build
 * for xen-nvdimm-emu.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "hw/acpi/aml-build.h"
#include "hw/acpi/nvdimm-xen.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

static gint xen_nvdimm_desc_cmp(gconstpointer a, gconstpointer b)
{
    const NvdimmNfitDesc *x = a, *y = b;

    return x->slot - y->slot;
}

/* What the guest's NFIT says about the devices, in slot order. */
static GArray *xen_nvdimm_nfit_descs(XenNvdimmRoot *r)
{
    GArray *descs = g_array_new(false, true, sizeof(NvdimmNfitDesc));
    XenNvdimmState *s;

    QTAILQ_FOREACH(s, &r->devices, next) {
        NvdimmNfitDesc d = {
            .slot = s->slot,
            .addr = s->gpa,
            .size = s->data_size,
            .node = s->node,
            .unarmed = s->unarmed,
            .serial = s->serial,
        };
        g_array_append_val(descs, d);
    }
    g_array_sort(descs, xen_nvdimm_desc_cmp);
    return descs;
}

/* Where the SSDT's AML sends _DSM calls, and which slots have labels. */
static NvdimmXenDsmConf xen_nvdimm_dsm_conf(XenNvdimmRoot *r)
{
    NvdimmXenDsmConf conf = {
        .page = XEN_NVDIMM_DSM_GPA,
        .notify = XEN_NVDIMM_NOTIFY_GPA,
        .slots = r->slots,
    };
    XenNvdimmState *s;

    QTAILQ_FOREACH(s, &r->devices, next) {
        if (s->label_size) {
            conf.labelled |= 1u << s->slot;
        }
    }
    return conf;
}

/*
 * The guest's NFIT has one persistence domain for all its NVDIMMs: the
 * weakest of the host's over every device's memory.
 */
XenNvdimmPersistence xen_nvdimm_acpi_persistence(XenNvdimmRoot *r)
{
    XenNvdimmPersistence p = XEN_NVDIMM_PERSIST_CPU_CACHE;
    XenNvdimmState *s;

    QTAILQ_FOREACH(s, &r->devices, next) {
        p = MIN(p, s->persistence);
    }
    return p;
}

static uint32_t xen_nvdimm_nfit_caps(XenNvdimmRoot *r)
{
    return xen_nvdimm_persistence_caps(xen_nvdimm_acpi_persistence(r));
}

/* What the root's _FIT returns from now on (xen-nvdimm-dsm.c serves it). */
static void xen_nvdimm_fit_update(XenNvdimmRoot *r, const GArray *descs)
{
    if (!r->fit) {
        r->fit = g_array_new(false, true, 1);
    }
    g_array_set_size(r->fit, 0);
    nvdimm_xen_build_fit(r->fit, (NvdimmNfitDesc *)descs->data, descs->len,
                         xen_nvdimm_nfit_caps(r));
    r->fit_dirty = true;
    r->fit_gen++;
}

void xen_nvdimm_acpi_fit_rebuild(XenNvdimmRoot *r)
{
    g_autoptr(GArray) descs = xen_nvdimm_nfit_descs(r);

    xen_nvdimm_fit_update(r, descs);
}

void xen_nvdimm_build_acpi(GArray *table_offsets, GArray *table_data)
{
    XenNvdimmRoot *r = xen_nvdimm_root_find();
    g_autoptr(GArray) descs = NULL;
    NvdimmXenDsmConf dsm;

    if (!r || QTAILQ_EMPTY(&r->devices)) {
        return;
    }
    descs = xen_nvdimm_nfit_descs(r);
    dsm = xen_nvdimm_dsm_conf(r);
    xen_nvdimm_fit_update(r, descs);
    acpi_add_table(table_offsets, table_data);
    nvdimm_xen_build_nfit(table_data, (NvdimmNfitDesc *)descs->data,
                          descs->len, xen_nvdimm_nfit_caps(r));
    acpi_add_table(table_offsets, table_data);
    nvdimm_xen_build_ssdt(table_data, (NvdimmNfitDesc *)descs->data,
                          descs->len, &dsm);
}

/*
 * The tables the admin gave hvmloader through xenstore (xl's
 * acpi_firmware=), read once before we first replace the keys: they stay
 * first in the blob.
 */
static bool xen_nvdimm_read_admin_acpi(XenNvdimmState *s, XenNvdimmRoot *r,
                                       const char *dir, Error **errp)
{
    ERRP_GUARD();
    g_autofree char *apath = g_strdup_printf("%s/address", dir);
    g_autofree char *lpath = g_strdup_printf("%s/length", dir);
    g_autofree char *addr = NULL;
    g_autofree char *len = NULL;
    uint64_t a, l;

    r->admin_acpi = g_byte_array_new();
    addr = xen_nvdimm_xs_read(apath, errp);
    if (!addr) {
        return !*errp;
    }
    len = xen_nvdimm_xs_read(lpath, errp);
    if (!len || qemu_strtou64(addr, NULL, 0, &a) ||
        qemu_strtou64(len, NULL, 0, &l) || a + l < a || a + l > 4 * GiB ||
        l > XEN_NVDIMM_ACPI_MAX) {
        error_setg(errp, "xenstore %s holds ACPI tables at '%s', '%s' bytes: "
                   "not a range below 4 GiB", dir, addr, len ?: "");
        return false;
    }
    if (a == XEN_NVDIMM_ACPI_GPA) {
        error_setg(errp, "xenstore %s already points at 0x%" PRIx64 ", where "
                   "xen-nvdimm puts its tables: another device model has "
                   "published them", dir, a);
        return false;
    }
    g_byte_array_set_size(r->admin_acpi, l);
    if (!s->ops->guest_read(a, r->admin_acpi->data, l, errp)) {
        return false;
    }
    if (xen_nvdimm_acpi_count_tables(r->admin_acpi->data, l) < 0) {
        error_setg(errp, "the ACPI tables at 0x%" PRIx64 " (from xenstore "
                   "%s) are not whole tables", a, dir);
        return false;
    }
    trace_xen_nvdimm_admin_acpi(a, l);
    return true;
}

/*
 * Hand hvmloader the tables for the devices realized so far, after the
 * admin's own: hvmloader appends whatever hvmloader/acpi/{address,length}
 * point to.  The emulated host has xenstore only when XENSTORED_PATH
 * names a stand-in.
 */
bool xen_nvdimm_publish_acpi(XenNvdimmState *s, Error **errp)
{
    XenNvdimmRoot *r = xen_nvdimm_root();
    g_autofree char *dir = NULL;
    g_autofree char *addr = NULL;
    g_autofree char *len = NULL;
    g_autofree char *apath = NULL;
    g_autofree char *lpath = NULL;
    const char *paths[2], *values[2];
    g_autoptr(GArray) descs = NULL;
    g_autoptr(GArray) blob = NULL;
    NvdimmXenDsmConf dsm = xen_nvdimm_dsm_conf(r);
    int tables;

    if (!xen_nvdimm_have_xenstore(s)) {
        return true;
    }
    dir = g_strdup_printf("/local/domain/%u/hvmloader/acpi", xen_domid);
    if (!r->admin_acpi && !xen_nvdimm_read_admin_acpi(s, r, dir, errp)) {
        g_clear_pointer(&r->admin_acpi, g_byte_array_unref);
        return false;
    }
    blob = g_array_new(false, true, 1);
    g_array_append_vals(blob, r->admin_acpi->data, r->admin_acpi->len);
    descs = xen_nvdimm_nfit_descs(r);
    xen_nvdimm_fit_update(r, descs);
    nvdimm_xen_build_nfit(blob, (NvdimmNfitDesc *)descs->data, descs->len,
                          xen_nvdimm_nfit_caps(r));
    nvdimm_xen_build_ssdt(blob, (NvdimmNfitDesc *)descs->data, descs->len,
                          &dsm);
    tables = xen_nvdimm_acpi_count_tables((uint8_t *)blob->data, blob->len);
    if (tables > XEN_NVDIMM_ACPI_TABLES || blob->len > XEN_NVDIMM_ACPI_MAX) {
        error_setg(errp, "%d ACPI tables (%u bytes) for hvmloader: at most "
                   "%d fit", tables, blob->len, XEN_NVDIMM_ACPI_TABLES);
        return false;
    }
    if (!s->ops->guest_place(XEN_NVDIMM_ACPI_GPA, blob->data, blob->len,
                             errp)) {
        return false;
    }
    /* hvmloader must never see one key of the pair without the other. */
    addr = g_strdup_printf("0x%" PRIx64, (uint64_t)XEN_NVDIMM_ACPI_GPA);
    len = g_strdup_printf("%u", blob->len);
    apath = g_strdup_printf("%s/address", dir);
    lpath = g_strdup_printf("%s/length", dir);
    paths[0] = apath;
    paths[1] = lpath;
    values[0] = addr;
    values[1] = len;
    if (!xen_nvdimm_xs_write_all(paths, values, 2, errp)) {
        return false;
    }
    trace_xen_nvdimm_publish_acpi(XEN_NVDIMM_ACPI_GPA, blob->len, tables);
    return true;
}
