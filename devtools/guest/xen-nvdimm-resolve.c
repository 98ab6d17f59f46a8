/*
 * xen-nvdimm-resolve: run xen-nvdimm's host-physical-address resolver
 * (hw/xen/xen-nvdimm-spa.c, linked unchanged) on a pmem backend inside a
 * test guest, and write test patterns.
 *
 *   xen-nvdimm-resolve resolve PATH SIZE
 *       prints "extent OFFSET SPA SIZE" per extent, "bad START END" per
 *       known bad range, "guest ADDR LEN" per range a guest would be told
 *       of with the backend at GUEST_BASE, "health none" or "health
 *       flags=... usc=..." for the DIMMs behind it, and "persistence
 *       DOMAIN" for its regions (the weakest); or "error: ...".  The
 *       extents must be persistent memory by the firmware's E820 map and
 *       NFIT (Xen's view, emulated)
 *   xen-nvdimm-resolve hold PATH SIZE COMMAND
 *       the same, then runs COMMAND while holding PATH as QEMU would
 *       (exclusively, a file pinned), then prints "after ..." lines, and
 *       the bad ranges and health read again, as "after-bad ..." etc.
 *   xen-nvdimm-resolve watch PATH SIZE SECONDS
 *       resolve PATH (no lines printed), watch the host's lists of its media
 *       errors as xen-nvdimm does, print "watching N lists" and wait for a
 *       change (the driver's, or a write to a list): print "changed after
 *       S s", whether the watch stays quiet once rearmed ("quiet after
 *       rearm") and the bad ranges then, as "after-bad ...", or "unchanged
 *       after S s"
 *   xen-nvdimm-resolve write PATH OFFSET STRING
 *       writes STRING at OFFSET (mmap for a device-dax) and makes it durable
 *   xen-nvdimm-resolve pinwrite PATH SIZE OFFSET STRING
 *       pins a file as xen-nvdimm does and writes STRING at OFFSET through
 *       the pinned descriptor, as a label write: prints "labels allowed" or
 *       "labels refused: ...", "pinwrite ok" or "pinwrite failed: ...",
 *       and "pinned 1" if the file stayed pinned
 *   xen-nvdimm-resolve time PATH SIZE REPEAT
 *       the benchmark's P2: what realize does with the host (resolve, pin,
 *       read the bad ranges, check the extents and the memory map, place,
 *       unpin), REPEAT times; prints "TIME extents N first_us F best_us B
 *       median_us M" (the first also sets up libndctl)
 *   xen-nvdimm-resolve fragment DIR FILE COUNT
 *       fill DIR's filesystem with 4 KiB files, remove every other one and
 *       write FILE of COUNT 4 KiB blocks into the holes: COUNT extents
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/fs.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "hw/xen/xen-nvdimm-spa.h"

/*
 * Xen's machine memory map, as well as a guest without Xen can know it:
 * the firmware's E820 map (/sys/firmware/memmap: legacy pmem made with
 * memmap= is still RAM there, as it is to Xen) and the firmware's NFIT.
 */
static bool machine_map(GArray *map, GArray *nfit, Error **errp)
{
    static const struct {
        const char *name;
        uint32_t type;
    } types[] = {
        { "System RAM", 1 }, { "Reserved", 2 }, { "ACPI Tables", 3 },
        { "ACPI Non-volatile Storage", 4 }, { "Unusable memory", 5 },
        { "Persistent Memory (legacy)", 12 }, { "Persistent Memory", 7 },
    };
    g_autofree char *table = NULL;
    gsize len;

    for (int i = 0;; i++) {
        g_autofree char *dir = g_strdup_printf("/sys/firmware/memmap/%d", i);
        g_autofree char *start = g_build_filename(dir, "start", NULL);
        g_autofree char *end = g_build_filename(dir, "end", NULL);
        g_autofree char *type = g_build_filename(dir, "type", NULL);
        g_autofree char *s = NULL, *e = NULL, *t = NULL;
        XenNvdimmMemRange r = { .type = 0 };

        if (!g_file_get_contents(start, &s, NULL, NULL)) {
            break;
        }
        if (!g_file_get_contents(end, &e, NULL, NULL) ||
            !g_file_get_contents(type, &t, NULL, NULL)) {
            error_setg(errp, "cannot read %s", dir);
            return false;
        }
        r.start = g_ascii_strtoull(s, NULL, 0);
        r.end = g_ascii_strtoull(e, NULL, 0) + 1;
        g_strstrip(t);
        for (size_t j = 0; j < ARRAY_SIZE(types); j++) {
            if (!strcmp(t, types[j].name)) {
                r.type = types[j].type;
            }
        }
        g_array_append_val(map, r);
    }
    if (!g_file_get_contents("/sys/firmware/acpi/tables/NFIT", &table, &len,
                             NULL)) {
        return true;
    }
    return xen_nvdimm_parse_nfit_pmem((uint8_t *)table, len, nfit, errp);
}

