/*
 * NVDIMM _DSM protocol for Xen guests
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_ACPI_NVDIMM_DSM_H
#define HW_ACPI_NVDIMM_DSM_H

/*
 * The request and reply pages, as QEMU's NVDIMM _DSM uses them
 * (docs/specs/acpi_nvdimm.rst): the request is {handle, revision, function,
 * arg3[4084]}, the reply {length of the reply including this field,
 * payload}, all little-endian.
 */
#define NVDIMM_DSM_PAGE         4096
#define NVDIMM_DSM_ARG3_OFFSET         12          /* offset of arg3 */
#define NVDIMM_DSM_ARG3_SIZE    (NVDIMM_DSM_PAGE - NVDIMM_DSM_ARG3_OFFSET)
/* Largest label transfer: what a Set Label Data request can carry. */
#define NVDIMM_DSM_MAX_XFER     (NVDIMM_DSM_ARG3_SIZE - 8)

/* Status codes of the Intel DSM interface (the NVDIMMs' functions). */
#define NVDIMM_DSM_SUCCESS      0
#define NVDIMM_DSM_UNSUPPORTED  1
#define NVDIMM_DSM_NOMEMDEV     2
#define NVDIMM_DSM_INVALID      3
#define NVDIMM_DSM_HW_ERROR     4

/* Status codes of the root device's functions (ACPI 6.4, 9.19.7.1). */
#define NVDIMM_ROOT_INVALID     2
#define NVDIMM_ROOT_HW_ERROR    3

/* The root device's address range scrub functions (ACPI 6.4, 9.19.7.2). */
#define NVDIMM_ARS_CAP          1
#define NVDIMM_ARS_START        2
#define NVDIMM_ARS_STATUS       3
#define NVDIMM_ARS_CLEAR_ERROR  4
/* Scrub types, and the extended status of Query ARS Status. */
#define NVDIMM_ARS_VOLATILE     1
#define NVDIMM_ARS_PERSISTENT   2
#define NVDIMM_ARS_DONE         0
#define NVDIMM_ARS_NONE         2
#define NVDIMM_ARS_STOPPED      3
#define NVDIMM_ARS_OVERFLOW     1   /* Query ARS Status flag */
/* Query ARS Status: a header, then 24-byte records, in one reply. */
#define NVDIMM_ARS_HEADER       48
#define NVDIMM_ARS_RECORD       24
#define NVDIMM_ARS_MAX_RECORDS  \
    ((NVDIMM_DSM_PAGE - 4 - NVDIMM_ARS_HEADER) / NVDIMM_ARS_RECORD)
#define NVDIMM_ARS_MAX_OUT      \
    (NVDIMM_ARS_HEADER + NVDIMM_ARS_MAX_RECORDS * NVDIMM_ARS_RECORD)
/* Media errors are known, and reported, in 512-byte sectors. */
#define NVDIMM_ARS_UNIT         512

/* The Intel family's Get SMART and Health Info (function 1) payload. */
#define NVDIMM_DSM_SMART        1
#define NVDIMM_SMART_SIZE       128
/* Which of its fields are valid. */
#define NVDIMM_SMART_HEALTH_VALID           (1 << 0)
#define NVDIMM_SMART_SPARES_VALID           (1 << 1)
#define NVDIMM_SMART_USED_VALID             (1 << 2)
#define NVDIMM_SMART_MTEMP_VALID            (1 << 3)
#define NVDIMM_SMART_SHUTDOWN_COUNT_VALID   (1 << 5)
#define NVDIMM_SMART_SHUTDOWN_VALID         (1 << 10)
/* Health status bits; none set: healthy. */
#define NVDIMM_HEALTH_NON_CRITICAL          (1 << 0)
#define NVDIMM_HEALTH_CRITICAL              (1 << 1)
#define NVDIMM_HEALTH_FATAL                 (1 << 2)

/*
 * What the host knows of the media behind an NVDIMM, in the SMART
 * payload's units; @flags says which fields are known.
 */
typedef struct NvdimmHealth {
    uint32_t flags;                 /* NVDIMM_SMART_*_VALID */
    uint8_t health;                 /* NVDIMM_HEALTH_* */
    uint8_t spares;                 /* percent of spare capacity left */
    uint8_t life_used;              /* percent */
    uint16_t temperature;           /* 1/16 degree C; bit 15: below 0 */
    uint32_t shutdown_count;        /* unsafe shutdowns */
    uint8_t shutdown_state;         /* 1: the last shutdown was unsafe */
} NvdimmHealth;

