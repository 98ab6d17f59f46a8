/*
 * Xen virtual NVDIMM: placement
 *
 * Where the data area goes in the guest: above everything the guest or
 * hvmloader may use, congruent with its host address for superpages, in
 * a free slot.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/host-utils.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/i386/pc.h"
#include "hw/i386/x86.h"
#include "hw/pci/pci_host.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/*
 * Guest-physical space left free above RAM (and QEMU's own 64-bit PCI hole)
 * for the 64-bit BARs hvmloader relocates there; the NVDIMMs go above it.
 */
#define XEN_NVDIMM_BAR_WINDOW   (256 * GiB)

/*
 * Linux aligns pmem namespaces to 16 MiB by default (its memremap
 * compatibility alignment): a region starting there needs no adjustment
 * before ndctl can create fsdax or devdax namespaces in it.
 */
#define XEN_NVDIMM_GUEST_ALIGN  (16 * MiB)

/*
 * The lowest guest-physical address the NVDIMMs may use: above RAM, the
 * device-memory region and QEMU's 64-bit PCI hole, plus the window that
 * hvmloader fills with relocated 64-bit BARs.
 */
static bool xen_nvdimm_floor(uint64_t *floor, Error **errp)
{
    ERRP_GUARD();
    MachineState *ms = MACHINE(qdev_get_machine());
    X86MachineState *x86ms = X86_MACHINE(ms);
    Object *host = object_resolve_type_unambiguous(TYPE_PCI_HOST_BRIDGE, NULL);
    uint64_t top = 4 * GiB, hole64_end;

    if (x86ms->above_4g_mem_size) {
        top = MAX(top, x86ms->above_4g_mem_start + x86ms->above_4g_mem_size);
    }
    if (ms->device_memory) {
        top = MAX(top, ms->device_memory->base +
                       memory_region_size(&ms->device_memory->mr));
    }
    if (host && object_property_find(host, PCI_HOST_PROP_PCI_HOLE64_END)) {
        hole64_end = object_property_get_uint(host,
                                              PCI_HOST_PROP_PCI_HOLE64_END,
                                              errp);
        if (*errp) {
            return false;
        }
        top = MAX(top, hole64_end);
    }
    *floor = ROUND_UP(top, 1 * GiB) + XEN_NVDIMM_BAR_WINDOW;
    return true;
}

/* Choose (or check the user's) guest-physical address of the data area. */
bool xen_nvdimm_place_data(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    XenNvdimmRoot *root = xen_nvdimm_root();
    g_autoptr(GArray) busy = g_array_new(false, false, sizeof(XenNvdimmRange));
    uint64_t floor, phase, align, gpa, max_gpfn;
    XenNvdimmState *other;
    uint32_t used_slots = 0;

    QTAILQ_FOREACH(other, &root->devices, next) {
        XenNvdimmRange r = { other->gpa, other->gpa + other->data_size };
        g_array_append_val(busy, r);
        used_slots |= 1u << other->slot;
    }
    QEMU_BUILD_BUG_ON(XEN_NVDIMM_MAX_SLOTS > 32);
    if (ctz32(~used_slots) >= XEN_NVDIMM_MAX_SLOTS) {
        error_setg(errp, "xen-nvdimm '%s': at most %d devices are supported",
                   s->name, XEN_NVDIMM_MAX_SLOTS);
        return false;
    }
    if (root->slots && ctz32(~used_slots) >= root->slots) {
        error_setg(errp, "xen-nvdimm '%s': all %u slots of xen-nvdimm-root "
                   "are used", s->name, root->slots);
        return false;
    }
    if (!xen_nvdimm_floor(&floor, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        return false;
    }
    xen_nvdimm_congruence(s->extents, &phase, &align);
    if (s->addr) {
        if (!xen_nvdimm_check_gpa(s->addr, floor, s->data_size,
                                  (XenNvdimmRange *)busy->data, busy->len,
                                  errp)) {
            error_prepend(errp, "xen-nvdimm '%s': '" XEN_NVDIMM_ADDR_PROP
                          "': ", s->name);
            return false;
        }
        gpa = s->addr;
        if ((gpa ^ phase) & (XEN_NVDIMM_DATA_ALIGN - 1)) {
            warn_report("xen-nvdimm '%s': address 0x%" PRIx64 " is not "
                        "congruent with the host address modulo 2 MiB "
                        "(want 0x%" PRIx64 "): Xen will map it in 4 KiB "
                        "pages, 256 KiB per hypercall, with page tables "
                        "from the domain's paging pool (2 MiB per GiB: "
                        "raise shadow_memory)", s->name, gpa,
                        phase & (XEN_NVDIMM_DATA_ALIGN - 1));
        }
    } else if (!xen_nvdimm_place(floor, s->data_size, phase,
                                 MAX(align, XEN_NVDIMM_GUEST_ALIGN),
                                 (XenNvdimmRange *)busy->data, busy->len,
                                 &gpa, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        return false;
    }
    trace_xen_nvdimm_place(s->name, gpa, s->data_size, floor,
                           phase, align, !!s->addr);

    /* What the hypervisor says the domain has populated must lie below. */
    if (!s->ops->max_gpfn(s, &max_gpfn, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        return false;
    }
    trace_xen_nvdimm_max_gpfn(s->name, max_gpfn);
    if (gpa >> XEN_NVDIMM_PAGE_SHIFT <= max_gpfn) {
        error_setg(errp, "xen-nvdimm '%s': guest address 0x%" PRIx64
                   " is not above the domain's memory (max gpfn 0x%" PRIx64
                   ")", s->name, gpa, max_gpfn);
        return false;
    }
    s->gpa = gpa;
    s->slot = ctz32(~used_slots);
    QTAILQ_INSERT_TAIL(&root->devices, s, next);
    return true;
}