/* Is every extent persistent memory by the firmware's map and NFIT? */
static bool host_memory_check(GArray *extents, Error **errp)
{
    g_autoptr(GArray) map = g_array_new(false, false,
                                        sizeof(XenNvdimmMemRange));
    g_autoptr(GArray) nfit = g_array_new(false, false,
                                         sizeof(XenNvdimmRange));

    if (!machine_map(map, nfit, errp)) {
        return false;
    }
    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(extents, XenNvdimmExtent, i);
        XenNvdimmRange r = { e->spa, e->spa + e->size };

        if (!xen_nvdimm_check_pmem(r, (XenNvdimmMemRange *)map->data,
                                   map->len, (XenNvdimmRange *)nfit->data,
                                   nfit->len, errp)) {
            return false;
        }
    }
    return true;
}

/* A guest address to show the translation of bad ranges with. */
#define GUEST_BASE 0x10000000000ULL

/*
 * Resolve, pin and check as xen-nvdimm does; print extents, bad ranges
 * (as the host has them and as a guest would be told) and health.
 */
static bool resolve(int fd, const char *path, uint64_t size,
                    const char *prefix, bool *pinned)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) sources = g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource));
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    g_autoptr(GArray) guest = g_array_new(false, false,
                                          sizeof(NvdimmBadRange));
    /* Where "after" lines differ from the first resolve's. */
    const char *again = strcmp(prefix, "extent") ? "after-" : "";
    NvdimmHealth h = { 0 };
    XenNvdimmPersistence persistence;
    int health;
    Error *err = NULL;

    if (!xen_nvdimm_resolve_spa(fd, path, size, extents, sources, pinned,
                                &err) ||
        !xen_nvdimm_read_badblocks(sources, bad, &err) ||
        !xen_nvdimm_extents_check(extents, size, &err) ||
        !host_memory_check(extents, &err)) {
        goto fail;
    }
    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(extents, XenNvdimmExtent, i);

        printf("%s 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n", prefix,
               e->offset, e->spa, e->size);
    }
    for (guint i = 0; i < bad->len; i++) {
        XenNvdimmRange *r = &g_array_index(bad, XenNvdimmRange, i);

        printf("%sbad 0x%" PRIx64 " 0x%" PRIx64 "\n", again, r->start,
               r->end);
    }
    /* What a guest would be told, were the backend mapped at GUEST_BASE. */
    xen_nvdimm_bad_to_guest(extents, (XenNvdimmRange *)bad->data, bad->len,
                            GUEST_BASE, guest);
    for (guint i = 0; i < guest->len; i++) {
        NvdimmBadRange *r = &g_array_index(guest, NvdimmBadRange, i);

        printf("%sguest 0x%" PRIx64 " 0x%" PRIx64 "\n", again, r->addr,
               r->len);
    }
    health = xen_nvdimm_read_health(sources, &h, &err);
    if (health < 0) {
        goto fail;
    }
    if (!health) {
        printf("%shealth none\n", again);
    } else {
        printf("%shealth flags=0x%x health=%u spares=%u life=%u temp=0x%x "
               "usc=%u state=%u\n", again, h.flags, h.health, h.spares,
               h.life_used, h.temperature, h.shutdown_count,
               h.shutdown_state);
    }
    if (!xen_nvdimm_read_persistence(sources, &persistence, &err)) {
        goto fail;
    }
    printf("%spersistence %s\n", again,
           xen_nvdimm_persistence_name(persistence));
    return true;

fail:
    printf("error: %s\n", error_get_pretty(err));
    error_free(err);
    return false;
}

static void unpin(int fd, const char *path)
{
    Error *err = NULL;

    if (!xen_nvdimm_file_unpin(fd, path, &err)) {
        printf("error: %s stays pinned: %s\n", path, error_get_pretty(err));
        error_free(err);
    }
}

/*
 * Open @path as memory-backend-xen-pmem does (O_EXCL holds a block
 * device), resolve it, then run @cmd (if any) while holding it, resolve
 * again ("after" lines), and let go.
 */
