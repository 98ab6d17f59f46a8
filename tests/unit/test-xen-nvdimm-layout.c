/*
 * Unit tests for the xen-nvdimm layout helpers
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
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
        { "extents overlap at backend offset 0x1000",
          { { 0, 0x1000, 8 * KiB }, { 4 * KiB, 0x9000, 4 * KiB } },
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
        if (ok) {
            g_printerr("case %zu: want '%s', got success\n", i,
                       cases[i].error);
        } else if (!strstr(error_get_pretty(err), cases[i].error)) {
            g_printerr("case %zu: want '%s', got '%s'\n", i, cases[i].error,
                       error_get_pretty(err));
        }
        g_assert_false(ok);
        g_assert_nonnull(strstr(error_get_pretty(err), cases[i].error));
        error_free(err);
    }
}

/* At most XEN_NVDIMM_MAX_EXTENTS extents, however small. */
static void test_check_limit(void)
{
    for (unsigned n = XEN_NVDIMM_MAX_EXTENTS; n <= XEN_NVDIMM_MAX_EXTENTS + 1;
         n++) {
        g_autoptr(GArray) a = g_array_new(false, false,
                                          sizeof(XenNvdimmExtent));
        Error *err = NULL;

        for (unsigned i = 0; i < n; i++) {
            /* Every other page: nothing coalesces. */
            XenNvdimmExtent e = { i * 4 * KiB, 0x100000000ULL + i * 8 * KiB,
                                  4 * KiB };

            g_array_append_val(a, e);
        }
        xen_nvdimm_extents_coalesce(a);
        g_assert_cmpuint(a->len, ==, n);
        if (n == XEN_NVDIMM_MAX_EXTENTS) {
            g_assert_true(xen_nvdimm_extents_check(a, n * 4 * KiB, &err));
            g_assert_null(err);
            continue;
        }
        g_assert_false(xen_nvdimm_extents_check(a, n * 4 * KiB, &err));
        g_assert_cmpstr(error_get_pretty(err), ==, "it lies in 16385 "
                        "separate runs of host memory, more than the 16384 "
                        "a device may have");
        error_free(err);
    }
}

/*
 * The time budget: a burst at first, spent work counts, refills at the
 * share of elapsed time, never beyond the burst, and a clock that goes
 * back gives nothing.
 */
static void test_budget(void)
{
    const int64_t burst = 200 * 1000 * 1000, t0 = 1000 * 1000 * 1000;
    XenNvdimmBudget b = { 0 };

    g_assert_true(xen_nvdimm_budget_left(&b, t0, burst, 10));
    g_assert_cmpint(b.left_ns, ==, burst);
    xen_nvdimm_budget_spend(&b, burst - 1);
    g_assert_true(xen_nvdimm_budget_left(&b, t0, burst, 10));
    xen_nvdimm_budget_spend(&b, 50);
    g_assert_cmpint(b.left_ns, ==, -49);
    g_assert_false(xen_nvdimm_budget_left(&b, t0, burst, 10));
    /* 10% of 400 ns is 40: still overdrawn; 10% of 500 more clears it. */
    g_assert_false(xen_nvdimm_budget_left(&b, t0 + 400, burst, 10));
    g_assert_cmpint(b.left_ns, ==, -9);
    g_assert_true(xen_nvdimm_budget_left(&b, t0 + 900, burst, 10));
    g_assert_cmpint(b.left_ns, ==, 41);
    /* Back in time: no refill, and the mark does not move back. */
    g_assert_true(xen_nvdimm_budget_left(&b, t0, burst, 10));
    g_assert_cmpint(b.left_ns, ==, 41);
    g_assert_cmpint(b.at, ==, t0 + 900);
    /* An hour idle refills the burst, no more. */
    g_assert_true(xen_nvdimm_budget_left(&b, t0 + 3600 * burst, burst, 10));
    g_assert_cmpint(b.left_ns, ==, burst);
    /* Sustained: in 10 s of steady work, at most 1 s plus the burst. */
    {
        XenNvdimmBudget w = { 0 };
        int64_t busy = 0;

        for (int64_t now = t0; now < t0 + 10 * 1000 * 1000 * 1000LL;
             now += 1000 * 1000) {
            if (xen_nvdimm_budget_left(&w, now, burst, 10)) {
                xen_nvdimm_budget_spend(&w, 1000 * 1000);
                busy += 1000 * 1000;
                now += 1000 * 1000;
            }
        }
        g_assert_cmpint(busy, <=, 1000 * 1000 * 1000LL + burst + 1000 * 1000);
        g_assert_cmpint(busy, >=, 1000 * 1000 * 1000LL);
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
    err = NULL;
    /* A floor so high that rounding up wraps (found by fuzz-extents). */
    g_assert_false(xen_nvdimm_place(UINT64_MAX - 0xff, 0, 0, 2 * MiB, NULL,
                                    0, &gpa, &err));
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
        { 260 * GiB, NULL },                            /* the floor itself */
        { 300 * GiB - 64 * MiB, NULL },                 /* touches busy */
        { 301 * GiB, NULL },                            /* touches busy */
        { XEN_NVDIMM_GPA_LIMIT - 64 * MiB, NULL },      /* fits exactly */
        { 260 * GiB - 4 * KiB, "64-bit BAR window" },
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

        if (ok && cases[i].error) {
            g_printerr("gpa 0x%" PRIx64 ": want '%s', got success\n",
                       cases[i].gpa, cases[i].error);
        } else if (!ok && !cases[i].error) {
            g_printerr("gpa 0x%" PRIx64 ": want success, got '%s'\n",
                       cases[i].gpa, error_get_pretty(err));
        }
        g_assert_cmpint(ok, ==, !cases[i].error);
        if (cases[i].error) {
            g_assert_nonnull(strstr(error_get_pretty(err), cases[i].error));
            error_free(err);
        }
    }
}

