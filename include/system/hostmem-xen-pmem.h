/*
 * Host persistent memory for direct assignment to Xen guests
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_HOSTMEM_XEN_PMEM_H
#define SYSTEM_HOSTMEM_XEN_PMEM_H

#include "system/hostmem.h"

#define TYPE_MEMORY_BACKEND_XEN_PMEM "memory-backend-xen-pmem"
OBJECT_DECLARE_SIMPLE_TYPE(HostMemoryBackendXenPmem, MEMORY_BACKEND_XEN_PMEM)

/*
 * The backend opens the pmem device or file and keeps it open, but maps
 * nothing: neither guest RAM nor the pmem itself.  Its memory region is an
 * empty container of the backend's size; the consumer maps the data into
 * the guest by host physical address and reads the label area through @fd.
 */
struct HostMemoryBackendXenPmem {
    HostMemoryBackend parent_obj;

    char *mem_path;
    bool readonly;
    int fd;
};

#endif /* SYSTEM_HOSTMEM_XEN_PMEM_H */
