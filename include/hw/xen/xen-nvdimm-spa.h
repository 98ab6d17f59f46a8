/*
 * xen-nvdimm: where a pmem backend is in host physical memory, and what
 * the host knows of its media, from the dom0 Linux NVDIMM driver
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_NVDIMM_SPA_H
#define HW_XEN_XEN_NVDIMM_SPA_H

#include "hw/xen/xen-nvdimm-layout.h"
#include "hw/acpi/nvdimm-dsm.h"

/*
 * A list of media errors the host keeps: a sysfs badblocks file whose
 * sector 0 is at host address @base, for memory of NVDIMM region @region.
 */
typedef struct XenNvdimmBadSource {
    char path[96];
    uint64_t base;
    char region[32];
} XenNvdimmBadSource;

/*
 * The dom0 NVDIMM driver's view (libndctl, libdaxctl, FIEMAP), used by the
 * native ops and by QEMU's own NVDIMM; no Xen involved.  With @pinned
 * NULL, a file's extents are read without pinning it: they hold at the
 * time of the call only.
 */
bool xen_nvdimm_resolve_spa(int fd, const char *path, uint64_t size,
                            GArray *extents, GArray *sources, bool *pinned,
                            Error **errp);
/* Read the media errors listed in @sources now, into @bad. */
bool xen_nvdimm_read_badblocks(GArray *sources, GArray *bad, Error **errp);
/* The SMART health of the DIMMs of the regions of @sources, as above. */
int xen_nvdimm_read_health(GArray *sources, NvdimmHealth *h,
                           Error **errp);
/*
 * Watch the lists of @sources: one inotify descriptor with IN_MODIFY on
 * each, or -1 (traced) if none can be watched; a list left out is still
 * read at each scrub.  kernfs reports as IN_MODIFY both a change its
 * driver flags (sysfs_notify() after a scrub or a machine check) and a
 * write through sysfs (an admin's echo "SECTOR COUNT" > badblocks, which
 * flags nothing for poll()).
 */
int xen_nvdimm_badblocks_watch(GArray *sources);
/* Take the watch's events, so that it waits for the next; true if any. */
bool xen_nvdimm_badblocks_rearm(int fd);
/* The weakest persistence domain of the regions of @sources. */
bool xen_nvdimm_read_persistence(GArray *sources, XenNvdimmPersistence *p,
                                 Error **errp);

/*
 * A file backend is pinned before its extents are read (*@pinned in
 * xen_nvdimm_resolve_spa() says so): nobody can move or free its blocks,
 * nor unlink it, until xen_nvdimm_file_unpin().  Only a filesystem that
 * writes to a pinned file through an open descriptor can hold its labels
 * (xen_nvdimm_file_labels_ok()).
 */
bool xen_nvdimm_file_pin(int fd, const char *path, Error **errp);
bool xen_nvdimm_file_unpin(int fd, const char *path, Error **errp);
bool xen_nvdimm_file_labels_ok(int fd, const char *path, Error **errp);

#endif /* HW_XEN_XEN_NVDIMM_SPA_H */