/* Is [start, end) persistent memory by @map and @nfit? */
static bool pmem(uint64_t start, uint64_t end, const XenNvdimmMemRange *map,
                 size_t nmap, const XenNvdimmRange *nfit, size_t nnfit,
                 const char *why)
{
    Error *err = NULL;
    XenNvdimmRange r = { start, end };
    bool ok = xen_nvdimm_check_pmem(r, map, nmap, nfit, nnfit, &err);

    g_assert_true(ok == !err);
    if (err) {
        if (!strstr(error_get_pretty(err), why)) {
            g_printerr("0x%" PRIx64 "..0x%" PRIx64 ": %s\n", start, end,
                       error_get_pretty(err));
        }
        g_assert_nonnull(strstr(error_get_pretty(err), why));
        error_free(err);
    }
    return ok;
}

static void test_check_pmem(void)
{
    /* A real host: RAM, a hole, pmem in two entries, reserved, legacy. */
    const XenNvdimmMemRange map[] = {
        { 0x0,          0x9f000,        1 },
        { 0x100000,     0x80000000,     1 },
        { 0x100000000,  0x200000000,    7 },
        { 0x200000000,  0x280000000,    7 },
        { 0x280000000,  0x281000000,    2 },
        { 0x300000000,  0x340000000,    12 },
    };
    /* The NFIT: the pmem above, and pmem in the hole at 0x400000000. */
    const XenNvdimmRange nfit[] = {
        { 0x100000000,  0x280000000 },
        { 0x400000000,  0x500000000 },
    };
    size_t m = ARRAY_SIZE(map), n = ARRAY_SIZE(nfit);

    g_assert_true(pmem(0x100000000, 0x280000000, map, m, nfit, n, ""));
    g_assert_true(pmem(0x1ff000000, 0x201000000, map, m, NULL, 0, ""));
    g_assert_true(pmem(0x300000000, 0x340000000, map, m, NULL, 0, ""));
    g_assert_true(pmem(0x400000000, 0x500000000, map, m, nfit, n, ""));
    /* Exactly up to the end of an entry, and one page past it. */
    g_assert_true(pmem(0x27ffff000, 0x280000000, map, m, nfit, n, ""));
    g_assert_false(pmem(0x27ffff000, 0x280001000, map, m, nfit, n,
                        "host memory 0x280000000 is reserved (E820 type 2, "
                        "0x280000000..0x280ffffff)"));
    g_assert_false(pmem(0x7ffff000, 0x80001000, map, m, nfit, n,
                        "host memory 0x7ffff000 is RAM (E820 type 1, "));
    /* A hole that no NFIT range covers, before and after NFIT pmem. */
    g_assert_false(pmem(0x3ff000000, 0x400001000, map, m, nfit, n,
                        "host memory 0x3ff000000 is in no persistent memory "
                        "range"));
    g_assert_false(pmem(0x4fffff000, 0x500001000, map, m, nfit, n,
                        "host memory 0x500000000 is in no persistent memory "
                        "range"));
    /* The NFIT does not make RAM or reserved memory pmem. */
    {
        const XenNvdimmRange lie[] = { { 0, 0x300000000 } };

        g_assert_false(pmem(0x280000000, 0x280001000, map, m, lie, 1,
                            "is reserved"));
        g_assert_false(pmem(0x281000000, 0x282000000, map, m, NULL, 0,
                            "host memory 0x281000000 is in no persistent"));
        g_assert_true(pmem(0x281000000, 0x282000000, map, m, lie, 1, ""));
    }
    /* An NFIT range across a reserved entry: the entry still counts. */
    {
        const XenNvdimmMemRange holed[] = {
            { 0x480000000, 0x481000000, 2 },
            { 0x600000000, 0x700000000, 7 },
        };
        const XenNvdimmRange wide[] = { { 0x400000000, 0x500000000 } };

        g_assert_false(pmem(0x400000000, 0x500000000, holed, 2, wide, 1,
                            "host memory 0x480000000 is reserved"));
        g_assert_true(pmem(0x481000000, 0x500000000, holed, 2, wide, 1, ""));
    }
    /* No map at all: only the NFIT speaks. */
    g_assert_true(pmem(0x400000000, 0x400001000, NULL, 0, nfit, n, ""));
    g_assert_false(pmem(0x0, 0x1000, NULL, 0, NULL, 0, "in no persistent"));
}

