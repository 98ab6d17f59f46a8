/*
 * Unit tests for the Xen NVDIMM _DSM protocol
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "nvdimm-ars-check.h"

#define LABEL_SIZE (128 * 1024)

/* A label area that fails the test on any access outside itself. */
typedef struct Store {
    uint8_t data[LABEL_SIZE];
    bool fail;
    unsigned writes;
} Store;

static bool store_read(void *opaque, uint32_t off, void *buf, uint32_t len)
{
    Store *s = opaque;

    g_assert_cmpuint(off, <=, LABEL_SIZE);
    g_assert_cmpuint(len, <=, LABEL_SIZE - off);
    memcpy(buf, s->data + off, len);
    return !s->fail;
}

static bool store_write(void *opaque, uint32_t off, const void *buf,
                        uint32_t len)
{
    Store *s = opaque;

    g_assert_cmpuint(off, <=, LABEL_SIZE);
    g_assert_cmpuint(len, <=, LABEL_SIZE - off);
    memcpy(s->data + off, buf, len);
    s->writes++;
    return !s->fail;
}

/*
 * What the "host" knows of the media: bad guest ranges as the device
 * reports them (unsorted, overlapping, partly outside the device), and
 * health.
 */
#define SPA1        0x100000000ULL
#define SPA_SIZE    0x40000000ULL
#define SPA2        (SPA1 + SPA_SIZE)
static GArray *host_bad;
static bool host_fails;
static NvdimmHealth host_health;

static bool media_bad_ranges(void *opaque, GArray *ranges)
{
    if (host_fails) {
        return false;
    }
    g_array_append_vals(ranges, host_bad->data, host_bad->len);
    return true;
}

static void host_bad_set(const NvdimmBadRange *r, size_t n)
{
    g_array_set_size(host_bad, 0);
    g_array_append_vals(host_bad, r, n);
}

static bool media_health(void *opaque, NvdimmHealth *h)
{
    *h = host_health;
    return !host_fails;
}

static Store store;
static NvdimmArs ars;
/* Xen's root: the scrub; Read FIT only in the test that sets a FIT. */
static NvdimmDsmRoot root = { .ars = true };
static NvdimmDsmDimm dimms[] = {
    { .handle = 1, .spa = SPA1, .spa_size = SPA_SIZE,
      .label_size = LABEL_SIZE, .label_writable = true, .has_health = true,
      .opaque = &store, .read_label = store_read, .write_label = store_write,
      .bad_ranges = media_bad_ranges, .health = media_health },
    { .handle = 2, .spa = SPA2, .spa_size = SPA_SIZE, .label_size = 0,
      .has_health = true, .bad_ranges = media_bad_ranges,
      .health = media_health },
    { .handle = 3, .label_size = LABEL_SIZE, .label_writable = false,
      .opaque = &store, .read_label = store_read, .write_label = store_write },
};

typedef struct Reply {
    uint32_t len;
    uint32_t status;            /* or the function 0 bitmap */
    uint8_t out[NVDIMM_DSM_PAGE];
} Reply;

static Reply call(uint32_t handle, uint32_t rev, uint32_t func,
                  const void *arg3, size_t arg3_len)
{
    uint8_t in[NVDIMM_DSM_PAGE] = { 0 };
    Reply r;

    /* What the handler does not write shows as 0xa5. */
    memset(r.out, 0xa5, sizeof(r.out));
    stl_le_p(in, handle);
    stl_le_p(in + 4, rev);
    stl_le_p(in + 8, func);
    memcpy(in + NVDIMM_DSM_ARG3_OFFSET, arg3, arg3_len);
    r.len = nvdimm_dsm_serve(in, &root, dimms, ARRAY_SIZE(dimms), &ars,
                           r.out);
    g_assert_cmpuint(r.len, >=, 8);
    g_assert_cmpuint(r.len, <=, NVDIMM_DSM_PAGE);
    g_assert_cmpuint(ldl_le_p(r.out), ==, r.len);
    r.status = ldl_le_p(r.out + 4);
    return r;
}

