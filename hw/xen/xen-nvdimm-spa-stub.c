/*
 * xen-nvdimm: host physical address resolution without libndctl
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-spa.h"

bool xen_nvdimm_resolve_spa(int fd, const char *path, uint64_t size,
                            GArray *extents, GArray *bad, bool *pinned,
                            Error **errp)
{
    error_setg(errp, "cannot find the host physical address of %s: QEMU "
               "was built without libndctl and libdaxctl", path);
    return false;
}

bool xen_nvdimm_file_pin(int fd, const char *path, Error **errp)
{
    error_setg(errp, "cannot pin %s: QEMU was built without libndctl", path);
    return false;
}

bool xen_nvdimm_file_unpin(int fd, const char *path, Error **errp)
{
    return true;
}

bool xen_nvdimm_file_labels_ok(int fd, const char *path, Error **errp)
{
    return true;                /* nothing is pinned without the resolver */
}

bool xen_nvdimm_read_badblocks(GArray *sources, GArray *bad, Error **errp)
{
    return true;                /* no source without the resolver */
}

int xen_nvdimm_read_health(GArray *sources, NvdimmHealth *h,
                           Error **errp)
{
    return 0;
}

bool xen_nvdimm_read_persistence(GArray *sources, XenNvdimmPersistence *p,
                                 Error **errp)
{
    *p = XEN_NVDIMM_PERSIST_NONE;
    return true;
}

int xen_nvdimm_badblocks_watch(GArray *sources)
{
    return -1;
}

bool xen_nvdimm_badblocks_rearm(int fd)
{
    return false;
}