/* An NFIT with @n SPA structures, the pmem GUID on the even ones. */
static GByteArray *nfit_table(unsigned n, uint16_t extra_len)
{
    static const uint8_t pmem_guid[16] = {
        0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
        0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
    };
    GByteArray *t = g_byte_array_new();
    uint8_t s[56];

    g_byte_array_set_size(t, 40);
    memset(t->data, 0, 40);
    memcpy(t->data, "NFIT", 4);
    for (unsigned i = 0; i < n; i++) {
        memset(s, 0, sizeof(s));
        stw_le_p(s, 0);
        stw_le_p(s + 2, sizeof(s));
        if (!(i & 1)) {
            memcpy(s + 16, pmem_guid, 16);
        }
        stq_le_p(s + 32, (i + 1) * GiB);
        stq_le_p(s + 40, 256 * MiB);
        g_byte_array_append(t, s, sizeof(s));
    }
    /* A structure of another type (a control region) must be skipped. */
    memset(s, 0, sizeof(s));
    stw_le_p(s, 4);
    stw_le_p(s + 2, extra_len);
    g_byte_array_append(t, s, MAX(4, MIN(extra_len, sizeof(s))));
    stl_le_p(t->data + 4, t->len);
    return t;
}

static void test_parse_nfit(void)
{
    g_autoptr(GByteArray) good = nfit_table(3, 56);
    g_autoptr(GByteArray) bad_len = nfit_table(3, 0);
    g_autoptr(GByteArray) past_end = nfit_table(1, 56);
    g_autoptr(GArray) r = g_array_new(false, false, sizeof(XenNvdimmRange));
    Error *err = NULL;

    g_assert_true(xen_nvdimm_parse_nfit_pmem(good->data, good->len, r,
                                             &error_abort));
    g_assert_cmpuint(r->len, ==, 2);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 0).start, ==, 1 * GiB);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 1).end, ==,
                    3 * GiB + 256 * MiB);
    /* A structure of length 0 would loop forever. */
    g_assert_false(xen_nvdimm_parse_nfit_pmem(bad_len->data, bad_len->len, r,
                                              &err));
    error_free_or_abort(&err);
    /* The header's length must be the table's. */
    g_assert_false(xen_nvdimm_parse_nfit_pmem(good->data, good->len - 1, r,
                                              &err));
    error_free_or_abort(&err);
    /* A structure longer than the table. */
    stw_le_p(past_end->data + 40 + 56 + 2, 57);
    g_assert_false(xen_nvdimm_parse_nfit_pmem(past_end->data, past_end->len,
                                              r, &err));
    error_free_or_abort(&err);
    g_assert_false(xen_nvdimm_parse_nfit_pmem((uint8_t *)"NFIT", 4, r, &err));
    error_free_or_abort(&err);
    /* More bytes than the header says, though whole structures. */
    stl_le_p(good->data + 4, good->len - 56);
    g_assert_false(xen_nvdimm_parse_nfit_pmem(good->data, good->len, r, &err));
    error_free_or_abort(&err);
}

