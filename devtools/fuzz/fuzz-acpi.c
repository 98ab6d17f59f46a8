/*
 * libFuzzer target: ACPI tables QEMU reads rather than writes
 * (hw/xen/xen-nvdimm-layout.c, compiled in unchanged).  The input is, in
 * turn, the admin's table blob as QEMU reads it back from guest memory
 * (walked into whole tables, then merged with QEMU's own two, as the
 * device publishes them) and the host firmware's NFIT (its persistent
 * memory ranges).
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "hw/xen/xen-nvdimm-layout.h"

/* Walk the blob the slow way: whole tables, each at least a header. */
static int count_slowly(const uint8_t *blob, size_t len)
{
    size_t at = 0;
    int n = 0;

    while (at != len) {
        if (at + 36 > len || ldl_le_p(blob + at + 4) < 36 ||
            at + ldl_le_p(blob + at + 4) > len) {
            return -1;
        }
        at += ldl_le_p(blob + at + 4);
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = xen_nvdimm_acpi_count_tables(data, size);
    g_autoptr(GArray) ranges = g_array_new(false, false,
                                           sizeof(XenNvdimmRange));
    Error *err = NULL;

    if (n != count_slowly(data, size)) {
        abort();
    }
    if (n >= 0) {
        /* The merge: the admin's tables first, then QEMU's NFIT and SSDT. */
        g_autofree uint8_t *blob = g_malloc0(size + 2 * 40);

        memcpy(blob, data, size);
        stl_le_p(blob + size + 4, 40);
        stl_le_p(blob + size + 40 + 4, 40);
        if (xen_nvdimm_acpi_count_tables(blob, size + 80) != n + 2) {
            abort();
        }
    }
    if (xen_nvdimm_parse_nfit_pmem(data, size, ranges, &err)) {
        for (guint i = 0; i < ranges->len; i++) {
            XenNvdimmRange *r = &g_array_index(ranges, XenNvdimmRange, i);

            if (r->start >= r->end) {
                abort();
            }
        }
    } else {
        error_free(err);
    }
    return 0;
}
