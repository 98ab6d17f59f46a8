/*
 * QTest for the xen-nvdimm device
 *
 * Runs on the pc machine under the qtest accelerator, where the device uses
 * its emulated host and hypervisor.  Every hypervisor call is traced; the
 * tests read the trace to check what was granted and mapped, and that all
 * of it was undone.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <sys/mount.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include "qemu/units.h"
#include "qemu/xxhash.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"

#define MACHINE         "-machine pc -accel qtest -m 256M -nodefaults "
#define BACKEND_SIZE    (64 * MiB)
#define LABEL_SIZE      (128 * KiB)
/* The data area: the backend less the labels, in whole 2 MiB pages. */
#define DATA_SIZE       (62 * MiB)
/* Room above RAM and the PCI holes left for hvmloader's 64-bit BARs. */
#define BAR_WINDOW      (256 * GiB)

typedef struct Fixture {
    char *dir;
    char *trace;
    char *img[2];
} Fixture;

/* A backing file of @size bytes, its bytes numbered so moves show. */
static char *make_backing(Fixture *f, int i, uint64_t size)
{
    g_autofree char *name = g_strdup_printf("pmem%d.img", i);
    char *path = g_build_filename(f->dir, name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    for (uint64_t off = 0; off < size; off += 1 * MiB) {
        uint64_t tag = 0x5eed000000000000ULL | off;
        g_assert_cmpint(pwrite(fd, &tag, sizeof(tag), off), ==, sizeof(tag));
    }
    close(fd);
    return path;
}

static Fixture *fixture_new(void)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = g_dir_make_tmp("xen-nvdimm-test-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->trace = g_build_filename(f->dir, "trace.log", NULL);
    f->img[0] = make_backing(f, 0, BACKEND_SIZE);
    f->img[1] = make_backing(f, 1, BACKEND_SIZE);
    return f;
}

/* A file of the emulated host's (badblocks, health) in the fixture. */
static char *fixture_file(Fixture *f, const char *name, const char *text)
{
    char *path = g_build_filename(f->dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* The fixture's directory goes, with whatever its test left in it. */
static void fixture_free(Fixture *f)
{
    GDir *dir = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(f->dir, name, NULL);

        g_assert_cmpint(unlink(path), ==, 0);
    }
    if (dir) {
        g_dir_close(dir);
    }
    g_assert_cmpint(rmdir(f->dir), ==, 0);
    g_free(f->trace);
    g_free(f->img[0]);
    g_free(f->img[1]);
    g_free(f->dir);
    g_free(f);
}

static uint64_t file_read64(const char *path, uint64_t off)
{
    uint64_t v;
    int fd = open(path, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, &v, sizeof(v), off), ==, sizeof(v));
    close(fd);
    return v;
}

/*
 * The emulated host's state (claims, slots, its secret) is this run's own,
 * apart from the real host's and from other tests'.
 */
static char *host_dir;

static char *host_path(const char *name)
{
    return g_build_filename(host_dir, name, NULL);
}

/*
 * The common part of a command line: the emulated host's directory, and
 * a trace of every xen-nvdimm event.
 */
static char *args_with_trace(Fixture *f, const char *args)
{
    return g_strdup_printf(MACHINE "-global xen-nvdimm-emu.x-emu-host-dir=%s "
                           "-trace enable=xen_nvdimm_*,file=%s %s",
                           host_dir, f->trace, args);
}

static QTestState *start(Fixture *f, const char *args)
{
    g_autofree char *full = args_with_trace(f, args);

    return qtest_init(full);
}

static uint64_t qom_get_uint(QTestState *qts, const char *path,
                             const char *prop)
{
    QDict *resp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                            " { 'path': %s, 'property': %s } }", path, prop);
    uint64_t v;

    g_assert_true(qdict_haskey(resp, "return"));
    v = qdict_get_int(resp, "return");
    qobject_unref(resp);
    return v;
}

/*
 * The trace of hypervisor calls, replayed: every grant and mapping that
 * succeeded must have been undone, no access may be revoked while a
 * mapping of those frames exists, and the emulated domain must not have
 * had to drop a mapping the device left behind.
 */
typedef struct CallLog {
    unsigned permits, maps, calls, failed, injected, realize_failed;
    unsigned maps_wb;       /* of maps: write-back (XEN_DMOP_map_pmem) */
    unsigned wb_offered;    /* write-back asked and not -EOPNOTSUPP */
    unsigned write_backs;   /* write-back frames unmapped, caches flushed */
    GArray *live_maps;      /* 3 x uint64: gfn, mfn, nr */
    GArray *live_perms;     /* 2 x uint64: mfn, nr */
    GHashTable *live_by_dev;    /* memdev name -> grants + maps in force */
} CallLog;

/* The memdev a trace line is about: "... <event> <memdev>: ...". */
static char *trace_dev(const char *event_args)
{
    const char *name = strchr(event_args, ' ') + 1;

    return g_strndup(name, strcspn(name, ":"));
}

static void count_live(CallLog *log, const char *event_args, int delta)
{
    char *dev = trace_dev(event_args);
    int n = GPOINTER_TO_INT(g_hash_table_lookup(log->live_by_dev, dev));

    g_hash_table_insert(log->live_by_dev, dev, GINT_TO_POINTER(n + delta));
}

static void remove_tuple(GArray *a, const uint64_t *t, unsigned n)
{
    for (guint i = 0; i < a->len; i += n) {
        if (!memcmp(&g_array_index(a, uint64_t, i), t, n * sizeof(*t))) {
            g_array_remove_range(a, i, n);
            return;
        }
    }
    g_assert_not_reached();
}

static CallLog read_call_log(Fixture *f)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    CallLog log = {
        .live_maps = g_array_new(false, false, sizeof(uint64_t)),
        .live_perms = g_array_new(false, false, sizeof(uint64_t)),
        .live_by_dev = g_hash_table_new_full(g_str_hash, g_str_equal,
                                             g_free, NULL),
    };

    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        uint64_t t[3];
        int flag, rc;
        const char *p;

        g_assert_null(strstr(*l, "xen_nvdimm_emu_stale_mapping"));
        if (strstr(*l, "xen_nvdimm_emu_fail ")) {
            log.injected++;
        }
        /* A failed realize undoes its own work before it returns. */
        p = strstr(*l, "xen_nvdimm_realize_failed ");
        if (p) {
            g_autofree char *dev = trace_dev(p);
            int live = GPOINTER_TO_INT(g_hash_table_lookup(log.live_by_dev,
                                                           dev));

            if (live) {
                g_printerr("%s: %d grants and mappings still live\n", *l,
                           live);
            }
            g_assert_cmpint(live, ==, 0);
            log.realize_failed++;
            continue;
        }
        p = strstr(*l, "xen_nvdimm_iomem_permission ");
        if (p) {
            g_assert_cmpint(sscanf(strchr(p, ':'), ": mfn %" SCNx64 " nr %"
                                   SCNx64 " allow %d rc %d", &t[0], &t[1],
                                   &flag, &rc), ==, 4);
            log.calls++;
            if (rc) {
                log.failed++;
                continue;
            }
            count_live(&log, p, flag ? 1 : -1);
            if (flag) {
                log.permits++;
                g_array_append_vals(log.live_perms, t, 2);
                continue;
            }
            /* No mapping may remain of frames whose access is revoked. */
            for (guint i = 0; i < log.live_maps->len; i += 3) {
                uint64_t mfn = g_array_index(log.live_maps, uint64_t, i + 1);
                uint64_t nr = g_array_index(log.live_maps, uint64_t, i + 2);

                if (mfn < t[0] + t[1] && t[0] < mfn + nr) {
                    g_printerr("%s: revoked while mfn 0x%" PRIx64 "+0x%" PRIx64
                               " is still mapped\n", *l, mfn, nr);
                }
                g_assert_false(mfn < t[0] + t[1] && t[0] < mfn + nr);
            }
            remove_tuple(log.live_perms, t, 2);
            continue;
        }
        if (strstr(*l, "xen_nvdimm_emu_write_back ")) {
            log.write_backs++;
        }
        p = strstr(*l, "xen_nvdimm_map_pmem_wb ");
        if (p) {
            g_assert_cmpint(sscanf(strchr(p, ':'), ": gfn %" SCNx64 " mfn %"
                                   SCNx64 " nr %" SCNx64 " rc %d",
                                   &t[0], &t[1], &t[2], &rc), ==, 4);
            /* A stock Xen does not know the operation: no call was made. */
            if (rc == -EOPNOTSUPP) {
                continue;
            }
            log.calls++;
            log.wb_offered++;
            if (rc) {
                log.failed++;
                continue;
            }
            count_live(&log, p, 1);
            log.maps++;
            log.maps_wb++;
            g_array_append_vals(log.live_maps, t, 3);
            continue;
        }
        p = strstr(*l, "xen_nvdimm_memory_mapping ");
        if (p) {
            g_assert_cmpint(sscanf(strchr(p, ':'), ": gfn %" SCNx64 " mfn %"
                                   SCNx64 " nr %" SCNx64 " add %d rc %d",
                                   &t[0], &t[1], &t[2], &flag, &rc), ==, 5);
            log.calls++;
            if (rc) {
                /* Only an injected fault may fail, never an unmap. */
                if (!flag) {
                    g_printerr("%s: an unmap failed\n", *l);
                }
                g_assert_true(flag);
                log.failed++;
                continue;
            }
            count_live(&log, p, flag ? 1 : -1);
            if (flag) {
                log.maps++;
                g_array_append_vals(log.live_maps, t, 3);
            } else {
                remove_tuple(log.live_maps, t, 3);
            }
        } else if (strstr(*l, "xen_nvdimm_max_gpfn ") ||
                   strstr(*l, "xen_nvdimm_machine_map ")) {
            log.calls++;
        }
    }
    return log;
}

static void assert_balanced(CallLog *log)
{
    g_assert_cmpuint(log->live_maps->len, ==, 0);
    g_assert_cmpuint(log->live_perms->len, ==, 0);
    g_array_unref(log->live_maps);
    g_array_unref(log->live_perms);
    g_hash_table_unref(log->live_by_dev);
}

/*
 * Start QEMU with @args and expect it to refuse to start with an error that
 * contains @expect.
 */
static void run_startup_error(Fixture *f, const char *args,
                              const char *expect)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *full = args_with_trace(f, args);
    /*
     * A QEMU that starts after all reads its monitor and quits (status 0),
     * however slowly it got there; the timeout is only for a hung one.
     */
    g_autofree char *cmd = g_strdup_printf(
        "echo '{\"execute\": \"qmp_capabilities\"} "
        "{\"execute\": \"quit\"}' | timeout -k 5 600 %s -display none "
        "-qmp stdio %s", qemu, full);
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    g_assert_nonnull(qemu);
    unlink(f->trace);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
                               &out, &err, &status, &gerr));
    if (g_test_verbose() || !strstr(err, expect)) {
        g_printerr("%s\n-> %s", cmd, err);
    }
    /* A clean exit with an error, not a crash. */
    g_assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) {
        g_printerr("QEMU started, but was expected to fail with: %s\n",
                   expect);
    }
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, expect));
    if (!g_file_test(f->trace, G_FILE_TEST_EXISTS)) {
        g_file_set_contents(f->trace, "", 0, NULL);
    }
}

/* The same, and return its trace. */
static CallLog assert_startup_error(Fixture *f, const char *args,
                                    const char *expect)
{
    run_startup_error(f, args, expect);
    return read_call_log(f);
}

/* The names of @type's properties, as ",a,b,...,". */
static char *device_props(QTestState *qts, const char *type)
{
    QDict *resp = qtest_qmp(qts, "{ 'execute': 'device-list-properties',"
                            "  'arguments': { 'typename': %s } }", type);
    GString *names = g_string_new(",");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(resp, "return"), e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));
        g_string_append_printf(names, "%s,", qdict_get_str(prop, "name"));
    }
    qobject_unref(resp);
    return g_string_free(names, false);
}

/*
 * Both types are there; the test hooks are the test type's alone, so
 * nothing of the emulated host can be set on the device Xen uses.
 */
static void test_device_listed(void)
{
    QTestState *qts = qtest_init(MACHINE);
    g_autofree char *dev = device_props(qts, "xen-nvdimm");
    g_autofree char *emu = device_props(qts, "xen-nvdimm-emu");
    const char *want[] = { "memdev", "addr", "label-size", "node", "unarmed",
                           "uuid", "cache", "size", "guest-address" };

    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        g_autofree char *name = g_strdup_printf(",%s,", want[i]);

        g_assert_nonnull(strstr(dev, name));
        g_assert_nonnull(strstr(emu, name));
    }
    g_assert_null(strstr(dev, ",x-emu-"));
    g_assert_nonnull(strstr(emu, ",x-emu-fail-call,"));
    g_assert_nonnull(strstr(emu, ",x-emu-host-dir,"));
    qtest_quit(qts);
}

/* What the guest writes at the device's address lands in the file. */
static void test_map_hits_file(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64,
        f->img[0], (uint64_t)LABEL_SIZE);
    QTestState *qts = start(f, args);
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    uint64_t offs[] = { 0, 8, 5 * MiB + 16, DATA_SIZE - 8 };
    CallLog log;

    g_assert_cmpuint(qom_get_uint(qts, "/machine/peripheral/nv0", "size"),
                     ==, DATA_SIZE);
    /* The file's own bytes show through at the guest address. */
    g_assert_cmphex(qtest_readq(qts, gpa + 3 * MiB), ==,
                    0x5eed000000000000ULL | 3 * MiB);
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
        qtest_writeq(qts, gpa + offs[i], 0xc0ffee0000000000ULL | offs[i]);
    }
    /* Nothing of the backend, labels included, is past the data area. */
    qtest_writeq(qts, gpa + DATA_SIZE, 0xbadULL);
    qtest_quit(qts);

    for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
        g_assert_cmphex(file_read64(f->img[0], offs[i]), ==,
                        0xc0ffee0000000000ULL | offs[i]);
    }
    g_assert_cmphex(file_read64(f->img[0], DATA_SIZE), ==,
                    0x5eed000000000000ULL | DATA_SIZE);
    g_assert_cmphex(file_read64(f->img[0], BACKEND_SIZE - 1 * MiB), ==,
                    0x5eed000000000000ULL | (BACKEND_SIZE - 1 * MiB));

    log = read_call_log(f);
    g_assert_cmpuint(log.permits, ==, 1);
    g_assert_cmpuint(log.maps, ==, 1);
    assert_balanced(&log);
    fixture_free(f);
}

/* Host pmem in many extents: each lands at its own offset. */
static void test_scattered_extents(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-extent-size=4M",
        f->img[0]);
    QTestState *qts = start(f, args);
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    CallLog log;

    for (uint64_t off = 4 * KiB; off < BACKEND_SIZE; off += 4 * MiB) {
        qtest_writeq(qts, gpa + off - 8, 0xfeed000000000000ULL | off);
        qtest_writeq(qts, gpa + off, 0xbeef000000000000ULL | off);
    }
    qtest_quit(qts);
    for (uint64_t off = 4 * KiB; off < BACKEND_SIZE; off += 4 * MiB) {
        g_assert_cmphex(file_read64(f->img[0], off - 8), ==,
                        0xfeed000000000000ULL | off);
        g_assert_cmphex(file_read64(f->img[0], off), ==,
                        0xbeef000000000000ULL | off);
    }
    log = read_call_log(f);
    g_assert_cmpuint(log.permits, ==, BACKEND_SIZE / (4 * MiB));
    g_assert_cmpuint(log.maps, ==, BACKEND_SIZE / (4 * MiB));
    assert_balanced(&log);
    fixture_free(f);
}

static char *qom_get_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *resp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                            " { 'path': %s, 'property': %s } }", path, prop);
    char *v;

    g_assert_true(qdict_haskey(resp, "return"));
    v = g_strdup(qdict_get_str(resp, "return"));
    qobject_unref(resp);
    return v;
}

typedef struct CacheCase {
    const char *name;
    const char *props;      /* appended to -device xen-nvdimm */
    const char *mapped;     /* what cache-mapped says */
    unsigned wb_offered;    /* calls Xen answered with other than ENOTSUP */
} CacheCase;

static const CacheCase cache_cases[] = {
    /* A stock Xen: auto falls back to today's uncached mapping. */
    { "stock-auto", ",x-emu-xen-wb=off", "uc", 0 },
    { "stock-uc", ",x-emu-xen-wb=off,cache=uc", "uc", 0 },
    /* The xen-nvdimm Xen (the emulated default): write-back, unless not. */
    { "patched-auto", "", "wb", 16 },
    { "patched-wb", ",cache=wb", "wb", 16 },
    { "patched-uc", ",cache=uc", "uc", 0 },
    /* Host memory only in the NFIT (QEMU's NVDIMM on the nested host). */
    { "patched-nfit", ",x-emu-host-memory=nfit", "wb", 16 },
    /* E820 type 12 is not persistent memory to Xen: refused, then UC. */
    { "patched-pram", ",x-emu-host-memory=pram", "uc", 1 },
};

