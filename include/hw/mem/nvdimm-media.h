/*
 * QEMU's NVDIMM: what the host knows of the media behind it
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MEM_NVDIMM_MEDIA_H
#define HW_MEM_NVDIMM_MEDIA_H

#include "hw/acpi/nvdimm-dsm.h"

typedef struct NvdimmMedia NvdimmMedia;

/*
 * The media of a backend of @size bytes of data (its label area left out)
 * open as @fd (@path, for messages, may be NULL), or NULL if the host's
 * NVDIMM driver does not know it: the backend is not host persistent
 * memory, or not all of it can be found there (traced, never an error:
 * the guest is then told nothing of its media, as before).  @name is for
 * traces.
 */
NvdimmMedia *nvdimm_media_open(const char *name, int fd, const char *path,
                               uint64_t size);
void nvdimm_media_free(NvdimmMedia *m);

/* Does the host give the health of every DIMM behind @m? */
bool nvdimm_media_has_health(NvdimmMedia *m);

/*
 * For the _DSM core (NvdimmDsmDimm): append the ranges the host knows to
 * be bad now, as guest-physical ranges of an NVDIMM whose data starts at
 * @gpa, to @ranges; and the health of the media now.  False: the host
 * cannot tell.  The host is asked at most once a second per device and
 * question, whatever the guest does.
 */
bool nvdimm_media_bad_ranges(NvdimmMedia *m, uint64_t gpa, GArray *ranges);
bool nvdimm_media_health(NvdimmMedia *m, NvdimmHealth *h);

#endif /* HW_MEM_NVDIMM_MEDIA_H */
