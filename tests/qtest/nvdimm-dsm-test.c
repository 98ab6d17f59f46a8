/*
 * QTest of the _DSM of QEMU's ACPI NVDIMM (-device nvdimm): the reply the
 * guest's AML reads back, byte for byte, for every function the root and
 * the DIMMs know and for input a guest must not be able to abuse.  It pins
 * down the guest ABI of hw/acpi/nvdimm.c (docs/specs/acpi_nvdimm.rst).
 *
 * The test plays the guest's AML: it writes the _DSM input to a page of
 * guest RAM and the page's address to the _DSM I/O port, then reads the
 * reply from the same page.  Label data lives at the end of the backing
 * file, where the test puts and finds it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/fw_cfg.h"

#define DSM_IO_PORT         0x0a18      /* NVDIMM_ACPI_IO_BASE */
#define DSM_PAGE            0x100000    /* any page of guest RAM */
#define DSM_PAGE_SIZE       4096
#define DSM_IN_ARG3         12          /* handle, revision, function */
#define ROOT_HANDLE         0
#define QEMU_ROOT_HANDLE    0x10000     /* QEMU's own root methods (_FIT) */
#define BACKEND_SIZE        (16 * MiB)
#define LABEL_SIZE          (128 * KiB)
/* The largest label transfer: a reply's 8 bytes, or the input's 12 + 8. */
#define MAX_XFER            (DSM_PAGE_SIZE - DSM_IN_ARG3 - 8)

enum {
    ST_SUCCESS = 0,
    ST_UNSUPPORTED = 1,
    ST_NO_DEVICE = 2,
    ST_INVALID = 3,
};

typedef struct Fixture {
    QTestState *qts;
    char *path;             /* backing file of DIMM 1, with labels */
    char *ro_path;          /* of DIMM 3: read-only, unarmed, with labels */
} Fixture;

/* A backing file with a recognisable pattern at its label area's start. */
static char *backing_file(void)
{
    g_autoptr(GError) err = NULL;
    uint8_t label[64];
    char *path;
    int fd;

    fd = g_file_open_tmp("nvdimm-dsm-test-XXXXXX", &path, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ftruncate(fd, BACKEND_SIZE), ==, 0);
    for (int i = 0; i < sizeof(label); i++) {
        label[i] = 0xa0 + i;
    }
    g_assert_cmpint(pwrite(fd, label, sizeof(label),
                           BACKEND_SIZE - LABEL_SIZE), ==, sizeof(label));
    close(fd);
    return path;
}

static void fixture_start(Fixture *f)
{
    f->path = backing_file();
    f->ro_path = backing_file();
    f->qts = qtest_initf(
        "-machine pc,nvdimm=on -m 128M,slots=3,maxmem=1G "
        "-object memory-backend-file,id=m1,share=on,mem-path=%s,size=%u "
        "-device nvdimm,id=nv1,memdev=m1,label-size=%u "
        "-object memory-backend-ram,id=m2,size=16M "
        "-device nvdimm,id=nv2,memdev=m2 "
        "-object memory-backend-file,id=m3,readonly=on,mem-path=%s,size=%u "
        "-device nvdimm,id=nv3,memdev=m3,label-size=%u,unarmed=on",
        f->path, (unsigned)BACKEND_SIZE, (unsigned)LABEL_SIZE,
        f->ro_path, (unsigned)BACKEND_SIZE, (unsigned)LABEL_SIZE);
}

static void fixture_stop(Fixture *f)
{
    qtest_quit(f->qts);
    unlink(f->path);
    unlink(f->ro_path);
    g_free(f->path);
    g_free(f->ro_path);
}

/*
 * Call the _DSM as the AML does; return the reply's payload after its
 * length (the status, then data) in *reply and its length as the result.
 */
static uint32_t dsm(Fixture *f, uint32_t handle, uint32_t revision,
                    uint32_t function, const void *arg3, size_t arg3_len,
                    uint8_t *reply)
{
    uint8_t in[DSM_PAGE_SIZE] = { 0 };
    uint32_t len;

    g_assert_cmpuint(DSM_IN_ARG3 + arg3_len, <=, sizeof(in));
    stl_le_p(in, handle);
    stl_le_p(in + 4, revision);
    stl_le_p(in + 8, function);
    if (arg3_len) {
        memcpy(in + DSM_IN_ARG3, arg3, arg3_len);
    }
    /* A stale reply must not pass for a fresh one. */
    qtest_memwrite(f->qts, DSM_PAGE, in, sizeof(in));
    qtest_outl(f->qts, DSM_IO_PORT, DSM_PAGE);

    len = qtest_readl(f->qts, DSM_PAGE);
    g_assert_cmpuint(len, >=, 8);
    g_assert_cmpuint(len, <=, DSM_PAGE_SIZE);
    qtest_memread(f->qts, DSM_PAGE + 4, reply, len - 4);
    return len;
}