/*
 * The memory type the guest's mapping gets, in extents of 4 MiB: what the
 * device asks Xen, what it reports, and that the guest's writes still land
 * in the backing file.  Unmapping write-back frames writes caches back.
 */
static void test_cache(const void *data)
{
    const CacheCase *c = data;
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-extent-size=4M%s",
        f->img[0], c->props);
    QTestState *qts = start(f, args);
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    g_autofree char *mapped = qom_get_str(qts, "/machine/peripheral/nv0",
                                          "cache-mapped");
    bool wb = !strcmp(c->mapped, "wb");
    CallLog log;

    g_assert_cmpstr(mapped, ==, c->mapped);
    for (uint64_t off = 0; off < DATA_SIZE; off += 4 * MiB) {
        qtest_writeq(qts, gpa + off + 8, 0xcac4e00000000000ULL | off);
    }
    qtest_quit(qts);
    for (uint64_t off = 0; off < DATA_SIZE; off += 4 * MiB) {
        g_assert_cmphex(file_read64(f->img[0], off + 8), ==,
                        0xcac4e00000000000ULL | off);
    }
    log = read_call_log(f);
    g_assert_cmpuint(log.maps, ==, BACKEND_SIZE / (4 * MiB));
    g_assert_cmpuint(log.maps_wb, ==, wb ? log.maps : 0);
    g_assert_cmpuint(log.wb_offered, ==, c->wb_offered);
    /* Each write-back extent was unmapped with a write-back, no other. */
    g_assert_cmpuint(log.write_backs, ==, log.maps_wb);
    assert_balanced(&log);
    fixture_free(f);
}

/* cache=wb where Xen will not: realize fails and says why, undone. */
static void test_cache_wb_refused(void)
{
    Fixture *f = fixture_new();
    const char *fmt = "-object memory-backend-xen-pmem,id=pm0,size=64M,"
                      "mem-path=%s "
                      "-device xen-nvdimm-emu,memdev=pm0,cache=wb%s";
    g_autofree char *stock = g_strdup_printf(fmt, f->img[0],
                                             ",x-emu-xen-wb=off");
    g_autofree char *pram = g_strdup_printf(fmt, f->img[0],
                                            ",x-emu-host-memory=pram");
    CallLog log;

    log = assert_startup_error(f, stock, "cache=wb: Xen refuses to map SPA");
    assert_balanced(&log);
    run_startup_error(f, stock, "no XEN_DMOP_map_pmem");
    log = assert_startup_error(f, pram, "Invalid argument");
    g_assert_cmpuint(log.wb_offered, ==, 1);
    g_assert_cmpuint(log.realize_failed, ==, 1);
    assert_balanced(&log);
    run_startup_error(f, pram, "E820 type 7 or the NFIT");
    fixture_free(f);
}

static void test_two_devices(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0 "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1,label-size=1M",
        f->img[0], f->img[1]);
    QTestState *qts = start(f, args);
    uint64_t gpa0 = qom_get_uint(qts, "/machine/peripheral/nv0",
                                 "guest-address");
    uint64_t gpa1 = qom_get_uint(qts, "/machine/peripheral/nv1",
                                 "guest-address");
    CallLog log;

    /* In command-line order, one after the other. */
    g_assert_cmphex(gpa1, ==, gpa0 + BACKEND_SIZE);
    qtest_writeq(qts, gpa0 + 1 * MiB, 0xaaaaULL);
    qtest_writeq(qts, gpa1 + 1 * MiB, 0xbbbbULL);
    qtest_quit(qts);
    g_assert_cmphex(file_read64(f->img[0], 1 * MiB), ==, 0xaaaaULL);
    g_assert_cmphex(file_read64(f->img[1], 1 * MiB), ==, 0xbbbbULL);
    log = read_call_log(f);
    g_assert_cmpuint(log.maps, ==, 2);
    assert_balanced(&log);
    fixture_free(f);
}

/*
 * The default address: the first congruent one above RAM, the PCI holes
 * and the BAR window; addr= overrides it.
 */
static void test_placement(void)
{
    Fixture *f = fixture_new();
    const char *mem[] = { "256M", "6G" };

    for (size_t i = 0; i < ARRAY_SIZE(mem); i++) {
        g_autofree char *args = g_strdup_printf(
            "-m %s -object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
            "-device xen-nvdimm-emu,id=nv0,memdev=pm0 "
            "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
            "-device xen-nvdimm-emu,id=nv1,memdev=pm1,addr=0x%" PRIx64,
            mem[i], f->img[0], f->img[1], (uint64_t)1 * TiB);
        QTestState *qts = start(f, args);
        uint64_t hole64_end = qom_get_uint(qts, "/machine/i440fx",
                                           "pci-hole64-end");
        uint64_t ram_end = i ? 4 * GiB + 6 * GiB - 3 * GiB : 0;
        uint64_t floor = ROUND_UP(MAX(MAX(4 * GiB, ram_end), hole64_end),
                                  1 * GiB) + BAR_WINDOW;

        g_assert_cmphex(qom_get_uint(qts, "/machine/peripheral/nv0",
                                     "guest-address"), ==, floor);
        g_assert_cmphex(qom_get_uint(qts, "/machine/peripheral/nv1",
                                     "guest-address"), ==, 1 * TiB);
        qtest_writeq(qts, 1 * TiB + 64, 0x1234ULL);
        qtest_quit(qts);
        g_assert_cmphex(file_read64(f->img[1], 64), ==, 0x1234ULL);
    }
    fixture_free(f);
}

/* A QMP response @resp: it must be a failure with exactly @desc. */
static void assert_qmp_fails(QDict *resp, const char *desc)
{
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "error"), "desc"),
                    ==, desc);
    qobject_unref(resp);
}

/*
 * Saving or migrating would lose the guest's pmem: all are refused, with
 * the reason.  A Xen toolstack enables dirty logging before it suspends
 * the guest: that is where its save or migration must fail.
 */
static void test_no_migration(void)
{
    static const char reason[] = "xen-nvdimm 'pm0': the guest has host "
        "persistent memory mapped directly; it cannot be saved or migrated";
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0", f->img[0]);
    g_autofree char *state = g_build_filename(f->dir, "state", NULL);
    g_autofree char *text = NULL;
    g_autofree char *said = NULL;
    QTestState *qts = start(f, args);
    QDict *resp;

    assert_qmp_fails(qtest_qmp(qts, "{ 'execute': 'xen-set-global-dirty-log',"
                               " 'arguments': { 'enable': true } }"), reason);
    resp = qtest_qmp(qts, "{ 'execute': 'xen-set-global-dirty-log',"
                     " 'arguments': { 'enable': false } }");
    g_assert_false(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    assert_qmp_fails(qtest_qmp(qts, "{ 'execute': 'migrate', 'arguments':"
                               " { 'uri': 'exec:cat >/dev/null' } }"), reason);
    said = qtest_hmp(qts, "savevm before");
    g_assert_nonnull(strstr(said, reason));
    resp = qtest_qmp(qts, "{ 'execute': 'xen-save-devices-state',"
                     " 'arguments': { 'filename': %s } }", state);
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    resp = qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments':"
                     " { 'driver': 'xen-nvdimm', 'memdev': 'pm0' } }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "error"), "desc"),
                    ==, "xen-nvdimm 'pm0': all 1 NVDIMM slots the guest has "
                    "are used");
    qobject_unref(resp);
    /* The refusals harmed nothing: the device still reaches its pmem. */
    qtest_writeq(qts, qom_get_uint(qts, "/machine/peripheral/nv0",
                                   "guest-address") + 8, 0x5a5aULL);
    qtest_quit(qts);
    g_assert_cmphex(file_read64(f->img[0], 8), ==, 0x5a5aULL);
    /* Refused by the device's pre_save (the QMP error is generic). */
    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "xen_nvdimm_save_refused pm0"));
    unlink(state);
    fixture_free(f);
}

/*
 * Publishing the tables for hvmloader: needs the xenstore stand-in that
 * devtools/check.sh starts (XENSTORED_PATH); the keys are read and
 * written with Debian's libxenstore clients.
 */
#define ACPI_GPA 0xfe000000ULL

/* Only these tests get the stand-in: the others must not publish. */
static char *xenstored_path;

static bool have_xenstore(void)
{
    if (!xenstored_path) {
        g_test_skip("no xenstore stand-in at XENSTORED_PATH");
        return false;
    }
    g_setenv("XENSTORED_PATH", xenstored_path, true);
    return true;
}

/*
 * Does a line of xenstore-ls -p give no domain but dom0 any access: "(n0)",
 * or "(n0,n0)" as QEMU's Xen backend ops write it (owner, then domain 0)?
 */
static bool xs_dom0_only(const char *line)
{
    const char *open = strrchr(line, '(');
    g_autofree char *list = NULL;
    g_auto(GStrv) entries = NULL;

    if (!open || !g_str_has_suffix(line, ")")) {
        return false;
    }
    list = g_strndup(open + 1, strlen(open + 1) - 1);
    entries = g_strsplit(list, ",", -1);
    for (char **e = entries; *e; e++) {
        if (strcmp(*e, "n0")) {
            return false;
        }
    }
    return entries[0] != NULL;
}

static char *xs(const char *cmd, const char *key, const char *value)
{
    const char *argv[] = { cmd, key, value, NULL };
    g_autoptr(GError) gerr = NULL;
    char *out = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &gerr));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_free(out);
        return NULL;
    }
    return g_strchomp(out);
}

static void xs_rm(const char *key)
{
    g_free(xs("xenstore-rm", key, NULL));
}

static uint64_t xs_read_u64(unsigned domid, const char *leaf)
{
    g_autofree char *key = g_strdup_printf(
        "/local/domain/%u/hvmloader/acpi/%s", domid, leaf);
    g_autofree char *v = xs("xenstore-read", key, NULL);

    g_assert_nonnull(v);
    return g_ascii_strtoull(v, NULL, 0);
}

static void xs_write_acpi(unsigned domid, uint64_t addr, uint64_t len)
{
    g_autofree char *ka = g_strdup_printf(
        "/local/domain/%u/hvmloader/acpi/address", domid);
    g_autofree char *kl = g_strdup_printf(
        "/local/domain/%u/hvmloader/acpi/length", domid);
    g_autofree char *va = g_strdup_printf("0x%" PRIx64, addr);
    g_autofree char *vl = g_strdup_printf("%" PRIu64, len);

    g_free(xs("xenstore-write", ka, va));
    g_free(xs("xenstore-write", kl, vl));
}

/* Check the tables in @blob are whole and checksummed; return their count. */
static int check_tables(const uint8_t *blob, size_t len, const char **sigs)
{
    int n = 0;

    for (size_t at = 0; at < len; n++) {
        uint32_t tlen = ldl_le_p(blob + at + 4);
        uint8_t sum = 0;

        g_assert_cmpuint(tlen, >=, 36);
        g_assert_cmpuint(tlen, <=, len - at);
        for (uint32_t i = 0; i < tlen; i++) {
            sum += blob[at + i];
        }
        g_assert_cmpuint(sum, ==, 0);
        if (sigs) {
            g_assert_cmpmem(blob + at, 4, sigs[n], 4);
        }
        at += tlen;
    }
    return n;
}

/* A minimal table: a header with signature @sig, checksummed. */
static void make_table(uint8_t *t, const char *sig, uint32_t len)
{
    uint8_t sum = 0;

    memset(t, 0, len);
    memcpy(t, sig, 4);
    stl_le_p(t + 4, len);
    t[8] = 1;
    memcpy(t + 10, "ADMIN ", 6);
    for (uint32_t i = 0; i < len; i++) {
        sum += t[i];
    }
    t[9] = -sum;
}

static void test_publish_acpi(void)
{
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree uint8_t *blob = NULL;
    const char *sigs[] = { "NFIT", "SSDT" };
    QTestState *qts;
    CallLog log;
    uint64_t len, gpa0, gpa1;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 21 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0 "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1", f->img[0], f->img[1]);
    qts = start(f, args);
    g_assert_cmphex(xs_read_u64(21, "address"), ==, ACPI_GPA);
    len = xs_read_u64(21, "length");
    blob = g_malloc(len);
    qtest_memread(qts, ACPI_GPA, blob, len);
    g_assert_cmpint(check_tables(blob, len, sigs), ==, 2);
    /* The NFIT's SPA ranges are where the devices are. */
    gpa0 = qom_get_uint(qts, "/machine/peripheral/nv0", "guest-address");
    gpa1 = qom_get_uint(qts, "/machine/peripheral/nv1", "guest-address");
    g_assert_cmphex(ldq_le_p(blob + 40 + 32), ==, gpa0);
    g_assert_cmphex(ldq_le_p(blob + 40 + 184 + 32), ==, gpa1);
    g_assert_nonnull(memmem(blob, len, "XNVR", 4));
    qtest_quit(qts);

    /* A second device model for the same domain must not stack on it. */
    log = assert_startup_error(f, args, "another device model has published");
    assert_balanced(&log);
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * The NFIT of two devices whose host memory has persistence domains @p0
 * and @p1 (NULL: the host says none) for domain @domid: its capabilities
 * word, or 0 if it has no Platform Capabilities structure.
 */
static uint32_t nfit_caps(Fixture *f, unsigned domid, const char *p0,
                          const char *p1)
{
    g_autofree char *prop0 = p0 ? g_strdup_printf(",x-emu-persistence=%s",
                                                  p0) : g_strdup("");
    g_autofree char *prop1 = p1 ? g_strdup_printf(",x-emu-persistence=%s",
                                                  p1) : g_strdup("");
    g_autofree char *args = g_strdup_printf("-xen-domid %u "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0%s "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1%s", domid, f->img[0],
        f->img[1], prop0, prop1);
    g_autofree uint8_t *blob = NULL;
    QTestState *qts = start(f, args);
    uint32_t nfit_len, caps = 0;
    uint64_t len;

    len = xs_read_u64(domid, "length");
    blob = g_malloc(len);
    qtest_memread(qts, ACPI_GPA, blob, len);
    qtest_quit(qts);
    nfit_len = ldl_le_p(blob + 4);
    g_assert_cmpmem(blob, 4, "NFIT", 4);
    /* Header, reserved dword, each DIMM's five structures: then caps. */
    if (nfit_len != 40 + 2 * 184) {
        const uint8_t *pc = blob + 40 + 2 * 184;

        g_assert_cmpuint(nfit_len, ==, 40 + 2 * 184 + 16);
        g_assert_cmpuint(lduw_le_p(pc), ==, 7);
        g_assert_cmpuint(lduw_le_p(pc + 2), ==, 16);
        caps = ldl_le_p(pc + 8);
        /* The highest capability bit defined: bit 1 (memory controller). */
        g_assert_cmpuint(pc[4], ==, 1);
    }
    return caps;
}

/*
 * The guest's NFIT says the host's persistence domain for the devices'
 * memory: the weakest of the two (ADR below eADR; nothing below both),
 * with QEMU's nvdimm-persistence bits, or no structure at all.
 */