static Reply label_io(uint32_t handle, uint32_t func, uint32_t off,
                      uint32_t len, const void *data, size_t data_len)
{
    uint8_t arg3[NVDIMM_DSM_ARG3_SIZE] = { 0 };

    stl_le_p(arg3, off);
    stl_le_p(arg3 + 4, len);
    memcpy(arg3 + 8, data, data_len);
    return call(handle, 1, func, arg3, sizeof(arg3));
}

static void test_functions(void)
{
    /*
     * Root: the scrub (1-3), not Clear Uncorrectable Error (4); DIMMs:
     * SMART when the host gives health, label functions with labels.
     */
    g_assert_cmphex(call(0, 1, 0, NULL, 0).status, ==, 0xf);
    g_assert_cmpuint(call(0, 1, 4, NULL, 0).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmphex(call(1, 1, 0, NULL, 0).status, ==, 0x73);
    g_assert_cmphex(call(2, 1, 0, NULL, 0).status, ==, 0x3);
    g_assert_cmphex(call(3, 1, 0, NULL, 0).status, ==, 0x71);
    g_assert_cmpuint(call(3, 1, 1, NULL, 0).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmphex(call(9, 1, 0, NULL, 0).status, ==, 0);
    g_assert_cmpuint(call(2, 1, 4, NULL, 0).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmpuint(call(9, 1, 4, NULL, 0).status, ==,
                     NVDIMM_DSM_NOMEMDEV);
    g_assert_cmpuint(call(1, 2, 4, NULL, 0).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmpuint(call(1, 1, 7, NULL, 0).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
}

static void test_label_size(void)
{
    Reply r = call(1, 1, 4, NULL, 0);

    g_assert_cmpuint(r.len, ==, 16);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(ldl_le_p(r.out + 8), ==, LABEL_SIZE);
    g_assert_cmpuint(ldl_le_p(r.out + 12), ==, NVDIMM_DSM_MAX_XFER);
}

static void test_label_rw(void)
{
    const char text[] = "NAMESPACE_INDEX";
    Reply r;

    memset(&store, 0, sizeof(store));
    r = label_io(1, 6, LABEL_SIZE - sizeof(text), sizeof(text), text,
                 sizeof(text));
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpmem(store.data + LABEL_SIZE - sizeof(text), sizeof(text),
                    text, sizeof(text));
    r = label_io(1, 5, LABEL_SIZE - sizeof(text), sizeof(text), NULL, 0);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(r.len, ==, 8 + sizeof(text));
    g_assert_cmpmem(r.out + 8, sizeof(text), text, sizeof(text));
    /* The largest transfer, both ways; zero bytes is fine too. */
    g_assert_cmpuint(label_io(1, 5, 0, NVDIMM_DSM_MAX_XFER, NULL, 0).len,
                     ==, 8 + NVDIMM_DSM_MAX_XFER);
    g_assert_cmpuint(label_io(1, 6, 0, NVDIMM_DSM_MAX_XFER, NULL, 0)
                     .status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(label_io(1, 5, LABEL_SIZE, 0, NULL, 0).status, ==,
                     NVDIMM_DSM_SUCCESS);
}

static void test_label_refused(void)
{
    struct {
        uint32_t func, off, len, status;
    } cases[] = {
        { 5, LABEL_SIZE - 8, 16, NVDIMM_DSM_INVALID },
        { 6, LABEL_SIZE + 4096, 0, NVDIMM_DSM_INVALID },
        { 5, 0xfffffff0, 0x20, NVDIMM_DSM_INVALID },    /* wraps */
        { 6, 8, 0xfffffffc, NVDIMM_DSM_INVALID },        /* wraps */
        { 5, 0, NVDIMM_DSM_MAX_XFER + 1, NVDIMM_DSM_INVALID },
        { 6, 0, NVDIMM_DSM_MAX_XFER + 1, NVDIMM_DSM_INVALID },
    };

    store.writes = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Reply r = label_io(1, cases[i].func, cases[i].off, cases[i].len,
                           NULL, 0);

        g_assert_cmpuint(r.status, ==, cases[i].status);
        g_assert_cmpuint(r.len, ==, 8);
    }
    /*
     * Read-only (unarmed) DIMM: no write reaches its labels; a bad range
     * is refused as such first, as QEMU's NVDIMM always has.
     */
    g_assert_cmpuint(label_io(3, 6, 0, 16, "x", 1).status, ==,
                     NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmpuint(label_io(3, 6, LABEL_SIZE, 16, "x", 1).status, ==,
                     NVDIMM_DSM_INVALID);
    g_assert_cmpuint(label_io(3, 5, 0, 16, NULL, 0).status, ==,
                     NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(store.writes, ==, 0);
    /* Host I/O errors are hardware errors, not the guest's. */
    store.fail = true;
    g_assert_cmpuint(label_io(1, 5, 0, 16, NULL, 0).status, ==,
                     NVDIMM_DSM_HW_ERROR);
    g_assert_cmpuint(label_io(1, 6, 0, 16, "y", 1).status, ==,
                     NVDIMM_DSM_HW_ERROR);
    store.fail = false;
}

/* Exactly at the end of the label area: in; one byte more: out. */
static void test_label_boundary(void)
{
    struct {
        uint32_t func, off, len, status;
    } cases[] = {
        { 5, LABEL_SIZE - 16, 16, NVDIMM_DSM_SUCCESS },
        { 6, LABEL_SIZE - 16, 16, NVDIMM_DSM_SUCCESS },
        { 5, LABEL_SIZE - 16, 17, NVDIMM_DSM_INVALID },
        { 6, LABEL_SIZE - 16, 17, NVDIMM_DSM_INVALID },
        { 5, LABEL_SIZE, 0, NVDIMM_DSM_SUCCESS },
        { 5, LABEL_SIZE, 1, NVDIMM_DSM_INVALID },
        { 6, LABEL_SIZE + 1, 0, NVDIMM_DSM_INVALID },
        { 5, 0, NVDIMM_DSM_MAX_XFER, NVDIMM_DSM_SUCCESS },
        { 5, 1, NVDIMM_DSM_MAX_XFER + 1, NVDIMM_DSM_INVALID },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Reply r = label_io(1, cases[i].func, cases[i].off, cases[i].len,
                           "z", 1);

        if (r.status != cases[i].status) {
            g_printerr("function %u at 0x%x, 0x%x bytes: status %u, want %u\n",
                       cases[i].func, cases[i].off, cases[i].len, r.status,
                       cases[i].status);
        }
        g_assert_cmpuint(r.status, ==, cases[i].status);
    }
}

/*
 * Hostile pages: random requests, biased towards the interesting values.
 * The store asserts every access stays inside the label area; every
 * reply must be well formed, and every scrub status exact.
 */
static void test_hostile(void)
{
    unsigned hostile_scrubs = 0, reported = 0;
    const uint32_t values[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0x10000, 0xffffffff,
                                LABEL_SIZE, LABEL_SIZE - 1, LABEL_SIZE + 1,
                                NVDIMM_DSM_MAX_XFER,
                                NVDIMM_DSM_MAX_XFER + 1, 0x80000000 };
    /* Scrub ranges: edges of the devices, and values that overflow. */
    const uint64_t ranges[] = { 0, 1, 512, SPA1, SPA1 - 1, SPA1 + 1, SPA2,
                                SPA_SIZE, SPA_SIZE - 1, SPA_SIZE + 1,
                                SPA2 + SPA_SIZE, UINT64_MAX,
                                UINT64_MAX - SPA1 + 1 };
    const NvdimmBadRange bad[] = {
        { SPA1, 0x200 }, { SPA2 - 0x100, 0x200 }, { UINT64_MAX - 1, 2 },
        { SPA2 + 0x1000, UINT64_MAX }, { 0, SPA1 + 0x200 },
    };
    GRand *rand = g_rand_new_with_seed(20261121);

    host_bad_set(bad, ARRAY_SIZE(bad));
    for (int i = 0; i < 200000; i++) {
        uint8_t in[NVDIMM_DSM_PAGE];
        uint8_t out[NVDIMM_DSM_PAGE];
        uint32_t len;

        for (size_t j = 0; j < sizeof(in); j += 4) {
            stl_le_p(in + j, g_rand_int(rand));
        }
        for (size_t j = 0; j < 20; j += 4) {
            if (g_rand_boolean(rand)) {
                stl_le_p(in + j, values[g_rand_int_range(rand, 0,
                                                         ARRAY_SIZE(values))]);
            }
        }
        /* A quarter of the requests go to the root's scrub functions. */
        if (!g_rand_int_range(rand, 0, 4)) {
            stl_le_p(in, 0);
            stl_le_p(in + 4, 1);
            stl_le_p(in + 8, g_rand_int_range(rand, 0, 5));
        }
        for (size_t j = 0; j < 16; j += 8) {
            if (g_rand_boolean(rand)) {
                stq_le_p(in + NVDIMM_DSM_ARG3_OFFSET + j,
                         ranges[g_rand_int_range(rand, 0,
                                                 ARRAY_SIZE(ranges))]);
            }
        }
        if (g_rand_boolean(rand)) {
            stw_le_p(in + NVDIMM_DSM_ARG3_OFFSET + 16, g_rand_int_range(rand, 0,
                                                                     4));
        }
        len = nvdimm_dsm_serve(in, &root, dimms, ARRAY_SIZE(dimms), &ars,
                             out);
        g_assert_cmpuint(len, >=, 8);
        g_assert_cmpuint(len, <=, sizeof(out));
        g_assert_cmpuint(ldl_le_p(out), ==, len);
        hostile_scrubs += !ldl_le_p(in) && ldl_le_p(in + 8) == 2 &&
                          !ldl_le_p(out + 4);
        /* Every status: exactly the bad bytes of the range scrubbed. */
        if (!ldl_le_p(in) && ldl_le_p(in + 4) == 1 &&
            ldl_le_p(in + 8) == NVDIMM_ARS_STATUS) {
            g_assert_true(nvdimm_ars_check_exact(out, bad,
                                                     ARRAY_SIZE(bad)));
            reported += ldl_le_p(out + 4 + 44);
        }
    }
    g_rand_free(rand);
    nvdimm_ars_reset(&ars);
    g_array_set_size(host_bad, 0);
    /* The generator reaches the scrub, not only its refusals. */
    g_assert_cmpuint(hostile_scrubs, >, 50);
    g_assert_cmpuint(reported, >, 50);
}

static Reply ars_call(uint32_t func, uint64_t addr, uint64_t len,
                      uint16_t type)
{
    uint8_t arg3[24] = { 0 };

    stq_le_p(arg3, addr);
    stq_le_p(arg3 + 8, len);
    stw_le_p(arg3 + 16, type);
    return call(0, 1, func, arg3, sizeof(arg3));
}

static void test_ars_cap(void)
{
    Reply r = ars_call(NVDIMM_ARS_CAP, SPA1, SPA_SIZE, 0);
    const struct { uint64_t addr, len; } refused[] = {
        { SPA1, 0 },                        /* empty */
        { SPA1 - 1, 2 },                    /* starts before */
        { SPA1 + SPA_SIZE - 1, 2 },         /* straddles two NVDIMMs */
        { SPA1 + 4096, UINT64_MAX },        /* wraps */
        { UINT64_MAX, 1 },
        { 0, SPA1 },
    };

    g_assert_cmpuint(r.len, ==, 20);
    g_assert_cmphex(r.status, ==, NVDIMM_ARS_PERSISTENT << 16);
    g_assert_cmpuint(ldl_le_p(r.out + 8), ==, NVDIMM_ARS_MAX_OUT);
    g_assert_cmpuint(ldl_le_p(r.out + 12), ==, 512);
    g_assert_cmpuint(ldl_le_p(r.out + 16), ==, 0);
    r = ars_call(NVDIMM_ARS_CAP, SPA2 + 4096, 4096, 0);
    g_assert_cmphex(r.status, ==, NVDIMM_ARS_PERSISTENT << 16);
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        r = ars_call(NVDIMM_ARS_CAP, refused[i].addr, refused[i].len, 0);
        g_assert_cmpuint(r.status, ==, NVDIMM_ROOT_INVALID);
        r = ars_call(NVDIMM_ARS_START, refused[i].addr, refused[i].len,
                     NVDIMM_ARS_PERSISTENT);
        g_assert_cmpuint(r.status, ==, NVDIMM_ROOT_INVALID);
    }
    /* Clear Uncorrectable Error is refused, never carried out. */
    r = ars_call(NVDIMM_ARS_CLEAR_ERROR, SPA1, 512, 0);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_UNSUPPORTED);
}

/* A root without the scrub (QEMU's NVDIMM) offers nothing. */
static void test_root_without_ars(void)
{
    root.ars = false;
    g_assert_cmphex(call(0, 1, 0, NULL, 0).status, ==, 0);
    for (uint32_t fn = 1; fn <= 5; fn++) {
        Reply r = call(0, 1, fn, NULL, 0);

        g_assert_cmpuint(r.len, ==, 8);
        g_assert_cmpuint(r.status, ==, NVDIMM_DSM_UNSUPPORTED);
    }
    root.ars = true;
}

/*
 * Read FIT (QEMU's root methods): the FIT in pieces of a page at most;
 * a FIT changed since the read began at 0 makes the guest start over.
 */
static void test_read_fit(void)
{
    g_autoptr(GArray) fit = g_array_new(false, false, 1);
    const uint32_t piece = NVDIMM_DSM_PAGE - 8;
    bool dirty = true;
    uint8_t off[4];
    Reply r;

    /* Without a FIT the handle is one no NVDIMM has. */
    g_assert_cmphex(call(NVDIMM_DSM_QEMU_ROOT, 1, 0, NULL, 0).status,
                    ==, 0);
    stl_le_p(off, 0);
    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4).status,
                     ==, NVDIMM_DSM_NOMEMDEV);

    for (unsigned i = 0; i < 5000; i++) {
        uint8_t b = i * 7;

        g_array_append_val(fit, b);
    }
    root.fit = fit;
    root.fit_dirty = &dirty;
    g_assert_cmphex(call(NVDIMM_DSM_QEMU_ROOT, 1, 0, NULL, 0).status,
                    ==, 0x3);
    r = call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(r.len, ==, 8 + piece);
    g_assert_cmpmem(r.out + 8, piece, fit->data, piece);
    g_assert_false(dirty);
    stl_le_p(off, piece);
    r = call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(r.len, ==, 8 + 5000 - piece);
    g_assert_cmpmem(r.out + 8, 5000 - piece, fit->data + piece,
                    5000 - piece);
    stl_le_p(off, 5000);
    r = call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    g_assert_cmpuint(r.len, ==, 8);
    stl_le_p(off, 5001);
    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4).status,
                     ==, NVDIMM_DSM_INVALID);
    stl_le_p(off, UINT32_MAX);
    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4).status,
                     ==, NVDIMM_DSM_INVALID);

    /* Changed in the middle of a read: start over, and only from 0. */
    dirty = true;
    stl_le_p(off, 100);
    r = call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4);
    g_assert_cmphex(r.status, ==, NVDIMM_DSM_FIT_CHANGED);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_true(dirty);
    stl_le_p(off, 0);
    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 1, 1, off, 4).status,
                     ==, NVDIMM_DSM_SUCCESS);
    g_assert_false(dirty);

    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 1, 2, NULL, 0).status,
                     ==, NVDIMM_DSM_UNSUPPORTED);
    g_assert_cmpuint(call(NVDIMM_DSM_QEMU_ROOT, 2, 1, off, 4).status,
                     ==, NVDIMM_DSM_UNSUPPORTED);
    root.fit = NULL;
    root.fit_dirty = NULL;
}

