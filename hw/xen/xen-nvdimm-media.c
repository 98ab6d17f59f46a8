/*
 * xen-nvdimm: what the guest learns of the host's media
 *
 * The guest's NVDIMM is the host's persistent memory, so what the host's
 * driver knows of that memory is what the guest needs: which sectors are
 * known bad (the guest's address range scrub gets them, as guest-physical
 * ranges, never host addresses) and the health of the DIMMs behind it
 * (SMART: health, spares, temperature, life used, unsafe shutdowns).  The
 * host is asked when the guest asks, so ranges that went bad after boot
 * reach the guest at its next scrub, but at most once a second per device
 * and question: a SMART query runs a firmware command on every DIMM under
 * the host's NVDIMM bus lock, and a guest must not be able to keep the
 * host's bus (or this QEMU's main loop) busy.  Health is only offered when
 * the host gives it for every DIMM behind the device: no invented numbers.
 * The host's persistence domain for the memory (what a store must reach to
 * survive a power loss) is read once: the guest's NFIT carries it.  The
 * host's lists of media errors are watched: when one changes, the guest is
 * told to scrub again, so new errors reach it without its asking.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include <glib-unix.h>
#include "qapi/error.h"
#include "hw/acpi/nvdimm-xen.h"
#include "hw/mem/nvdimm.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/* The backend's watch on the host's lists fired. */
static gboolean media_watch_fired(gint fd, GIOCondition cond, gpointer opaque)
{
    XenNvdimmState *s = opaque;

    if (xen_pmem_media_rearm(s->pmem, fd)) {
        xen_nvdimm_media_changed(s);
    }
    return G_SOURCE_CONTINUE;
}

void xen_nvdimm_media_unwatch(XenNvdimmState *s)
{
    if (s->media_fd >= 0) {
        g_source_remove(s->media_tag);
        close(s->media_fd);
        s->media_fd = -1;
    }
}

/*
 * The next scrub asks the host afresh; the guest is told to scrub (at most
 * once a second for all devices, and only once it has its tables).
 */
void xen_nvdimm_media_changed(XenNvdimmState *s)
{
    trace_xen_nvdimm_media_changed(s->name);
    s->bad_asked = 0;
    xen_nvdimm_event_raise(NVDIMM_XEN_EVENT_MEDIA);
}

/* The scrub's callback: the host's bad ranges, in guest addresses. */
static bool media_bad_ranges(void *opaque, GArray *ranges)
{
    XenNvdimmState *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    Error *err = NULL;

    if (nvdimm_dsm_host_fresh(s->bad_asked, now)) {
        trace_xen_nvdimm_media_reused(s->name, "bad ranges");
    } else {
        g_autoptr(GArray) bad = g_array_new(false, false,
                                            sizeof(XenNvdimmRange));

        /* The guest can ask at will: trace the failure, it gets it. */
        s->bad_asked = now;
        if (!xen_pmem_bad_ranges(s->pmem, bad, &err)) {
            trace_xen_nvdimm_media_error(s->name, error_get_pretty(err));
            error_free(err);
            g_clear_pointer(&s->bad_known, g_array_unref);
            return false;
        }
        if (s->bad_known) {
            g_array_unref(s->bad_known);
        }
        s->bad_known = g_steal_pointer(&bad);
    }
    if (!s->bad_known) {
        return false;
    }
    xen_nvdimm_bad_to_guest(s->extents, (XenNvdimmRange *)s->bad_known->data,
                            s->bad_known->len, s->gpa, ranges);
    trace_xen_nvdimm_media_bad(s->name, s->bad_known->len, ranges->len);
    return true;
}

static bool media_health(void *opaque, NvdimmHealth *h)
{
    XenNvdimmState *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    Error *err = NULL;

    if (nvdimm_dsm_host_fresh(s->health_asked, now)) {
        trace_xen_nvdimm_media_reused(s->name, "health");
    } else {
        s->health_asked = now;
        memset(&s->health, 0, sizeof(s->health));
        s->health_rc = xen_pmem_health(s->pmem, &s->health, &err);
        if (s->health_rc < 0) {
            trace_xen_nvdimm_media_error(s->name, error_get_pretty(err));
            error_free(err);
        }
        trace_xen_nvdimm_media_health(s->name, s->health_rc, s->health.flags,
                                      s->health.shutdown_count);
    }
    *h = s->health;
    return s->health_rc > 0;
}

bool xen_nvdimm_media_init(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    NvdimmHealth h = { 0 };
    int rc = xen_pmem_health(s->pmem, &h, errp);

    if (rc < 0) {
        return false;
    }
    s->has_health = rc > 0;
    trace_xen_nvdimm_media_health(s->name, rc, h.flags, h.shutdown_count);
    if (!xen_pmem_persistence(s->pmem, &s->persistence, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        return false;
    }
    trace_xen_nvdimm_media_persistence(
        s->name, xen_nvdimm_persistence_name(s->persistence));
    s->media_fd = xen_pmem_media_watch(s->pmem);
    if (s->media_fd >= 0) {
        s->media_tag = g_unix_fd_add(s->media_fd, G_IO_IN, media_watch_fired,
                                     s);
    }
    return true;
}

NvdimmDsmDimm xen_nvdimm_media_dsm_dimm(XenNvdimmState *s)
{
    return (NvdimmDsmDimm) {
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
