/*
 * xen-nvdimm: host physical address resolution without libndctl
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-ops.h"

bool xen_nvdimm_resolve_spa(int fd, const char *path, uint64_t size,
                            GArray *extents, GArray *bad, Error **errp)
{
    error_setg(errp, "cannot find the host physical address of %s: QEMU "
               "was built without libndctl and libdaxctl", path);
    return false;
}
