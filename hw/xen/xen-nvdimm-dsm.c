/*
 * Xen virtual NVDIMM: the _DSM transport and the guest's events
 *
 * The guest's _DSM calls.  The SSDT's AML writes a request into the page at
 * XEN_NVDIMM_DSM_GPA and its address into the notify register; the reply
 * replaces the request before the write completes.  The page and the
 * register serve every device of the machine (its XenNvdimmRoot).
 *
 * Events for the guest: the device model raises GPE 4 (QEMU's NVDIMM
 * hotplug GPE) and the SSDT's \_GPE._E04 reads the notify register, which
 * returns the pending events and clears them, and notifies the root
 * device.  Only once the guest has called a _DSM since reset (its NFIT
 * driver is there: Linux must not be notified before), and at most once a
 * second, however often the host's lists change.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "block/thread-pool.h"
#include "exec/address-spaces.h"
#include "hw/acpi/acpi_dev_interface.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "system/reset.h"
#include "trace.h"

#define XEN_NVDIMM_EVENT_GAP_MS 1000

static void xen_nvdimm_event_send(void *opaque)
{
    XenNvdimmRoot *r = opaque;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    Object *acpi;

    if (!r->events) {
        return;
    }
    if (r->event_sent && now - r->event_sent < XEN_NVDIMM_EVENT_GAP_MS) {
        timer_mod(r->event_timer, r->event_sent + XEN_NVDIMM_EVENT_GAP_MS);
        return;
    }
    acpi = object_resolve_path_type("", TYPE_ACPI_DEVICE_IF, NULL);
    if (!acpi) {
        trace_xen_nvdimm_event_lost(r->events, "no ACPI device");
        r->events = 0;
        return;
    }
    r->event_sent = now;
    trace_xen_nvdimm_event_sent(r->events);
    acpi_send_event(DEVICE(acpi), ACPI_NVDIMM_HOTPLUG_STATUS);
}

void xen_nvdimm_event_raise(uint32_t events)
{
    XenNvdimmRoot *r = xen_nvdimm_root_find();

    if (!r || !r->guest_ready) {
        /* Its first scrub, still to come, finds what changed. */
        trace_xen_nvdimm_event_lost(events, "the guest has no NFIT driver");
        return;
    }
    r->events |= events;
    xen_nvdimm_event_send(r);
}

/* A reset guest has no driver yet; what it missed, its scrub finds. */
static void xen_nvdimm_event_reset(void *opaque)
{
    XenNvdimmRoot *r = opaque;

    r->guest_ready = false;
    r->events = 0;
    timer_del(r->event_timer);
}

/*
 * A _DSM call.  On Xen it is served in a worker thread: a label write is
 * made durable there, and only the calling vCPU waits for it (in Xen,
 * until the reply is in the page), not QEMU's main loop.  It works on
 * copies of what the main loop may change meanwhile: the request, the
 * FIT, and each NVDIMM's entry, whose callbacks that ask the host of its
 * media take the BQL (they are bounded: the host is asked at most once a
 * second).  The emulated host serves it at once, in the main loop.
 */
typedef struct XenNvdimmDsmCall {
    XenNvdimmRoot *r;
    NvdimmDsmRoot root;
    GArray *fit;
    bool fit_dirty;
    uint64_t fit_gen;           /* r->fit_gen when the call began */
    NvdimmDsmDimm dimms[XEN_NVDIMM_MAX_SLOTS];
    NvdimmDsmDimm host[XEN_NVDIMM_MAX_SLOTS];   /* in the worker: theirs */
    unsigned n;
    uint8_t in[NVDIMM_DSM_PAGE], out[NVDIMM_DSM_PAGE];
    uint32_t len;
    void *deferred;             /* the guest's write, to complete */
} XenNvdimmDsmCall;

/*
 * In the worker, each callback gets its NVDIMM's entry (the device's
 * callbacks and opaque): the label area's as they are, the host's media
 * under the BQL.
 */
static bool dsm_worker_read_label(void *opaque, uint32_t off, void *buf,
                                  uint32_t len)
{
    const NvdimmDsmDimm *d = opaque;

    return d->read_label(d->opaque, off, buf, len);
}

static bool dsm_worker_write_label(void *opaque, uint32_t off,
                                   const void *buf, uint32_t len)
{
    const NvdimmDsmDimm *d = opaque;

    return d->write_label(d->opaque, off, buf, len);
}

static bool dsm_worker_bad_ranges(void *opaque, GArray *ranges)
{
    const NvdimmDsmDimm *d = opaque;
    bool ok;

    bql_lock();
    ok = d->bad_ranges(d->opaque, ranges);
    bql_unlock();
    return ok;
}

static bool dsm_worker_health(void *opaque, NvdimmHealth *health)
{
    const NvdimmDsmDimm *d = opaque;
    bool ok;

    bql_lock();
    ok = d->health(d->opaque, health);
    bql_unlock();
    return ok;
}