/* Check a Query ARS Status reply: header, then records. */
static void assert_status(Reply *r, uint32_t ext, uint64_t addr, uint64_t len,
                          const NvdimmBadRange *want, unsigned n)
{
    g_assert_cmpuint(r->len, ==, 4 + 48 + 24 * n);
    g_assert_cmphex(r->status, ==, ext << 16);
    g_assert_cmpuint(ldl_le_p(r->out + 8), ==, 44 + 24 * n);
    g_assert_cmphex(ldq_le_p(r->out + 12), ==, addr);
    g_assert_cmphex(ldq_le_p(r->out + 20), ==, len);
    g_assert_cmpuint(lduw_le_p(r->out + 44), ==, addr ? 2 : 0);
    g_assert_cmpuint(ldl_le_p(r->out + 48), ==, n);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *rec = r->out + 52 + 24 * i;

        g_assert_cmpuint(ldl_le_p(rec), ==, addr < SPA2 ? 1 : 2);
        g_assert_cmphex(ldq_le_p(rec + 8), ==, want[i].addr);
        g_assert_cmphex(ldq_le_p(rec + 16), ==, want[i].len);
    }
}

static void test_ars_scrub(void)
{
    /* Unsorted, overlapping, adjacent, and partly outside the range. */
    const NvdimmBadRange bad[] = {
        { SPA1 + 0x10000, 0x1000 },
        { SPA1 - 0x200, 0x400 },
        { SPA1 + 0x5000, 0x200 },
        { SPA1 + 0x10800, 0x1000 },
        { SPA1 + 0x11800, 0x200 },
        { SPA1 + SPA_SIZE - 0x200, 0x400 },
        { SPA2 + 0x1000, 0x200 },
        { UINT64_MAX - 0x100, 0x200 },
    };
    const NvdimmBadRange want[] = {
        { SPA1, 0x200 },
        { SPA1 + 0x5000, 0x200 },
        { SPA1 + 0x10000, 0x1a00 },
        { SPA1 + SPA_SIZE - 0x200, 0x200 },
    };
    const NvdimmBadRange added = { SPA1 + 0x8000, 0x200 };
    Reply r;

    nvdimm_ars_reset(&ars);
    host_bad_set(bad, ARRAY_SIZE(bad));
    /* Nothing scrubbed yet this boot. */
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_NONE, 0, 0, NULL, 0);
    /* A volatile-only scrub is refused: there is no volatile range. */
    r = ars_call(NVDIMM_ARS_START, SPA1, SPA_SIZE,
                 NVDIMM_ARS_VOLATILE);
    g_assert_cmpuint(r.status, ==, NVDIMM_ROOT_INVALID);
    r = ars_call(NVDIMM_ARS_START, SPA1, SPA_SIZE,
                 NVDIMM_ARS_PERSISTENT);
    g_assert_cmpuint(r.len, ==, 12);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_DONE, SPA1, SPA_SIZE, want,
                  ARRAY_SIZE(want));
    /* A part of the range: only what lies in it. */
    r = ars_call(NVDIMM_ARS_START, SPA1 + 0x10400, 0x1000,
                 NVDIMM_ARS_PERSISTENT);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_DONE, SPA1 + 0x10400, 0x1000,
                  &(NvdimmBadRange) { SPA1 + 0x10400, 0x1000 }, 1);
    /* The second device's, with its handle. */
    r = ars_call(NVDIMM_ARS_START, SPA2, SPA_SIZE,
                 NVDIMM_ARS_PERSISTENT | NVDIMM_ARS_VOLATILE);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_DONE, SPA2, SPA_SIZE,
                  (NvdimmBadRange[]) { { SPA2, 0x200 },
                                          { SPA2 + 0x1000, 0x200 } }, 2);
    /* What went bad since is found by the next scrub, not before. */
    g_array_append_val(host_bad, added);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    g_assert_cmpuint(ldl_le_p(r.out + 48), ==, 2);
    r = ars_call(NVDIMM_ARS_START, SPA1 + 0x8000, 0x1000,
                 NVDIMM_ARS_PERSISTENT);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_DONE, SPA1 + 0x8000, 0x1000, &added, 1);
    /* The host cannot tell: an error, and the last results stay. */
    host_fails = true;
    r = ars_call(NVDIMM_ARS_START, SPA1, SPA_SIZE,
                 NVDIMM_ARS_PERSISTENT);
    g_assert_cmpuint(r.status, ==, NVDIMM_ROOT_HW_ERROR);
    host_fails = false;
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    assert_status(&r, NVDIMM_ARS_DONE, SPA1 + 0x8000, 0x1000, &added, 1);
    nvdimm_ars_reset(&ars);
    g_array_set_size(host_bad, 0);
}