static void test_parse_badblocks(void)
{
    g_autoptr(GArray) r = g_array_new(false, false, sizeof(XenNvdimmRange));
    const char *bad[] = { "8", "8 x", "-1 1", "8 0", "8 1 2",
                          "36028797018963967 2", "1 36028797018963967" };
    Error *err = NULL;

    g_assert_true(xen_nvdimm_parse_badblocks("8 1\n1024 16\n", 1 * GiB, r,
                                             &error_abort));
    g_assert_true(xen_nvdimm_parse_badblocks("", 0, r, &error_abort));
    g_assert_true(xen_nvdimm_parse_badblocks("0 1,2 1", 0, r, &error_abort));
    g_assert_cmpuint(r->len, ==, 4);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 0).start, ==,
                    1 * GiB + 8 * 512);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 0).end, ==,
                    1 * GiB + 9 * 512);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 1).end, ==,
                    1 * GiB + 1040 * 512);
    g_assert_cmphex(g_array_index(r, XenNvdimmRange, 3).start, ==, 1024);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        g_assert_false(xen_nvdimm_parse_badblocks(bad[i], 0, r, &err));
        error_free_or_abort(&err);
    }
}

static void test_meet_and_alias(void)
{
    g_autoptr(GArray) a = EXTENTS(
        { 0,        0x200000000, 8 * KiB },
        { 8 * KiB,  0x100000000, 8 * KiB },
        { 16 * KiB, 0x300000000, 4 * KiB });
    const XenNvdimmRange miss[] = { { 0x100002000, 0x200000000 } };
    const XenNvdimmRange hit[] = { { 0x300000000, 0x300000200 },
                                   { 0x100001e00, 0x100003000 } };
    uint64_t off, len, x, y;

    g_assert_false(xen_nvdimm_extents_meet(a, miss, 1, &off, &len));
    g_assert_true(xen_nvdimm_extents_meet(a, hit, 2, &off, &len));
    /* The lowest backend offset first: the second extent's last bytes. */
    g_assert_cmphex(off, ==, 8 * KiB + 0x1e00);
    g_assert_cmphex(len, ==, 0x200);
    g_assert_false(xen_nvdimm_extents_alias(a, &x, &y));
    /* A long extent that reaches over a later, shorter one. */
    g_array_append_val(a, ((XenNvdimmExtent) { 20 * KiB, 0xfff000000,
                                               64 * KiB }));
    g_array_append_val(a, ((XenNvdimmExtent) { 84 * KiB, 0xfff008000,
                                               4 * KiB }));
    g_array_append_val(a, ((XenNvdimmExtent) { 88 * KiB, 0xfff004000,
                                               4 * KiB }));
    g_assert_true(xen_nvdimm_extents_alias(a, &x, &y));
    g_assert_cmphex(x, ==, 20 * KiB);
    g_assert_cmphex(y, ==, 88 * KiB);
    /* Touching is not sharing. */
    g_array_set_size(a, 3);
    g_array_append_val(a, ((XenNvdimmExtent) { 20 * KiB, 0x100002000,
                                               4 * KiB }));
    g_assert_false(xen_nvdimm_extents_alias(a, &x, &y));
}

/*
 * Host bad ranges seen from the guest: per extent, at the extent's guest
 * address, clipped to it; ranges between extents or outside all of them
 * are nobody's.
 */
static void test_bad_to_guest(void)
{
    const XenNvdimmExtent ext[] = {
        { .offset = 0, .spa = 0x900000000ULL, .size = 0x200000 },
        { .offset = 0x200000, .spa = 0x500000000ULL, .size = 0x100000 },
    };
    const XenNvdimmRange bad[] = {
        { 0x900000000ULL + 0x1000, 0x900000000ULL + 0x1200 },
        { 0x500000000ULL - 0x200, 0x500000000ULL + 0x400 },
        { 0x500000000ULL + 0xffe00, 0x500000000ULL + 0x100200 },
        { 0x900000000ULL + 0x200000, 0x900000000ULL + 0x201000 },
        { 0x100000000ULL, 0x100001000ULL },
    };
    const NvdimmBadRange want[] = {
        { 0x240000000ULL + 0x1000, 0x200 },
        { 0x240000000ULL + 0x200000, 0x400 },
        { 0x240000000ULL + 0x2ffe00, 0x200 },
    };
    g_autoptr(GArray) e = g_array_new(false, false, sizeof(XenNvdimmExtent));
    g_autoptr(GArray) out = g_array_new(false, false,
                                        sizeof(NvdimmBadRange));

    g_array_append_vals(e, ext, ARRAY_SIZE(ext));
    xen_nvdimm_bad_to_guest(e, bad, ARRAY_SIZE(bad), 0x240000000ULL, out);
    g_assert_cmpuint(out->len, ==, ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        NvdimmBadRange *r = &g_array_index(out, NvdimmBadRange, i);

        g_assert_cmphex(r->addr, ==, want[i].addr);
        g_assert_cmphex(r->len, ==, want[i].len);
    }
}

