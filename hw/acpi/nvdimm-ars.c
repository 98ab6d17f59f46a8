/*
 * NVDIMM address range scrub for Xen guests
 *
 * The root device's Query ARS Capabilities, Start ARS and Query ARS Status
 * (ACPI 6.4, 9.19.7.2).  A Xen guest's NVDIMM is the host's own persistent
 * memory, so "scrubbing" it means asking the host which of its sectors are
 * known bad: the host's driver keeps that list (its badblocks, fed by the
 * platform's own scrub).  The records are guest-physical ranges inside the
 * NVDIMM scrubbed; they never carry a host address.
 *
 * Clear Uncorrectable Error is not offered: clearing poison writes the
 * host's media through its firmware, which the guest has no business
 * doing, and the guest's driver does without it.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "trace.h"

/* Reply: a status dword and @size - 4 more bytes, zeroed. */
static uint8_t *ars_reply(uint8_t *out, uint32_t size, uint32_t status)
{
    memset(out, 0, 4 + size);
    stl_le_p(out, 4 + size);
    stl_le_p(out + 4, status);
    return out + 4;
}

static uint32_t ars_status_only(uint8_t *out, uint32_t status)
{
    ars_reply(out, 4, status);
    return 8;
}

/* The NVDIMM whose data range holds [addr, addr + len), overflow-safe. */
static const NvdimmDsmDimm *ars_dimm(const NvdimmDsmDimm *dimms,
                                        unsigned n, uint64_t addr,
                                        uint64_t len)
{
    for (unsigned i = 0; i < n; i++) {
        const NvdimmDsmDimm *d = &dimms[i];

        if (d->bad_ranges && len && addr >= d->spa &&
            addr - d->spa < d->spa_size &&
            len <= d->spa_size - (addr - d->spa)) {
            return d;
        }
    }
    trace_nvdimm_ars_bad_range(addr, len);
    return NULL;
}

static uint32_t ars_cap(const uint8_t *arg3, const NvdimmDsmDimm *dimms,
                        unsigned n, uint8_t *out)
{
    uint64_t addr = ldq_le_p(arg3), len = ldq_le_p(arg3 + 8);
    uint8_t *p;

    if (!ars_dimm(dimms, n, addr, len)) {
        return ars_status_only(out, NVDIMM_ROOT_INVALID);
    }
    /* Persistent memory can be scrubbed; there is no volatile range. */
    p = ars_reply(out, 16, NVDIMM_ARS_PERSISTENT << 16);
    stl_le_p(p + 4, NVDIMM_ARS_MAX_OUT);
    stl_le_p(p + 8, NVDIMM_ARS_UNIT);
    return 4 + 16;
}