/* A reply of a status alone: eight bytes, the length and the status. */
static void assert_status(Fixture *f, uint32_t handle, uint32_t revision,
                          uint32_t function, const void *arg3,
                          size_t arg3_len, uint32_t status)
{
    uint8_t reply[DSM_PAGE_SIZE];

    g_assert_cmpuint(dsm(f, handle, revision, function, arg3, arg3_len,
                         reply), ==, 8);
    g_assert_cmphex(ldl_le_p(reply), ==, status);
}

/* Function 0: the bitmap of the functions offered, eight bytes in all. */
static uint32_t functions(Fixture *f, uint32_t handle)
{
    uint8_t reply[DSM_PAGE_SIZE];

    g_assert_cmpuint(dsm(f, handle, 1, 0, NULL, 0, reply), ==, 8);
    return ldl_le_p(reply);
}

static void label_arg(uint8_t *arg, uint32_t offset, uint32_t length)
{
    stl_le_p(arg, offset);
    stl_le_p(arg + 4, length);
}

static void file_read(Fixture *f, off_t offset, void *buf, size_t len)
{
    int fd = open(f->path, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, offset), ==, len);
    close(fd);
}

/* The root: function 0 offers nothing; anything else is unsupported. */
static void test_root(void)
{
    Fixture f;

    fixture_start(&f);
    g_assert_cmphex(functions(&f, ROOT_HANDLE), ==, 0);
    for (uint32_t fn = 1; fn < 12; fn++) {
        assert_status(&f, ROOT_HANDLE, 1, fn, NULL, 0, ST_UNSUPPORTED);
    }
    assert_status(&f, ROOT_HANDLE, 1, UINT32_MAX, NULL, 0, ST_UNSUPPORTED);
    fixture_stop(&f);
}

/* Only revision 1 exists, for every handle and function. */
static void test_revision(void)
{
    static const uint32_t handles[] = {
        ROOT_HANDLE, 1, 2, 3, 4, QEMU_ROOT_HANDLE
    };
    static const uint32_t revisions[] = { 0, 2, UINT32_MAX };
    Fixture f;

    fixture_start(&f);
    for (int h = 0; h < ARRAY_SIZE(handles); h++) {
        for (int r = 0; r < ARRAY_SIZE(revisions); r++) {
            assert_status(&f, handles[h], revisions[r], 0, NULL, 0,
                          ST_UNSUPPORTED);
            assert_status(&f, handles[h], revisions[r], 4, NULL, 0,
                          ST_UNSUPPORTED);
        }
    }
    fixture_stop(&f);
}

/* The NFIT's structures, as ACPI's fw_cfg blob has them. */
static GByteArray *nfit_structures(Fixture *f)
{
    QFWCFG *fw_cfg = pc_fw_cfg_init(f->qts);
    g_autofree uint8_t *blob = g_malloc(1 * MiB);
    GByteArray *fit = NULL;
    size_t size = qfw_cfg_get_file(fw_cfg, "etc/acpi/tables", blob, 1 * MiB);

    g_assert_cmpuint(size, >, 0);
    g_assert_cmpuint(size, <, 1 * MiB);
    for (size_t i = 0; i + 40 <= size; i++) {
        uint32_t len = ldl_le_p(blob + i + 4);

        if (!memcmp(blob + i, "NFIT", 4) && len >= 40 && i + len <= size) {
            g_assert_null(fit);
            fit = g_byte_array_new();
            g_byte_array_append(fit, blob + i + 40, len - 40);
        }
    }
    pc_fw_cfg_uninit(fw_cfg);
    g_assert_nonnull(fit);
    return fit;
}

