/*
 * An oracle for the Xen NVDIMM address range scrub: does a Query ARS
 * Status reply report exactly the host's bad bytes in the range scrubbed?
 * Written apart from nvdimm-ars.c's clipping and merging: it compares
 * the two byte predicates ("some host range holds it", "some record holds
 * it") at every point where either can change.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef NVDIMM_ARS_CHECK_H
#define NVDIMM_ARS_CHECK_H

#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-dsm.h"

static inline bool ars_check_in(uint64_t x, uint64_t addr, uint64_t len)
{
    return x >= addr && x - addr < len;
}

static inline gint ars_check_cmp(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * @out: a whole Query ARS Status reply (its length field first); @bad, @n:
 * the host's bad ranges, as untrusted as the device got them.  True when
 * every byte of the range scrubbed (up to where an overflow stopped it) is
 * in a record if and only if it is bad.
 */
static inline bool nvdimm_ars_check_exact(const uint8_t *out,
                                              const NvdimmBadRange *bad,
                                              size_t n)
{
    const uint8_t *p = out + 4;
    uint64_t addr = ldq_le_p(p + 8), len = ldq_le_p(p + 16);
    uint32_t nrec = ldl_le_p(p + 44);
    g_autoptr(GArray) points = g_array_new(false, false, sizeof(uint64_t));

    if (lduw_le_p(p + 42) & NVDIMM_ARS_OVERFLOW) {
        /* Only up to where the scrub stopped. */
        len = ldq_le_p(p + 24) - addr;
    }
    g_array_append_val(points, addr);
    for (size_t i = 0; i < n; i++) {
        uint64_t end = bad[i].addr + bad[i].len;

        g_array_append_val(points, bad[i].addr);
        if (end > bad[i].addr) {
            g_array_append_val(points, end);
        }
    }
    for (uint32_t i = 0; i < nrec; i++) {
        const uint8_t *r = p + NVDIMM_ARS_HEADER +
                           i * NVDIMM_ARS_RECORD;
        uint64_t ra = ldq_le_p(r + 8), end = ra + ldq_le_p(r + 16);

        g_array_append_val(points, ra);
        g_array_append_val(points, end);
    }
    g_array_sort(points, ars_check_cmp);
    for (guint k = 0; k < points->len; k++) {
        uint64_t x = g_array_index(points, uint64_t, k);
        bool is_bad = false, reported = false;

        if (!ars_check_in(x, addr, len)) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            is_bad |= ars_check_in(x, bad[i].addr, bad[i].len);
        }
        for (uint32_t i = 0; i < nrec; i++) {
            const uint8_t *r = p + NVDIMM_ARS_HEADER +
                               i * NVDIMM_ARS_RECORD;

            reported |= ars_check_in(x, ldq_le_p(r + 8), ldq_le_p(r + 16));
        }
        if (is_bad != reported) {
            return false;
        }
    }
    return true;
}

#endif
