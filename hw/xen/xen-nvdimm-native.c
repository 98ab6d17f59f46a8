/*
 * xen-nvdimm: native host and hypervisor operations
 *
 * The dom0 NVDIMM driver resolves host physical addresses; libxenctrl asks
 * Xen to grant and map them.  The only xen-nvdimm file with Xen headers.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen_native.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-ops.h"

static bool native_resolve(XenNvdimmState *s, int fd, const char *path,
                           uint64_t size, GArray *extents, Error **errp)
{
    return xen_nvdimm_resolve_spa(fd, path, size, extents, errp);
}

static bool native_max_gpfn(XenNvdimmState *s, uint64_t *gpfn, Error **errp)
{
    xen_pfn_t max;

    if (xc_domain_maximum_gpfn(xen_xc, xen_domid, &max) < 0) {
        error_setg_errno(errp, errno, "cannot get the maximum gpfn of "
                         "domain %u", xen_domid);
        return false;
    }
    *gpfn = max;
    return true;
}

static int native_iomem_permission(XenNvdimmState *s, uint64_t mfn,
                                   uint64_t nr, bool allow)
{
    if (xc_domain_iomem_permission(xen_xc, xen_domid, mfn, nr, allow)) {
        return -errno;
    }
    return 0;
}

/*
 * libxenctrl loops over Xen's per-call limit and, if adding fails part way,
 * removes what it had added before returning the error.
 */
static int native_memory_mapping(XenNvdimmState *s, uint64_t gfn,
                                 uint64_t mfn, uint64_t nr, bool add)
{
    uint32_t op = add ? DPCI_ADD_MAPPING : DPCI_REMOVE_MAPPING;

    if (xc_domain_memory_mapping(xen_xc, xen_domid, gfn, mfn, nr, op)) {
        return -errno;
    }
    return 0;
}

const XenNvdimmOps xen_nvdimm_native_ops = {
    .name = "native",
    .resolve = native_resolve,
    .max_gpfn = native_max_gpfn,
    .iomem_permission = native_iomem_permission,
    .memory_mapping = native_memory_mapping,
};