/* QEMU's root methods: Read FIT returns the NFIT's structures. */
static void test_read_fit(void)
{
    uint8_t reply[DSM_PAGE_SIZE];
    uint8_t arg[4];
    g_autoptr(GByteArray) fit = NULL;
    Fixture f;

    fixture_start(&f);
    fit = nfit_structures(&f);
    /* Three DIMMs: an SPA range, a region mapping and a control region each. */
    g_assert_cmpuint(fit->len, ==, 3 * (56 + 48 + 80));

    g_assert_cmphex(functions(&f, QEMU_ROOT_HANDLE), ==, 0x3);

    stl_le_p(arg, 0);
    g_assert_cmpuint(dsm(&f, QEMU_ROOT_HANDLE, 1, 1, arg, 4, reply), ==,
                     8 + fit->len);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmpmem(reply + 4, fit->len, fit->data, fit->len);

    /* From an offset inside, and from the end: the rest, or nothing. */
    stl_le_p(arg, 56);
    g_assert_cmpuint(dsm(&f, QEMU_ROOT_HANDLE, 1, 1, arg, 4, reply), ==,
                     8 + fit->len - 56);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmpmem(reply + 4, fit->len - 56, fit->data + 56, fit->len - 56);
    stl_le_p(arg, fit->len);
    assert_status(&f, QEMU_ROOT_HANDLE, 1, 1, arg, 4, ST_SUCCESS);

    /* Past the end, however far. */
    stl_le_p(arg, fit->len + 1);
    assert_status(&f, QEMU_ROOT_HANDLE, 1, 1, arg, 4, ST_INVALID);
    stl_le_p(arg, UINT32_MAX);
    assert_status(&f, QEMU_ROOT_HANDLE, 1, 1, arg, 4, ST_INVALID);

    assert_status(&f, QEMU_ROOT_HANDLE, 1, 2, NULL, 0, ST_UNSUPPORTED);
    assert_status(&f, QEMU_ROOT_HANDLE, 1, UINT32_MAX, NULL, 0,
                  ST_UNSUPPORTED);
    fixture_stop(&f);
}

/*
 * A DIMM with labels offers Get Label Size, Get and Set Label Data; one
 * without offers nothing; a handle without a DIMM answers "no device".
 */
static void test_dimm_functions(void)
{
    uint8_t reply[DSM_PAGE_SIZE];
    Fixture f;

    fixture_start(&f);
    g_assert_cmphex(functions(&f, 1), ==, 0x71);
    g_assert_cmpuint(dsm(&f, 1, 1, 4, NULL, 0, reply), ==, 16);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmphex(ldl_le_p(reply + 4), ==, LABEL_SIZE);
    g_assert_cmphex(ldl_le_p(reply + 8), ==, MAX_XFER);
    for (uint32_t fn = 1; fn < 12; fn++) {
        if (fn < 4 || fn > 6) {
            assert_status(&f, 1, 1, fn, NULL, 0, ST_UNSUPPORTED);
        }
    }

    g_assert_cmphex(functions(&f, 2), ==, 0);
    for (uint32_t fn = 1; fn < 12; fn++) {
        assert_status(&f, 2, 1, fn, NULL, 0, ST_UNSUPPORTED);
    }

    /* Read-only labels are offered all the same. */
    g_assert_cmphex(functions(&f, 3), ==, 0x71);

    g_assert_cmphex(functions(&f, 4), ==, 0);
    g_assert_cmphex(functions(&f, UINT32_MAX), ==, 0);
    for (uint32_t fn = 1; fn < 12; fn++) {
        assert_status(&f, 4, 1, fn, NULL, 0, ST_NO_DEVICE);
    }
    assert_status(&f, UINT32_MAX, 1, UINT32_MAX, NULL, 0, ST_NO_DEVICE);
    fixture_stop(&f);
}