/* Several DIMMs make one: the worst of each, the sum of unsafe shutdowns. */
static void test_health_merge(void)
{
    NvdimmHealth a = {
        .flags = 0x42f, .health = 0, .spares = 90, .life_used = 3,
        .temperature = 30 * 16, .shutdown_count = 4, .shutdown_state = 0,
    };
    NvdimmHealth b = {
        .flags = 0x02f, .health = NVDIMM_HEALTH_CRITICAL, .spares = 40,
        .life_used = 1, .temperature = 0x8000 | 10 * 16,
        .shutdown_count = 7, .shutdown_state = 1,
    };
    NvdimmHealth c = { .temperature = 35 * 16,
                          .shutdown_count = UINT32_MAX - 5 };
    NvdimmHealth acc;

    xen_nvdimm_health_merge(&acc, &a, true);
    xen_nvdimm_health_merge(&acc, &b, false);
    g_assert_cmphex(acc.flags, ==, 0x02f);
    g_assert_cmpuint(acc.health, ==, NVDIMM_HEALTH_CRITICAL);
    g_assert_cmpuint(acc.spares, ==, 40);
    g_assert_cmpuint(acc.life_used, ==, 3);
    /* 30 degrees beats -10, however the sign bit compares. */
    g_assert_cmphex(acc.temperature, ==, 30 * 16);
    g_assert_cmpuint(acc.shutdown_count, ==, 11);
    g_assert_cmpuint(acc.shutdown_state, ==, 1);
    xen_nvdimm_health_merge(&acc, &c, false);
    g_assert_cmphex(acc.flags, ==, 0);
    g_assert_cmphex(acc.temperature, ==, 35 * 16);
    g_assert_cmpuint(acc.shutdown_count, ==, UINT32_MAX);
}

/*
 * The record of what a device maps: host ranges sorted, neighbours joined
 * (extents in any order), 64 to a value; and read back, skipping what is
 * not a range.
 */
static void test_record_texts(void)
{
    const XenNvdimmExtent joined[] = {
        { 0x0000, 0x30000, 0x1000 }, { 0x1000, 0x20000, 0x10000 },
        { 0x11000, 0x90000, 0x1000 }, { 0x12000, 0x31000, 0x2000 },
    };
    g_autoptr(GArray) e = g_array_new(false, false, sizeof(XenNvdimmExtent));
    g_autoptr(GArray) back = g_array_new(false, false,
                                         sizeof(XenNvdimmRange));
    g_autoptr(GPtrArray) t = NULL;
    g_autofree char *first = NULL;

    g_array_append_vals(e, joined, ARRAY_SIZE(joined));
    t = xen_nvdimm_record_texts(e);
    g_assert_cmpuint(t->len, ==, 1);
    g_assert_cmpstr(t->pdata[0], ==, "0x20000+0x13000 0x90000+0x1000");
    g_clear_pointer(&t, g_ptr_array_unref);

    /* 65 ranges, a page apart: 64 in the first value, 1 in the second. */
    g_array_set_size(e, 0);
    for (int i = 64; i >= 0; i--) {
        XenNvdimmExtent x = { (64 - i) * 0x1000, 0x100000 + i * 0x2000,
                              0x1000 };

        g_array_append_val(e, x);
    }
    t = xen_nvdimm_record_texts(e);
    g_assert_cmpuint(t->len, ==, 2);
    first = g_strndup(t->pdata[0], strlen("0x100000+0x1000 0x102000"));
    g_assert_cmpstr(first, ==, "0x100000+0x1000 0x102000");
    g_assert_cmpstr(t->pdata[1], ==, "0x180000+0x1000");
    for (guint i = 0; i < t->len; i++) {
        xen_nvdimm_record_parse(t->pdata[i], back);
    }
    g_assert_cmpuint(back->len, ==, 65);
    for (guint i = 0; i < back->len; i++) {
        XenNvdimmRange *r = &g_array_index(back, XenNvdimmRange, i);

        g_assert_cmphex(r->start, ==, 0x100000 + i * 0x2000);
        g_assert_cmphex(r->end, ==, r->start + 0x1000);
    }

    /* Another's record, read: what is not a whole range is skipped. */
    g_array_set_size(back, 0);
    xen_nvdimm_record_parse("0x1000+0x2000 junk 0x5+0 0x9 +0x4 "
                            "0xffffffffffffffff+0x2 10+5 0x7000+0x1000x",
                            back);
    g_assert_cmpuint(back->len, ==, 2);
    g_assert_cmphex(g_array_index(back, XenNvdimmRange, 0).start, ==, 0x1000);
    g_assert_cmphex(g_array_index(back, XenNvdimmRange, 0).end, ==, 0x3000);
    g_assert_cmphex(g_array_index(back, XenNvdimmRange, 1).start, ==, 10);
    g_assert_cmphex(g_array_index(back, XenNvdimmRange, 1).end, ==, 15);
}