static void test_nfit_persistence(void)
{
    g_autofree char *bad = NULL;
    Fixture *f;
    CallLog log;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    g_assert_cmphex(nfit_caps(f, 24, "cpu_cache", "cpu_cache"), ==, 3);
    g_assert_cmphex(nfit_caps(f, 25, "cpu_cache", "memory_controller"), ==,
                    2);
    g_assert_cmphex(nfit_caps(f, 26, "memory_controller", "cpu_cache"), ==,
                    2);
    g_assert_cmphex(nfit_caps(f, 27, "memory_controller", "none"), ==, 0);
    g_assert_cmphex(nfit_caps(f, 28, NULL, "cpu_cache"), ==, 0);
    bad = g_strdup_printf("-xen-domid 29 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-persistence=eadr",
        f->img[0]);
    log = assert_startup_error(f, bad, "xen-nvdimm 'pm0': x-emu-persistence "
                               "must be cpu_cache, memory_controller or "
                               "none, not 'eadr'");
    assert_balanced(&log);
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * The admin's own tables (xl acpi_firmware=) stay, first: guest RAM is a
 * file holding them where the toolstack would have put them.
 */
static void test_publish_acpi_merge(void)
{
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *ram = NULL;
    g_autofree uint8_t *blob = NULL;
    const char *sigs[] = { "TEST", "NFIT", "SSDT" };
    uint8_t admin[40];
    QTestState *qts;
    uint64_t len;
    int fd;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    ram = g_build_filename(f->dir, "ram.img", NULL);
    fd = open(ram, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(ftruncate(fd, 256 * MiB), ==, 0);
    make_table(admin, "TEST", sizeof(admin));
    g_assert_cmpint(pwrite(fd, admin, sizeof(admin), 32 * MiB), ==,
                    sizeof(admin));
    close(fd);
    xs_write_acpi(22, 32 * MiB, sizeof(admin));

    args = g_strdup_printf("-xen-domid 22 "
        "-object memory-backend-file,id=ram,size=256M,share=on,mem-path=%s "
        "-machine memory-backend=ram "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0", ram, f->img[0]);
    qts = start(f, args);
    g_assert_cmphex(xs_read_u64(22, "address"), ==, ACPI_GPA);
    len = xs_read_u64(22, "length");
    blob = g_malloc(len);
    qtest_memread(qts, ACPI_GPA, blob, len);
    g_assert_cmpint(check_tables(blob, len, sigs), ==, 3);
    g_assert_cmpmem(blob, sizeof(admin), admin, sizeof(admin));
    qtest_quit(qts);
    g_unsetenv("XENSTORED_PATH");
    unlink(ram);
    fixture_free(f);
}

/* The NFIT control region's serial number of a device on @img. */
static uint32_t nfit_serial(Fixture *f, const char *img, const char *props)
{
    g_autofree char *args = g_strdup_printf(
        "-xen-domid 23 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0%s", img, props);
    QTestState *qts = start(f, args);
    uint8_t dcr[80];
    uint32_t serial;

    /* Header, then the device's SPA range and memory device structures. */
    qtest_memread(qts, ACPI_GPA + 40 + 56 + 48, dcr, sizeof(dcr));
    qtest_quit(qts);
    xs_rm("/local/domain/23");
    g_assert_cmpuint(lduw_le_p(dcr), ==, 4);
    serial = ldl_le_p(dcr + 24);
    g_assert_cmphex(serial, !=, 0);
    return serial;
}

/*
 * uuid= gives the DIMM its identity; without it, the same configuration
 * keeps the same identity across restarts, and another backend gets
 * another.
 */
static void test_nfit_serial(void)
{
    const char *uuid1 = ",uuid=6e7d3c47-0a5b-4d7e-9a55-2d2e7d6d1a01";
    const char *uuid2 = ",uuid=6e7d3c47-0a5b-4d7e-9a55-2d2e7d6d1a02";
    g_autofree char *secret = host_path("serial.key");
    g_autofree char *saved = host_path("serial.key.saved");
    uint32_t serial, other;
    struct stat st;
    Fixture *f;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    g_assert_cmphex(nfit_serial(f, f->img[0], ""), ==,
                    nfit_serial(f, f->img[0], ""));
    g_assert_cmphex(nfit_serial(f, f->img[0], ""), !=,
                    nfit_serial(f, f->img[1], ""));
    g_assert_cmphex(nfit_serial(f, f->img[0], uuid1), ==,
                    nfit_serial(f, f->img[1], uuid1));
    g_assert_cmphex(nfit_serial(f, f->img[0], uuid1), !=,
                    nfit_serial(f, f->img[0], uuid2));
    /*
     * Without uuid=, the serial is keyed with the host's secret (root's
     * alone): another secret, another serial; the same, the same again.
     */
    g_assert_cmpint(stat(secret, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint(st.st_size, ==, 32);
    serial = nfit_serial(f, f->img[0], "");
    g_assert_cmpint(rename(secret, saved), ==, 0);
    other = nfit_serial(f, f->img[0], "");
    g_assert_cmpint(rename(saved, secret), ==, 0);
    g_assert_cmphex(other, !=, serial);
    g_assert_cmphex(nfit_serial(f, f->img[0], ""), ==, serial);
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/* Tables xenstore points to that are not whole tables, or too many. */
static void test_publish_acpi_refused(void)
{
    struct {
        unsigned domid;
        uint32_t len;           /* admin blob bytes */
        uint32_t header_len;    /* what its first header claims */
        const char *error;
    } cases[] = {
        { 23, 40, 4096, "are not whole tables" },
        { 24, 20, 20, "are not whole tables" },
        { 25, 6 * 36, 36, "8 ACPI tables (" },
    };

    if (!have_xenstore()) {
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Fixture *f = fixture_new();
        g_autofree char *ram = g_build_filename(f->dir, "ram.img", NULL);
        g_autofree char *args = NULL;
        g_autofree uint8_t *admin = g_malloc0(cases[i].len);
        CallLog log;
        int fd;

        for (uint32_t at = 0; at + 36 <= cases[i].len; at += 36) {
            make_table(admin + at, "TEST", 36);
        }
        if (cases[i].len >= 8) {
            stl_le_p(admin + 4, cases[i].header_len);
        }
        fd = open(ram, O_RDWR | O_CREAT | O_TRUNC, 0600);
        g_assert_cmpint(ftruncate(fd, 256 * MiB), ==, 0);
        g_assert_cmpint(pwrite(fd, admin, cases[i].len, 32 * MiB), ==,
                        cases[i].len);
        close(fd);
        xs_write_acpi(cases[i].domid, 32 * MiB, cases[i].len);
        args = g_strdup_printf("-xen-domid %u "
            "-object memory-backend-file,id=ram,size=256M,share=on,"
            "mem-path=%s -machine memory-backend=ram "
            "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
            "-device xen-nvdimm-emu,memdev=pm0", cases[i].domid, ram,
            f->img[0]);
        log = assert_startup_error(f, args, cases[i].error);
        assert_balanced(&log);
        unlink(ram);
        fixture_free(f);
    }
    g_unsetenv("XENSTORED_PATH");
}

/*
 * The _DSM page and its notify register, and the request the SSDT's AML
 * would write: {handle, revision, function, arguments}.
 */
#define DSM_GPA         0xfe400000ULL
#define NOTIFY_GPA      0xfe401000ULL
#define LABEL_BASE      (BACKEND_SIZE - LABEL_SIZE)

static void dsm_request(QTestState *qts, uint32_t handle, uint32_t function,
                        const void *arg, size_t arg_len)
{
    uint8_t req[4096] = { 0 };

    stl_le_p(req, handle);
    stl_le_p(req + 4, 1);
    stl_le_p(req + 8, function);
    g_assert_cmpuint(arg_len, <=, sizeof(req) - 12);
    memcpy(req + 12, arg, arg_len);
    qtest_memwrite(qts, DSM_GPA, req, sizeof(req));
}

/* Notify, then return the reply's length; its payload goes to @out. */
static uint32_t dsm_call(QTestState *qts, uint32_t handle, uint32_t function,
                         const void *arg, size_t arg_len, uint8_t *out)
{
    uint32_t len;

    dsm_request(qts, handle, function, arg, arg_len);
    qtest_writel(qts, NOTIFY_GPA, DSM_GPA);
    len = qtest_readl(qts, DSM_GPA);
    g_assert_cmpuint(len, >=, 8);
    g_assert_cmpuint(len, <=, 4096);
    qtest_memread(qts, DSM_GPA + 4, out, len - 4);
    return len;
}

/* Get (5) or set (6) @len label bytes at @off; returns the status. */
static uint32_t dsm_label(QTestState *qts, uint32_t handle, uint32_t function,
                          uint32_t off, uint32_t len, uint8_t *data)
{
    uint8_t arg[4084], out[4096];
    uint32_t rlen;

    stl_le_p(arg, off);
    stl_le_p(arg + 4, len);
    if (function == 6) {
        memcpy(arg + 8, data, MIN(len, sizeof(arg) - 8));
    }
    rlen = dsm_call(qts, handle, function, arg, sizeof(arg), out);
    if (function == 5 && !ldl_le_p(out)) {
        g_assert_cmpuint(rlen, ==, 8 + len);
        memcpy(data, out + 4, len);
    }
    return ldl_le_p(out);
}

/*
 * The root's _FIT reads the FIT with QEMU's reserved root _DSM (handle
 * 0x10000, function 1) in chunks: it must be the published NFIT's
 * structures exactly, since Linux takes _FIT over the NFIT.
 */
static void test_dsm_read_fit(void)
{
    g_autofree char *args = NULL;
    g_autofree uint8_t *blob = NULL;
    g_autoptr(GByteArray) fit = g_byte_array_new();
    uint8_t arg[4], out[4096];
    uint32_t nfit_len, rlen;
    QTestState *qts;
    Fixture *f;
    uint64_t len;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 44 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-persistence=cpu_cache "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-persistence=cpu_cache",
        f->img[0], f->img[1]);
    qts = start(f, args);
    len = xs_read_u64(44, "length");
    blob = g_malloc(len);
    qtest_memread(qts, ACPI_GPA, blob, len);
    g_assert_cmpmem(blob, 4, "NFIT", 4);
    nfit_len = ldl_le_p(blob + 4);
    g_assert_true(memmem(blob + nfit_len, len - nfit_len, "_FIT", 4));

    /* In steps of 100 bytes: a read may start anywhere. */
    for (uint32_t off = 0;; off += rlen - 8) {
        stl_le_p(arg, off);
        rlen = dsm_call(qts, 0x10000, 1, arg, sizeof(arg), out);
        g_assert_cmphex(ldl_le_p(out), ==, 0);
        if (rlen == 8) {
            break;
        }
        g_byte_array_append(fit, out + 4, MIN(rlen - 8, 100));
        rlen = 8 + MIN(rlen - 8, 100);
    }
    g_assert_cmpuint(fit->len, ==, nfit_len - 40);
    g_assert_cmpmem(fit->data, fit->len, blob + 40, nfit_len - 40);
    /* Past its end: invalid input, nothing read. */
    stl_le_p(arg, fit->len + 1);
    dsm_call(qts, 0x10000, 1, arg, sizeof(arg), out);
    g_assert_cmphex(ldl_le_p(out), ==, 3);
    qtest_quit(qts);
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/* How often @needle occurs in @len bytes at @hay. */
static unsigned count_mem(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    unsigned count = 0;

    for (size_t i = 0; i + n <= len; i++) {
        count += !memcmp(hay + i, needle, n);
    }
    return count;
}

/*
 * The admin's xen-nvdimm-root sets the slots: the SSDT has a child for
 * each (label methods only where a device with labels is), a device
 * beyond them is refused, and so are a count over 32 and a second root.
 */
static void test_root_slots(void)
{
    g_autofree char *args = NULL;
    g_autofree char *two = NULL;
    g_autofree uint8_t *blob = NULL;
    uint32_t nfit_len;
    QTestState *qts;
    Fixture *f;
    CallLog log;
    uint64_t len;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 45 "
        "-object xen-nvdimm-root,id=nvr,slots=3 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K",
        f->img[0]);
    qts = start(f, args);
    len = xs_read_u64(45, "length");
    blob = g_malloc(len);
    qtest_memread(qts, ACPI_GPA, blob, len);
    qtest_quit(qts);
    nfit_len = ldl_le_p(blob + 4);
    g_assert_cmpuint(count_mem(blob + nfit_len, len - nfit_len, "NV00"), ==, 1);
    g_assert_cmpuint(count_mem(blob + nfit_len, len - nfit_len, "NV01"), ==, 1);
    g_assert_cmpuint(count_mem(blob + nfit_len, len - nfit_len, "NV02"), ==, 1);
    g_assert_cmpuint(count_mem(blob + nfit_len, len - nfit_len, "NV03"), ==, 0);
    g_assert_cmpuint(count_mem(blob + nfit_len, len - nfit_len, "_LSI"), ==, 1);

    two = g_strdup_printf("-xen-domid 46 "
        "-object xen-nvdimm-root,id=nvr,slots=1 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0 "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1", f->img[0], f->img[1]);
    log = assert_startup_error(f, two, "xen-nvdimm 'pm1': all 1 slots of "
                               "xen-nvdimm-root are used");
    assert_balanced(&log);
    assert_startup_error(f, "-object xen-nvdimm-root,id=nvr,slots=33",
                         "xen-nvdimm-root: 'slots' must be at most 32");
    assert_startup_error(f, "-object xen-nvdimm-root,id=a "
                         "-object xen-nvdimm-root,id=b",
                         "a machine has one xen-nvdimm-root");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, len);
    close(fd);
}

/*
 * Labels through the _DSM: written to the end of the backing file, read
 * back, and every bad request answered with a status, nothing touched.
 */
static void test_dsm_labels(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64 " "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1",
        f->img[0], (uint64_t)LABEL_SIZE, f->img[1]);
    QTestState *qts = start(f, args);
    uint8_t out[4096], data[4076], back[4076];
    uint8_t before[4096], after[4096];

    /*
     * Function 0: the root has the scrub; NVDIMM 1 has 0, 4, 5, 6 (no
     * health without the host's); 2 none.
     */
    g_assert_cmpuint(dsm_call(qts, 0, 0, NULL, 0, out), ==, 8);
    g_assert_cmphex(ldl_le_p(out), ==, 0xf);
    dsm_call(qts, 1, 0, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out), ==, 0x71);
    dsm_call(qts, 2, 0, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out), ==, 0);

    /* Function 4: status, label area size, largest transfer. */
    g_assert_cmpuint(dsm_call(qts, 1, 4, NULL, 0, out), ==, 16);
    g_assert_cmpuint(ldl_le_p(out), ==, 0);
    g_assert_cmphex(ldl_le_p(out + 4), ==, LABEL_SIZE);
    g_assert_cmpuint(ldl_le_p(out + 8), ==, 4076);

    /* A full transfer at the end of the area lands at the end of the file. */
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = i * 7 + 3;
    }
    g_assert_cmpuint(dsm_label(qts, 1, 6, LABEL_SIZE - sizeof(data),
                               sizeof(data), data), ==, 0);
    file_read(f->img[0], BACKEND_SIZE - sizeof(data), back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    memset(back, 0, sizeof(back));
    g_assert_cmpuint(dsm_label(qts, 1, 5, LABEL_SIZE - sizeof(data),
                               sizeof(data), back), ==, 0);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    /* The start of the area is the file's, at backend size - label size. */
    g_assert_cmpuint(dsm_label(qts, 1, 5, 0, 8, back), ==, 0);
    g_assert_cmphex(ldq_le_p(back), ==, file_read64(f->img[0], LABEL_BASE));

    /* Hostile requests: status codes only, the file untouched. */
    file_read(f->img[0], LABEL_BASE, before, sizeof(before));
    g_assert_cmpuint(dsm_label(qts, 1, 6, LABEL_SIZE - 8, 16, data), ==, 3);
    g_assert_cmpuint(dsm_label(qts, 1, 6, 0xfffffff0, 0x20, data), ==, 3);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 8, 0xfffffff8, back), ==, 3);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 0, 4077, back), ==, 3);
    g_assert_cmpuint(dsm_label(qts, 2, 6, 0, 8, data), ==, 1);
    g_assert_cmpuint(dsm_label(qts, 3, 6, 0, 8, data), ==, 2);
    g_assert_cmpuint(dsm_call(qts, 1, 7, NULL, 0, out), ==, 8);
    g_assert_cmpuint(ldl_le_p(out), ==, 1);

    /*
     * A notify that is not the page's address, or not a 32-bit write, is
     * ignored: the request stays in the page.  The register reads 0.
     */
    dsm_request(qts, 1, 6, "\x00\x00\x00\x00\x08\x00\x00\x00whatever", 16);
    qtest_writel(qts, NOTIFY_GPA, DSM_GPA + 4096);
    qtest_writeb(qts, NOTIFY_GPA, DSM_GPA & 0xff);
    qtest_writel(qts, NOTIFY_GPA + 4, DSM_GPA);
    g_assert_cmpuint(qtest_readl(qts, DSM_GPA), ==, 1);
    g_assert_cmpuint(qtest_readl(qts, NOTIFY_GPA), ==, 0);
    qtest_quit(qts);

    file_read(f->img[0], LABEL_BASE, after, sizeof(after));
    g_assert_cmpmem(before, sizeof(before), after, sizeof(after));
    fixture_free(f);
}

/* An unarmed NVDIMM's labels can be read, not written. */
static void test_dsm_unarmed(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,unarmed=on,"
        "label-size=%" PRIu64,
        f->img[0], (uint64_t)LABEL_SIZE);
    uint64_t label = 0x1abe1000000000ffULL;
    uint8_t data[16] = "not to be kept";
    QTestState *qts;
    int fd;

    fd = open(f->img[0], O_WRONLY);
    g_assert_cmpint(pwrite(fd, &label, sizeof(label), LABEL_BASE), ==,
                    sizeof(label));
    close(fd);
    qts = start(f, args);
    g_assert_cmpuint(dsm_label(qts, 1, 6, 0, sizeof(data), data), ==, 1);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 0, 8, data), ==, 0);
    g_assert_cmphex(ldq_le_p(data), ==, label);
    qtest_quit(qts);
    g_assert_cmphex(file_read64(f->img[0], LABEL_BASE), ==, label);
    fixture_free(f);
}

/* Start QEMU under strace with @opts, its log in @log. */
static QTestState *start_straced(Fixture *f, const char *args,
                                 const char *opts, const char *log)
{
    g_autofree char *qemu = g_strdup(g_getenv("QTEST_QEMU_BINARY"));
    g_autofree char *traced = g_strdup_printf("strace -f -qq %s -o %s %s",
                                              opts, log, qemu);
    QTestState *qts;

    g_setenv("QTEST_QEMU_BINARY", traced, true);
    qts = start(f, args);
    g_setenv("QTEST_QEMU_BINARY", qemu, true);
    return qts;
}

/* How many lines of strace log @log name @what. */
static unsigned strace_count(const char *log, const char *what)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned n = 0;

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        n += !!strstr(*l, what);
    }
    return n;
}

/*
 * A label write is on the backend before the guest hears it succeeded:
 * QEMU runs under strace, which sees an fdatasync for each write and makes
 * the second fail.  That write and every later one must fail (a later
 * sync could succeed after the kernel dropped the data); reads still work.
 */
