/*
 * NVDIMM _DSM protocol for Xen guests
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_ACPI_NVDIMM_XEN_DSM_H
#define HW_ACPI_NVDIMM_XEN_DSM_H

/*
 * The request and reply pages, as QEMU's NVDIMM _DSM uses them
 * (docs/specs/acpi_nvdimm.rst): the request is {handle, revision, function,
 * arg3[4084]}, the reply {length of the reply including this field,
 * payload}, all little-endian.
 */
#define NVDIMM_XEN_DSM_PAGE         4096
#define NVDIMM_XEN_DSM_ARG3         12          /* offset of arg3 */
#define NVDIMM_XEN_DSM_ARG3_SIZE    (NVDIMM_XEN_DSM_PAGE - NVDIMM_XEN_DSM_ARG3)
/* Largest label transfer: what a Set Label Data request can carry. */
#define NVDIMM_XEN_DSM_MAX_XFER     (NVDIMM_XEN_DSM_ARG3_SIZE - 8)

/* Status codes of the Intel DSM interface. */
#define NVDIMM_XEN_DSM_SUCCESS      0
#define NVDIMM_XEN_DSM_UNSUPPORTED  1
#define NVDIMM_XEN_DSM_NOMEMDEV     2
#define NVDIMM_XEN_DSM_INVALID      3
#define NVDIMM_XEN_DSM_HW_ERROR     4

/* One NVDIMM as the _DSM sees it: its handle and its label area. */
typedef struct NvdimmXenDsmDimm {
    uint32_t handle;                /* NFIT device handle, never 0 */
    uint32_t label_size;            /* 0: no labels */
    bool label_writable;            /* false: unarmed or read-only */
    void *opaque;
    /* Access [off, off + len) of the label area; writes must be durable. */
    bool (*read_label)(void *opaque, uint32_t off, void *buf, uint32_t len);
    bool (*write_label)(void *opaque, uint32_t off, const void *buf,
                        uint32_t len);
} NvdimmXenDsmDimm;

/*
 * Serve one _DSM request.  @in is the guest's request page, already copied
 * out of guest reach; the reply goes to @out.  Every field of @in is
 * untrusted: a bad request gets a status code, never an access outside a
 * label area.  Returns the reply's length.
 */
uint32_t nvdimm_xen_dsm(const uint8_t *in, const NvdimmXenDsmDimm *dimms,
                        unsigned n, uint8_t *out);

#endif /* HW_ACPI_NVDIMM_XEN_DSM_H */