/*
 * More records than one reply holds: the scrub stops at the first one
 * left out, flagged overflow, and a scrub from there gets the rest.
 */
static void test_ars_overflow(void)
{
    unsigned n = NVDIMM_ARS_MAX_RECORDS + 30;
    g_autofree NvdimmBadRange *bad = g_new(NvdimmBadRange, n);
    uint64_t restart, restart_len;
    Reply r;

    for (unsigned i = 0; i < n; i++) {
        bad[n - 1 - i] = (NvdimmBadRange) { SPA1 + i * 0x2000, 0x200 };
    }
    host_bad_set(bad, n);
    r = ars_call(NVDIMM_ARS_START, SPA1, SPA_SIZE,
                 NVDIMM_ARS_PERSISTENT);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    g_assert_cmpuint(r.len, <=, NVDIMM_DSM_PAGE);
    g_assert_cmpuint(4 + ldl_le_p(r.out + 8), <=, NVDIMM_ARS_MAX_OUT);
    g_assert_cmphex(r.status, ==, NVDIMM_ARS_STOPPED << 16);
    g_assert_cmpuint(lduw_le_p(r.out + 46), ==, NVDIMM_ARS_OVERFLOW);
    g_assert_cmpuint(ldl_le_p(r.out + 48), ==, NVDIMM_ARS_MAX_RECORDS);
    restart = ldq_le_p(r.out + 28);
    restart_len = ldq_le_p(r.out + 36);
    g_assert_cmphex(restart, ==,
                    SPA1 + NVDIMM_ARS_MAX_RECORDS * 0x2000);
    g_assert_cmphex(restart + restart_len, ==, SPA1 + SPA_SIZE);
    r = ars_call(NVDIMM_ARS_START, restart, restart_len,
                 NVDIMM_ARS_PERSISTENT);
    r = ars_call(NVDIMM_ARS_STATUS, 0, 0, 0);
    g_assert_cmphex(r.status, ==, NVDIMM_ARS_DONE << 16);
    g_assert_cmpuint(ldl_le_p(r.out + 48), ==, 30);
    g_assert_cmphex(ldq_le_p(r.out + 52 + 8), ==, restart);
    nvdimm_ars_reset(&ars);
    g_array_set_size(host_bad, 0);
}