static void test_dsm_label_durable(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64,
        f->img[0], (uint64_t)LABEL_SIZE);
    g_autofree char *syscalls = g_build_filename(f->dir, "strace.log", NULL);
    uint8_t a[8] = "kept-it", b[8] = "lost-it", c[8] = "refused";
    uint8_t got[8];
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    QTestState *qts = start_straced(f, args,
                                    "-e trace=fdatasync "
                                    "-e inject=fdatasync:error=EIO:when=2",
                                    syscalls);
    unsigned syncs = 0;

    g_assert_cmpuint(dsm_label(qts, 1, 6, 0, 8, a), ==, 0);
    /* NVDIMM_DSM_HW_ERROR: the host's I/O failed. */
    g_assert_cmpuint(dsm_label(qts, 1, 6, 4096, 8, b), ==, 4);
    g_assert_cmpuint(dsm_label(qts, 1, 6, 8192, 8, c), ==, 4);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 0, 8, got), ==, 0);
    g_assert_cmpmem(got, 8, a, 8);
    /* Quit from inside: strace then exits as QEMU does. */
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'quit' }"));
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(syscalls, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (strstr(*l, "fdatasync(")) {
            syncs++;
            if (syncs == 2) {
                g_assert_nonnull(strstr(*l, "EIO"));
            }
        }
    }
    /* One per write that reached the backend; none after the failure. */
    if (syncs != 2) {
        g_printerr("strace saw %u label syncs:\n%s", syncs, text);
    }
    g_assert_cmpuint(syncs, ==, 2);
    file_read(f->img[0], LABEL_BASE, got, 8);
    g_assert_cmpmem(got, 8, a, 8);
    file_read(f->img[0], LABEL_BASE + 8192, got, 8);
    g_assert_cmpint(memcmp(got, c, 8), !=, 0);
    unlink(syscalls);
    fixture_free(f);
}

/*
 * Label reads and writes interrupted by a signal (every other pread and
 * pwrite fails with EINTR) are retried: the guest sees none of it.
 */
static void test_dsm_label_eintr(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64,
        f->img[0], (uint64_t)LABEL_SIZE);
    g_autofree char *log = g_build_filename(f->dir, "strace.log", NULL);
    g_autofree char *opts = g_strdup_printf(
        "-P %s -e trace=pread64,pwrite64 "
        "-e inject=pread64,pwrite64:error=EINTR:when=1+2", f->img[0]);
    QTestState *qts = start_straced(f, args, opts, log);
    uint8_t a[8] = "eintr-w", got[8];

    g_assert_cmpuint(dsm_label(qts, 1, 6, 64, 8, a), ==, 0);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 64, 8, got), ==, 0);
    g_assert_cmpmem(got, 8, a, 8);
    g_assert_cmpuint(dsm_label(qts, 1, 6, 128, 8, a), ==, 0);
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'quit' }"));
    qtest_quit(qts);
    /* Each label call was interrupted once, and retried. */
    g_assert_cmpuint(strace_count(log, "EINTR (Interrupted system call) "
                                  "(INJECTED)"), ==, 3);
    file_read(f->img[0], LABEL_BASE + 64, got, 8);
    g_assert_cmpmem(got, 8, a, 8);
    file_read(f->img[0], LABEL_BASE + 128, got, 8);
    g_assert_cmpmem(got, 8, a, 8);
    unlink(log);
    fixture_free(f);
}

/*
 * The label budget, through a backend whose every fdatasync takes 150 ms:
 * a burst of label writes is cut off once it has used its 200 ms; the
 * refusal is no failure (later writes work once the budget refills, at
 * 10% of the time), and a long idle time gives no bigger burst.
 */
static void test_dsm_label_budget(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64,
        f->img[0], (uint64_t)LABEL_SIZE);
    g_autofree char *log = g_build_filename(f->dir, "strace.log", NULL);
    QTestState *qts = start_straced(f, args,
                                    "-e trace=fdatasync "
                                    "-e inject=fdatasync:delay_exit=150000",
                                    log);
    uint8_t a[8] = "budget!", got[8];
    unsigned ok = 0, refused;

    /* A burst: the first write has the budget, the third never. */
    for (int i = 0; i < 3; i++) {
        ok += !dsm_label(qts, 1, 6, 8 * i, 8, a);
    }
    g_assert_cmpuint(ok, >=, 1);
    g_assert_cmpuint(ok, <=, 2);
    /* Refused writes were not tried: one sync per write that was. */
    g_assert_cmpuint(strace_count(log, "fdatasync("), ==, ok);
    /* Refused, not failed: after 10 s (more than a full refill) it works. */
    g_usleep(10 * G_USEC_PER_SEC);
    g_assert_cmpuint(dsm_label(qts, 1, 6, 64, 8, a), ==, 0);
    /* ... but the 10 s gave no more than the 200 ms burst. */
    for (refused = 0; refused == 0 && ok < 100; ok++) {
        refused = dsm_label(qts, 1, 6, 72, 8, a);
    }
    g_assert_cmpuint(refused, !=, 0);
    g_assert_cmpuint(dsm_label(qts, 1, 5, 64, 8, got), ==, 0);
    g_assert_cmpmem(got, 8, a, 8);
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'quit' }"));
    qtest_quit(qts);
    unlink(log);
    fixture_free(f);
}

/*
 * The host's guards (xen-nvdimm-host.c)
 */

/* Start ARS (2) over [addr, addr + len), or another root function. */
static uint32_t dsm_ars(QTestState *qts, uint32_t function, uint64_t addr,
                        uint64_t len, uint8_t *out)
{
    uint8_t arg[24] = { 0 };

    stq_le_p(arg, addr);
    stq_le_p(arg + 8, len);
    stw_le_p(arg + 16, 2);                  /* persistent memory */
    dsm_call(qts, 0, function, arg, sizeof(arg), out);
    return ldl_le_p(out);
}

/* Query ARS Status: the records' guest ranges, "ADDR+LEN ..." */
static char *dsm_ars_records(QTestState *qts, uint32_t handle)
{
    uint8_t out[4096];
    GString *recs = g_string_new("");
    uint32_t n;

    g_assert_cmphex(dsm_ars(qts, 3, 0, 0, out), ==, 0);
    n = ldl_le_p(out + 44);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *r = out + 48 + 24 * i;

        g_assert_cmpuint(ldl_le_p(r), ==, handle);
        g_string_append_printf(recs, "%s0x%" PRIx64 "+0x%" PRIx64,
                               i ? " " : "", ldq_le_p(r + 8),
                               ldq_le_p(r + 16));
    }
    return g_string_free(recs, false);
}

/* The status of GPE 4, in the piix4 GPE0 block (QEMU's pc machine, Xen). */
#define GPE0_STS        0xafe0
#define GPE4            0x10

/* Wait (60 s at most: a busy host) until the device raises GPE 4. */
static void wait_gpe4(QTestState *qts)
{
    for (int i = 0; i < 6000 && !(qtest_inb(qts, GPE0_STS) & GPE4); i++) {
        g_usleep(10 * 1000);
    }
    g_assert_cmphex(qtest_inb(qts, GPE0_STS) & GPE4, ==, GPE4);
    /* As the guest's ACPI code does: write 1 to clear. */
    qtest_outb(qts, GPE0_STS, GPE4);
}

/*
 * New media errors on the host reach a running guest without its asking:
 * once the guest has called a _DSM (its NFIT driver is there), a change of
 * the host's list raises GPE 4, and the notify register holds the media
 * event until the guest's _E04 reads it.  A change before that raises
 * nothing (the guest's first scrub will find it), and changes within a
 * second of the last GPE wait for the second to end.
 */
static void test_media_event(void)
{
    Fixture *f = fixture_new();
    g_autofree char *media = fixture_file(f, "media", "");
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-badblocks=%s",
        f->img[0], media);
    QTestState *qts = start(f, args);
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    g_autofree char *got = NULL;
    g_autofree char *want = NULL;
    uint8_t out[4096];
    int64_t first;

    /* Before the guest's first _DSM: nothing, for a while. */
    g_assert_true(g_file_set_contents(media, "8 8\n", -1, NULL));
    for (int i = 0; i < 50; i++) {
        g_usleep(10 * 1000);
        g_assert_cmphex(qtest_inb(qts, GPE0_STS) & GPE4, ==, 0);
    }
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 0);

    /* The guest's driver asks the root what it offers. */
    dsm_call(qts, 0, 0, NULL, 0, out);
    first = g_get_monotonic_time();
    g_assert_true(g_file_set_contents(media, "8 8\n40 8\n", -1, NULL));
    wait_gpe4(qts);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 2);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 0);
    /* Its scrub then finds both ranges. */
    g_assert_cmphex(dsm_ars(qts, 2, gpa, BACKEND_SIZE, out), ==, 0);
    got = dsm_ars_records(qts, 1);
    want = g_strdup_printf("0x%" PRIx64 "+0x1000 0x%" PRIx64 "+0x1000",
                           gpa + 0x1000, gpa + 0x5000);
    g_assert_cmpstr(got, ==, want);

    /* Another change at once, written in place: a second after the first. */
    {
        FILE *fp = fopen(media, "a");

        g_assert_nonnull(fp);
        fputs("24 8\n", fp);
        fclose(fp);
    }
    wait_gpe4(qts);
    g_assert_cmpint(g_get_monotonic_time() - first, >=, G_USEC_PER_SEC);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 2);

    /* A reset guest has no driver: nothing until it calls a _DSM again. */
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    g_assert_true(g_file_set_contents(media, "8 8\n", -1, NULL));
    for (int i = 0; i < 150; i++) {
        g_usleep(10 * 1000);
        g_assert_cmphex(qtest_inb(qts, GPE0_STS) & GPE4, ==, 0);
    }
    qtest_quit(qts);
    fixture_free(f);
}

/*
 * The FIT as the root's _FIT reads it: Read FIT (function 1 of the
 * reserved root _DSM) from offset 0 until an empty reply.
 */
static GByteArray *read_fit(QTestState *qts)
{
    GByteArray *fit = g_byte_array_new();
    uint8_t arg[4], out[4096];
    uint32_t rlen;

    do {
        stl_le_p(arg, fit->len);
        rlen = dsm_call(qts, 0x10000, 1, arg, sizeof(arg), out);
        g_assert_cmphex(ldl_le_p(out), ==, 0);
        g_byte_array_append(fit, out + 4, rlen - 8);
    } while (rlen > 8);
    return fit;
}

/*
 * Are all of @old's structures (type, length, bytes) in @new, each once,
 * as Linux requires of a FIT update?  Returns how many @new has besides.
 */
static unsigned fit_added(const GByteArray *old, const GByteArray *new)
{
    g_autofree bool *used = g_new0(bool, new->len);
    unsigned added = 0;

    for (uint32_t o = 0; o < old->len; o += lduw_le_p(old->data + o + 2)) {
        uint16_t len = lduw_le_p(old->data + o + 2);
        bool found = false;

        g_assert_cmpuint(len, >=, 4);
        for (uint32_t n = 0; n < new->len && !found;
             n += lduw_le_p(new->data + n + 2)) {
            found = !used[n] && lduw_le_p(new->data + n + 2) == len &&
                    !memcmp(old->data + o, new->data + n, len);
            used[n] |= found;
        }
        g_assert_true(found);
    }
    for (uint32_t n = 0; n < new->len; n += lduw_le_p(new->data + n + 2)) {
        added += !used[n];
    }
    return added;
}

/* device_add of a xen-nvdimm-emu, with the properties in @props if any. */
static QDict *device_add_nvdimm(QTestState *qts, const char *id,
                                const char *memdev, QDict *props)
{
    QDict *args = props ?: qdict_new();

    qdict_put_str(args, "driver", "xen-nvdimm-emu");
    qdict_put_str(args, "id", id);
    qdict_put_str(args, "memdev", memdev);
    return qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': %p }",
                     args);
}

static QDict *persistence(const char *domain)
{
    QDict *props = qdict_new();

    qdict_put_str(props, "x-emu-persistence", domain);
    return props;
}

static void object_add_backend(QTestState *qts, const char *id,
                               const char *path)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'object-add', 'arguments': {"
                             " 'qom-type': 'memory-backend-xen-pmem',"
                             " 'id': %s, 'size': 67108864, 'mem-path': %s"
                             " } }", id, path);
}

/* A QMP response @resp: it must be a success (else show the error). */
static void assert_qmp_ok(QDict *resp)
{
    if (qdict_haskey(resp, "error")) {
        g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                      "desc"), ==, "");
    }
    qobject_unref(resp);
}

/*
 * A running guest gets NVDIMMs in the root's free slots: each plug keeps
 * the FIT's old structures byte for byte (Linux rejects an update that
 * changes one) and adds the new device's, tells
 * a reader in the middle that the FIT changed, raises GPE 4 with the
 * hotplug event (the SSDT's _E04 notifies the root with 0x80), and maps
 * the backend like a device at start.  Refused, with nothing left behind:
 * a plug past the slots, a device with labels or weaker persistence than
 * the guest's NVDIMMs, an unplug, and a change of the slots.
 */
static void test_hotplug(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object xen-nvdimm-root,id=nvr,slots=3 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=128K,"
        "x-emu-persistence=memory_controller", f->img[0]);
    g_autofree char *img2 = make_backing(f, 2, BACKEND_SIZE);
    g_autofree char *img3 = make_backing(f, 3, BACKEND_SIZE);
    g_autoptr(GByteArray) fit0 = NULL;
    g_autoptr(GByteArray) fit1 = NULL;
    g_autoptr(GByteArray) fit2 = NULL;
    g_autoptr(GByteArray) fit_end = NULL;
    QTestState *qts = start(f, args);
    uint8_t arg[4] = { 0 }, out[4096];
    uint64_t gpa0, gpa1;
    QDict *props;
    CallLog log;

    fit0 = read_fit(qts);
    /* The guest's driver is there (it read the FIT through the _DSM). */
    object_add_backend(qts, "pm1", f->img[1]);
    object_add_backend(qts, "pm2", img2);
    object_add_backend(qts, "pm3", img3);

    /* Labels: the guest decided at boot which slots have them. */
    props = persistence("cpu_cache");
    qdict_put_int(props, "label-size", 128 * KiB);
    assert_qmp_fails(device_add_nvdimm(qts, "nvl", "pm1", props),
                     "xen-nvdimm 'pm1': a hot-plugged NVDIMM has no label "
                     "area: the guest learnt at boot which slots have one");
    /* Weaker than what the guest's NVDIMMs are: refused after the guards. */
    assert_qmp_fails(device_add_nvdimm(qts, "nvw", "pm1", NULL),
                     "xen-nvdimm 'pm1': the host's persistence domain of "
                     "this memory is 'none', but the guest's NVDIMMs are "
                     "'memory_controller': it cannot join them");

    /* A reader in the middle of the FIT learns that it changed. */
    stl_le_p(arg, 0);
    dsm_call(qts, 0x10000, 1, arg, sizeof(arg), out);
    assert_qmp_ok(device_add_nvdimm(qts, "nv1", "pm1",
                                    persistence("cpu_cache")));
    wait_gpe4(qts);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 1);
    stl_le_p(arg, 16);
    dsm_call(qts, 0x10000, 1, arg, sizeof(arg), out);
    g_assert_cmphex(ldl_le_p(out), ==, 0x100);

    /* SPA range, memory device to SPA map, control region: a DIMM's 3. */
    fit1 = read_fit(qts);
    g_assert_cmpuint(fit_added(fit0, fit1), ==, 3);

    /* It maps the backend like a device at start. */
    gpa0 = qom_get_uint(qts, "/machine/peripheral/nv0", "guest-address");
    gpa1 = qom_get_uint(qts, "/machine/peripheral/nv1", "guest-address");
    g_assert_cmphex(gpa1, >=, gpa0 + DATA_SIZE);
    qtest_writeq(qts, gpa1 + 4096, 0x5eed0f1u);
    g_assert_cmphex(file_read64(f->img[1], 4096), ==, 0x5eed0f1u);

    /* The third slot, then none. */
    assert_qmp_ok(device_add_nvdimm(qts, "nv2", "pm2",
                                    persistence("memory_controller")));
    wait_gpe4(qts);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 1);
    fit2 = read_fit(qts);
    g_assert_cmpuint(fit_added(fit1, fit2), ==, 3);
    assert_qmp_fails(device_add_nvdimm(qts, "nv3", "pm3",
                                       persistence("cpu_cache")),
                     "xen-nvdimm 'pm3': all 3 NVDIMM slots the guest has "
                     "are used");

    assert_qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_del', "
                               "'arguments': { 'id': 'nv1' } }"),
                     "xen-nvdimm 'pm1' cannot be unplugged: Linux rejects "
                     "a FIT that loses an NVDIMM, and the guest may be "
                     "using it");
    assert_qmp_fails(qtest_qmp(qts, "{ 'execute': 'qom-set', 'arguments': {"
                               " 'path': '/objects/nvr', 'property': 'slots',"
                               " 'value': 4 } }"),
                     "'slots' is fixed at start: the guest has read its "
                     "tables");

    /* The refusals changed nothing the guest sees. */
    fit_end = read_fit(qts);
    g_assert_cmpuint(fit_end->len, ==, fit2->len);
    g_assert_cmpmem(fit_end->data, fit_end->len, fit2->data, fit2->len);
    qtest_quit(qts);
    /* Nothing of the refused devices stayed mapped or permitted. */
    log = read_call_log(f);
    assert_balanced(&log);
    fixture_free(f);
}

