/*
 * QEMU's NVDIMM: what the host knows of the media behind it
 *
 * When an NVDIMM's backend is host persistent memory (a device-dax, a
 * pmem block device, or a file on a filesystem on one), the host's Linux
 * NVDIMM driver knows which of its sectors are bad and, for real NVDIMMs,
 * their health.  The guest gets both through the _DSM: its address range
 * scrub lists the bad sectors as guest-physical ranges, so that its reads
 * there fail cleanly instead of consuming poison, and Get SMART and Health
 * Info gives the health of the DIMMs behind it, where the host gives it
 * for every one.  The same resolver as xen-nvdimm's finds the memory (its
 * extents are read afresh at each scrub: QEMU does not pin a file, so a
 * filesystem may move it while the guest runs), and the same rules bound
 * what a guest can make the host do: a SMART query runs a firmware command
 * on every DIMM under the host's NVDIMM bus lock, so the host is asked at
 * most once a second per device and question.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "hw/mem/nvdimm-media.h"
#include "hw/xen/xen-nvdimm-spa.h"
#include "trace.h"

struct NvdimmMedia {
    char *name;
    int fd;                     /* the backend's own */
    char *path;
    uint64_t size;              /* of the data */
    GArray *sources;            /* XenNvdimmBadSource: the host's lists */
    bool has_health;
    /*
     * When the host was last asked (or 0), where the data was then
     * (XenNvdimmExtent) and which host-physical ranges were bad
     * (XenNvdimmRange; NULL: the host could not tell).
     */
    int64_t bad_asked;
    GArray *extents;
    GArray *bad_known;
    int64_t health_asked;
    int health_rc;              /* of xen_nvdimm_read_health() */
    NvdimmHealth health;
};

/* Where @m's data is in host physical memory, and its lists of errors. */
static bool media_resolve(NvdimmMedia *m, GArray *extents, GArray *sources,
                          Error **errp)
{
    return xen_nvdimm_resolve_spa(m->fd, m->path, m->size, extents, sources,
                                  NULL, errp);
}

NvdimmMedia *nvdimm_media_open(const char *name, int fd, const char *path,
                               uint64_t size)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) sources = g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource));
    NvdimmMedia *m;
    Error *err = NULL;
    NvdimmHealth h = { 0 };
    int rc = -1;

    if (fd < 0) {
        trace_nvdimm_media_none(name, "the backend has no file");
        return NULL;
    }
    m = g_new0(NvdimmMedia, 1);
    m->name = g_strdup(name);
    m->fd = fd;
    m->path = g_strdup(path ? path : name);
    m->size = size;
    if (media_resolve(m, extents, sources, &err)) {
        rc = xen_nvdimm_read_health(sources, &h, &err);
    }
    if (rc < 0) {
        trace_nvdimm_media_none(name, error_get_pretty(err));
        error_free(err);
        nvdimm_media_free(m);
        return NULL;
    }
    m->sources = g_steal_pointer(&sources);
    m->has_health = rc > 0;
    trace_nvdimm_media_open(name, extents->len, m->sources->len,
                            m->has_health);
    return m;
}

void nvdimm_media_free(NvdimmMedia *m)
{
    if (!m) {
        return;
    }
    if (m->sources) {
        g_array_unref(m->sources);
    }
    if (m->extents) {
        g_array_unref(m->extents);
    }
    if (m->bad_known) {
        g_array_unref(m->bad_known);
    }
    g_free(m->path);
    g_free(m->name);
    g_free(m);
}

bool nvdimm_media_has_health(NvdimmMedia *m)
{
    return m->has_health;
}

/* Ask the host where the data is and which of it is bad, now. */
static bool media_ask_bad(NvdimmMedia *m, Error **errp)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) sources = g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource));
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));

    if (!media_resolve(m, extents, sources, errp) ||
        !xen_nvdimm_read_badblocks(sources, bad, errp)) {
        return false;
    }
    if (m->extents) {
        g_array_unref(m->extents);
    }
    if (m->bad_known) {
        g_array_unref(m->bad_known);
    }
    m->extents = g_steal_pointer(&extents);
    m->bad_known = g_steal_pointer(&bad);
    return true;
}

bool nvdimm_media_bad_ranges(NvdimmMedia *m, uint64_t gpa, GArray *ranges)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    Error *err = NULL;

    if (nvdimm_dsm_host_fresh(m->bad_asked, now)) {
        trace_nvdimm_media_reused(m->name, "bad ranges");
    } else {
        /* The guest can ask at will: trace the failure, it gets it. */
        m->bad_asked = now;
        if (!media_ask_bad(m, &err)) {
            trace_nvdimm_media_error(m->name, error_get_pretty(err));
            error_free(err);
            g_clear_pointer(&m->bad_known, g_array_unref);
        }
    }
    if (!m->bad_known) {
        return false;
    }
    xen_nvdimm_bad_to_guest(m->extents, (XenNvdimmRange *)m->bad_known->data,
                            m->bad_known->len, gpa, ranges);
    trace_nvdimm_media_bad(m->name, m->bad_known->len, ranges->len);
    return true;
}

bool nvdimm_media_health(NvdimmMedia *m, NvdimmHealth *h)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    Error *err = NULL;

    if (nvdimm_dsm_host_fresh(m->health_asked, now)) {
        trace_nvdimm_media_reused(m->name, "health");
    } else {
        m->health_asked = now;
        memset(&m->health, 0, sizeof(m->health));
        m->health_rc = xen_nvdimm_read_health(m->sources, &m->health, &err);
        if (m->health_rc < 0) {
            trace_nvdimm_media_error(m->name, error_get_pretty(err));
            error_free(err);
        }
        trace_nvdimm_media_health(m->name, m->health_rc, m->health.flags,
                                  m->health.shutdown_count);
    }
    *h = m->health;
    return m->health_rc > 0;
}