static int xen_nvdimm_dsm_serve(void *opaque)
{
    XenNvdimmDsmCall *c = opaque;

    c->len = nvdimm_dsm_serve(c->in, &c->root, c->dimms, c->n, &c->r->ars,
                              c->out);
    return 0;
}

/* In the main loop: the reply into the page, then the guest's write done. */
static void xen_nvdimm_dsm_done(void *opaque, int ret)
{
    XenNvdimmDsmCall *c = opaque;
    XenNvdimmRoot *r = c->r;

    memcpy(r->dsm_page, c->out, c->len);
    /* A FIT rebuilt meanwhile stays dirty for the next read. */
    if (r->fit_gen == c->fit_gen) {
        r->fit_dirty = c->fit_dirty;
    }
    r->dsm_busy = false;
    if (c->deferred) {
        trace_xen_nvdimm_dsm_done(c->len);
        r->ops->complete_write(c->deferred);
    }
    g_clear_pointer(&c->fit, g_array_unref);
    g_free(c);
}

static void xen_nvdimm_notify_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenNvdimmRoot *r = opaque;
    XenNvdimmDsmCall *c;
    XenNvdimmState *s;

    if (addr || size != 4 || val != XEN_NVDIMM_DSM_GPA) {
        trace_xen_nvdimm_dsm_bad_notify(addr, size, val);
        return;
    }
    r->guest_ready = true;
    if (r->dsm_busy) {
        /* Only a guest that ignores ACPI's one-method-at-a-time gets here. */
        trace_xen_nvdimm_dsm_busy();
        return;
    }
    c = g_new0(XenNvdimmDsmCall, 1);
    c->r = r;
    if (r->fit) {
        c->fit = g_array_copy(r->fit);
    }
    c->fit_dirty = r->fit_dirty;
    c->fit_gen = r->fit_gen;
    /* The root offers address range scrub, and the FIT for _FIT. */
    c->root = (NvdimmDsmRoot) {
        .ars = true, .fit = c->fit, .fit_dirty = &c->fit_dirty,
    };
    QTAILQ_FOREACH(s, &r->devices, next) {
        c->dimms[c->n++] = xen_nvdimm_media_dsm_dimm(s);
    }
    /* The guest may change the page meanwhile: work on a copy. */
    memcpy(c->in, r->dsm_page, sizeof(c->in));
    c->deferred = r->ops->defer_write ? r->ops->defer_write() : NULL;
    if (!c->deferred) {
        xen_nvdimm_dsm_serve(c);
        xen_nvdimm_dsm_done(c, 0);
        return;
    }
    for (unsigned i = 0; i < c->n; i++) {
        NvdimmDsmDimm *d = &c->dimms[i];

        c->host[i] = *d;
        d->opaque = &c->host[i];
        d->read_label = d->read_label ? dsm_worker_read_label : NULL;
        d->write_label = d->write_label ? dsm_worker_write_label : NULL;
        d->bad_ranges = d->bad_ranges ? dsm_worker_bad_ranges : NULL;
        d->health = d->health ? dsm_worker_health : NULL;
    }
    r->dsm_busy = true;
    trace_xen_nvdimm_dsm_deferred(c->n);
    thread_pool_submit_aio(xen_nvdimm_dsm_serve, c, xen_nvdimm_dsm_done, c);
}

/* Read, the register returns the pending events and clears them. */
static uint64_t xen_nvdimm_notify_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    XenNvdimmRoot *r = opaque;
    uint32_t events = r->events;

    if (addr || size != 4) {
        return 0;
    }
    r->events = 0;
    trace_xen_nvdimm_event_read(events);
    return events;
}

static const MemoryRegionOps xen_nvdimm_notify_ops = {
    .read = xen_nvdimm_notify_read,
    .write = xen_nvdimm_notify_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* Set up the page and the register, once for all devices. */
bool xen_nvdimm_dsm_init(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    XenNvdimmRoot *r = xen_nvdimm_root();

    if (r->dsm_page) {
        return true;
    }
    r->ops = s->ops;
    r->dsm_page = s->ops->guest_page(XEN_NVDIMM_DSM_GPA, errp);
    if (!r->dsm_page) {
        error_prepend(errp, "the _DSM page: ");
        return false;
    }
    memory_region_init_io(&r->notify_mr, OBJECT(r), &xen_nvdimm_notify_ops,
                          r, "xen-nvdimm-dsm-notify", XEN_NVDIMM_PAGE_SIZE);
    memory_region_add_subregion(get_system_memory(), XEN_NVDIMM_NOTIFY_GPA,
                                &r->notify_mr);
    r->event_timer = timer_new_ms(QEMU_CLOCK_REALTIME, xen_nvdimm_event_send,
                                  r);
    qemu_register_reset(xen_nvdimm_event_reset, r);
    return true;
}
