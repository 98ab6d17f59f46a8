/*
 * Unit tests for the Xen NVDIMM _DSM protocol
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-xen-dsm.h"

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

static Store store;
static NvdimmXenDsmDimm dimms[] = {
    { .handle = 1, .label_size = LABEL_SIZE, .label_writable = true,
      .opaque = &store, .read_label = store_read, .write_label = store_write },
    { .handle = 2, .label_size = 0 },
    { .handle = 3, .label_size = LABEL_SIZE, .label_writable = false,
      .opaque = &store, .read_label = store_read, .write_label = store_write },
};

typedef struct Reply {
    uint32_t len;
    uint32_t status;            /* or the function 0 bitmap */
    uint8_t out[NVDIMM_XEN_DSM_PAGE];
} Reply;

static Reply call(uint32_t handle, uint32_t rev, uint32_t func,
                  const void *arg3, size_t arg3_len)
{
    uint8_t in[NVDIMM_XEN_DSM_PAGE] = { 0 };
    Reply r;

    stl_le_p(in, handle);
    stl_le_p(in + 4, rev);
    stl_le_p(in + 8, func);
    memcpy(in + NVDIMM_XEN_DSM_ARG3, arg3, arg3_len);
    r.len = nvdimm_xen_dsm(in, dimms, ARRAY_SIZE(dimms), r.out);
    g_assert_cmpuint(r.len, >=, 8);
    g_assert_cmpuint(r.len, <=, NVDIMM_XEN_DSM_PAGE);
    g_assert_cmpuint(ldl_le_p(r.out), ==, r.len);
    r.status = ldl_le_p(r.out + 4);
    return r;
}

static Reply label_io(uint32_t handle, uint32_t func, uint32_t off,
                      uint32_t len, const void *data, size_t data_len)
{
    uint8_t arg3[NVDIMM_XEN_DSM_ARG3_SIZE] = { 0 };

    stl_le_p(arg3, off);
    stl_le_p(arg3 + 4, len);
    memcpy(arg3 + 8, data, data_len);
    return call(handle, 1, func, arg3, sizeof(arg3));
}

