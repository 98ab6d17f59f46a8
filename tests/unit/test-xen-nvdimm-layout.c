/*
 * Unit tests for the xen-nvdimm layout helpers
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-layout.h"

static GArray *extents(const XenNvdimmExtent *e, size_t n)
{
    GArray *a = g_array_new(false, false, sizeof(XenNvdimmExtent));

    g_array_append_vals(a, e, n);
    return a;
}

#define EXTENTS(...) ({                                             \
    const XenNvdimmExtent e_[] = { __VA_ARGS__ };                   \
    extents(e_, ARRAY_SIZE(e_));                                    \
})

#define AT(a, i) (&g_array_index(a, XenNvdimmExtent, i))

static void test_coalesce(void)
{
    g_autoptr(GArray) a = EXTENTS(
        { 0,        0x100000000, 4 * KiB },
        { 4 * KiB,  0x100001000, 8 * KiB },     /* continues both: merged */
        { 12 * KiB, 0x200000000, 4 * KiB },     /* SPA jumps: kept */
        { 16 * KiB, 0x200001000, 4 * KiB },     /* merged with the previous */
        { 24 * KiB, 0x200003000, 4 * KiB });    /* offset jumps: kept */

    xen_nvdimm_extents_coalesce(a);
    g_assert_cmpuint(a->len, ==, 3);
    g_assert_cmphex(AT(a, 0)->size, ==, 12 * KiB);
    g_assert_cmphex(AT(a, 1)->spa, ==, 0x200000000);
    g_assert_cmphex(AT(a, 1)->size, ==, 8 * KiB);
    g_assert_cmphex(AT(a, 2)->offset, ==, 24 * KiB);
}

static void test_sort(void)
{
    g_autoptr(GArray) a = EXTENTS(
        { 8 * KiB, 0x3000, 4 * KiB },
        { 0,       0x1000, 4 * KiB },
        { 4 * KiB, 0x9000, 4 * KiB });

    g_array_sort(a, xen_nvdimm_extent_cmp);
    g_assert_cmphex(AT(a, 0)->spa, ==, 0x1000);
    g_assert_cmphex(AT(a, 1)->spa, ==, 0x9000);
    g_assert_cmphex(AT(a, 2)->spa, ==, 0x3000);
}

static void test_check(void)
{
    struct {
        const char *error;      /* NULL: valid */
        XenNvdimmExtent e[2];
        size_t n;
        uint64_t size;
    } cases[] = {
        { NULL, { { 0, 0x1000, 8 * KiB } }, 1, 8 * KiB },
        { NULL, { { 0, 0x5000, 4 * KiB }, { 4 * KiB, 0x1000, 4 * KiB } },
          2, 8 * KiB },
        { "have no host physical address", { }, 0, 4 * KiB },
        { "have no host physical address",
          { { 0, 0x1000, 4 * KiB }, { 8 * KiB, 0x9000, 4 * KiB } },
          2, 12 * KiB },
        { "have no host physical address",
          { { 4 * KiB, 0x1000, 4 * KiB }, { 0, 0x9000, 4 * KiB } },
          2, 8 * KiB },
        { "have no host physical address", { { 0, 0x1000, 4 * KiB } },
          1, 8 * KiB },
        { "run 0x1000 bytes past the end", { { 0, 0x1000, 8 * KiB } },
          1, 4 * KiB },
        { "not made of whole pages", { { 0, 0x1800, 4 * KiB } },
          1, 4 * KiB },
        { "not made of whole pages", { { 0, 0x1000, 0 } }, 1, 0 },
        { "wraps around", { { 0, UINT64_MAX - 0xfff, 8 * KiB } },
          1, 8 * KiB },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autoptr(GArray) a = extents(cases[i].e, cases[i].n);
        Error *err = NULL;
        bool ok = xen_nvdimm_extents_check(a, cases[i].size, &err);

        if (!cases[i].error) {
            g_assert_true(ok);
            g_assert_null(err);
            continue;
        }
        g_assert_false(ok);
        g_assert_nonnull(strstr(error_get_pretty(err), cases[i].error));
        error_free(err);
    }
}

