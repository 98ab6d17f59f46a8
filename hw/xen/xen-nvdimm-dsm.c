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

static void xen_nvdimm_notify_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenNvdimmRoot *r = opaque;
    /* The root offers address range scrub, and the FIT for _FIT. */
    NvdimmDsmRoot root = {
        .ars = true, .fit = r->fit, .fit_dirty = &r->fit_dirty,
    };
    NvdimmDsmDimm dimms[XEN_NVDIMM_MAX_SLOTS];
    uint8_t in[NVDIMM_DSM_PAGE], out[NVDIMM_DSM_PAGE];
    XenNvdimmState *s;
    unsigned n = 0;
    uint32_t len;

    if (addr || size != 4 || val != XEN_NVDIMM_DSM_GPA) {
        trace_xen_nvdimm_dsm_bad_notify(addr, size, val);
        return;
    }
    r->guest_ready = true;
    QTAILQ_FOREACH(s, &r->devices, next) {
        dimms[n++] = xen_nvdimm_media_dsm_dimm(s);
    }
    /* The guest may change the page meanwhile: work on a copy. */
    memcpy(in, r->dsm_page, sizeof(in));
    len = nvdimm_dsm_serve(in, &root, dimms, n, &r->ars, out);
    memcpy(r->dsm_page, out, len);
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