static int do_resolve(const char *path, uint64_t size, const char *cmd)
{
    bool pinned = false;
    bool ok;
    int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);

    if (fd < 0) {
        printf("error: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    fflush(stdout);
    ok = resolve(fd, path, size, "extent", &pinned);
    if (ok && cmd) {
        int rc;

        fflush(stdout);
        /* For the command to tell this process's descriptors apart. */
        g_setenv("XNR_PID", g_strdup_printf("%d", getpid()), true);
        rc = system(cmd);
        printf("held %s: command exited %d\n", path, WEXITSTATUS(rc));
        /* A pinned file is pinned once: resolving again pins anew. */
        if (pinned) {
            unpin(fd, path);
            pinned = false;
        }
        ok = resolve(fd, path, size, "after", &pinned);
    }
    if (pinned) {
        unpin(fd, path);
    }
    close(fd);
    return !ok;
}

static int do_watch(const char *path, uint64_t size, unsigned secs)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) sources = g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource));
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    struct pollfd pfd = { .events = POLLIN };
    int64_t start;
    bool pinned = false;
    Error *err = NULL;
    int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
    int n = 0;

    if (fd < 0) {
        printf("error: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!xen_nvdimm_resolve_spa(fd, path, size, extents, sources, &pinned,
                                &err)) {
        printf("error: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    pfd.fd = xen_nvdimm_badblocks_watch(sources);
    printf("watching %u lists%s\n", sources->len,
           pfd.fd < 0 ? ": cannot" : "");
    fflush(stdout);
    start = g_get_monotonic_time();
    if (pfd.fd >= 0) {
        n = poll(&pfd, 1, secs * 1000);
    }
    if (n <= 0) {
        printf("unchanged after %" PRId64 " s\n",
               (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
    } else {
        printf("changed after %" PRId64 " s\n",
               (g_get_monotonic_time() - start) / G_USEC_PER_SEC);
        /* The driver changes the region's list and the disk's in turn. */
        g_usleep(G_USEC_PER_SEC);
        xen_nvdimm_badblocks_rearm(pfd.fd);
        /* Taken, the change must not wake QEMU's loop again. */
        printf("%s after rearm\n", poll(&pfd, 1, 2000) ? "fired again" : "quiet");
        if (!xen_nvdimm_read_badblocks(sources, bad, &err)) {
            printf("error: %s\n", error_get_pretty(err));
            error_free(err);
        }
        for (guint i = 0; i < bad->len; i++) {
            XenNvdimmRange *r = &g_array_index(bad, XenNvdimmRange, i);

            printf("after-bad 0x%" PRIx64 " 0x%" PRIx64 "\n", r->start,
                   r->end);
        }
    }
    if (pfd.fd >= 0) {
        close(pfd.fd);
    }
    if (pinned) {
        unpin(fd, path);
    }
    close(fd);
    return n <= 0;
}

/*
 * Pin @path as xen-nvdimm does, then write @text at @off through the
 * pinned descriptor and make it durable, as a label write does: print
 * whether xen-nvdimm would allow labels there, whether the write went
 * through, and whether the file stayed pinned.
 */
static int do_pinwrite(const char *path, uint64_t size, uint64_t off,
                       const char *text)
{
    size_t len = strlen(text);
    bool pinned = false;
    Error *err = NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    int flags = 0;
    ssize_t r;

    if (fd < 0) {
        printf("error: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!xen_nvdimm_resolve_spa(fd, path, size, g_array_new(false, false,
                                sizeof(XenNvdimmExtent)),
                                g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource)),
                                &pinned, &err)) {
        printf("error: %s\n", error_get_pretty(err));
        return 1;
    }
    if (xen_nvdimm_file_labels_ok(fd, path, &err)) {
        printf("labels allowed\n");
    } else {
        printf("labels refused: %s\n", error_get_pretty(err));
        g_clear_pointer(&err, error_free);
    }
    r = pwrite(fd, text, len, off);
    if (r == (ssize_t)len && !fdatasync(fd)) {
        printf("pinwrite ok\n");
    } else {
        printf("pinwrite failed: %s\n", strerror(errno));
    }
    ioctl(fd, FS_IOC_GETFLAGS, &flags);
    printf("pinned %d\n", pinned && (flags & FS_IMMUTABLE_FL) != 0);
    if (pinned) {
        unpin(fd, path);
    }
    close(fd);
    return 0;
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* One realize's worth of host work; returns the extent count, or -1. */
static int realize_once(int fd, const char *path, uint64_t size)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) sources = g_array_new(false, false,
                                            sizeof(XenNvdimmBadSource));
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    uint64_t phase, align, gpa, a, b;
    bool pinned = false;
    Error *err = NULL;
    int n = -1;

    if (xen_nvdimm_resolve_spa(fd, path, size, extents, sources, &pinned,
                               &err) &&
        xen_nvdimm_read_badblocks(sources, bad, &err) &&
        (xen_nvdimm_extents_coalesce(extents), true) &&
        xen_nvdimm_extents_check(extents, size, &err) &&
        !xen_nvdimm_extents_alias(extents, &a, &b) &&
        host_memory_check(extents, &err)) {
        xen_nvdimm_congruence(extents, &phase, &align);
        if (xen_nvdimm_place(4 * GiB, size, phase, align, NULL, 0, &gpa,
                             &err)) {
            n = extents->len;
        }
    }
    if (pinned) {
        unpin(fd, path);
    }
    if (err) {
        printf("error: %s\n", error_get_pretty(err));
        error_free(err);
    }
    return n;
}

