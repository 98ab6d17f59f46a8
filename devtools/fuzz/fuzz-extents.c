/*
 * libFuzzer target: the extent and placement arithmetic
 * (hw/xen/xen-nvdimm-layout.c, compiled in unchanged) fed hostile extents,
 * as a careless or compromised dom0 driver could report them, and hostile
 * busy ranges and bad ranges.  Each result is checked against a slow,
 * obviously right reading of what the function promises.
 *
 * Input: u64 size, u64 floor, u64 gpa, u8 counts (extents: low nibble,
 * busy and bad ranges: high nibble / 2 each), then the extents {u64
 * offset, u64 spa, u64 size}, busy {u64 start, u64 end}, bad {u64 start,
 * u64 end}.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "hw/xen/xen-nvdimm-layout.h"

#define EXT(a, i) (&g_array_index((a), XenNvdimmExtent, (i)))

static uint64_t take64(const uint8_t **data, size_t *size)
{
    uint64_t v = 0;

    if (*size >= 8) {
        v = ldq_le_p(*data);
        *data += 8;
        *size -= 8;
    }
    return v;
}

/* extents_check's promise: [0, size) covered in order, whole pages. */
static bool check_slowly(GArray *e, uint64_t size)
{
    uint64_t next = 0;

    for (guint i = 0; i < e->len; i++) {
        XenNvdimmExtent *x = EXT(e, i);

        if (x->offset != next || !x->size || (x->offset | x->spa |
            x->size) % 4096 || x->spa + x->size < x->spa ||
            x->offset + x->size < x->offset) {
            return false;
        }
        next = x->offset + x->size;
    }
    return next == size;
}

static void fuzz_check_and_coalesce(GArray *e, uint64_t size)
{
    Error *err = NULL;
    bool ok = xen_nvdimm_extents_check(e, size, &err);
    uint64_t a, b;
    bool alias = false;

    error_free(err);
    err = NULL;
    if (ok != check_slowly(e, size)) {
        abort();
    }
    if (!ok) {
        return;
    }
    for (guint i = 0; i < e->len; i++) {
        for (guint j = i + 1; j < e->len; j++) {
            alias |= EXT(e, i)->spa < EXT(e, j)->spa + EXT(e, j)->size &&
                     EXT(e, j)->spa < EXT(e, i)->spa + EXT(e, i)->size;
        }
    }
    if (xen_nvdimm_extents_alias(e, &a, &b) != alias) {
        abort();
    }
    xen_nvdimm_extents_coalesce(e);
    if (!xen_nvdimm_extents_check(e, size, &error_abort)) {
        abort();
    }
}

static void fuzz_place(GArray *e, uint64_t floor, uint64_t size,
                       const XenNvdimmRange *busy, size_t nbusy)
{
    uint64_t phase, align, gpa;
    Error *err = NULL;

    xen_nvdimm_congruence(e, &phase, &align);
    if ((align != 2 * MiB && align != 1 * GiB) || phase >= align) {
        abort();
    }
    if (!xen_nvdimm_place(floor, size, phase, align, busy, nbusy, &gpa,
                          &err)) {
        error_free(err);
        return;
    }
    if (gpa < floor || gpa % align != phase || gpa + size < gpa ||
        gpa + size > XEN_NVDIMM_GPA_LIMIT) {
        abort();
    }
    for (size_t i = 0; i < nbusy; i++) {
        if (gpa < busy[i].end && busy[i].start < gpa + size) {
            abort();
        }
    }
}

/* Bad host ranges as the guest sees them: inside, and all of them. */
static void fuzz_bad_to_guest(GArray *e, uint64_t gpa, uint64_t size,
                              const XenNvdimmRange *bad, size_t nbad)
{
    g_autoptr(GArray) out = g_array_new(false, false,
                                        sizeof(NvdimmBadRange));
    uint64_t want = 0, got = 0, off, len;

    if (gpa + size < gpa) {
        return;
    }
    xen_nvdimm_bad_to_guest(e, bad, nbad, gpa, out);
    for (guint i = 0; i < out->len; i++) {
        NvdimmBadRange *r = &g_array_index(out, NvdimmBadRange, i);

        if (!r->len || r->addr < gpa || r->addr - gpa > size ||
            r->len > size - (r->addr - gpa)) {
            abort();
        }
        got += r->len;
    }
    for (guint i = 0; i < e->len; i++) {
        for (size_t j = 0; j < nbad; j++) {
            uint64_t lo = MAX(EXT(e, i)->spa, bad[j].start);
            uint64_t hi = MIN(EXT(e, i)->spa + EXT(e, i)->size, bad[j].end);

            want += lo < hi ? hi - lo : 0;
        }
    }
    if (got != want ||
        xen_nvdimm_extents_meet(e, bad, nbad, &off, &len) != (want > 0)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GArray) e = g_array_new(false, false, sizeof(XenNvdimmExtent));
    XenNvdimmRange busy[8], bad[8];
    uint64_t dsize = take64(&data, &size);
    uint64_t floor = take64(&data, &size);
    uint64_t gpa = take64(&data, &size);
    unsigned n, nbusy, nbad;

    if (!size) {
        return 0;
    }
    n = data[0] & 15;
    nbusy = (data[0] >> 4) & 7;
    nbad = (data[0] >> 4) / 2;
    data++, size--;
    for (unsigned i = 0; i < n; i++) {
        XenNvdimmExtent x;

        x.offset = take64(&data, &size);
        x.spa = take64(&data, &size);
        x.size = take64(&data, &size);
        g_array_append_val(e, x);
    }
    for (unsigned i = 0; i < nbusy; i++) {
        busy[i].start = take64(&data, &size);
        busy[i].end = take64(&data, &size);
    }
    for (unsigned i = 0; i < nbad; i++) {
        bad[i].start = take64(&data, &size);
        bad[i].end = take64(&data, &size);
    }
    fuzz_check_and_coalesce(e, dsize);
    /* What follows is only ever given checked extents. */
    if (!xen_nvdimm_extents_check(e, dsize, NULL)) {
        return 0;
    }
    fuzz_place(e, floor, dsize, busy, nbusy);
    fuzz_bad_to_guest(e, gpa, dsize, bad, nbad);
    return 0;
}
