/*
 * xen-nvdimm: extent and guest-physical layout helpers
 *
 * Pure functions: no device state, no hypervisor.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-layout.h"

#define EXTENT(a, i) (&g_array_index(a, XenNvdimmExtent, i))

int xen_nvdimm_extent_cmp(const void *a, const void *b)
{
    const XenNvdimmExtent *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

void xen_nvdimm_extents_coalesce(GArray *extents)
{
    guint out = 0;

    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);
        XenNvdimmExtent *last = out ? EXTENT(extents, out - 1) : NULL;

        if (last && last->offset + last->size == e->offset &&
            last->spa + last->size == e->spa) {
            last->size += e->size;
        } else {
            *EXTENT(extents, out++) = *e;
        }
    }
    g_array_set_size(extents, out);
}

bool xen_nvdimm_extents_check(GArray *extents, uint64_t size, Error **errp)
{
    uint64_t next = 0;

    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);

        if (e->offset != next) {
            error_setg(errp, "backend bytes 0x%" PRIx64 "..0x%" PRIx64
                       " have no host physical address", next,
                       MAX(e->offset, next) - 1);
            return false;
        }
        if (!e->size || !QEMU_IS_ALIGNED(e->offset | e->spa | e->size,
                                         XEN_NVDIMM_PAGE_SIZE)) {
            error_setg(errp, "extent at backend offset 0x%" PRIx64
                       " (SPA 0x%" PRIx64 ", 0x%" PRIx64 " bytes) is not "
                       "made of whole pages", e->offset, e->spa, e->size);
            return false;
        }
        if (e->spa + e->size < e->spa || e->offset + e->size < e->offset) {
            error_setg(errp, "extent at backend offset 0x%" PRIx64
                       " wraps around", e->offset);
            return false;
        }
        next = e->offset + e->size;
    }
    if (next < size) {
        error_setg(errp, "backend bytes 0x%" PRIx64 "..0x%" PRIx64
                   " have no host physical address", next, size - 1);
        return false;
    }
    if (next > size) {
        error_setg(errp, "extents run 0x%" PRIx64 " bytes past the end",
                   next - size);
        return false;
    }
    return true;
}

void xen_nvdimm_congruence(GArray *extents, uint64_t *phase, uint64_t *align)
{
    XenNvdimmExtent *big = NULL;

    for (guint i = 0; i < extents->len; i++) {
        if (!big || EXTENT(extents, i)->size > big->size) {
            big = EXTENT(extents, i);
        }
    }
    *align = big && big->size >= 1 * GiB ? 1 * GiB : 2 * MiB;
    /* The GPA of the data area where this extent's SPA lands congruently. */
    *phase = big ? (big->spa - big->offset) & (*align - 1) : 0;
}

static const XenNvdimmRange *find_overlap(uint64_t start, uint64_t size,
                                          const XenNvdimmRange *busy,
                                          size_t nbusy)
{
    for (size_t i = 0; i < nbusy; i++) {
        if (start < busy[i].end && busy[i].start < start + size) {
            return &busy[i];
        }
    }
    return NULL;
}

static bool fits(uint64_t gpa, uint64_t size)
{
    return gpa < XEN_NVDIMM_GPA_LIMIT && size <= XEN_NVDIMM_GPA_LIMIT - gpa;
}

bool xen_nvdimm_place(uint64_t floor, uint64_t size, uint64_t phase,
                      uint64_t align, const XenNvdimmRange *busy,
                      size_t nbusy, uint64_t *gpa, Error **errp)
{
    const XenNvdimmRange *hit;
    uint64_t at = floor;

    assert(is_power_of_2(align) && phase < align);
    for (;;) {
        /* Round up to the next address congruent to phase. */
        at = (at & ~(align - 1)) + phase;
        if (at < floor) {
            at += align;
        }
        if (!fits(at, size)) {
            error_setg(errp, "no room for 0x%" PRIx64 " bytes of guest "
                       "physical address space above 0x%" PRIx64,
                       size, floor);
            return false;
        }
        hit = find_overlap(at, size, busy, nbusy);
        if (!hit) {
            *gpa = at;
            return true;
        }
        floor = at = hit->end;
    }
}

bool xen_nvdimm_check_gpa(uint64_t gpa, uint64_t floor, uint64_t size,
                          const XenNvdimmRange *busy, size_t nbusy,
                          Error **errp)
{
    const XenNvdimmRange *hit;

    if (!QEMU_IS_ALIGNED(gpa, XEN_NVDIMM_PAGE_SIZE)) {
        error_setg(errp, "address 0x%" PRIx64 " is not page aligned", gpa);
        return false;
    }
    if (gpa < floor) {
        error_setg(errp, "address 0x%" PRIx64 " is below 0x%" PRIx64 ": "
                   "guest RAM, the PCI holes and the 64-bit BAR window "
                   "are there", gpa, floor);
        return false;
    }
    if (!fits(gpa, size)) {
        error_setg(errp, "address 0x%" PRIx64 " + 0x%" PRIx64 " is beyond "
                   "the guest physical address space Xen can map",
                   gpa, size);
        return false;
    }
    hit = find_overlap(gpa, size, busy, nbusy);
    if (hit) {
        error_setg(errp, "address range 0x%" PRIx64 "..0x%" PRIx64
                   " overlaps another xen-nvdimm at 0x%" PRIx64 "..0x%"
                   PRIx64, gpa, gpa + size - 1, hit->start, hit->end - 1);
        return false;
    }
    return true;
}