/*
 * Without the admin's root, the guest has the slots of its devices at
 * start, and a plug says how to have more.
 */
static void test_hotplug_no_slot(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0", f->img[0]);
    QTestState *qts = start(f, args);

    object_add_backend(qts, "pm1", f->img[1]);
    assert_qmp_fails(device_add_nvdimm(qts, "nv1", "pm1", NULL),
                     "xen-nvdimm 'pm1': all 1 NVDIMM slots the guest has "
                     "are used");
    qtest_quit(qts);
    fixture_free(f);
}

/* The host's answers serve the guest for a second (xen-nvdimm-media.c). */
#define MEDIA_FRESH_US  G_USEC_PER_SEC

/* Wait until the device asks the host again. */
static void media_wait_stale(void)
{
    g_usleep(MEDIA_FRESH_US + MEDIA_FRESH_US / 10);
}

/*
 * What the emulated host knows of its media reaches the guest through
 * the _DSM: its bad sectors as guest ranges through the scrub, read anew
 * at a Start ARS, and its health through SMART, but the host is asked at
 * most once a second per device: a guest asking more often gets the last
 * answer.  A host that cannot tell gives an error status, and QEMU serves
 * on.
 */
static void test_dsm_media(void)
{
    Fixture *f = fixture_new();
    g_autofree char *media = fixture_file(f, "media", "40960 9\n");
    g_autofree char *health = fixture_file(f, "health",
                                           "health non-critical\n"
                                           "spares 64\nlife-used 7\n"
                                           "temperature 41\n"
                                           "shutdown-count 3\n"
                                           "shutdown-state clean\n");
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-extent-size=16M,"
        "x-emu-badblocks=%s,x-emu-health=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1",
        f->img[0], media, health, f->img[1]);
    QTestState *qts = start(f, args);
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    uint64_t gpa1 = qom_get_uint(qts, "/machine/peripheral/nv1",
                                 "guest-address");
    g_autofree char *want = NULL;
    g_autofree char *got = NULL;
    uint8_t out[4096];
    int64_t asked;

    /* The root offers the scrub; only nv0's host gives health. */
    dsm_call(qts, 0, 0, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out), ==, 0xf);
    dsm_call(qts, 1, 0, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out), ==, 0x3);
    dsm_call(qts, 2, 0, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out), ==, 0);
    g_assert_cmphex(dsm_ars(qts, 1, gpa, BACKEND_SIZE, out), ==, 0x20000);
    g_assert_cmpuint(ldl_le_p(out + 4), ==, 4080);
    g_assert_cmphex(dsm_ars(qts, 1, gpa, BACKEND_SIZE + 1, out), ==, 2);

    /* Nothing scrubbed yet; then the host's list, as guest ranges. */
    g_assert_cmphex(dsm_ars(qts, 3, 0, 0, out), ==, 0x20000);
    asked = g_get_monotonic_time();
    g_assert_cmphex(dsm_ars(qts, 2, gpa, BACKEND_SIZE, out), ==, 0);
    got = dsm_ars_records(qts, 1);
    want = g_strdup_printf("0x%" PRIx64 "+0x1200", gpa + 0x1400000);
    g_assert_cmpstr(got, ==, want);
    g_clear_pointer(&got, g_free);
    g_clear_pointer(&want, g_free);

    /* A scrub within the second gets the last answer. */
    g_assert_cmphex(dsm_ars(qts, 2, gpa, BACKEND_SIZE, out), ==, 0);
    if (g_get_monotonic_time() - asked < MEDIA_FRESH_US / 2) {
        g_autofree char *trace = NULL;

        g_assert_true(g_file_get_contents(f->trace, &trace, NULL, NULL));
        g_assert_nonnull(strstr(trace, "xen_nvdimm_media_reused pm0: "
                                "bad ranges"));
    }
    /*
     * Sectors that go bad later show at the next scrub, not before; the
     * host's list is watched, so that scrub asks the host again at once.
     */
    g_assert_true(g_file_set_contents(media, "40960 9\n0 1\n32767 2\n",
                                      -1, NULL));
    got = dsm_ars_records(qts, 1);
    g_assert_cmpuint(strlen(got), >, 0);
    g_assert_null(strchr(got, ' '));
    g_clear_pointer(&got, g_free);
    wait_gpe4(qts);
    g_assert_cmphex(qtest_readl(qts, NOTIFY_GPA), ==, 2);
    g_assert_cmphex(dsm_ars(qts, 2, gpa, BACKEND_SIZE, out), ==, 0);
    got = dsm_ars_records(qts, 1);
    /* Sectors 32767-32768 straddle two host extents: one guest range. */
    want = g_strdup_printf("0x%" PRIx64 "+0x200 0x%" PRIx64 "+0x400 "
                           "0x%" PRIx64 "+0x1200", gpa, gpa + 0xfffe00,
                           gpa + 0x1400000);
    g_assert_cmpstr(got, ==, want);
    g_clear_pointer(&got, g_free);
    /* nv1 has no bad sectors; a range across both is refused. */
    g_assert_cmphex(dsm_ars(qts, 2, gpa1, BACKEND_SIZE, out), ==, 0);
    got = dsm_ars_records(qts, 2);
    g_assert_cmpstr(got, ==, "");
    g_clear_pointer(&got, g_free);

    /* SMART: the host's values, read when asked. */
    asked = g_get_monotonic_time();
    g_assert_cmpuint(dsm_call(qts, 1, 1, NULL, 0, out), ==, 4 + 132);
    g_assert_cmpuint(ldl_le_p(out), ==, 0);
    g_assert_cmphex(ldl_le_p(out + 4), ==, 0x42f);
    g_assert_cmpuint(out[12], ==, 1);
    g_assert_cmpuint(out[13], ==, 64);
    g_assert_cmpuint(out[14], ==, 7);
    g_assert_cmpuint(lduw_le_p(out + 16), ==, 41 * 16);
    g_assert_cmpuint(ldl_le_p(out + 20), ==, 3);
    g_assert_cmpuint(out[35], ==, 0);
    g_assert_true(g_file_set_contents(health, "shutdown-count 4\n", -1,
                                      NULL));
    dsm_call(qts, 1, 1, NULL, 0, out);
    if (g_get_monotonic_time() - asked < MEDIA_FRESH_US / 2) {
        g_assert_cmphex(ldl_le_p(out + 4), ==, 0x42f);
        g_assert_cmpuint(ldl_le_p(out + 20), ==, 3);
    }
    media_wait_stale();
    dsm_call(qts, 1, 1, NULL, 0, out);
    g_assert_cmphex(ldl_le_p(out + 4), ==, 0x20);
    g_assert_cmpuint(ldl_le_p(out + 20), ==, 4);
    g_assert_cmpuint(dsm_call(qts, 2, 1, NULL, 0, out), ==, 8);
    g_assert_cmpuint(ldl_le_p(out), ==, 1);

    /*
     * Two DIMMs behind the backend: each field the worse of the two (30
     * degrees beats -40), the unsafe shutdowns added up.
     */
    g_assert_true(g_file_set_contents(health,
                                      "dimm\nhealth ok\nspares 90\n"
                                      "life-used 3\ntemperature -40\n"
                                      "shutdown-count 4\n"
                                      "shutdown-state clean\n"
                                      "dimm\nhealth critical\nspares 40\n"
                                      "life-used 1\ntemperature 30\n"
                                      "shutdown-count 7\n"
                                      "shutdown-state dirty\n", -1, NULL));
    media_wait_stale();
    dsm_call(qts, 1, 1, NULL, 0, out);
    g_assert_cmpuint(ldl_le_p(out), ==, 0);
    g_assert_cmphex(ldl_le_p(out + 4), ==, 0x42f);
    g_assert_cmpuint(out[12], ==, 2);
    g_assert_cmpuint(out[13], ==, 40);
    g_assert_cmpuint(out[14], ==, 3);
    g_assert_cmphex(lduw_le_p(out + 16), ==, 30 * 16);
    g_assert_cmpuint(ldl_le_p(out + 20), ==, 11);
    g_assert_cmpuint(out[35], ==, 1);
    /* One of them without SMART: nothing is known of the whole. */
    g_assert_true(g_file_set_contents(health, "dimm\nhealth ok\n"
                                      "dimm no-smart\n", -1, NULL));
    media_wait_stale();
    dsm_call(qts, 1, 1, NULL, 0, out);
    g_assert_cmpuint(ldl_le_p(out), ==, 4);

    /* The host cannot tell: error statuses, and QEMU goes on. */
    unlink(media);
    unlink(health);
    media_wait_stale();
    g_assert_cmphex(dsm_ars(qts, 2, gpa, BACKEND_SIZE, out), ==, 3);
    dsm_call(qts, 1, 1, NULL, 0, out);
    g_assert_cmpuint(ldl_le_p(out), ==, 4);
    qtest_writeq(qts, gpa, 0x600d);
    g_assert_cmphex(qtest_readq(qts, gpa), ==, 0x600d);
    qtest_quit(qts);
    fixture_free(f);
}

#define PM0_DEV(img, props) \
    "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=" img " " \
    "-device xen-nvdimm-emu,id=nv0,memdev=pm0" props

/* The host address the trace says the device's first extent has. */
static uint64_t traced_spa(Fixture *f)
{
    g_autofree char *text = NULL;
    const char *p;
    uint64_t spa;

    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    p = strstr(text, "xen_nvdimm_extent ");
    g_assert_nonnull(p);
    p = strstr(p, " spa ");
    g_assert_nonnull(p);
    spa = g_ascii_strtoull(p + 5, NULL, 16);
    g_assert_cmphex(spa, !=, 0);
    return spa;
}

/*
 * Host memory that is pmem in the NFIT only (QEMU's NVDIMM, as in the
 * nested Xen test), legacy pmem (E820 type 12), and known bad media (the
 * guest's scrub reports it), are all mapped.
 */
static void test_host_memory_accepted(void)
{
    const char *props[] = { ",x-emu-host-memory=nfit",
                            ",x-emu-host-memory=pram",
                            /* every kind of pmem, changing page by page */
                            ",x-emu-host-memory=pmem+pram@0x1000+"
                            "nfit@0x2000+pmem@0x3fff000",
                            ",x-emu-badblocks=%s" };

    for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
        Fixture *f = fixture_new();
        g_autofree char *media = fixture_file(f, "media", "0 1\n");
        g_autofree char *prop = g_strdup_printf(props[i], media);
        g_autofree char *args = g_strdup_printf(PM0_DEV("%s", "%s"),
                                                f->img[0], prop);
        QTestState *qts = start(f, args);
        uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                    "guest-address");
        CallLog log;

        qtest_writeq(qts, gpa + 1 * MiB, 0xacce97edULL);
        qtest_quit(qts);
        g_assert_cmphex(file_read64(f->img[0], 1 * MiB), ==, 0xacce97edULL);
        log = read_call_log(f);
        g_assert_cmpuint(log.maps, ==, 1);
        assert_balanced(&log);
        fixture_free(f);
    }
}

/*
 * Two QEMU processes on one backing file: the second is refused, naming
 * the first, which goes on serving its guest; another file is fine.
 */
static void test_claim_two_processes(void)
{
    Fixture *f = fixture_new();
    g_autofree char *first = g_strdup_printf(PM0_DEV("%s", ""), f->img[0]);
    g_autofree char *same = NULL;
    g_autofree char *other = g_strdup_printf(PM0_DEV("%s", ""), f->img[1]);
    g_autofree char *holder = NULL;
    g_autofree char *trace0 = g_strdup(f->trace);
    QTestState *qts = start(f, first);
    QTestState *qts2;
    uint64_t gpa = qom_get_uint(qts, "/machine/peripheral/nv0",
                                "guest-address");
    uint64_t spa = traced_spa(f);
    CallLog log;

    holder = g_strdup_printf("host memory 0x%" PRIx64 "..0x%" PRIx64
                             " (backend offset 0x0) is already mapped by "
                             "the device model of domain 0 (QEMU pid %d)",
                             spa, spa + BACKEND_SIZE - 1, qtest_pid(qts));
    /* The second run's trace goes elsewhere: the first still writes. */
    g_free(f->trace);
    f->trace = g_build_filename(f->dir, "trace2.log", NULL);
    same = g_strdup_printf(PM0_DEV("%s", ""), f->img[0]);
    log = assert_startup_error(f, same, holder);
    g_assert_cmpuint(log.calls, ==, 2);     /* machine map, gpfn; no grant */
    assert_balanced(&log);

    /* Another file maps while the first is still running. */
    qts2 = start(f, other);
    qtest_writeq(qts2, qom_get_uint(qts2, "/machine/peripheral/nv0",
                                    "guest-address"), 0x07e12ULL);
    qtest_quit(qts2);
    g_assert_cmphex(file_read64(f->img[1], 0), ==, 0x07e12ULL);

    /* The first guest's pmem is untouched and still its own. */
    qtest_writeq(qts, gpa + 2 * MiB, 0x57111a11ULL);
    g_assert_cmphex(qtest_readq(qts, gpa + 3 * MiB), ==,
                    0x5eed000000000000ULL | 3 * MiB);
    qtest_quit(qts);
    g_assert_cmphex(file_read64(f->img[0], 2 * MiB), ==, 0x57111a11ULL);

    /* Once the first has gone, the file is free again. */
    qts = start(f, same);
    qtest_quit(qts);
    unlink(trace0);
    fixture_free(f);
}

/*
 * Claims cover exactly each extent's host frames, every extent's: two
 * backends placed side by side both map; one that overlaps the other's
 * last extent by a single frame is refused, naming that frame.
 */
static void test_claim_placed(void)
{
    const uint64_t h = 0x200000000000ULL;
    const char *fmt =
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-host-address=0x%" PRIx64
        "%s";
    Fixture *f = fixture_new();
    /* Extents in reverse: backend offset 48M is at host address h. */
    g_autofree char *first = g_strdup_printf(fmt, f->img[0], h,
                                             ",x-emu-extent-size=16M");
    g_autofree char *above = g_strdup_printf(fmt, f->img[1],
                                             h + BACKEND_SIZE, "");
    g_autofree char *below = g_strdup_printf(fmt, f->img[1],
                                             h - BACKEND_SIZE, "");
    g_autofree char *overlap = g_strdup_printf(fmt, f->img[1],
                                               h - BACKEND_SIZE + 4 * KiB,
                                               "");
    g_autofree char *trace0 = g_strdup(f->trace);
    g_autofree char *holder = NULL;
    QTestState *qts = start(f, first);
    QTestState *qts2;

    g_free(f->trace);
    f->trace = g_build_filename(f->dir, "trace2.log", NULL);
    qts2 = start(f, above);
    qtest_quit(qts2);
    qts2 = start(f, below);
    qtest_quit(qts2);
    holder = g_strdup_printf("host memory 0x%" PRIx64 "..0x%" PRIx64
                             " (backend offset 0x3fff000) is already mapped "
                             "by the device model of domain 0 (QEMU pid %d)",
                             h, h + 4 * KiB - 1, qtest_pid(qts));
    run_startup_error(f, overlap, holder);
    qtest_quit(qts);
    unlink(trace0);
    fixture_free(f);
}

#define EMU_SLOT_BASE    (16 * TiB)
#define EMU_SLOT_COUNT   4080

/* The emulated host's slot by hash for @path, as QEMU computes it. */
static uint64_t emu_hash_slot(const char *path, struct stat *st)
{
    g_assert_cmpint(stat(path, st), ==, 0);
    return qemu_xxhash4(st->st_dev, st->st_ino) % EMU_SLOT_COUNT;
}

/*
 * Files that exist at once never share emulated host memory, whatever
 * their identities hash to: a file whose hash slot another existing file
 * holds takes the next, a slot whose file is gone is taken again, and a
 * file keeps its slot while it exists.
 */