static int do_time(const char *path, uint64_t size, unsigned repeat)
{
    g_autoptr(GArray) ns = g_array_new(false, false, sizeof(int64_t));
    int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
    int64_t first = 0;
    int n = -1;

    if (fd < 0) {
        printf("error: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < repeat; i++) {
        int64_t t0 = g_get_monotonic_time();

        n = realize_once(fd, path, size);
        if (n < 0) {
            return 1;
        }
        t0 = g_get_monotonic_time() - t0;
        g_array_append_val(ns, t0);
        first = first ?: t0;
    }
    close(fd);
    g_array_sort(ns, cmp_i64);
    /* The first includes setting up libndctl, as a QEMU's first device. */
    printf("TIME extents %d first_us %" PRId64 " best_us %" PRId64
           " median_us %" PRId64 "\n", n, first,
           g_array_index(ns, int64_t, 0),
           g_array_index(ns, int64_t, ns->len / 2));
    return 0;
}

static int do_fragment(const char *dir, const char *file, unsigned count)
{
    static char block[4096];
    g_autofree char *fill = g_strdup_printf("%s/fill", dir);
    unsigned made = 0;
    int fd;

    memset(block, 0x5a, sizeof(block));
    if (mkdir(fill, 0700) && errno != EEXIST) {
        perror(fill);
        return 1;
    }
    /* Fill the filesystem up with one-block files. */
    for (;; made++) {
        g_autofree char *name = g_strdup_printf("%s/%u", fill, made);

        fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        /* (DAX allocates at write: a full filesystem fails it at once.) */
        if (fd < 0 || write(fd, block, sizeof(block)) != sizeof(block)) {
            if (fd >= 0) {
                close(fd);
                unlink(name);
            }
            break;
        }
        close(fd);
    }
    /* Every other block free: a file written now lands in the holes. */
    for (unsigned i = 0; i < made; i += 2) {
        g_autofree char *name = g_strdup_printf("%s/%u", fill, i);

        unlink(name);
    }
    sync();
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    for (unsigned i = 0; fd >= 0 && i < count; i++) {
        if (write(fd, block, sizeof(block)) != sizeof(block)) {
            perror(file);
            return 1;
        }
    }
    if (fd < 0 || fsync(fd)) {
        perror(file);
        return 1;
    }
    close(fd);
    printf("FRAGMENTED %s %u blocks, %u fill files\n", file, count, made);
    return 0;
}

static int do_write(const char *path, uint64_t off, const char *text)
{
    size_t len = strlen(text);
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st)) {
        perror(path);
        return 1;
    }
    if (S_ISCHR(st.st_mode)) {
        /* Device-dax only maps, in whole 2 MiB pages. */
        uint64_t base = QEMU_ALIGN_DOWN(off, 2 * MiB);
        uint64_t span = QEMU_ALIGN_UP(off + len, 2 * MiB) - base;
        char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                       base);

        if (p == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        memcpy(p + (off - base), text, len);
        /* msync is EINVAL on device-dax; flush the CPU cache instead. */
        for (uint64_t a = 0; a < len + 64; a += 64) {
            asm volatile("clflush %0" : "+m"(p[off - base + a]));
        }
        munmap(p, span);
        return 0;
    }
    if (pwrite(fd, text, len, off) != len || fsync(fd)) {
        perror("write");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t a;

    /* A lease break signals the holder: QEMU takes SIGIO in its loop. */
    signal(SIGIO, SIG_IGN);

    if (argc == 4 && !strcmp(argv[1], "resolve") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_resolve(argv[2], a, NULL);
    }
    if (argc == 5 && !strcmp(argv[1], "hold") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_resolve(argv[2], a, argv[4]);
    }
    if (argc == 5 && !strcmp(argv[1], "watch") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_watch(argv[2], a, atoi(argv[4]));
    }
    if (argc == 5 && !strcmp(argv[1], "time") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_time(argv[2], a, atoi(argv[4]));
    }
    if (argc == 6 && !strcmp(argv[1], "pinwrite") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_pinwrite(argv[2], a, strtoull(argv[4], NULL, 0), argv[5]);
    }
    if (argc == 5 && !strcmp(argv[1], "fragment")) {
        return do_fragment(argv[2], argv[3], atoi(argv[4]));
    }
    if (argc == 5 && !strcmp(argv[1], "write") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_write(argv[2], a, argv[4]);
    }
    fprintf(stderr, "usage: %s resolve PATH SIZE | hold PATH SIZE COMMAND | "
            "write PATH OFFSET TEXT | pinwrite PATH SIZE OFFSET TEXT | "
            "time PATH SIZE REPEAT | watch PATH SIZE SECONDS | "
            "fragment DIR FILE COUNT\n", argv[0]);
    return 2;
}