static void test_congruence(void)
{
    uint64_t phase, align;
    g_autoptr(GArray) small = EXTENTS(
        { 0,       0x100003000, 4 * KiB },
        { 4 * KiB, 0x100200000 + 0x45000, 64 * MiB });
    g_autoptr(GArray) big = EXTENTS(
        { 0,       0x1000, 4 * KiB },
        { 4 * KiB, 5 * GiB + 0x201000, 2 * GiB });

    /* The largest extent decides; the data area's GPA maps its SPA. */
    xen_nvdimm_congruence(small, &phase, &align);
    g_assert_cmphex(align, ==, 2 * MiB);
    g_assert_cmphex(phase, ==, (0x100245000 - 4 * KiB) & (2 * MiB - 1));

    xen_nvdimm_congruence(big, &phase, &align);
    g_assert_cmphex(align, ==, 1 * GiB);
    g_assert_cmphex(phase, ==, 0x200000);
}

static void test_place(void)
{
    const XenNvdimmRange busy[] = {
        { 260 * GiB, 260 * GiB + 64 * MiB },
        { 260 * GiB + 64 * MiB, 261 * GiB + 1 * MiB },
    };
    uint64_t gpa;
    Error *err = NULL;

    g_assert_true(xen_nvdimm_place(260 * GiB, 64 * MiB, 0, 2 * MiB,
                                   NULL, 0, &gpa, &error_abort));
    g_assert_cmphex(gpa, ==, 260 * GiB);
    g_assert_true(xen_nvdimm_place(260 * GiB, 64 * MiB, 0x3000, 2 * MiB,
                                   NULL, 0, &gpa, &error_abort));
    g_assert_cmphex(gpa, ==, 260 * GiB + 0x3000);
    /* An unaligned floor goes up to the next congruent address. */
    g_assert_true(xen_nvdimm_place(260 * GiB + 0x4000, 64 * MiB, 0x3000,
                                   2 * MiB, NULL, 0, &gpa, &error_abort));
    g_assert_cmphex(gpa, ==, 260 * GiB + 2 * MiB + 0x3000);
    /* Past both busy ranges, congruent again. */
    g_assert_true(xen_nvdimm_place(260 * GiB, 64 * MiB, 0x3000, 2 * MiB,
                                   busy, ARRAY_SIZE(busy), &gpa,
                                   &error_abort));
    g_assert_cmphex(gpa, ==, 261 * GiB + 2 * MiB + 0x3000);
    g_assert_true(xen_nvdimm_place(260 * GiB, 64 * MiB, 0, 1 * GiB,
                                   busy, ARRAY_SIZE(busy), &gpa,
                                   &error_abort));
    g_assert_cmphex(gpa, ==, 262 * GiB);
    /* No room below what Xen can map. */
    g_assert_false(xen_nvdimm_place(XEN_NVDIMM_GPA_LIMIT - 32 * MiB,
                                    64 * MiB, 0, 2 * MiB, NULL, 0, &gpa,
                                    &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "no room"));
    error_free(err);
}

static void test_check_gpa(void)
{
    const XenNvdimmRange busy[] = { { 300 * GiB, 301 * GiB } };
    struct {
        uint64_t gpa;
        const char *error;
    } cases[] = {
        { 270 * GiB, NULL },
        { 300 * GiB - 64 * MiB, NULL },
        { 270 * GiB + 0x800, "not page aligned" },
        { 8 * GiB, "64-bit BAR window" },
        { 300 * GiB - 32 * MiB, "overlaps another xen-nvdimm" },
        { 301 * GiB - 4 * KiB, "overlaps another xen-nvdimm" },
        { XEN_NVDIMM_GPA_LIMIT - 32 * MiB, "beyond the guest physical" },
        { UINT64_MAX & ~0xfffULL, "beyond the guest physical" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Error *err = NULL;
        bool ok = xen_nvdimm_check_gpa(cases[i].gpa, 260 * GiB, 64 * MiB,
                                       busy, ARRAY_SIZE(busy), &err);

        g_assert_cmpint(ok, ==, !cases[i].error);
        if (cases[i].error) {
            g_assert_nonnull(strstr(error_get_pretty(err), cases[i].error));
            error_free(err);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-nvdimm/layout/coalesce", test_coalesce);
    g_test_add_func("/xen-nvdimm/layout/sort", test_sort);
    g_test_add_func("/xen-nvdimm/layout/check", test_check);
    g_test_add_func("/xen-nvdimm/layout/congruence", test_congruence);
    g_test_add_func("/xen-nvdimm/layout/place", test_place);
    g_test_add_func("/xen-nvdimm/layout/check-gpa", test_check_gpa);
    return g_test_run();
}