static void test_emulated_slots(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args0 = g_strdup_printf(PM0_DEV("%s", ""), f->img[0]);
    g_autofree char *args1 = g_strdup_printf(PM0_DEV("%s", ""), f->img[1]);
    g_autofree char *text = NULL;
    g_autoptr(GString) keep = g_string_new("");
    g_auto(GStrv) lines = NULL;
    g_autofree char *slots = host_path("emulated-slots");
    struct stat st0, st1;
    uint64_t slot = emu_hash_slot(f->img[1], &st1);

    emu_hash_slot(f->img[0], &st0);
    /* Whatever the registry holds, less our files and img[1]'s slots. */
    if (g_file_get_contents(slots, &text, NULL, NULL)) {
        lines = g_strsplit(text, "\n", -1);
    }
    for (char **l = lines; l && *l && **l; l++) {
        uint64_t n, dev, ino;

        if (sscanf(*l, "%" SCNu64 " %" SCNu64 " %" SCNu64, &n, &dev,
                   &ino) == 3 && n != slot &&
            n != (slot + 1) % EMU_SLOT_COUNT &&
            !(dev == st0.st_dev && ino == st0.st_ino) &&
            !(dev == st1.st_dev && ino == st1.st_ino)) {
            g_string_append_printf(keep, "%s\n", *l);
        }
    }
    /* img[0] holds img[1]'s slot; a file that is gone holds the next. */
    g_string_append_printf(keep, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n"
                           "%" PRIu64 " 1 2 %s/gone.img\n",
                           slot, (uint64_t)st0.st_dev, (uint64_t)st0.st_ino,
                           f->img[0], (slot + 1) % EMU_SLOT_COUNT, f->dir);
    g_assert_true(g_file_set_contents(slots, keep->str, -1, NULL));
    g_assert_cmpint(chmod(slots, 0600), ==, 0);

    qtest_quit(start(f, args1));
    g_assert_cmphex(traced_spa(f), ==, EMU_SLOT_BASE +
                    (slot + 1) % EMU_SLOT_COUNT * TiB);
    qtest_quit(start(f, args0));
    g_assert_cmphex(traced_spa(f), ==, EMU_SLOT_BASE + slot * TiB);
    qtest_quit(start(f, args1));
    g_assert_cmphex(traced_spa(f), ==, EMU_SLOT_BASE +
                    (slot + 1) % EMU_SLOT_COUNT * TiB);
    fixture_free(f);
}

static void xs_write(const char *key, const char *value)
{
    g_autofree char *out = xs("xenstore-write", key, value);

    g_assert_nonnull(out);
}

/* Is process @pid there, and not a zombie? */
static bool process_lives(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *stat = NULL;
    const char *p;

    if (!g_file_get_contents(path, &stat, NULL, NULL)) {
        return false;
    }
    p = strrchr(stat, ')');
    return p && p[1] == ' ' && p[2] != 'Z';
}

/* The number after @key in the trace, once it is there (or 0). */
static uint64_t trace_wait_number(Fixture *f, const char *key)
{
    for (int i = 0; i < 600; i++) {
        g_autofree char *text = NULL;
        const char *p = NULL;

        if (g_file_get_contents(f->trace, &text, NULL, NULL)) {
            p = strstr(text, key);
        }
        if (p) {
            return g_ascii_strtoull(p + strlen(key), NULL, 0);
        }
        g_usleep(G_USEC_PER_SEC / 20);
    }
    return 0;
}

/*
 * A domain whose device model is gone still has its mappings: its
 * xenstore record blocks the host memory until the domain is gone (or its
 * domid belongs to another domain).
 */
static void test_claim_record(void)
{
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *range = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *record = NULL;
    g_autofree char *own = NULL;
    QTestState *qts;
    uint64_t spa;
    CallLog log;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 31 " PM0_DEV("%s", ""), f->img[0]);
    qts = start(f, args);
    qtest_quit(qts);
    spa = traced_spa(f);
    xs_rm("/local/domain/31");

    /* Domain 7 holds the second half of the data area. */
    range = g_strdup_printf("0x1000+0x1000 0x%" PRIx64 "+0x%" PRIx64,
                            spa + DATA_SIZE / 2, (uint64_t)2 * MiB);
    xs_write("/local/domain/7/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/nv3", range);
    expect = g_strdup_printf("host memory 0x%" PRIx64 "..0x%" PRIx64 " is "
                             "still mapped into domain 7 (xenstore /local/"
                             "domain/0/device-model/7/xen-nvdimm/nv3), whose "
                             "device model is gone; destroy that domain "
                             "first", spa + DATA_SIZE / 2,
                             spa + DATA_SIZE / 2 + 2 * MiB - 1);
    log = assert_startup_error(f, args, expect);
    g_assert_cmpuint(log.calls, ==, 2);     /* machine map, gpfn; no grant */
    assert_balanced(&log);

    /* Domain 7 is now another domain: the record is stale. */
    xs_write("/local/domain/7/vm", "/vm/5ca1ab1e");
    qts = start(f, args);
    qtest_quit(qts);
    xs_rm("/local/domain/31");
    /* Domain 7 is gone. */
    xs_write("/local/domain/7/vm", "/vm/0b5e55ed");
    xs_rm("/local/domain/7");
    qts = start(f, args);
    /* Our own record, while the device lives: exactly its host memory. */
    record = xs("xenstore-read",
                "/local/domain/0/device-model/31/xen-nvdimm/nv0", NULL);
    own = g_strdup_printf("0x%" PRIx64 "+0x%" PRIx64, spa,
                          (uint64_t)BACKEND_SIZE);
    g_assert_cmpstr(record, ==, own);
    qtest_quit(qts);
    log = read_call_log(f);
    assert_balanced(&log);
    /* ... and it went with the device. */
    g_assert_null(xs("xenstore-read",
                     "/local/domain/0/device-model/31/xen-nvdimm/nv0", NULL));
    xs_rm("/local/domain/0/device-model/7");
    xs_rm("/local/domain/31");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * When Xen will not unmap, the domain keeps its access and the claim
 * stays with it: the record outlives this QEMU and blocks the next one,
 * unless that one serves the same guest (the same "vm": a reboot).
 */
static void test_claim_kept(void)
{
    Fixture *f;
    g_autofree char *bad = NULL;
    g_autofree char *good = NULL;
    g_autofree char *same = NULL;
    g_autofree char *record = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) kept = NULL;
    pid_t guard;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    /* Calls: machine map, max gpfn, then grant and map per 16 MiB extent. */
    bad = g_strdup_printf("-xen-domid 32 "
                          PM0_DEV("%s", ",x-emu-extent-size=16M,"
                                  "x-emu-fail-call=9,x-emu-fail-unmap=on"),
                          f->img[0]);
    good = g_strdup_printf("-xen-domid 33 " PM0_DEV("%s", ""), f->img[0]);
    xs_write("/local/domain/32/vm", "/vm/4b1d");
    run_startup_error(f, bad, "xen-nvdimm 'pm0': the domain keeps access "
                         "to host memory it could not be made to give back; "
                         "the claim on it stays until the domain is "
                         "destroyed");
    /* Three extents were mapped and stay so: none had its access revoked. */
    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    g_assert_null(strstr(text, "allow 0 rc 0"));
    g_assert_nonnull(strstr(text, "xen_nvdimm_claim_kept "));
    record = xs("xenstore-read",
                "/local/domain/0/device-model/32/xen-nvdimm/nv0", NULL);
    g_assert_nonnull(record);
    kept = g_strsplit(record, " ", -1);
    g_assert_cmpuint(g_strv_length(kept), ==, 1);   /* 4 extents, in a row */

    /* Its guardian holds the lock for the live domain 32. */
    guard = trace_wait_number(f, "xen_nvdimm_guard pm0: guardian pid ");
    g_assert_true(process_lives(guard));
    assert_startup_error(f, good, "is already mapped by the device model of "
                         "domain 32");
    /* Should the guardian die too, the record stands alone. */
    g_assert_cmpint(kill(guard, SIGKILL), ==, 0);
    for (int i = 0; i < 3000 && process_lives(guard); i++) {
        g_usleep(G_USEC_PER_SEC / 100);
    }
    g_assert_false(process_lives(guard));
    assert_startup_error(f, good, "is still mapped into domain 32");
    xs_write("/local/domain/33/vm", "/vm/0da");
    assert_startup_error(f, good, "is still mapped into domain 32");
    /* A second device model of domain 32 would overwrite the record. */
    same = g_strdup_printf("-xen-domid 32 " PM0_DEV("%s", ""), f->img[0]);
    assert_startup_error(f, same, "is still mapped into domain 32");
    /* Domain 33 is the same guest, rebooted: its own leftovers. */
    xs_write("/local/domain/33/vm", "/vm/4b1d");
    qtest_quit(start(f, good));
    g_free(text);
    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "xen_nvdimm_claim_own pm0: "
                            "/local/domain/0/device-model/32/xen-nvdimm/nv0"));
    xs_rm("/local/domain/33");
    /* The domain is destroyed: the toolstack removes its directories. */
    xs_rm("/local/domain/32");
    xs_rm("/local/domain/0/device-model/32");
    qtest_quit(start(f, good));
    xs_rm("/local/domain/33");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

static gint str_ptr_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The host ranges of the traced extents, "0xSTART+0xSIZE", sorted. */
static GPtrArray *traced_ranges(Fixture *f)
{
    g_autofree char *text = NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *p;

    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    for (p = text; (p = strstr(p, "xen_nvdimm_extent ")); p++) {
        uint64_t spa, size;

        p = strstr(p, " spa ");
        spa = g_ascii_strtoull(p + 5, NULL, 16);
        p = strstr(p, " size ");
        size = g_ascii_strtoull(p + 6, NULL, 16);
        g_ptr_array_add(out, g_strdup_printf("0x%" PRIx64 "+0x%" PRIx64,
                                             spa, size));
    }
    g_ptr_array_sort(out, str_ptr_cmp);
    return out;
}

/*
 * A device whose host memory is in many pieces with gaps between: its
 * record names exactly those pieces (64 a key, the rest in sub-keys), never
 * the gaps, so another tenant's memory there is not refused; the record
 * is dom0's alone; and a record of another domain is found in a sub-key.
 */
static void test_claim_record_ranges(void)
{
    const char *dir = "/local/domain/0/device-model/34/xen-nvdimm";
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *args2 = NULL;
    g_autofree char *perms = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GPtrArray) recorded = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) mapped = NULL;
    g_autofree char *gap = NULL;
    g_autofree char *expect = NULL;
    QTestState *qts;
    uint64_t spa, end;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    /* 256 extents of 256 KiB, 4 KiB of host memory between each two. */
    args = g_strdup_printf("-xen-domid 34 "
                           PM0_DEV("%s", ",x-emu-extent-size=256K,"
                                   "x-emu-extent-gap=4K"), f->img[0]);
    /* A toolstack that lets the guest read its device model's directory. */
    xs_write("/local/domain/0/device-model/34", "");
    g_free(xs("xenstore-chmod", "/local/domain/0/device-model/34", "r34"));
    qts = start(f, args);
    for (unsigned i = 0; i < 5; i++) {
        g_autofree char *key = i ? g_strdup_printf("%s/nv0/%u", dir, i) :
                                   g_strdup_printf("%s/nv0", dir);
        g_autofree char *text = xs("xenstore-read", key, NULL);
        g_auto(GStrv) words = NULL;

        if (i == 4) {
            g_assert_null(text);
            break;
        }
        g_assert_nonnull(text);
        words = g_strsplit(text, " ", -1);
        g_assert_cmpuint(g_strv_length(words), ==, 64);
        for (char **w = words; *w; w++) {
            g_ptr_array_add(recorded, g_strdup(*w));
        }
    }
    /* The record, every key of it, is dom0's alone. */
    perms = xs("xenstore-ls", "-p", dir);
    g_assert_nonnull(perms);
    lines = g_strsplit(perms, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 1 + 1 + 3);  /* vm, nv0/1-3 */
    for (char **l = lines; *l; l++) {
        g_assert_true(xs_dom0_only(*l));
    }
    g_free(perms);
    perms = xs("xenstore-ls", "-p", "/local/domain/0/device-model/34");
    g_assert_true(g_str_has_prefix(perms, "xen-nvdimm = "));
    *strchrnul(perms, '\n') = 0;
    g_assert_true(xs_dom0_only(perms));
    qtest_quit(qts);
    xs_rm("/local/domain/34");
    mapped = traced_ranges(f);
    g_ptr_array_sort(recorded, str_ptr_cmp);
    g_assert_cmpuint(recorded->len, ==, 256);
    g_assert_cmpuint(mapped->len, ==, 256);
    for (guint i = 0; i < mapped->len; i++) {
        g_assert_cmpstr(recorded->pdata[i], ==, mapped->pdata[i]);
    }

    /* Domain 7 lives and holds a gap between two of our extents: no clash. */
    spa = g_ascii_strtoull(mapped->pdata[0], NULL, 16);
    end = spa + 256 * KiB;
    gap = g_strdup_printf("0x%" PRIx64 "+0x1000", end);
    xs_write("/local/domain/7/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/nv5", gap);
    qtest_quit(start(f, args));
    xs_rm("/local/domain/34");
    /* ... and one of our extents, in a sub-key: refused. */
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/nv5/2",
             mapped->pdata[1]);
    args2 = g_strdup_printf("-xen-domid 36 "
                            PM0_DEV("%s", ",x-emu-extent-size=256K,"
                                    "x-emu-extent-gap=4K"), f->img[0]);
    expect = g_strdup_printf("is still mapped into domain 7 (xenstore "
                             "/local/domain/0/device-model/7/xen-nvdimm/nv5)");
    assert_startup_error(f, args2, expect);
    xs_rm("/local/domain/0/device-model/7");
    xs_rm("/local/domain/7");
    xs_rm("/local/domain/0/device-model/34");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * libxl destroys the domain without waiting for the device model: then
 * the unmaps fail for want of a domain, and nothing is left to hold.  The
 * claim goes, and the next guest gets the memory.
 */
static void test_claim_domain_gone(void)
{
    const char *key = "/local/domain/0/device-model/35/xen-nvdimm/nv0";
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *next = NULL;
    g_autofree char *text = NULL;
    g_autofree char *record = NULL;
    QTestState *qts;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 35 "
                           PM0_DEV("%s", ",x-emu-extent-size=16M,"
                                   "x-emu-domain-gone=on"), f->img[0]);
    next = g_strdup_printf("-xen-domid 37 " PM0_DEV("%s", ""), f->img[0]);
    xs_write("/local/domain/35/vm", "/vm/d0e5");
    qts = start(f, args);
    record = xs("xenstore-read", key, NULL);
    g_assert_nonnull(record);
    qtest_quit(qts);
    g_assert_true(g_file_get_contents(f->trace, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "xen_nvdimm_domain_gone pm0: errno 3"));
    g_assert_nonnull(strstr(text, "xen_nvdimm_claim_released pm0"));
    g_assert_null(strstr(text, "xen_nvdimm_claim_kept"));
    g_assert_null(xs("xenstore-read", key, NULL));
    /* The domain is still listed (its destruction is under way). */
    qtest_quit(start(f, next));
    xs_rm("/local/domain/35");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * xenstore errors while reading other domains' records fail the start
 * cleanly, however many of them there are.
 */
static void test_claim_xenstore_errors(void)
{
    const char *fails[][2] = {
        { "/local/domain/7", "cannot read the claims of other domains: "
          "cannot read xenstore /local/domain/7: Permission denied" },
        { "/local/domain/0/device-model/7/xen-nvdimm/nv",
          "cannot read the claims of other domains: cannot read xenstore "
          "/local/domain/0/device-model/7/xen-nvdimm/nv3: Permission "
          "denied" },
    };
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *range = NULL;
    CallLog log;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 38 " PM0_DEV("%s", ""), f->img[0]);
    qtest_quit(start(f, args));
    range = g_strdup_printf("0x%" PRIx64 "+0x1000", traced_spa(f));
    xs_write("/local/domain/7/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/vm", "/vm/0b5e55ed");
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/nv3", range);
    xs_write("/local/domain/0/device-model/7/xen-nvdimm/nv4", range);
    /* Another domain's records, read after domain 7's. */
    xs_write("/local/domain/8/vm", "/vm/8");
    xs_write("/local/domain/0/device-model/8/xen-nvdimm/vm", "/vm/8");
    xs_write("/local/domain/0/device-model/8/xen-nvdimm/nv0", range);
    for (size_t i = 0; i < ARRAY_SIZE(fails); i++) {
        xs_write("/standin/fail-prefix", fails[i][0]);
        log = assert_startup_error(f, args, fails[i][1]);
        assert_balanced(&log);
        xs_rm("/standin");
    }
    xs_rm("/local/domain/0/device-model/7");
    xs_rm("/local/domain/7");
    xs_rm("/local/domain/0/device-model/8");
    xs_rm("/local/domain/8");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/*
 * QEMU killed while its domain lives: the guardian keeps the device's
 * claim (its lock, which names the dead QEMU) until the domain is gone,
 * then lets go, and the memory can be had again.
 */
static void test_guard_outlives_qemu(void)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    Fixture *f;
    g_autofree char *args = NULL;
    g_autofree char *full = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *next = NULL;
    g_autofree char *holder = NULL;
    g_auto(GStrv) argv = NULL;
    GPid pid;
    pid_t guard;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    args = g_strdup_printf("-xen-domid 41 " PM0_DEV("%s", ""), f->img[0]);
    full = args_with_trace(f, args);
    cmd = g_strdup_printf("%s -display none %s", qemu, full);
    xs_write("/local/domain/41/vm", "/vm/9a4d");
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
    guard = trace_wait_number(f, "xen_nvdimm_guard pm0: guardian pid ");
    g_assert_cmpint(guard, >, 0);
    g_assert_cmpuint(trace_wait_number(f, "xen_nvdimm_realized pm0: "), ==,
                     1);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
    g_spawn_close_pid(pid);
    g_assert_true(process_lives(guard));

    /* The dead QEMU's lock, held by its guardian, refuses the memory. */
    holder = g_strdup_printf("is already mapped by the device model of "
                             "domain 41 (QEMU pid %d)", pid);
    g_free(f->trace);
    f->trace = g_build_filename(f->dir, "trace2.log", NULL);
    next = g_strdup_printf("-xen-domid 42 " PM0_DEV("%s", ""), f->img[0]);
    assert_startup_error(f, next, holder);

    /*
     * The toolstack destroys the domain and starts the next at once: the
     * next device model waits the moment the guardian takes to let go.
     */
    xs_rm("/local/domain/41");
    xs_rm("/local/domain/0/device-model/41");
    qtest_quit(start(f, next));
    g_assert_false(process_lives(guard));
    xs_rm("/local/domain/42");
    g_unsetenv("XENSTORED_PATH");
    fixture_free(f);
}

