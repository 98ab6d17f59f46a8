/*
 * Host persistent memory for direct assignment to Xen guests
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_HOSTMEM_XEN_PMEM_H
#define SYSTEM_HOSTMEM_XEN_PMEM_H

#include "qom/object.h"

#define TYPE_MEMORY_BACKEND_XEN_PMEM "memory-backend-xen-pmem"
OBJECT_DECLARE_SIMPLE_TYPE(HostMemoryBackendXenPmem, MEMORY_BACKEND_XEN_PMEM)

/*
 * The backend opens the pmem device or file and keeps it open, but maps
 * nothing: neither guest RAM nor the pmem itself.  The consumer maps the
 * data into the guest by host physical address and reads the label area
 * through @fd.  It is no memory backend in QEMU's sense (it has no memory
 * region), so consumers of those (pc-dimm, nvdimm, -numa memdev, ...)
 * refuse it by type.
 */
struct HostMemoryBackendXenPmem {
    Object parent_obj;

    char *mem_path;
    uint64_t size;
    bool readonly;
    bool in_use;                /* a device has it */
    bool complete;
    int fd;
};

/*
 * A file that xen-nvdimm pins while a guest maps it (makes immutable)
 * carries this extended attribute, the host's boot id at the time: a pin
 * from an earlier boot of the host is stale, as no domain outlives it.
 */
#define XEN_PMEM_PIN_XATTR      "trusted.xen-nvdimm.pin"
#define XEN_PMEM_BOOT_ID_LEN    36

/* This boot's id (/proc/sys/kernel/random/boot_id), NUL-terminated. */
bool xen_pmem_boot_id(char *id, Error **errp);

#endif /* SYSTEM_HOSTMEM_XEN_PMEM_H */