/* Get Label Data: the bytes at the end of the backing file, in bounds. */
static void test_get_label_data(void)
{
    static const struct {
        uint32_t offset, length;
    } bad[] = {
        { LABEL_SIZE - 15, 16 },            /* one byte past the end */
        { LABEL_SIZE, 1 },
        { UINT32_MAX - 7, 16 },             /* offset + length wraps */
        { 16, UINT32_MAX - 15 },
        { 0, MAX_XFER + 1 },                /* more than a page holds */
    };
    uint8_t reply[DSM_PAGE_SIZE], want[MAX_XFER], arg[8];
    Fixture f;

    fixture_start(&f);
    file_read(&f, BACKEND_SIZE - LABEL_SIZE, want, sizeof(want));
    g_assert_cmphex(want[0], ==, 0xa0);

    label_arg(arg, 0, 16);
    g_assert_cmpuint(dsm(&f, 1, 1, 5, arg, 8, reply), ==, 8 + 16);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmpmem(reply + 4, 16, want, 16);

    label_arg(arg, 3, MAX_XFER - 3);
    g_assert_cmpuint(dsm(&f, 1, 1, 5, arg, 8, reply), ==, 8 + MAX_XFER - 3);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmpmem(reply + 4, MAX_XFER - 3, want + 3, MAX_XFER - 3);

    label_arg(arg, LABEL_SIZE - 16, 16);
    g_assert_cmpuint(dsm(&f, 1, 1, 5, arg, 8, reply), ==, 8 + 16);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);

    /* A read of no bytes (QEMU aborted on it). */
    label_arg(arg, 0, 0);
    assert_status(&f, 1, 1, 5, arg, 8, ST_SUCCESS);
    label_arg(arg, LABEL_SIZE, 0);
    assert_status(&f, 1, 1, 5, arg, 8, ST_SUCCESS);

    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        label_arg(arg, bad[i].offset, bad[i].length);
        assert_status(&f, 1, 1, 5, arg, 8, ST_INVALID);
    }
    fixture_stop(&f);
}

/* Set Label Data: written to the backing file, and nothing when refused. */
static void test_set_label_data(void)
{
    uint8_t arg[8 + 32], before[LABEL_SIZE], after[LABEL_SIZE];
    uint8_t reply[DSM_PAGE_SIZE];
    Fixture f;

    fixture_start(&f);
    label_arg(arg, 100, 32);
    memset(arg + 8, 0x5a, 32);
    assert_status(&f, 1, 1, 6, arg, sizeof(arg), ST_SUCCESS);
    file_read(&f, BACKEND_SIZE - LABEL_SIZE, after, sizeof(after));
    g_assert_cmphex(after[99], ==, 0);
    g_assert_cmphex(after[100], ==, 0x5a);
    g_assert_cmphex(after[131], ==, 0x5a);
    g_assert_cmphex(after[132], ==, 0);
    g_assert_cmphex(after[0], ==, 0xa0);

    /* The guest reads back what it wrote. */
    label_arg(arg, 100, 32);
    g_assert_cmpuint(dsm(&f, 1, 1, 5, arg, 8, reply), ==, 8 + 32);
    g_assert_cmpmem(reply + 4, 32, after + 100, 32);

    /* Refused writes, and a write of no bytes, change nothing. */
    memcpy(before, after, sizeof(before));
    label_arg(arg, 64, 0);
    assert_status(&f, 1, 1, 6, arg, 8, ST_SUCCESS);
    label_arg(arg, LABEL_SIZE - 31, 32);
    assert_status(&f, 1, 1, 6, arg, sizeof(arg), ST_INVALID);
    label_arg(arg, UINT32_MAX - 15, 32);
    assert_status(&f, 1, 1, 6, arg, sizeof(arg), ST_INVALID);
    label_arg(arg, 0, MAX_XFER + 1);
    assert_status(&f, 1, 1, 6, arg, sizeof(arg), ST_INVALID);
    assert_status(&f, 2, 1, 6, arg, sizeof(arg), ST_UNSUPPORTED);
    file_read(&f, BACKEND_SIZE - LABEL_SIZE, after, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), before, sizeof(before));

    /*
     * A read-only DIMM: its labels read, a write is not supported, and a
     * write outside the label area is invalid input first.
     */
    label_arg(arg, 0, 16);
    g_assert_cmpuint(dsm(&f, 3, 1, 5, arg, 8, reply), ==, 8 + 16);
    g_assert_cmphex(ldl_le_p(reply), ==, ST_SUCCESS);
    g_assert_cmphex(reply[4], ==, 0xa0);
    label_arg(arg, 0, 32);
    assert_status(&f, 3, 1, 6, arg, sizeof(arg), ST_UNSUPPORTED);
    label_arg(arg, LABEL_SIZE - 31, 32);
    assert_status(&f, 3, 1, 6, arg, sizeof(arg), ST_INVALID);
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/nvdimm-dsm/root", test_root);
    qtest_add_func("/nvdimm-dsm/revision", test_revision);
    qtest_add_func("/nvdimm-dsm/read-fit", test_read_fit);
    qtest_add_func("/nvdimm-dsm/dimm-functions", test_dimm_functions);
    qtest_add_func("/nvdimm-dsm/get-label-data", test_get_label_data);
    qtest_add_func("/nvdimm-dsm/set-label-data", test_set_label_data);
    return g_test_run();
}