/*
 * Temperatures are signed: the warmer wins, whatever the sign bit or the
 * magnitude says, in either order.
 */
static void test_health_merge_sign(void)
{
    const struct { int a, b, want; } cases[] = {
        { 30, -40, 30 }, { -40, 30, 30 }, { -5, -20, -5 }, { -20, -5, -5 },
        { 0, -1, 0 }, { -273, 2047, 2047 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        NvdimmHealth d[2] = { 0 }, acc;
        bool smart[2] = { true, true };
        int t[2] = { cases[i].a, cases[i].b };
        int w = cases[i].want;

        for (int k = 0; k < 2; k++) {
            d[k].temperature = t[k] < 0 ? 0x8000 | -t[k] * 16 : t[k] * 16;
        }
        g_assert_cmpint(xen_nvdimm_health_of_dimms(d, smart, 2, &acc), ==, 1);
        g_assert_cmphex(acc.temperature, ==,
                        w < 0 ? 0x8000 | -w * 16 : w * 16);
    }
}

/*
 * Persistence domains: Linux's words and no other, weakest first (so the
 * weakest of several is their minimum), and the NFIT bits QEMU's
 * nvdimm-persistence uses ("cpu" 3, "mem-ctrl" 2), none for "none".
 */
static void test_persistence(void)
{
    const char *bad[] = { "", "unknown", "cpu", "mem-ctrl", "CPU_CACHE",
                          "cpu_cache ", "memory_controllers" };
    XenNvdimmPersistence p;

    g_assert_true(xen_nvdimm_parse_persistence("cpu_cache", &p));
    g_assert_cmpint(p, ==, XEN_NVDIMM_PERSIST_CPU_CACHE);
    g_assert_true(xen_nvdimm_parse_persistence("memory_controller", &p));
    g_assert_cmpint(p, ==, XEN_NVDIMM_PERSIST_MEMCTRL);
    g_assert_true(xen_nvdimm_parse_persistence("none", &p));
    g_assert_cmpint(p, ==, XEN_NVDIMM_PERSIST_NONE);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        p = XEN_NVDIMM_PERSIST_MEMCTRL;
        g_assert_false(xen_nvdimm_parse_persistence(bad[i], &p));
        g_assert_cmpint(p, ==, XEN_NVDIMM_PERSIST_MEMCTRL);
    }
    g_assert_cmpint(XEN_NVDIMM_PERSIST_NONE, <, XEN_NVDIMM_PERSIST_MEMCTRL);
    g_assert_cmpint(XEN_NVDIMM_PERSIST_MEMCTRL, <,
                    XEN_NVDIMM_PERSIST_CPU_CACHE);
    g_assert_cmpstr(xen_nvdimm_persistence_name(XEN_NVDIMM_PERSIST_NONE), ==,
                    "none");
    g_assert_cmpstr(xen_nvdimm_persistence_name(XEN_NVDIMM_PERSIST_MEMCTRL),
                    ==, "memory_controller");
    g_assert_cmpstr(
        xen_nvdimm_persistence_name(XEN_NVDIMM_PERSIST_CPU_CACHE), ==,
        "cpu_cache");
    g_assert_cmphex(xen_nvdimm_persistence_caps(XEN_NVDIMM_PERSIST_CPU_CACHE),
                    ==, 3);
    g_assert_cmphex(xen_nvdimm_persistence_caps(XEN_NVDIMM_PERSIST_MEMCTRL),
                    ==, 2);
    g_assert_cmphex(xen_nvdimm_persistence_caps(XEN_NVDIMM_PERSIST_NONE), ==,
                    0);
}

/*
 * Merging DIMMs: no order decides (the worst of each field whichever
 * DIMM comes first), and one DIMM without SMART, or none, leaves nothing
 * known.
 */
