/*
 * xen-nvdimm: extent and guest-physical layout helpers
 *
 * Pure functions on plain descriptors, shared by the device and its
 * unit test.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_NVDIMM_LAYOUT_H
#define HW_XEN_XEN_NVDIMM_LAYOUT_H

#include "hw/acpi/nvdimm-dsm.h"

/* Units of the memory_mapping and iomem_permission hypercalls. */
#define XEN_NVDIMM_PAGE_SHIFT   12
#define XEN_NVDIMM_PAGE_SIZE    (1ULL << XEN_NVDIMM_PAGE_SHIFT)

/*
 * A piece of the backend that is contiguous in host physical memory:
 * backend bytes [offset, offset + size) live at host SPA [spa, spa + size).
 */
typedef struct XenNvdimmExtent {
    uint64_t offset;
    uint64_t spa;
    uint64_t size;
} XenNvdimmExtent;

/* A guest-physical range [start, end). */
typedef struct XenNvdimmRange {
    uint64_t start;
    uint64_t end;
} XenNvdimmRange;

/* A range of host memory as a machine memory map (E820) describes it. */
typedef struct XenNvdimmMemRange {
    uint64_t start;
    uint64_t end;
    uint32_t type;
} XenNvdimmMemRange;

/* E820 types of persistent memory: ACPI's, and the legacy one. */
#define XEN_NVDIMM_E820_PMEM    7
#define XEN_NVDIMM_E820_PRAM    12

/* Guest-physical addresses Xen can map: below 2^52 (4 KiB p2m, 64 bits). */
#define XEN_NVDIMM_GPA_LIMIT    (1ULL << 52)

/* Order extents by backend offset (a GCompareFunc). */
int xen_nvdimm_extent_cmp(const void *a, const void *b);

/* Merge neighbours that are contiguous both in the backend and in SPA. */
void xen_nvdimm_extents_coalesce(GArray *extents);

/*
 * The most extents one device may have.  Each costs two hypercalls at
 * start and two at exit, a lock, a range in the xenstore record and a node
 * in Xen's per-domain I/O memory rangeset, and realize must end well
 * within libxl's 60 s start timeout.
 */
#define XEN_NVDIMM_MAX_EXTENTS  16384

/*
 * Check that @extents cover backend bytes [0, size) in order, without gap or
 * overlap, each a non-empty run of whole pages that does not wrap, and that
 * there are at most XEN_NVDIMM_MAX_EXTENTS of them.
 */
bool xen_nvdimm_extents_check(GArray *extents, uint64_t size, Error **errp);

/*
 * The congruence that lets Xen use superpages: the data area's GPA should be
 * congruent to *@phase modulo *@align, taken from the largest extent
 * (1 GiB when that extent can hold a 1 GiB page, else 2 MiB).
 */
void xen_nvdimm_congruence(GArray *extents, uint64_t *phase, uint64_t *align);

/*
 * The lowest GPA at or above @floor, congruent to @phase modulo @align,
 * where @size bytes overlap none of @busy[0..@nbusy).
 */
bool xen_nvdimm_place(uint64_t floor, uint64_t size, uint64_t phase,
                      uint64_t align, const XenNvdimmRange *busy,
                      size_t nbusy, uint64_t *gpa, Error **errp);

/*
 * Check a GPA given by the user: page aligned, at or above @floor, inside
 * what Xen can map, and clear of @busy.
 */
bool xen_nvdimm_check_gpa(uint64_t gpa, uint64_t floor, uint64_t size,
                          const XenNvdimmRange *busy, size_t nbusy,
                          Error **errp);

/*
 * Check that host range @r is persistent memory: each byte lies in an E820
 * pmem range of the machine map @map, or in a hole of it that the host's
 * NFIT @nfit describes as persistent memory (platforms such as QEMU's
 * NVDIMM report pmem in the NFIT only).  Anything else (RAM, reserved,
 * a hole nothing describes) is refused.
 */
bool xen_nvdimm_check_pmem(XenNvdimmRange r, const XenNvdimmMemRange *map,
                           size_t nmap, const XenNvdimmRange *nfit,
                           size_t nnfit, Error **errp);

/*
 * Append to @ranges the SPA ranges of the persistent-memory SPA Range
 * structures of the ACPI NFIT @table (@len bytes, header included).
 */
bool xen_nvdimm_parse_nfit_pmem(const uint8_t *table, size_t len,
                                GArray *ranges, Error **errp);

/*
 * Parse a badblocks list ("SECTOR COUNT" per line or comma-separated, in
 * 512-byte sectors, as Linux's sysfs gives it) of a device whose sector 0
 * is host address @base; append the bad host ranges to @ranges.
 */
bool xen_nvdimm_parse_badblocks(const char *text, uint64_t base,
                                GArray *ranges, Error **errp);

/*
 * The first piece of @extents (lowest backend offset) whose host memory
 * meets one of @ranges: its backend offset and length in *@offset, *@len.
 */
bool xen_nvdimm_extents_meet(GArray *extents, const XenNvdimmRange *ranges,
                             size_t n, uint64_t *offset, uint64_t *len);