static gint ars_range_cmp(gconstpointer a, gconstpointer b)
{
    const NvdimmBadRange *x = a, *y = b;

    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Keep what lies in [addr, addr + len) of @found, sorted and merged, in
 * @records.  The ranges come from the host's lists: trust none of them to
 * be ordered, disjoint or inside the device.
 */
static void ars_clip(GArray *found, uint64_t addr, uint64_t len,
                     GArray *records)
{
    uint64_t end = addr + len;  /* no overflow: inside a device's range */

    g_array_sort(found, ars_range_cmp);
    for (guint i = 0; i < found->len; i++) {
        NvdimmBadRange *r = &g_array_index(found, NvdimmBadRange, i);
        uint64_t lo = MAX(r->addr, addr);
        uint64_t hi = r->len > UINT64_MAX - r->addr ? UINT64_MAX :
                      r->addr + r->len;
        NvdimmBadRange *last;

        hi = MIN(hi, end);
        if (lo >= hi) {
            continue;
        }
        last = records->len ? &g_array_index(records, NvdimmBadRange,
                                             records->len - 1) : NULL;
        if (last && lo <= last->addr + last->len) {
            last->len = MAX(last->addr + last->len, hi) - last->addr;
        } else {
            NvdimmBadRange c = { lo, hi - lo };

            g_array_append_val(records, c);
        }
    }
}

static uint32_t ars_start(const uint8_t *arg3, const NvdimmDsmDimm *dimms,
                          unsigned n, NvdimmArs *ars, uint8_t *out)
{
    uint64_t addr = ldq_le_p(arg3), len = ldq_le_p(arg3 + 8);
    uint16_t type = lduw_le_p(arg3 + 16);
    const NvdimmDsmDimm *d = ars_dimm(dimms, n, addr, len);
    g_autoptr(GArray) found = NULL;

    if (!d || !(type & NVDIMM_ARS_PERSISTENT)) {
        trace_nvdimm_ars_refused(addr, len, type);
        return ars_status_only(out, NVDIMM_ROOT_INVALID);
    }
    found = g_array_new(false, false, sizeof(NvdimmBadRange));
    if (!d->bad_ranges(d->opaque, found)) {
        return ars_status_only(out, NVDIMM_ROOT_HW_ERROR);
    }
    nvdimm_ars_reset(ars);
    ars->records = g_array_new(false, false, sizeof(NvdimmBadRange));
    ars_clip(found, addr, len, ars->records);
    ars->started = true;
    ars->handle = d->handle;
    ars->addr = addr;
    ars->len = len;
    trace_nvdimm_ars_start(d->handle, addr, len, ars->records->len);
    /* Done already: an estimated scrub time of 0 s. */
    ars_reply(out, 8, NVDIMM_DSM_SUCCESS);
    return 4 + 8;
}

/*
 * The records of the last scrub.  What does not fit in one reply is left
 * for the guest to scrub again, from the first record left out: the scrub
 * "stopped" there, with the overflow flag set, as ACPI describes.
 */
static uint32_t ars_status(NvdimmArs *ars, uint8_t *out)
{
    unsigned n = 0, total = ars->records ? ars->records->len : 0;
    uint32_t ext = NVDIMM_ARS_NONE;
    uint8_t *p;

    if (ars->started) {
        n = MIN(total, NVDIMM_ARS_MAX_RECORDS);
        ext = n < total ? NVDIMM_ARS_STOPPED : NVDIMM_ARS_DONE;
    }
    p = ars_reply(out, NVDIMM_ARS_HEADER + n * NVDIMM_ARS_RECORD,
                  ext << 16);
    /* The output length counts from its own field on, as Linux reads it. */
    stl_le_p(p + 4, NVDIMM_ARS_HEADER - 4 + n * NVDIMM_ARS_RECORD);
    if (ars->started) {
        stq_le_p(p + 8, ars->addr);
        stq_le_p(p + 16, ars->len);
        stw_le_p(p + 40, NVDIMM_ARS_PERSISTENT);
    }
    if (n < total) {
        NvdimmBadRange *next = &g_array_index(ars->records,
                                                 NvdimmBadRange, n);

        stq_le_p(p + 24, next->addr);
        stq_le_p(p + 32, ars->addr + ars->len - next->addr);
        stw_le_p(p + 42, NVDIMM_ARS_OVERFLOW);
    }
    stl_le_p(p + 44, n);
    for (unsigned i = 0; i < n; i++) {
        NvdimmBadRange *r = &g_array_index(ars->records,
                                              NvdimmBadRange, i);
        uint8_t *rec = p + NVDIMM_ARS_HEADER + i * NVDIMM_ARS_RECORD;

        stl_le_p(rec, ars->handle);
        stq_le_p(rec + 8, r->addr);
        stq_le_p(rec + 16, r->len);
    }
    trace_nvdimm_ars_status(ext, n, total);
    return 4 + NVDIMM_ARS_HEADER + n * NVDIMM_ARS_RECORD;
}

uint32_t nvdimm_ars_serve(uint32_t function, const uint8_t *arg3,
                        const NvdimmDsmDimm *dimms, unsigned n,
                        NvdimmArs *ars, uint8_t *out)
{
    switch (function) {
    case NVDIMM_ARS_CAP:
        return ars_cap(arg3, dimms, n, out);
    case NVDIMM_ARS_START:
        return ars_start(arg3, dimms, n, ars, out);
    case NVDIMM_ARS_STATUS:
        return ars_status(ars, out);
    }
    trace_nvdimm_dsm_unsupported(0, function);
    return ars_status_only(out, NVDIMM_DSM_UNSUPPORTED);
}

void nvdimm_ars_reset(NvdimmArs *ars)
{
    if (ars->records) {
        g_array_free(ars->records, true);
    }
    *ars = (NvdimmArs) { 0 };
}