static void test_health_of_dimms(void)
{
    NvdimmHealth d[3] = {
        { .flags = 0x42f, .health = NVDIMM_HEALTH_NON_CRITICAL,
          .spares = 20, .life_used = 50, .temperature = 20 * 16,
          .shutdown_count = 2, .shutdown_state = 1 },
        { .flags = 0x42f, .health = NVDIMM_HEALTH_FATAL, .spares = 70,
          .life_used = 90, .temperature = 60 * 16, .shutdown_count = 5 },
        { .flags = 0x40f, .health = 0, .spares = 100, .life_used = 0,
          .temperature = 0x8000 | 16, .shutdown_count = 1 },
    };
    const int orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 } };
    bool smart[3] = { true, true, true };

    for (size_t o = 0; o < ARRAY_SIZE(orders); o++) {
        NvdimmHealth in[3], acc;

        for (int k = 0; k < 3; k++) {
            in[k] = d[orders[o][k]];
        }
        g_assert_cmpint(xen_nvdimm_health_of_dimms(in, smart, 3, &acc), ==,
                        1);
        g_assert_cmphex(acc.flags, ==, 0x40f);
        g_assert_cmpuint(acc.health, ==, NVDIMM_HEALTH_FATAL |
                         NVDIMM_HEALTH_NON_CRITICAL);
        g_assert_cmpuint(acc.spares, ==, 20);
        g_assert_cmpuint(acc.life_used, ==, 90);
        g_assert_cmphex(acc.temperature, ==, 60 * 16);
        g_assert_cmpuint(acc.shutdown_count, ==, 8);
        g_assert_cmpuint(acc.shutdown_state, ==, 1);
    }
    for (int k = 0; k < 3; k++) {
        NvdimmHealth acc;

        smart[k] = false;
        g_assert_cmpint(xen_nvdimm_health_of_dimms(d, smart, 3, &acc), ==,
                        0);
        smart[k] = true;
    }
    g_assert_cmpint(xen_nvdimm_health_of_dimms(d, smart, 0, NULL), ==, 0);
}

/* The emulated host's DIMMs, as x-emu-health gives them. */
static void test_parse_health_dimms(void)
{
    const char *bad[] = {
        "dimm\nhealth good\n", "dimms\n", "dimm no-smart\nspares 3\n",
        "dimm maybe\n",
    };
    g_autoptr(GArray) dimms = g_array_new(false, false,
                                          sizeof(NvdimmHealth));
    g_autoptr(GArray) smart = g_array_new(false, false, sizeof(bool));
    Error *err = NULL;

    g_assert_true(xen_nvdimm_parse_health_dimms("spares 5\n", dimms, smart,
                                                &error_abort));
    g_assert_cmpuint(dimms->len, ==, 1);
    g_assert_cmpuint(g_array_index(dimms, NvdimmHealth, 0).spares, ==, 5);
    g_array_set_size(dimms, 0);
    g_array_set_size(smart, 0);
    g_assert_true(xen_nvdimm_parse_health_dimms(
                      "\ndimm\nspares 5\ndimm no-smart\n\ndimm\n"
                      "life-used 9\n", dimms, smart, &error_abort));
    g_assert_cmpuint(dimms->len, ==, 3);
    g_assert_true(g_array_index(smart, bool, 0));
    g_assert_false(g_array_index(smart, bool, 1));
    g_assert_true(g_array_index(smart, bool, 2));
    g_assert_cmpuint(g_array_index(dimms, NvdimmHealth, 0).spares, ==, 5);
    g_assert_cmpuint(g_array_index(dimms, NvdimmHealth, 2).life_used, ==,
                     9);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        g_assert_false(xen_nvdimm_parse_health_dimms(bad[i], dimms, smart,
                                                     &err));
        g_assert_nonnull(err);
        error_free(err);
        err = NULL;
    }
}