/* The holder name at a host address's place in the claims file. */
static uint64_t claims_holder(uint64_t spa)
{
    g_autofree char *claims = host_path("emulated-claims");
    int fd = open(claims, O_RDONLY);
    uint64_t who = 0;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, &who, sizeof(who), (spa >> 12) * 8), >=, 0);
    close(fd);
    return who;
}

/*
 * The claims file is root's alone, never reached through a symlink, and
 * holder names are wiped (their pages given back) when a claim goes.
 */
static void test_claims_file(void)
{
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(PM0_DEV("%s", ""), f->img[0]);
    g_autofree char *claims = host_path("emulated-claims");
    g_autofree char *saved = host_path("emulated-claims.saved");
    g_autofree char *mode = g_strdup_printf(
        "the host-wide claims: %s must be a regular file owned by uid %u "
        "with no access for group or others (it is mode 0644, uid %u)",
        claims, (unsigned)geteuid(), (unsigned)geteuid());
    g_autofree char *link = g_strdup_printf(
        "cannot open %s: Too many levels of symbolic links", claims);
    QTestState *qts;
    uint64_t spa;

    qtest_quit(start(f, args));
    spa = traced_spa(f);
    qts = start(f, args);
    g_assert_cmphex(claims_holder(spa), ==,
                    (uint64_t)qtest_pid(qts) << 32);
    qtest_quit(qts);
    g_assert_cmphex(claims_holder(spa), ==, 0);

    g_assert_cmpint(chmod(claims, 0644), ==, 0);
    run_startup_error(f, args, mode);
    g_assert_cmpint(chmod(claims, 0600), ==, 0);
    g_assert_cmpint(rename(claims, saved), ==, 0);
    g_assert_cmpint(symlink(f->img[1], claims), ==, 0);
    run_startup_error(f, args, link);
    g_assert_cmpint(unlink(claims), ==, 0);
    g_assert_cmpint(rename(saved, claims), ==, 0);
    qtest_quit(start(f, args));
    fixture_free(f);
}

/* Pin @path as xen-nvdimm does, marked with boot id @boot (or none). */
static void pin_file(const char *path, const char *boot, bool on)
{
    int fd = open(path, O_RDONLY);
    int flags;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ioctl(fd, FS_IOC_GETFLAGS, &flags), ==, 0);
    if (!on) {
        flags &= ~FS_IMMUTABLE_FL;
        g_assert_cmpint(ioctl(fd, FS_IOC_SETFLAGS, &flags), ==, 0);
        fremovexattr(fd, "trusted.xen-nvdimm.pin");
        close(fd);
        return;
    }
    if (boot) {
        g_assert_cmpint(fsetxattr(fd, "trusted.xen-nvdimm.pin", boot,
                                  strlen(boot), 0), ==, 0);
    }
    flags |= FS_IMMUTABLE_FL;
    g_assert_cmpint(ioctl(fd, FS_IOC_SETFLAGS, &flags), ==, 0);
    close(fd);
}

static bool file_immutable(const char *path)
{
    int fd = open(path, O_RDONLY);
    int flags = 0;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ioctl(fd, FS_IOC_GETFLAGS, &flags), ==, 0);
    close(fd);
    return flags & FS_IMMUTABLE_FL;
}

static gpointer unpin_later(gpointer path)
{
    g_usleep(G_USEC_PER_SEC);
    pin_file(path, NULL, false);
    return NULL;
}

/*
 * A file pinned before the host's last boot is unpinned at open (no domain
 * outlives a host reset); one pinned in this boot is waited for, a few
 * seconds, as its guardian may be letting go; a flag set by hand is left
 * alone, and refused without the wait.
 */
static void test_stale_pin(void)
{
    const char *other = "00000000-0000-4000-8000-000000000000";
    Fixture *f = fixture_new();
    g_autofree char *args = g_strdup_printf(PM0_DEV("%s", ""), f->img[0]);
    g_autofree char *boot = NULL;
    g_autofree char *text = NULL;
    GThread *t;
    int64_t t0;

    g_assert_true(g_file_get_contents("/proc/sys/kernel/random/boot_id",
                                      &boot, NULL, NULL));
    g_strstrip(boot);

    pin_file(f->img[0], other, true);
    qtest_quit(start(f, args));
    g_assert_false(file_immutable(f->img[0]));
    g_assert_cmpint(getxattr(f->img[0], "trusted.xen-nvdimm.pin", NULL, 0),
                    <, 0);

    /* Pinned by hand: refused at once, and left so. */
    pin_file(f->img[0], NULL, true);
    t0 = g_get_monotonic_time();
    run_startup_error(f, args, "Operation not permitted");
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
    g_assert_true(file_immutable(f->img[0]));
    pin_file(f->img[0], NULL, false);

    /* Pinned in this boot and let go a second later: started. */
    pin_file(f->img[0], boot, true);
    t = g_thread_new("unpin", unpin_later, f->img[0]);
    qtest_quit(start(f, args));
    g_thread_join(t);

    /* Pinned in this boot and kept: refused after the wait. */
    pin_file(f->img[0], boot, true);
    t0 = g_get_monotonic_time();
    run_startup_error(f, args, "Operation not permitted");
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 10 * G_USEC_PER_SEC);
    g_assert_true(file_immutable(f->img[0]));
    pin_file(f->img[0], NULL, false);
    fixture_free(f);
}

/* Run @cmd in a shell; its stdout, or NULL (and its stderr shown). */
static char *sh(const char *cmd)
{
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    g_autoptr(GError) gerr = NULL;
    g_autofree char *err = NULL;
    char *out = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
                               &out, &err, &status, &gerr));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_printerr("%s -> %s", cmd, err);
        g_free(out);
        return NULL;
    }
    return g_strchomp(out);
}

/* A new filesystem of @type on a loop device, mounted in the fixture. */
static char *mount_fs(Fixture *f, const char *type)
{
    g_autofree char *img = g_strdup_printf("%s/%s.img", f->dir, type);
    char *mnt = g_strdup_printf("%s/%s", f->dir, type);
    g_autofree char *cmd = g_strdup_printf(
        "truncate -s 320M %1$s && mkfs.%2$s -q %3$s %1$s && mkdir %4$s && "
        "mount -o loop %1$s %4$s", img, type,
        strcmp(type, "xfs") ? "-F" : "-f", mnt);

    g_autofree char *out = sh(cmd);

    g_assert_nonnull(out);
    return mnt;
}

static void unmount_fs(char *mnt)
{
    g_autofree char *cmd = g_strdup_printf("umount %1$s && rmdir %1$s && "
                                           "rm %1$s.img", mnt);
    g_autofree char *out = sh(cmd);

    g_assert_nonnull(out);
    g_free(mnt);
}

/* A 64 MiB backing file in directory @dir. */
static char *make_file(const char *dir)
{
    char *path = g_build_filename(dir, "pmem.img", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, BACKEND_SIZE), ==, 0);
    close(fd);
    return path;
}

static bool file_pin_marked(const char *path)
{
    return getxattr(path, "trusted.xen-nvdimm.pin", NULL, 0) == 36;
}

/*
 * A file on XFS (x-emu-pin: as on a DAX filesystem) is pinned while the
 * device lives: immutable, marked, refused to every new writer; the guest's
 * label writes still land in it, through QEMU's descriptor, and the flag
 * stays; at exit, flag and mark go.
 */
static void test_pin_labels_xfs(void)
{
    Fixture *f = fixture_new();
    char *mnt = mount_fs(f, "xfs");
    g_autofree char *img = make_file(mnt);
    g_autofree char *args = g_strdup_printf(
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,label-size=%" PRIu64
        ",x-emu-pin=on", img, (uint64_t)LABEL_SIZE);
    QTestState *qts = start(f, args);
    uint8_t data[64], back[64];

    g_assert_true(file_immutable(img));
    g_assert_true(file_pin_marked(img));
    g_assert_cmpint(open(img, O_WRONLY), <, 0);
    g_assert_cmpint(errno, ==, EPERM);
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = 0xa5 ^ i;
    }
    g_assert_cmpuint(dsm_label(qts, 1, 6, 4096, sizeof(data), data), ==, 0);
    file_read(img, LABEL_BASE + 4096, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    g_assert_true(file_immutable(img));
    qtest_quit(qts);
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));
    unlink(img);
    unmount_fs(mnt);
    fixture_free(f);
}

/*
 * On ext4, a pinned file cannot have its label area written: labels are
 * refused at start, and the pin undone.  Without labels it is pinned; a
 * file another process has open cannot be (no write lease), and is left
 * as it was.
 */
static void test_pin_ext4(void)
{
    Fixture *f = fixture_new();
    char *mnt = mount_fs(f, "ext4");
    g_autofree char *img = make_file(mnt);
    const char *fmt =
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0,x-emu-pin=on%s";
    g_autofree char *labels = g_strdup_printf(fmt, img, ",label-size=128K");
    g_autofree char *plain = g_strdup_printf(fmt, img, "");
    g_autofree char *busy = g_strdup_printf("cannot pin %s: cannot take a "
                                            "write lease", img);
    QTestState *qts;
    int fd;

    run_startup_error(f, labels, "is on ext4, which cannot write the label "
                      "area of a pinned file");
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));

    qts = start(f, plain);
    g_assert_true(file_immutable(img));
    g_assert_true(file_pin_marked(img));
    qtest_quit(qts);
    g_assert_false(file_immutable(img));

    fd = open(img, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    run_startup_error(f, plain, busy);
    close(fd);
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));
    unlink(img);
    unmount_fs(mnt);
    fixture_free(f);
}

/*
 * The backend owns the host resource: a hot plug refused after the backend
 * resolved and pinned its file (the first hypervisor call fails) gives it
 * back, unpinned and free, so a second plug of the same backend takes it
 * and pins it again; it cannot be deleted while a device has it.
 */
static void test_backend_reacquired(void)
{
    Fixture *f = fixture_new();
    char *mnt = mount_fs(f, "xfs");
    g_autofree char *img = make_file(mnt);
    g_autofree char *args = g_strdup_printf(
        "-object xen-nvdimm-root,id=nvr,slots=2 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0", f->img[0]);
    QTestState *qts = start(f, args);
    QDict *props = qdict_new();
    QDict *resp;
    CallLog log;

    object_add_backend(qts, "pm1", img);
    g_assert_false(file_immutable(img));
    qdict_put_bool(props, "x-emu-pin", true);
    qdict_put_int(props, "x-emu-fail-call", 1);
    resp = device_add_nvdimm(qts, "nv1", "pm1", props);
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));

    props = qdict_new();
    qdict_put_bool(props, "x-emu-pin", true);
    assert_qmp_ok(device_add_nvdimm(qts, "nv2", "pm1", props));
    g_assert_true(file_immutable(img));
    g_assert_true(file_pin_marked(img));
    resp = qtest_qmp(qts, "{ 'execute': 'object-del', 'arguments': {"
                     " 'id': 'pm1' } }");
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    qtest_writeq(qts, qom_get_uint(qts, "/machine/peripheral/nv2",
                                   "guest-address") + 8192, 0x0b5e55edu);
    g_assert_cmphex(file_read64(img, 8192), ==, 0x0b5e55edu);
    qtest_quit(qts);
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));
    log = read_call_log(f);
    assert_balanced(&log);
    unlink(img);
    unmount_fs(mnt);
    fixture_free(f);
}

/*
 * Attach @file to a free loop device, which goes by itself once the last
 * descriptor of it closes (the one returned in @fd among them), however
 * this test ends.
 */
static char *loop_attach(const char *file, int *fd)
{
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    int back = open(file, O_RDWR | O_CLOEXEC);
    struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
    char *dev;
    int n;

    g_assert_cmpint(ctl, >=, 0);
    g_assert_cmpint(back, >=, 0);
    n = ioctl(ctl, LOOP_CTL_GET_FREE);
    g_assert_cmpint(n, >=, 0);
    close(ctl);
    dev = g_strdup_printf("/dev/loop%d", n);
    *fd = open(dev, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(*fd, >=, 0);
    cfg.fd = back;
    g_assert_cmpint(ioctl(*fd, LOOP_CONFIGURE, &cfg), ==, 0);
    close(back);
    return dev;
}

/* Can a process other than the holder open @dev exclusively? */
static bool block_free(const char *dev)
{
    int fd = open(dev, O_RDONLY | O_EXCL);

    if (fd < 0) {
        g_assert_cmpint(errno, ==, EBUSY);
        return false;
    }
    close(fd);
    return true;
}

/*
 * A block device backend (a loop device, as a raw namespace) is held
 * exclusively while the device lives, so that nothing can mount it or
 * reconfigure it; one that something else holds is refused.
 */
static void test_hold_block(void)
{
    Fixture *f = fixture_new();
    int loop_fd, fd;
    g_autofree char *loop = loop_attach(f->img[0], &loop_fd);
    g_autofree char *args = NULL;
    g_autofree char *busy = NULL;
    QTestState *qts;

    args = g_strdup_printf(PM0_DEV("%s", ""), loop);
    busy = g_strdup_printf("cannot hold %s exclusively: Device or resource "
                           "busy", loop);
    fd = open(loop, O_RDONLY | O_EXCL);
    g_assert_cmpint(fd, >=, 0);
    run_startup_error(f, args, busy);
    close(fd);

    qts = start(f, args);
    g_assert_false(block_free(loop));
    qtest_quit(qts);
    g_assert_true(block_free(loop));
    close(loop_fd);
    fixture_free(f);
}

/*
 * After kill -9 of QEMU, its guardians keep what they guard until the
 * domain is gone: the block device held, the file pinned; then let go.
 */
static void test_guard_keeps_host(void)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    Fixture *f;
    char *mnt;
    g_autofree char *img = NULL;
    g_autofree char *loop = NULL;
    g_autofree char *args = NULL;
    g_autofree char *full = NULL;
    g_autofree char *cmd = NULL;
    g_auto(GStrv) argv = NULL;
    pid_t guard0, guard1;
    int loop_fd;
    GPid pid;

    if (!have_xenstore()) {
        return;
    }
    f = fixture_new();
    mnt = mount_fs(f, "ext4");
    img = make_file(mnt);
    loop = loop_attach(f->img[0], &loop_fd);
    args = g_strdup_printf(
        "-xen-domid 43 "
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0 "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-pin=on", loop, img);
    full = args_with_trace(f, args);
    cmd = g_strdup_printf("%s -display none %s", qemu, full);
    xs_write("/local/domain/43/vm", "/vm/9a4e");
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
    guard0 = trace_wait_number(f, "xen_nvdimm_guard pm0: guardian pid ");
    guard1 = trace_wait_number(f, "xen_nvdimm_guard pm1: guardian pid ");
    g_assert_cmpint(guard0, >, 0);
    g_assert_cmpint(guard1, >, 0);
    g_assert_cmpuint(trace_wait_number(f, "xen_nvdimm_realized pm1: "), ==,
                     1);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
    g_spawn_close_pid(pid);

    g_assert_false(block_free(loop));
    g_assert_true(file_immutable(img));
    xs_rm("/local/domain/43");
    xs_rm("/local/domain/0/device-model/43");
    for (int i = 0; i < 200 && (process_lives(guard0) ||
                                process_lives(guard1)); i++) {
        g_usleep(G_USEC_PER_SEC / 20);
    }
    g_assert_false(process_lives(guard0));
    g_assert_false(process_lives(guard1));
    g_assert_true(block_free(loop));
    g_assert_false(file_immutable(img));
    g_assert_false(file_pin_marked(img));
    g_unsetenv("XENSTORED_PATH");
    close(loop_fd);
    unlink(img);
    unmount_fs(mnt);
    fixture_free(f);
}

/* More extents than a device may have are refused before any claim. */
static void test_extent_limit(void)
{
    Fixture *f = fixture_new();
    g_autofree char *big = g_build_filename(f->dir, "big.img", NULL);
    g_autofree char *args = NULL;
    int fd = open(big, O_RDWR | O_CREAT, 0600);
    CallLog log;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 128 * MiB), ==, 0);
    close(fd);
    args = g_strdup_printf("-object memory-backend-xen-pmem,id=pm0,size=128M,"
                           "mem-path=%s -device xen-nvdimm-emu,id=nv0,memdev=pm0,"
                           "x-emu-extent-size=4K", big);
    log = assert_startup_error(f, args, "it lies in 32768 separate runs of "
                               "host memory, more than the 16384 a device "
                               "may have");
    g_assert_cmpuint(log.calls, ==, 0);
    fixture_free(f);
}

