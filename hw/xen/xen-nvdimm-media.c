/*
 * xen-nvdimm: what the guest learns of the host's media
 *
 * The guest's NVDIMM is the host's persistent memory, so what the host's
 * driver knows of that memory is what the guest needs: which sectors are
 * known bad (the guest's address range scrub gets them, as guest-physical
 * ranges, never host addresses) and the health of the DIMMs behind it
 * (SMART: health, spares, temperature, life used, unsafe shutdowns).  The
 * host is asked each time the guest asks, so ranges that went bad after
 * boot reach the guest at its next scrub.  Health is only offered when the
 * host gives it for every DIMM behind the device: no invented numbers.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/mem/nvdimm.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/* The scrub's callback: the host's bad ranges, in guest addresses. */
static bool media_bad_ranges(void *opaque, GArray *ranges)
{
    XenNvdimmState *s = opaque;
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    Error *err = NULL;

    /* The guest can ask at will: trace the failure, the guest gets it. */
    if (!s->ops->bad_ranges(s, bad, &err)) {
        trace_xen_nvdimm_media_error(s->name, error_get_pretty(err));
        error_free(err);
        return false;
    }
    xen_nvdimm_bad_to_guest(s->extents, (XenNvdimmRange *)bad->data,
                            bad->len, s->gpa, ranges);
    trace_xen_nvdimm_media_bad(s->name, bad->len, ranges->len);
    return true;
}

static bool media_health(void *opaque, NvdimmXenHealth *h)
{
    XenNvdimmState *s = opaque;
    Error *err = NULL;
    int rc = s->ops->health(s, h, &err);

    if (rc < 0) {
        trace_xen_nvdimm_media_error(s->name, error_get_pretty(err));
        error_free(err);
    }
    trace_xen_nvdimm_media_health(s->name, rc, h->flags, h->shutdown_count);
    return rc > 0;
}

bool xen_nvdimm_media_init(XenNvdimmState *s, Error **errp)
{
    NvdimmXenHealth h = { 0 };
    int rc = s->ops->health(s, &h, errp);

    if (rc < 0) {
        return false;
    }
    s->has_health = rc > 0;
    trace_xen_nvdimm_media_health(s->name, rc, h.flags, h.shutdown_count);
    return true;
}

NvdimmXenDsmDimm xen_nvdimm_media_dsm_dimm(XenNvdimmState *s)
{
    return (NvdimmXenDsmDimm) {
        .handle = nvdimm_slot_to_handle(s->slot),
        .spa = s->gpa,
        .spa_size = s->data_size,
        .label_size = s->label_size,
        .label_writable = !s->unarmed && !s->pmem->readonly,
        .has_health = s->has_health,
        .opaque = s,
        .read_label = xen_nvdimm_label_read,
        .write_label = xen_nvdimm_label_write,
        .bad_ranges = media_bad_ranges,
        .health = media_health,
    };
}