static void test_smart(void)
{
    Reply r;

    host_health = (NvdimmHealth) {
        .flags = NVDIMM_SMART_HEALTH_VALID |
                 NVDIMM_SMART_SPARES_VALID |
                 NVDIMM_SMART_USED_VALID |
                 NVDIMM_SMART_MTEMP_VALID |
                 NVDIMM_SMART_SHUTDOWN_COUNT_VALID |
                 NVDIMM_SMART_SHUTDOWN_VALID | 1 << 11,
        .health = NVDIMM_HEALTH_NON_CRITICAL,
        .spares = 87,
        .life_used = 12,
        .temperature = 0x8000 | 5 * 16,
        .shutdown_count = 0x12345678,
        .shutdown_state = 1,
    };
    uint8_t want[4 + 128] = { 0 };

    r = call(2, 1, NVDIMM_DSM_SMART, NULL, 0);
    /* Linux reads 132 bytes: status, then the 128-byte payload. */
    g_assert_cmpuint(r.len, ==, 4 + 132);
    g_assert_cmpuint(r.status, ==, NVDIMM_DSM_SUCCESS);
    /*
     * Byte for byte, reserved fields zero: only the flags of fields we
     * fill (not the vendor data's, bit 11), then health, spares, life
     * used, temperature, unsafe shutdowns, shutdown state.
     */
    stl_le_p(want + 4, 0x42f);
    want[12] = NVDIMM_HEALTH_NON_CRITICAL;
    want[13] = 87;
    want[14] = 12;
    stw_le_p(want + 16, 0x8050);
    stl_le_p(want + 20, 0x12345678);
    want[35] = 1;
    g_assert_cmpmem(r.out + 4, sizeof(want), want, sizeof(want));
    host_fails = true;
    g_assert_cmpuint(call(1, 1, NVDIMM_DSM_SMART, NULL, 0).status, ==,
                     NVDIMM_DSM_HW_ERROR);
    host_fails = false;
}