typedef struct BadConfig {
    const char *name;
    const char *args;       /* %1$s, %2$s: two backing files */
    const char *error;
    const char *media;      /* what the file %1$s.media says, if any */
} BadConfig;

#define PM0 "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%1$s "

static const BadConfig bad_configs[] = {
    /* The emulated host never stands in for a missing Xen. */
    { "needs-xen", PM0 "-device xen-nvdimm,memdev=pm0",
      "xen-nvdimm needs QEMU to be Xen's device model (-accel xen, as libxl "
      "starts it)" },
    { "no-memdev", "-device xen-nvdimm-emu",
      "'memdev' property is not set" },
    { "unknown-memdev", "-device xen-nvdimm-emu,memdev=nosuch",
      "-device xen-nvdimm-emu,memdev=nosuch: Device 'nosuch' not found" },
    { "domain-populated-above",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-max-gpa=0x8000000000000",
      "guest address 0x4180000000 is not above the domain's memory "
      "(max gpfn 0x7fffffffff)" },
    { "extents-alias",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-extent-size=16M,"
      "x-emu-alias=on",
      "backend offsets 0x0 and 0x3000000 resolve to the same host memory" },
    /* Refused before any host work: nothing to undo. */
    { "only-migratable", "-only-migratable " PM0
      "-device xen-nvdimm-emu,memdev=pm0",
      "xen-nvdimm 'pm0': the guest has host persistent memory mapped "
      "directly; it cannot be saved or migrated" },
    { "cache-unknown", PM0 "-device xen-nvdimm-emu,memdev=pm0,cache=wt",
      "'cache' must be auto, wb or uc, not 'wt'" },
    { "wrong-backend-type",
      "-object memory-backend-ram,id=pm0,size=64M "
      "-device xen-nvdimm-emu,memdev=pm0",
      "Invalid parameter type for 'memdev', expected: "
      "memory-backend-xen-pmem" },
    /* Not RAM: the consumers of RAM backends refuse it by type. */
    { "pmem-as-nvdimm",
      "-machine nvdimm=on -m 256M,slots=2,maxmem=1G " PM0
      "-device nvdimm,memdev=pm0",
      "Invalid parameter type for 'memdev', expected: memory-backend" },
    { "pmem-as-pc-dimm",
      "-m 256M,slots=2,maxmem=1G " PM0 "-device pc-dimm,memdev=pm0",
      "Invalid parameter type for 'memdev', expected: memory-backend" },
    { "pmem-as-numa-node",
      PM0 "-numa node,memdev=pm0",
      "memdev=pm0 is ambiguous" },
    { "pmem-as-machine-ram",
      PM0 "-machine memory-backend=pm0",
      "Memory backend 'pm0' not found" },
    { "busy-memdev",
      PM0 "-device xen-nvdimm-emu,memdev=pm0 -device xen-nvdimm-emu,memdev=pm0",
      "can't use already busy memdev: pm0" },
    { "label-too-small", PM0 "-device xen-nvdimm-emu,memdev=pm0,label-size=64K",
      "'label-size' (0x10000) must be 0 or at least 0x20000" },
    { "label-unaligned",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,label-size=131073",
      "must be a multiple of 4 KiB" },
    { "label-too-big",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,label-size=4G",
      "must be a multiple of 4 KiB below 4 GiB" },
    { "label-fills-backend",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,label-size=64M",
      "memdev 'pm0' (0x4000000 bytes) has no room for a 2 MiB data area" },
    { "backend-too-small",
      "-object memory-backend-xen-pmem,id=pm0,mem-path=%1$s,size=2M "
      "-device xen-nvdimm-emu,memdev=pm0,label-size=128K",
      "has no room for a 2 MiB data area" },
    { "no-mem-path",
      "-object memory-backend-xen-pmem,id=pm0,size=64M "
      "-device xen-nvdimm-emu,memdev=pm0",
      "Parameter 'mem-path' is missing" },
    { "missing-file",
      "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%1$s.nosuch "
      "-device xen-nvdimm-emu,memdev=pm0",
      "No such file or directory" },
    { "size-beyond-file",
      "-object memory-backend-xen-pmem,id=pm0,mem-path=%1$s,size=128M "
      "-device xen-nvdimm-emu,memdev=pm0",
      "size 0x8000000 is larger than" },
    { "size-not-pages",
      "-object memory-backend-xen-pmem,id=pm0,mem-path=%1$s,size=1000 "
      "-device xen-nvdimm-emu,memdev=pm0",
      "is not a non-zero multiple of the page size" },
    { "addr-unaligned", PM0 "-device xen-nvdimm-emu,memdev=pm0,addr=0x10000001",
      "address 0x10000001 is not page aligned" },
    { "addr-in-ram", PM0 "-device xen-nvdimm-emu,memdev=pm0,addr=0x1000000",
      "guest RAM, the PCI holes and the 64-bit BAR window" },
    { "addr-in-bar-window",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,addr=0x200000000",
      "guest RAM, the PCI holes and the 64-bit BAR window" },
    { "addr-beyond-limit",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,addr=0xfffffffffff000",
      "beyond the guest physical address space Xen can map" },
    { "addr-overlap",
      PM0 "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%2$s "
      "-device xen-nvdimm-emu,memdev=pm0,addr=0x10000000000 "
      "-device xen-nvdimm-emu,memdev=pm1,addr=0x10002000000",
      "overlaps another xen-nvdimm at 0x10000000000..0x10003ffffff" },
    { "readonly-armed",
      "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%1$s,"
      "readonly=on "
      "-device xen-nvdimm-emu,memdev=pm0",
      "memdev 'pm0' is read-only: set 'unarmed=on'" },
    { "with-qemu-nvdimm",
      "-machine nvdimm=on " PM0 "-device xen-nvdimm-emu,memdev=pm0",
      "cannot be used with -machine nvdimm=on" },
    { "host-memory-ram",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-memory=ram",
      "is RAM (E820 type 1, " },
    { "host-memory-reserved",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-memory=reserved",
      "is reserved (E820 type 2, " },
    { "host-memory-hole",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-memory=hole",
      "is in no persistent memory range of the machine memory map or of "
      "the host's NFIT" },
    { "host-memory-unknown",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-memory=dram",
      "x-emu-host-memory must be a kind (pmem, pram, nfit, ram, reserved "
      "or hole)" },
    { "host-memory-list-unordered",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,"
      "x-emu-host-memory=pmem+ram@0x2000+pmem@0x1000",
      "or a list KIND+KIND@OFFSET+... with offsets rising within the slot" },
    /* Every page is checked: the first, one inside, the last. */
    { "host-memory-ram-first-page",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-address=0x200000000000,"
      "x-emu-host-memory=ram+pmem@0x1000",
      "host memory 0x200000000000 is RAM (E820 type 1, "
      "0x200000000000..0x200000000fff)" },
    { "host-memory-ram-second-page",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-address=0x200000000000,"
      "x-emu-host-memory=pmem+ram@0x1000+pmem@0x2000",
      "host memory 0x200000001000 is RAM (E820 type 1, "
      "0x200000001000..0x200000001fff)" },
    { "host-memory-hole-last-page",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-address=0x200000000000,"
      "x-emu-host-memory=pmem+hole@0x3fff000+pmem@0x4000000",
      "host memory 0x200003fff000 is in no persistent memory range" },
    { "host-memory-reserved-in-second-extent",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-address=0x200000000000,"
      "x-emu-extent-size=32M,x-emu-host-memory=pmem+reserved@0x1fff000+pmem@0x2000000",
      "the extent at backend offset 0x2000000: host memory 0x200001fff000 "
      "is reserved" },
    { "host-address-unaligned",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-host-address=0x200000000800",
      "x-emu-host-address must be page-aligned" },
    { "badblocks-malformed",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-badblocks=%1$s.media",
      "x-emu-badblocks: badblocks entry '40960' is not 'SECTOR COUNT'",
      "40960" },
    { "badblocks-overflow",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-badblocks=%1$s.media",
      "badblocks entry 36028797018963967 2 is out of range",
      "36028797018963967 2" },
    { "badblocks-missing",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-badblocks=%1$s.none",
      "x-emu-badblocks: Failed to open file" },
    { "health-malformed",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-health=%1$s.media",
      "x-emu-health: health line 'health good' is not one of",
      "spares 3\nhealth good\n" },
    { "same-file-twice",
      PM0 "-object memory-backend-xen-pmem,id=pm1,size=32M,mem-path=%1$s "
      "-device xen-nvdimm-emu,memdev=pm0 -device xen-nvdimm-emu,memdev=pm1",
      "xen-nvdimm 'pm1': %1$s: host memory 0x" },
    { "emu-extent-unaligned",
      PM0 "-device xen-nvdimm-emu,memdev=pm0,x-emu-extent-size=1000",
      "x-emu-extent-size and -gap must be multiples of 4 KiB" },
};

static void test_bad_config(const void *data)
{
    const BadConfig *c = data;
    Fixture *f = fixture_new();
    g_autofree char *media = fixture_file(f, "pmem0.img.media",
                                          c->media ?: "");
    g_autofree char *args = g_strdup_printf(c->args, f->img[0], f->img[1]);
    g_autofree char *error = g_strdup_printf(c->error, f->img[0], f->img[1]);
    CallLog log = assert_startup_error(f, args, error);

    assert_balanced(&log);
    fixture_free(f);
}

/*
 * Fail each hypervisor call of a realize in turn: every one must give a
 * clean error, and everything done before it (and for the device realized
 * earlier) must be undone.
 */
static void test_fault_injection(const void *data)
{
    const char *props = data;  /* for both devices */
    Fixture *f = fixture_new();
    const char *fmt =
        "-object memory-backend-xen-pmem,id=pm0,size=64M,mem-path=%s "
        "-object memory-backend-xen-pmem,id=pm1,size=64M,mem-path=%s "
        "-device xen-nvdimm-emu,id=nv0,memdev=pm0%s "
        "-device xen-nvdimm-emu,id=nv1,memdev=pm1,x-emu-extent-size=16M,"
        "x-emu-fail-call=%u%s";
    g_autofree char *good = g_strdup_printf(fmt, f->img[0], f->img[1], props,
                                            0, props);
    QTestState *qts = start(f, good);
    CallLog log;
    unsigned calls;

    qtest_quit(qts);
    log = read_call_log(f);
    /*
     * The machine map and one gpfn query, then a grant and a map per
     * extent, per device.
     */
    g_assert_cmpuint(log.maps, ==, 1 + BACKEND_SIZE / (16 * MiB));
    g_assert_cmpuint(log.maps_wb, ==, strstr(props, "wb=off") ? 0 : log.maps);
    calls = 2 + 2 * (BACKEND_SIZE / (16 * MiB));
    /* Over the whole run: two of each query, four calls per extent. */
    g_assert_cmpuint(log.calls, ==, 4 + 4 * log.maps);
    assert_balanced(&log);

    for (unsigned k = 1; k <= calls; k++) {
        g_autofree char *bad = g_strdup_printf(fmt, f->img[0], f->img[1],
                                               props, k, props);

        log = assert_startup_error(f, bad, "Input/output error");
        g_assert_cmpuint(log.injected, ==, 1);
        /* Undone by realize itself, not only by the exit that follows. */
        g_assert_cmpuint(log.realize_failed, ==, 1);
        assert_balanced(&log);
    }
    fixture_free(f);
}

int main(int argc, char **argv)
{
    /*
     * As root, every test; otherwise those that need neither root (loop
     * devices, mounts, immutable files) nor strace.
     */
    bool root = geteuid() == 0;
    g_autofree char *rm = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    if (root) {
        /*
         * The filesystems the tests mount are this process's alone, and go
         * with it (their loop devices too) if a failed check ends it.
         */
        g_assert_cmpint(unshare(CLONE_NEWNS), ==, 0);
        g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
                        ==, 0);
    }
    host_dir = g_dir_make_tmp("xen-nvdimm-host-XXXXXX", NULL);
    g_assert_nonnull(host_dir);
    xenstored_path = g_strdup(g_getenv("XENSTORED_PATH"));
    g_unsetenv("XENSTORED_PATH");

    qtest_add_func("/xen-nvdimm/device-listed", test_device_listed);
    qtest_add_func("/xen-nvdimm/map-hits-file", test_map_hits_file);
    qtest_add_func("/xen-nvdimm/scattered-extents", test_scattered_extents);
    qtest_add_func("/xen-nvdimm/two-devices", test_two_devices);
    for (size_t i = 0; i < ARRAY_SIZE(cache_cases); i++) {
        g_autofree char *path = g_strdup_printf("/xen-nvdimm/cache/%s",
                                                cache_cases[i].name);

        qtest_add_data_func(path, &cache_cases[i], test_cache);
    }
    qtest_add_func("/xen-nvdimm/cache-wb-refused", test_cache_wb_refused);
    qtest_add_func("/xen-nvdimm/placement", test_placement);
    qtest_add_func("/xen-nvdimm/no-migration", test_no_migration);
    /* On a stock Xen, and with every extent mapped write-back. */
    qtest_add_data_func("/xen-nvdimm/fault-injection", ",x-emu-xen-wb=off",
                        test_fault_injection);
    qtest_add_data_func("/xen-nvdimm/fault-injection-wb", ",cache=wb",
                        test_fault_injection);
    qtest_add_func("/xen-nvdimm/publish-acpi", test_publish_acpi);
    qtest_add_func("/xen-nvdimm/publish-acpi-merge", test_publish_acpi_merge);
    qtest_add_func("/xen-nvdimm/nfit-persistence", test_nfit_persistence);
    qtest_add_func("/xen-nvdimm/media-event", test_media_event);
    qtest_add_func("/xen-nvdimm/nfit-serial", test_nfit_serial);
    qtest_add_func("/xen-nvdimm/publish-acpi-refused",
                   test_publish_acpi_refused);
    qtest_add_func("/xen-nvdimm/dsm-labels", test_dsm_labels);
    qtest_add_func("/xen-nvdimm/dsm-unarmed", test_dsm_unarmed);
    qtest_add_func("/xen-nvdimm/dsm-read-fit", test_dsm_read_fit);
    qtest_add_func("/xen-nvdimm/root-slots", test_root_slots);
    qtest_add_func("/xen-nvdimm/hotplug", test_hotplug);
    qtest_add_func("/xen-nvdimm/hotplug-no-slot", test_hotplug_no_slot);
    if (root) {
        /* Seen through strace: syncs, EINTR retries, a slow fdatasync. */
        qtest_add_func("/xen-nvdimm/dsm-label-durable",
                       test_dsm_label_durable);
        qtest_add_func("/xen-nvdimm/dsm-label-eintr", test_dsm_label_eintr);
        qtest_add_func("/xen-nvdimm/dsm-label-budget", test_dsm_label_budget);
    }
    qtest_add_func("/xen-nvdimm/dsm-media", test_dsm_media);
    qtest_add_func("/xen-nvdimm/host-memory-accepted",
                   test_host_memory_accepted);
    qtest_add_func("/xen-nvdimm/claim-two-processes",
                   test_claim_two_processes);
    qtest_add_func("/xen-nvdimm/claim-placed", test_claim_placed);
    qtest_add_func("/xen-nvdimm/emulated-slots", test_emulated_slots);
    qtest_add_func("/xen-nvdimm/claim-record", test_claim_record);
    qtest_add_func("/xen-nvdimm/claim-kept", test_claim_kept);
    qtest_add_func("/xen-nvdimm/claim-record-ranges",
                   test_claim_record_ranges);
    qtest_add_func("/xen-nvdimm/claim-domain-gone", test_claim_domain_gone);
    qtest_add_func("/xen-nvdimm/claim-xenstore-errors",
                   test_claim_xenstore_errors);
    qtest_add_func("/xen-nvdimm/claims-file", test_claims_file);
    qtest_add_func("/xen-nvdimm/guard-outlives-qemu",
                   test_guard_outlives_qemu);
    qtest_add_func("/xen-nvdimm/extent-limit", test_extent_limit);
    if (root) {
        qtest_add_func("/xen-nvdimm/stale-pin", test_stale_pin);
        qtest_add_func("/xen-nvdimm/pin-labels-xfs", test_pin_labels_xfs);
        qtest_add_func("/xen-nvdimm/pin-ext4", test_pin_ext4);
        qtest_add_func("/xen-nvdimm/backend-reacquired",
                       test_backend_reacquired);
        qtest_add_func("/xen-nvdimm/hold-block", test_hold_block);
        qtest_add_func("/xen-nvdimm/guard-keeps-host",
                       test_guard_keeps_host);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
        g_autofree char *path = g_strdup_printf("/xen-nvdimm/bad-config/%s",
                                                bad_configs[i].name);
        qtest_add_data_func(path, &bad_configs[i], test_bad_config);
    }
    rc = g_test_run();
    rm = g_strdup_printf("rm -rf %s", host_dir);
    g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL);
    return rc;
}