/* A guest-physical range with media errors. */
typedef struct NvdimmBadRange {
    uint64_t addr;
    uint64_t len;
} NvdimmBadRange;

/*
 * One NVDIMM as the _DSM sees it: its handle, its data range, its label
 * area and what the host knows of its media.
 */
typedef struct NvdimmDsmDimm {
    uint32_t handle;                /* NFIT device handle, never 0 */
    uint64_t spa;                   /* guest-physical data range (NFIT SPA) */
    uint64_t spa_size;
    uint32_t label_size;            /* 0: no labels */
    bool label_writable;            /* false: unarmed or read-only */
    bool has_health;                /* false: the host gives no health */
    void *opaque;
    /* Access [off, off + len) of the label area; writes must be durable. */
    bool (*read_label)(void *opaque, uint32_t off, void *buf, uint32_t len);
    bool (*write_label)(void *opaque, uint32_t off, const void *buf,
                        uint32_t len);
    /*
     * Append the guest ranges the host knows to be bad now to @ranges (of
     * NvdimmBadRange); false: the host cannot tell.
     */
    bool (*bad_ranges)(void *opaque, GArray *ranges);
    /* The host's health of the media now; false: the host cannot tell. */
    bool (*health)(void *opaque, NvdimmHealth *health);
} NvdimmDsmDimm;

/*
 * The guest calls these at will, and a SMART query runs a firmware command
 * under the host's NVDIMM bus lock: an answer of the host serves the guest
 * for a second.  Was the host asked at @asked (ns; 0: never) less than that
 * before @now?
 */
#define NVDIMM_DSM_HOST_FRESH_NS    1000000000LL
static inline bool nvdimm_dsm_host_fresh(int64_t asked, int64_t now)
{
    return asked && now - asked < NVDIMM_DSM_HOST_FRESH_NS;
}

/*
 * QEMU's own root methods (docs/specs/acpi_nvdimm.rst): function 1 of this
 * handle reads the FIT, for the root device's _FIT.
 */
#define NVDIMM_DSM_QEMU_ROOT    0x10000
#define NVDIMM_DSM_READ_FIT     1
#define NVDIMM_DSM_FIT_CHANGED  0x100

/*
 * The root device as the _DSM sees it: whether it offers address range
 * scrub, and the FIT that Read FIT returns (none: no QEMU root methods).
 */
typedef struct NvdimmDsmRoot {
    bool ars;
    const GArray *fit;              /* the NFIT's structures, or NULL */
    bool *fit_dirty;                /* it changed: a read must start over */
} NvdimmDsmRoot;

/*
 * The address range scrub the guest started last.  A scrub is over by the
 * time Start ARS returns: the host's list of media errors is read then.
 */
typedef struct NvdimmArs {
    bool started;
    uint32_t handle;                /* of the NVDIMM scrubbed */
    uint64_t addr, len;             /* the range scrubbed */
    GArray *records;                /* NvdimmBadRange, sorted, merged */
} NvdimmArs;

/*
 * Serve one _DSM request.  @in is the guest's request page, already copied
 * out of guest reach; the reply goes to @out.  Every field of @in is
 * untrusted: a bad request gets a status code, never an access outside a
 * label area.  @root says what the root device offers; @ars keeps the scrub
 * state between requests (NULL if the root offers no scrub).  Returns the
 * reply's length.
 */
uint32_t nvdimm_dsm_serve(const uint8_t *in, const NvdimmDsmRoot *root,
                        const NvdimmDsmDimm *dimms, unsigned n,
                        NvdimmArs *ars, uint8_t *out);

/* The root device's scrub functions (nvdimm-ars.c), for the above. */
uint32_t nvdimm_ars_serve(uint32_t function, const uint8_t *arg3,
                        const NvdimmDsmDimm *dimms, unsigned n,
                        NvdimmArs *ars, uint8_t *out);
/* Forget the last scrub, and free its records. */
void nvdimm_ars_reset(NvdimmArs *ars);

#endif /* HW_ACPI_NVDIMM_DSM_H */
