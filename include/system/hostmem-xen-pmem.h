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
#include "hw/acpi/nvdimm-dsm.h"
#include "hw/xen/xen-nvdimm-layout.h"

#define TYPE_MEMORY_BACKEND_XEN_PMEM "memory-backend-xen-pmem"
OBJECT_DECLARE_SIMPLE_TYPE(HostMemoryBackendXenPmem, MEMORY_BACKEND_XEN_PMEM)

typedef struct XenPmemHost XenPmemHost;

/*
 * The backend opens the pmem device or file and keeps it open, but maps
 * nothing: neither guest RAM nor the pmem itself.  It owns the host
 * resource: once a consumer acquires it, where the memory is in host
 * physical memory (a file pinned there), and what the host knows of its
 * media.  The consumer maps the data into the guest by host physical
 * address and reads the label area through @fd.  It is no memory backend
 * in QEMU's sense (it has no memory region), so consumers of those
 * (pc-dimm, nvdimm, -numa memdev, ...) refuse it by type.
 */
struct HostMemoryBackendXenPmem {
    Object parent_obj;

    char *mem_path;
    uint64_t size;
    bool readonly;
    bool complete;
    int fd;

    /* While a consumer has it (xen_pmem_acquire()) */
    bool in_use;
    const XenPmemHost *host;    /* who answers for the host */
    void *host_opaque;
    GArray *extents;            /* XenNvdimmExtent, in backend order */
    GArray *bad_sources;        /* the host's lists of its media errors */
    bool pinned;                /* a file made immutable */
};

/*
 * Who tells the backend where its memory is and what the host knows of
 * it: by default the dom0 NVDIMM driver (libndctl, libdaxctl, FIEMAP); a
 * test's emulated host instead.  Each gets the consumer's @opaque.
 */
struct XenPmemHost {
    /*
     * The host physical extents behind bytes [0, size) of the backend, in
     * backend order, appended to @extents; each proven to lie in the data
     * range of the NVDIMM namespace that holds it.  *@pinned: a file was
     * pinned for it.
     */
    bool (*resolve)(HostMemoryBackendXenPmem *pm, void *opaque,
                    uint64_t size, GArray *extents, bool *pinned,
                    Error **errp);
    /* Host ranges (XenNvdimmRange) with known media errors, now. */
    bool (*bad_ranges)(HostMemoryBackendXenPmem *pm, void *opaque,
                       GArray *bad, Error **errp);
    /*
     * The health of the DIMMs behind it, merged: 1, or 0 if the host gives
     * none for one of them, or -1 with @errp set.
     */
    int (*health)(HostMemoryBackendXenPmem *pm, void *opaque,
                  NvdimmHealth *h, Error **errp);
    /* The weakest persistence domain of the memory. */
    bool (*persistence)(HostMemoryBackendXenPmem *pm, void *opaque,
                        XenNvdimmPersistence *p, Error **errp);
    /*
     * A descriptor that becomes readable when the host's list of media
     * errors may have changed, or -1 if none can be watched; and, when it
     * does, take its events and say whether the list changed.
     */
    int (*media_watch)(HostMemoryBackendXenPmem *pm, void *opaque);
    bool (*media_rearm)(HostMemoryBackendXenPmem *pm, void *opaque, int fd);
};

/*
 * A consumer takes the backend, and its first @size bytes are resolved
 * (@host NULL: by the dom0 NVDIMM driver): pm->extents cover them, whole
 * pages, with no host page twice.  Refused while another consumer has it.
 */
bool xen_pmem_acquire(HostMemoryBackendXenPmem *pm, uint64_t size,
                      const XenPmemHost *host, void *opaque, Error **errp);
/*
 * Give it back; a pinned file stays pinned if the memory may still be
 * mapped (@keep_pin): then it is the consumer's to unpin later.
 */
void xen_pmem_release(HostMemoryBackendXenPmem *pm, bool keep_pin);
/* Unpin the file, if pinned (also from a forked guardian). */
bool xen_pmem_unpin(HostMemoryBackendXenPmem *pm, Error **errp);
/* Can the consumer write labels into the end of the backend? */
bool xen_pmem_labels_ok(HostMemoryBackendXenPmem *pm, Error **errp);
/* What the host knows of the media now: see XenPmemHost. */
bool xen_pmem_bad_ranges(HostMemoryBackendXenPmem *pm, GArray *bad,
                         Error **errp);
int xen_pmem_health(HostMemoryBackendXenPmem *pm, NvdimmHealth *h,
                    Error **errp);
bool xen_pmem_persistence(HostMemoryBackendXenPmem *pm,
                          XenNvdimmPersistence *p, Error **errp);
int xen_pmem_media_watch(HostMemoryBackendXenPmem *pm);
bool xen_pmem_media_rearm(HostMemoryBackendXenPmem *pm, int fd);

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