static void test_parse_health(void)
{
    const char *bad[] = {
        "health good", "spares 101", "spares -1", "life-used x",
        "temperature -274", "temperature 2048", "shutdown-count 4294967296",
        "shutdown-state unknown", "voltage 3", "health", "spares 5 6",
    };
    NvdimmHealth h;
    Error *err = NULL;

    g_assert_true(xen_nvdimm_parse_health("health critical\nspares 77\n"
                                          "life-used 9\ntemperature -3\n"
                                          "shutdown-count 4294967295\n"
                                          "shutdown-state dirty\n", &h,
                                          &error_abort));
    g_assert_cmphex(h.flags, ==, 0x42f);
    g_assert_cmpuint(h.health, ==, NVDIMM_HEALTH_CRITICAL);
    g_assert_cmpuint(h.spares, ==, 77);
    g_assert_cmpuint(h.life_used, ==, 9);
    g_assert_cmphex(h.temperature, ==, 0x8000 | 3 * 16);
    g_assert_cmpuint(h.shutdown_count, ==, UINT32_MAX);
    g_assert_cmpuint(h.shutdown_state, ==, 1);
    /* The bounds are accepted, and "fatal" is a state. */
    g_assert_true(xen_nvdimm_parse_health("health fatal\nspares 0\n"
                                          "life-used 100\n"
                                          "temperature -273\n", &h,
                                          &error_abort));
    g_assert_cmpuint(h.health, ==, NVDIMM_HEALTH_FATAL);
    g_assert_cmpuint(h.spares, ==, 0);
    g_assert_cmpuint(h.life_used, ==, 100);
    g_assert_cmphex(h.temperature, ==, 0x8000 | 273 * 16);
    g_assert_true(xen_nvdimm_parse_health("health non-critical\n"
                                          "spares 100\nlife-used 0\n"
                                          "temperature 2047\n"
                                          "shutdown-count 0\n", &h,
                                          &error_abort));
    g_assert_cmphex(h.flags, ==, 0x02f);
    g_assert_cmpuint(h.health, ==, NVDIMM_HEALTH_NON_CRITICAL);
    g_assert_cmpuint(h.spares, ==, 100);
    g_assert_cmpuint(h.life_used, ==, 0);
    g_assert_cmphex(h.temperature, ==, 2047 * 16);
    /* Only what is given is valid. */
    g_assert_true(xen_nvdimm_parse_health("\nhealth ok\n", &h,
                                          &error_abort));
    g_assert_cmphex(h.flags, ==, NVDIMM_SMART_HEALTH_VALID);
    g_assert_cmpuint(h.health, ==, 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        g_assert_false(xen_nvdimm_parse_health(bad[i], &h, &err));
        g_assert_nonnull(err);
        error_free(err);
        err = NULL;
    }
}

/* Whole tables only: every header's length within the blob. */
static void test_acpi_count_tables(void)
{
    uint8_t blob[36 * 3 + 8] = { 0 };

    stl_le_p(blob + 4, 36);
    stl_le_p(blob + 36 + 4, 44);
    stl_le_p(blob + 80 + 4, 36);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 0), ==, 0);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 36), ==, 1);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 80), ==, 2);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 116), ==, 3);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 115), ==, -1);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 79), ==, -1);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 35), ==, -1);
    stl_le_p(blob + 36 + 4, 35);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 80), ==, -1);
    stl_le_p(blob + 36 + 4, UINT32_MAX);
    g_assert_cmpint(xen_nvdimm_acpi_count_tables(blob, 116), ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-nvdimm/layout/coalesce", test_coalesce);
    g_test_add_func("/xen-nvdimm/layout/sort", test_sort);
    g_test_add_func("/xen-nvdimm/layout/check", test_check);
    g_test_add_func("/xen-nvdimm/layout/check-limit", test_check_limit);
    g_test_add_func("/xen-nvdimm/layout/budget", test_budget);
    g_test_add_func("/xen-nvdimm/layout/congruence", test_congruence);
    g_test_add_func("/xen-nvdimm/layout/place", test_place);
    g_test_add_func("/xen-nvdimm/layout/check-gpa", test_check_gpa);
    g_test_add_func("/xen-nvdimm/layout/check-pmem", test_check_pmem);
    g_test_add_func("/xen-nvdimm/layout/parse-nfit", test_parse_nfit);
    g_test_add_func("/xen-nvdimm/layout/parse-badblocks",
                    test_parse_badblocks);
    g_test_add_func("/xen-nvdimm/layout/meet-and-alias", test_meet_and_alias);
    g_test_add_func("/xen-nvdimm/layout/bad-to-guest", test_bad_to_guest);
    g_test_add_func("/xen-nvdimm/layout/health-merge", test_health_merge);
    g_test_add_func("/xen-nvdimm/layout/parse-health", test_parse_health);
    g_test_add_func("/xen-nvdimm/layout/record-texts", test_record_texts);
    g_test_add_func("/xen-nvdimm/layout/health-merge-sign",
                    test_health_merge_sign);
    g_test_add_func("/xen-nvdimm/layout/health-of-dimms",
                    test_health_of_dimms);
    g_test_add_func("/xen-nvdimm/layout/parse-health-dimms",
                    test_parse_health_dimms);
    g_test_add_func("/xen-nvdimm/layout/persistence", test_persistence);
    g_test_add_func("/xen-nvdimm/layout/acpi-count-tables",
                    test_acpi_count_tables);
    return g_test_run();
}
