/*
 * xen-nvdimm-resolve: run xen-nvdimm's host-physical-address resolver
 * (hw/xen/xen-nvdimm-spa.c, linked unchanged) on a pmem backend inside a
 * test guest, and write test patterns.
 *
 *   xen-nvdimm-resolve resolve PATH SIZE
 *       prints "extent OFFSET SPA SIZE" per extent, or "error: ..."
 *   xen-nvdimm-resolve write PATH OFFSET STRING
 *       writes STRING at OFFSET (mmap for a device-dax) and makes it durable
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "hw/xen/xen-nvdimm-ops.h"

static int do_resolve(const char *path, uint64_t size)
{
    g_autoptr(GArray) extents = g_array_new(false, false,
                                            sizeof(XenNvdimmExtent));
    g_autoptr(GArray) bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    bool pinned = false;
    Error *err = NULL;
    int fd = open(path, O_RDWR);

    if (fd < 0) {
        printf("error: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!xen_nvdimm_resolve_spa(fd, path, size, extents, bad, &pinned, &err) ||
        !xen_nvdimm_extents_check(extents, size, &err)) {
        printf("error: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(extents, XenNvdimmExtent, i);

        printf("extent 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
               e->offset, e->spa, e->size);
    }
    return 0;
}

static int do_write(const char *path, uint64_t off, const char *text)
{
    size_t len = strlen(text);
    struct stat st;
    int fd = open(path, O_RDWR);

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

    if (argc == 4 && !strcmp(argv[1], "resolve") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_resolve(argv[2], a);
    }
    if (argc == 5 && !strcmp(argv[1], "write") &&
        !qemu_strtosz(argv[3], NULL, &a)) {
        return do_write(argv[2], a, argv[4]);
    }
    fprintf(stderr, "usage: %s resolve PATH SIZE | write PATH OFFSET TEXT\n",
            argv[0]);
    return 2;
}