/*
 * Do two of @extents share host memory?  If so, the backend offsets of
 * the first such pair.
 */
bool xen_nvdimm_extents_alias(GArray *extents, uint64_t *a, uint64_t *b);

/*
 * The guest's view of the host ranges @bad, for a device whose backend
 * offset 0 is at guest address @gpa: the part of each extent that meets
 * one, appended to @out (of NvdimmBadRange), in no particular order.
 */
void xen_nvdimm_bad_to_guest(GArray *extents, const XenNvdimmRange *bad,
                             size_t n, uint64_t gpa, GArray *out);

/*
 * Merge one DIMM's health @h into @acc (or start with it if @first),
 * conservatively: a field is known only if known for every DIMM, the worst
 * health, spares and temperature count, and the unsafe shutdowns add up,
 * so that the count grows whenever any DIMM's does.
 */
void xen_nvdimm_health_merge(NvdimmHealth *acc, const NvdimmHealth *h,
                             bool first);

/* A xenstore record value holds at most this many ranges (4 KiB values). */
#define XEN_NVDIMM_RECORD_RANGES 64

/*
 * The record of what a device maps: its extents' host ranges, sorted,
 * neighbours joined, "0xSTART+0xSIZE" apart by spaces,
 * XEN_NVDIMM_RECORD_RANGES to a value (so that each fits a xenstore
 * message).  A GPtrArray of strings.
 */
GPtrArray *xen_nvdimm_record_texts(GArray *extents);

/*
 * The ranges of a record value (anyone's: words that are not a range, or
 * an empty or wrapping one, are skipped), appended to @ranges (of
 * XenNvdimmRange).
 */
void xen_nvdimm_record_parse(const char *text, GArray *ranges);

/*
 * The health of data that spans @n DIMMs, @smart[i] false for one whose
 * host gives no SMART data: 0 (no health at all: that DIMM may be the one
 * failing) if there is such a DIMM or none, else 1 and the merge in @h.
 */
int xen_nvdimm_health_of_dimms(const NvdimmHealth *dimms,
                               const bool *smart, size_t n,
                               NvdimmHealth *h);

/*
 * Parse a health description, one "KEY VALUE" per line (health, spares,
 * life-used, temperature in degrees C, shutdown-count, shutdown-state):
 * the emulated host's DIMMs, for tests.
 */
bool xen_nvdimm_parse_health(const char *text, NvdimmHealth *h,
                             Error **errp);

/*
 * Several DIMMs: sections of xen_nvdimm_parse_health()'s format, each
 * after a line "dimm" (or "dimm no-smart" and nothing else, for a DIMM
 * without SMART); text without a "dimm" line is one DIMM.  Appends to
 * @dimms (of NvdimmHealth) and @smart (of bool).
 */
bool xen_nvdimm_parse_health_dimms(const char *text, GArray *dimms,
                                   GArray *smart, Error **errp);

/*
 * What a store has reached once it survives a power loss, as the host's
 * NVDIMM driver says of a region (Linux's persistence_domain), weakest
 * first: nothing is promised, the memory controller (ADR), the CPU caches
 * (eADR).  The weakest of several is their minimum.
 */
typedef enum XenNvdimmPersistence {
    XEN_NVDIMM_PERSIST_NONE,
    XEN_NVDIMM_PERSIST_MEMCTRL,
    XEN_NVDIMM_PERSIST_CPU_CACHE,
} XenNvdimmPersistence;

/*
 * Linux's word for a persistence domain ("cpu_cache", "memory_controller",
 * or "none", which sysfs shows as an empty line): false for any other.
 */
bool xen_nvdimm_parse_persistence(const char *word, XenNvdimmPersistence *p);
const char *xen_nvdimm_persistence_name(XenNvdimmPersistence p);
/*
 * The NFIT Platform Capabilities bits that make Linux report @p, as QEMU's
 * nvdimm-persistence sets them; 0 means the NFIT must have no such
 * structure.
 */
uint32_t xen_nvdimm_persistence_caps(XenNvdimmPersistence p);

/*
 * Count the ACPI tables of a blob (the admin's, read back from guest
 * memory): -1 unless it is whole tables, each header's length at least a
 * header and within the blob.
 */
int xen_nvdimm_acpi_count_tables(const uint8_t *blob, size_t len);

/*
 * A token bucket of time: host work a guest triggers may take @share_pct
 * percent of wall time, in bursts of at most @burst_ns.
 */
typedef struct XenNvdimmBudget {
    int64_t left_ns;        /* time that work may still take */
    int64_t at;             /* when it was last refilled; 0: never */
} XenNvdimmBudget;

/* Refill @b for the time up to @now; may work start? */
bool xen_nvdimm_budget_left(XenNvdimmBudget *b, int64_t now,
                            int64_t burst_ns, unsigned share_pct);
/* Charge work that took @ns (it may overdraw the bucket). */
void xen_nvdimm_budget_spend(XenNvdimmBudget *b, int64_t ns);

#endif /* HW_XEN_XEN_NVDIMM_LAYOUT_H */