static void test_functions(void)
{
    /* Root: function 0 only; DIMMs: label functions when they have labels. */
    g_assert_cmphex(call(0, 1, 0, NULL, 0).status, ==, 0);
    g_assert_cmpuint(call(0, 1, 4, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_UNSUPPORTED);
    g_assert_cmphex(call(1, 1, 0, NULL, 0).status, ==, 0x71);
    g_assert_cmphex(call(2, 1, 0, NULL, 0).status, ==, 0);
    g_assert_cmphex(call(9, 1, 0, NULL, 0).status, ==, 0);
    g_assert_cmpuint(call(2, 1, 4, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_UNSUPPORTED);
    g_assert_cmpuint(call(9, 1, 4, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_NOMEMDEV);
    g_assert_cmpuint(call(1, 2, 4, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_UNSUPPORTED);
    g_assert_cmpuint(call(1, 1, 7, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_UNSUPPORTED);
}

static void test_label_size(void)
{
    Reply r = call(1, 1, 4, NULL, 0);

    g_assert_cmpuint(r.len, ==, 16);
    g_assert_cmpuint(r.status, ==, NVDIMM_XEN_DSM_SUCCESS);
    g_assert_cmpuint(ldl_le_p(r.out + 8), ==, LABEL_SIZE);
    g_assert_cmpuint(ldl_le_p(r.out + 12), ==, NVDIMM_XEN_DSM_MAX_XFER);
}

static void test_label_rw(void)
{
    const char text[] = "NAMESPACE_INDEX";
    Reply r;

    memset(&store, 0, sizeof(store));
    r = label_io(1, 6, LABEL_SIZE - sizeof(text), sizeof(text), text,
                 sizeof(text));
    g_assert_cmpuint(r.status, ==, NVDIMM_XEN_DSM_SUCCESS);
    g_assert_cmpmem(store.data + LABEL_SIZE - sizeof(text), sizeof(text),
                    text, sizeof(text));
    r = label_io(1, 5, LABEL_SIZE - sizeof(text), sizeof(text), NULL, 0);
    g_assert_cmpuint(r.status, ==, NVDIMM_XEN_DSM_SUCCESS);
    g_assert_cmpuint(r.len, ==, 8 + sizeof(text));
    g_assert_cmpmem(r.out + 8, sizeof(text), text, sizeof(text));
    /* The largest transfer, both ways; zero bytes is fine too. */
    g_assert_cmpuint(label_io(1, 5, 0, NVDIMM_XEN_DSM_MAX_XFER, NULL, 0).len,
                     ==, 8 + NVDIMM_XEN_DSM_MAX_XFER);
    g_assert_cmpuint(label_io(1, 6, 0, NVDIMM_XEN_DSM_MAX_XFER, NULL, 0)
                     .status, ==, NVDIMM_XEN_DSM_SUCCESS);
    g_assert_cmpuint(label_io(1, 5, LABEL_SIZE, 0, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_SUCCESS);
}

static void test_label_refused(void)
{
    struct {
        uint32_t func, off, len, status;
    } cases[] = {
        { 5, LABEL_SIZE - 8, 16, NVDIMM_XEN_DSM_INVALID },
        { 6, LABEL_SIZE + 4096, 0, NVDIMM_XEN_DSM_INVALID },
        { 5, 0xfffffff0, 0x20, NVDIMM_XEN_DSM_INVALID },    /* wraps */
        { 6, 8, 0xfffffffc, NVDIMM_XEN_DSM_INVALID },        /* wraps */
        { 5, 0, NVDIMM_XEN_DSM_MAX_XFER + 1, NVDIMM_XEN_DSM_INVALID },
        { 6, 0, NVDIMM_XEN_DSM_MAX_XFER + 1, NVDIMM_XEN_DSM_INVALID },
    };

    store.writes = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Reply r = label_io(1, cases[i].func, cases[i].off, cases[i].len,
                           NULL, 0);

        g_assert_cmpuint(r.status, ==, cases[i].status);
        g_assert_cmpuint(r.len, ==, 8);
    }
    /* Read-only (unarmed) DIMM: no write reaches its labels. */
    g_assert_cmpuint(label_io(3, 6, 0, 16, "x", 1).status, ==,
                     NVDIMM_XEN_DSM_UNSUPPORTED);
    g_assert_cmpuint(label_io(3, 5, 0, 16, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_SUCCESS);
    g_assert_cmpuint(store.writes, ==, 0);
    /* Host I/O errors are hardware errors, not the guest's. */
    store.fail = true;
    g_assert_cmpuint(label_io(1, 5, 0, 16, NULL, 0).status, ==,
                     NVDIMM_XEN_DSM_HW_ERROR);
    g_assert_cmpuint(label_io(1, 6, 0, 16, "y", 1).status, ==,
                     NVDIMM_XEN_DSM_HW_ERROR);
    store.fail = false;
}

/* Exactly at the end of the label area: in; one byte more: out. */
static void test_label_boundary(void)
{
    struct {
        uint32_t func, off, len, status;
    } cases[] = {
        { 5, LABEL_SIZE - 16, 16, NVDIMM_XEN_DSM_SUCCESS },
        { 6, LABEL_SIZE - 16, 16, NVDIMM_XEN_DSM_SUCCESS },
        { 5, LABEL_SIZE - 16, 17, NVDIMM_XEN_DSM_INVALID },
        { 6, LABEL_SIZE - 16, 17, NVDIMM_XEN_DSM_INVALID },
        { 5, LABEL_SIZE, 0, NVDIMM_XEN_DSM_SUCCESS },
        { 5, LABEL_SIZE, 1, NVDIMM_XEN_DSM_INVALID },
        { 6, LABEL_SIZE + 1, 0, NVDIMM_XEN_DSM_INVALID },
        { 5, 0, NVDIMM_XEN_DSM_MAX_XFER, NVDIMM_XEN_DSM_SUCCESS },
        { 5, 1, NVDIMM_XEN_DSM_MAX_XFER + 1, NVDIMM_XEN_DSM_INVALID },
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
 * The store asserts every access stays inside the label area; call()
 * asserts every reply is well formed.
 */
static void test_hostile(void)
{
    const uint32_t values[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0x10000, 0xffffffff,
                                LABEL_SIZE, LABEL_SIZE - 1, LABEL_SIZE + 1,
                                NVDIMM_XEN_DSM_MAX_XFER,
                                NVDIMM_XEN_DSM_MAX_XFER + 1, 0x80000000 };
    GRand *rand = g_rand_new_with_seed(20261121);

    for (int i = 0; i < 200000; i++) {
        uint8_t in[NVDIMM_XEN_DSM_PAGE];
        uint8_t out[NVDIMM_XEN_DSM_PAGE];
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
        len = nvdimm_xen_dsm(in, dimms, ARRAY_SIZE(dimms), out);
        g_assert_cmpuint(len, >=, 8);
        g_assert_cmpuint(len, <=, sizeof(out));
        g_assert_cmpuint(ldl_le_p(out), ==, len);
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nvdimm-xen-dsm/functions", test_functions);
    g_test_add_func("/nvdimm-xen-dsm/label-size", test_label_size);
    g_test_add_func("/nvdimm-xen-dsm/label-rw", test_label_rw);
    g_test_add_func("/nvdimm-xen-dsm/label-refused", test_label_refused);
    g_test_add_func("/nvdimm-xen-dsm/label-boundary", test_label_boundary);
    g_test_add_func("/nvdimm-xen-dsm/hostile", test_hostile);
    return g_test_run();
}