/* An answer of the host serves for a second, and never before it was asked. */
static void test_host_fresh(void)
{
    int64_t t = 5 * NVDIMM_DSM_HOST_FRESH_NS;

    g_assert_false(nvdimm_dsm_host_fresh(0, 1));
    g_assert_true(nvdimm_dsm_host_fresh(t, t));
    g_assert_true(nvdimm_dsm_host_fresh(t, t + NVDIMM_DSM_HOST_FRESH_NS - 1));
    g_assert_false(nvdimm_dsm_host_fresh(t, t + NVDIMM_DSM_HOST_FRESH_NS));
    g_assert_cmpint(NVDIMM_DSM_HOST_FRESH_NS, ==, 1000000000LL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    host_bad = g_array_new(false, false, sizeof(NvdimmBadRange));
    g_test_add_func("/nvdimm-dsm/functions", test_functions);
    g_test_add_func("/nvdimm-dsm/label-size", test_label_size);
    g_test_add_func("/nvdimm-dsm/label-rw", test_label_rw);
    g_test_add_func("/nvdimm-dsm/label-refused", test_label_refused);
    g_test_add_func("/nvdimm-dsm/label-boundary", test_label_boundary);
    g_test_add_func("/nvdimm-dsm/ars-cap", test_ars_cap);
    g_test_add_func("/nvdimm-dsm/ars-scrub", test_ars_scrub);
    g_test_add_func("/nvdimm-dsm/ars-overflow", test_ars_overflow);
    g_test_add_func("/nvdimm-dsm/smart", test_smart);
    g_test_add_func("/nvdimm-dsm/root-without-ars",
                    test_root_without_ars);
    g_test_add_func("/nvdimm-dsm/read-fit", test_read_fit);
    g_test_add_func("/nvdimm-dsm/hostile", test_hostile);
    g_test_add_func("/nvdimm-dsm/host-fresh", test_host_fresh);
    return g_test_run();
}
