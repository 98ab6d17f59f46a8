/*
 * xen-nvdimm: host physical addresses of a pmem backend, from the dom0
 * Linux NVDIMM driver
 *
 * The backend is a raw or fsdax pmem block device (or a partition of one),
 * a device-dax, or a file on a filesystem on one.  libndctl and libdaxctl
 * say where the namespace's data starts in host physical memory; FIEMAP
 * says where a file's blocks are on its block device.  For a byte at
 * backend offset L:
 *
 *   SPA = data_base + partition_start + fe_physical + (L - fe_logical)
 *
 * where data_base is the namespace resource (raw), the pfn resource (fsdax:
 * the namespace start plus its info block and memmap) or the dax mapping
 * (devdax).  BTT (sector mode) remaps blocks and has no such address.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/xattr.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <sys/inotify.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <ndctl/libndctl.h>
#include <ndctl/ndctl.h>
#include <daxctl/libdaxctl.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "system/hostmem-xen-pmem.h"
#include "hw/xen/xen-nvdimm-spa.h"
#include "trace.h"

/* Where a pmem block device's byte 0 is in host memory, and how much. */
typedef struct PmemBlock {
    char name[64];
    uint64_t data_base;
    uint64_t data_size;
    const char *mode;
    struct ndctl_region *region;
} PmemBlock;

/*
 * One libndctl context for the process, made on first use: setting one
 * up reads much of sysfs, and the guest's SMART calls reuse it.  Devices
 * are realized together at start-up, so its view of the namespaces is
 * current for all of them.
 */
static struct ndctl_ctx *spa_ctx;

static bool spa_open_ndctl(struct ndctl_ctx **ctx, Error **errp)
{
    int rc;

    if (!spa_ctx) {
        rc = ndctl_new(&spa_ctx);
        if (rc) {
            spa_ctx = NULL;
            error_setg_errno(errp, -rc, "cannot open libndctl");
            return false;
        }
    }
    *ctx = spa_ctx;
    return true;
}

/*
 * Find the namespace whose block device is @disk (e.g. "pmem0.1") and where
 * its byte 0 lives.  Refuses BTT, which has no linear address.
 */
static bool spa_find_block(struct ndctl_ctx *ctx, const char *disk,
                           PmemBlock *pb, Error **errp)
{
    struct ndctl_bus *bus;
    struct ndctl_region *region;
    struct ndctl_namespace *ns;

    ndctl_bus_foreach(ctx, bus) {
        ndctl_region_foreach(bus, region) {
            ndctl_namespace_foreach(region, ns) {
                struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ns);
                struct ndctl_btt *btt = ndctl_namespace_get_btt(ns);
                const char *bd;

                if (btt) {
                    bd = ndctl_btt_get_block_device(btt);
                    if (bd && !strcmp(bd, disk)) {
                        error_setg(errp, "%s is in sector mode (BTT), which "
                                   "remaps blocks: it has no host physical "
                                   "address; use raw, fsdax or devdax", disk);
                        return false;
                    }
                    continue;
                }
                if (pfn) {
                    bd = ndctl_pfn_get_block_device(pfn);
                    if (!bd || strcmp(bd, disk)) {
                        continue;
                    }
                    pb->data_base = ndctl_pfn_get_resource(pfn);
                    pb->data_size = ndctl_pfn_get_size(pfn);
                    pb->mode = "fsdax";
                    /*
                     * The data must end where the namespace ends: a legacy
                     * info block with end_trunc (and start_pad) padding
                     * makes the sysfs resource disagree with the driver.
                     */
                    if (pb->data_base + pb->data_size !=
                        ndctl_namespace_get_resource(ns) +
                        ndctl_namespace_get_size(ns)) {
                        error_setg(errp, "%s has a legacy padded pfn info "
                                   "block (start_pad/end_trunc): its host "
                                   "physical address is ambiguous; "
                                   "re-create the namespace", disk);
                        return false;
                    }
                } else {
                    bd = ndctl_namespace_get_block_device(ns);
                    if (!bd || strcmp(bd, disk)) {
                        continue;
                    }
                    pb->data_base = ndctl_namespace_get_resource(ns);
                    pb->data_size = ndctl_namespace_get_size(ns);
                    pb->mode = "raw";
                }
                if (pb->data_base == ULLONG_MAX ||
                    pb->data_size == ULLONG_MAX) {
                    error_setg(errp, "%s: the NVDIMM driver reports no host "
                               "physical address", disk);
                    return false;
                }
                pstrcpy(pb->name, sizeof(pb->name), disk);
                pb->region = region;
                trace_xen_nvdimm_spa_block(disk, pb->mode, pb->data_base,
                                           pb->data_size);
                return true;
            }
        }
    }
    error_setg(errp, "%s is not the block device of an NVDIMM namespace",
               disk);
    return false;
}

/*
 * The disk a block device belongs to, and where a partition starts on it:
 * libndctl knows namespaces, not partitions.
 */
static bool spa_block_disk(dev_t dev, char *disk, size_t len,
                           uint64_t *part_start, uint64_t *part_size,
                           Error **errp)
{
    g_autofree char *sys = g_strdup_printf("/sys/dev/block/%u:%u",
                                           major(dev), minor(dev));
    g_autofree char *link = g_file_read_link(sys, NULL);
    g_autofree char *attr = NULL;
    g_autofree char *text = NULL;
    g_autofree char *parent = NULL;
    uint64_t sectors;

    if (!link) {
        error_setg(errp, "block device %u:%u is not in sysfs",
                   major(dev), minor(dev));
        return false;
    }
    *part_start = 0;
    *part_size = 0;
    attr = g_strdup_printf("%s/partition", sys);
    if (g_file_test(attr, G_FILE_TEST_EXISTS)) {
        g_free(attr);
        attr = g_strdup_printf("%s/start", sys);
        if (!g_file_get_contents(attr, &text, NULL, NULL) ||
            qemu_strtou64(g_strstrip(text), NULL, 10, &sectors)) {
            error_setg(errp, "cannot read %s", attr);
            return false;
        }
        *part_start = sectors * 512;
        g_free(text);
        g_free(attr);
        attr = g_strdup_printf("%s/size", sys);
        if (!g_file_get_contents(attr, &text, NULL, NULL) ||
            qemu_strtou64(g_strstrip(text), NULL, 10, &sectors)) {
            error_setg(errp, "cannot read %s", attr);
            return false;
        }
        *part_size = sectors * 512;
        parent = g_path_get_dirname(link);
        pstrcpy(disk, len, strrchr(parent, '/') + 1);
    } else {
        pstrcpy(disk, len, strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
    }
    return true;
}

/*
 * Where the host keeps the media errors it knows of: the region's list
 * (from the platform's address range scrub) and, for a pmem disk, the
 * disk's own, which also has what the driver or the admin added.  Both
 * count in 512-byte sectors: the region's from its start, the disk's from
 * its data.  They are read now and whenever the guest scrubs.
 */
static bool spa_add_source(GArray *sources, const char *dir, const char *name,
                           uint64_t base, const PmemBlock *pb, Error **errp)
{
    XenNvdimmBadSource src = { .base = base };

    if (snprintf(src.path, sizeof(src.path), "%s/%s/badblocks", dir,
                 name) >= sizeof(src.path)) {
        error_setg(errp, "%s: sysfs name too long", name);
        return false;
    }
    pstrcpy(src.region, sizeof(src.region),
            ndctl_region_get_devname(pb->region));
    for (guint i = 0; i < sources->len; i++) {
        if (!strcmp(g_array_index(sources, XenNvdimmBadSource, i).path,
                    src.path)) {
            return true;
        }
    }
    g_array_append_val(sources, src);
    return true;
}

static bool spa_badblocks(const PmemBlock *pb, bool disk, GArray *sources,
                          Error **errp)
{
    return spa_add_source(sources, "/sys/bus/nd/devices",
                          ndctl_region_get_devname(pb->region),
                          ndctl_region_get_resource(pb->region), pb, errp) &&
           (!disk || spa_add_source(sources, "/sys/block", pb->name,
                                    pb->data_base, pb, errp));
}

bool xen_nvdimm_read_badblocks(GArray *sources, GArray *bad, Error **errp)
{
    ERRP_GUARD();
    for (guint i = 0; i < sources->len; i++) {
        XenNvdimmBadSource *src = &g_array_index(sources, XenNvdimmBadSource,
                                                 i);
        g_autofree char *text = NULL;
        g_autoptr(GError) gerr = NULL;
        guint before = bad->len;

        if (!g_file_get_contents(src->path, &text, NULL, &gerr)) {
            error_setg(errp, "cannot read the known media errors: %s",
                       gerr->message);
            return false;
        }
        if (!xen_nvdimm_parse_badblocks(text, src->base, bad, errp)) {
            error_prepend(errp, "%s: ", src->path);
            return false;
        }
        trace_xen_nvdimm_spa_badblocks(src->path, bad->len - before);
    }
    return true;
}

/*
 * One DIMM's SMART and health data, as the host's driver gives it; false
 * if it gives none.
 */
static bool spa_dimm_health(struct ndctl_dimm *dimm, NvdimmHealth *h)
{
    struct ndctl_cmd *cmd;
    bool ok = false;

    if (!ndctl_dimm_is_cmd_supported(dimm, ND_CMD_SMART)) {
        return false;
    }
    cmd = ndctl_dimm_cmd_new_smart(dimm);
    if (cmd && ndctl_cmd_submit_xlat(cmd) >= 0) {
        h->flags = ndctl_cmd_smart_get_flags(cmd);
        h->health = ndctl_cmd_smart_get_health(cmd);
        h->spares = ndctl_cmd_smart_get_spares(cmd);
        h->life_used = ndctl_cmd_smart_get_life_used(cmd);
        h->temperature = ndctl_cmd_smart_get_media_temperature(cmd);
        h->shutdown_count = ndctl_cmd_smart_get_shutdown_count(cmd);
        h->shutdown_state = ndctl_cmd_smart_get_shutdown_state(cmd);
        ok = true;
    }
    ndctl_cmd_unref(cmd);
    return ok;
}

int xen_nvdimm_read_health(GArray *sources, NvdimmHealth *h,
                           Error **errp)
{
    g_autoptr(GArray) dimms = g_array_new(false, false,
                                          sizeof(NvdimmHealth));
    g_autoptr(GArray) smart = g_array_new(false, false, sizeof(bool));
    struct ndctl_ctx *ctx;
    struct ndctl_bus *bus;
    struct ndctl_region *region;
    struct ndctl_dimm *dimm;

    if (!spa_open_ndctl(&ctx, errp)) {
        return -1;
    }
    ndctl_bus_foreach(ctx, bus) {
        ndctl_region_foreach(bus, region) {
            bool ours = false;

            for (guint i = 0; i < sources->len; i++) {
                ours |= !strcmp(ndctl_region_get_devname(region),
                                g_array_index(sources, XenNvdimmBadSource,
                                              i).region);
            }
            if (!ours) {
                continue;
            }
            ndctl_dimm_foreach_in_region(region, dimm) {
                NvdimmHealth one = { 0 };
                bool have = spa_dimm_health(dimm, &one);

                if (!have) {
                    trace_xen_nvdimm_spa_no_health(
                        ndctl_dimm_get_devname(dimm));
                }
                g_array_append_val(dimms, one);
                g_array_append_val(smart, have);
            }
        }
    }
    return xen_nvdimm_health_of_dimms((NvdimmHealth *)dimms->data,
                                      (bool *)smart->data, dimms->len, h);
}

int xen_nvdimm_badblocks_watch(GArray *sources)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int watched = 0;

    if (fd < 0) {
        trace_xen_nvdimm_media_unwatched("inotify", errno);
        return -1;
    }
    for (guint i = 0; i < sources->len; i++) {
        const char *path = g_array_index(sources, XenNvdimmBadSource, i).path;

        if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
            trace_xen_nvdimm_media_unwatched(path, errno);
            continue;
        }
        watched++;
    }
    if (!watched) {
        close(fd);
        return -1;
    }
    return fd;
}

bool xen_nvdimm_badblocks_rearm(int fd)
{
    char buf[4096] QEMU_ALIGNED(__alignof__(struct inotify_event));
    bool changed = false;

    while (read(fd, buf, sizeof(buf)) > 0) {
        changed = true;
    }
    return changed;
}

bool xen_nvdimm_read_persistence(GArray *sources, XenNvdimmPersistence *p,
                                 Error **errp)
{
    struct ndctl_ctx *ctx;
    struct ndctl_bus *bus;
    struct ndctl_region *region;
    bool any = false;

    if (!spa_open_ndctl(&ctx, errp)) {
        return false;
    }
    *p = XEN_NVDIMM_PERSIST_CPU_CACHE;
    ndctl_bus_foreach(ctx, bus) {
        ndctl_region_foreach(bus, region) {
            bool ours = false;

            for (guint i = 0; i < sources->len; i++) {
                ours |= !strcmp(ndctl_region_get_devname(region),
                                g_array_index(sources, XenNvdimmBadSource,
                                              i).region);
            }
            if (!ours) {
                continue;
            }
            any = true;
            switch (ndctl_region_get_persistence_domain(region)) {
            case PERSISTENCE_CPU_CACHE:
                break;
            case PERSISTENCE_MEM_CTRL:
                *p = MIN(*p, XEN_NVDIMM_PERSIST_MEMCTRL);
                break;
            default:            /* none, or a word this libndctl lacks */
                *p = XEN_NVDIMM_PERSIST_NONE;
                break;
            }
        }
    }
    if (!any) {
        *p = XEN_NVDIMM_PERSIST_NONE;
    }
    return true;
}

/* Add [offset, offset + size) at @spa, proven inside @pb's data range. */
static bool spa_add(GArray *extents, const PmemBlock *pb, uint64_t offset,
                    uint64_t dev_offset, uint64_t size, Error **errp)
{
    XenNvdimmExtent e = {
        .offset = offset,
        .spa = pb->data_base + dev_offset,
        .size = size,
    };

    if (dev_offset > pb->data_size || size > pb->data_size - dev_offset) {
        error_setg(errp, "bytes 0x%" PRIx64 "+0x%" PRIx64 " of %s lie outside "
                   "its namespace's data (0x%" PRIx64 " bytes)", dev_offset,
                   size, pb->name, pb->data_size);
        return false;
    }
    g_array_append_val(extents, e);
    return true;
}

/* A pmem block device or a partition of one. */
static bool spa_resolve_blockdev(struct ndctl_ctx *ctx, dev_t rdev,
                                 const char *path, uint64_t size,
                                 GArray *extents, GArray *sources, Error **errp)
{
    PmemBlock pb;
    uint64_t part_start, part_size;

    if (!spa_block_disk(rdev, pb.name, sizeof(pb.name), &part_start,
                        &part_size, errp) ||
        !spa_find_block(ctx, pb.name, &pb, errp)) {
        return false;
    }
    if (part_size && size > part_size) {
        error_setg(errp, "%s is 0x%" PRIx64 " bytes, smaller than the "
                   "backend", path, part_size);
        return false;
    }
    return spa_badblocks(&pb, true, sources, errp) &&
           spa_add(extents, &pb, 0, part_start, size, errp);
}

/*
 * Keeping a file's blocks where FIEMAP found them.
 *
 * While the guest maps a file's blocks, the filesystem must not move or
 * free them.  The file is made immutable, after a write lease has proven
 * that nobody else has it open: from then on nobody can open it for
 * writing, and truncate, fallocate (punch, collapse), defragmentation
 * (EXT4_IOC_MOVE_EXT, XFS_IOC_SWAPEXT) and cloning or deduplicating into
 * it all need a descriptor open for writing, which only QEMU has.  Only
 * filesystems whose FIEMAP offsets are on the block device checked above
 * qualify: ext2/3/4, and XFS for files outside its realtime device.
 */
#define SPA_EXT4_MAGIC  0xef53
#define SPA_XFS_MAGIC   0x58465342

static bool spa_check_fs(int fd, const char *path, Error **errp)
{
    struct statfs sfs;
    struct fsxattr fsx;

    if (fstatfs(fd, &sfs)) {
        error_setg_errno(errp, errno, "cannot statfs %s", path);
        return false;
    }
    if (sfs.f_type == SPA_EXT4_MAGIC) {
        return true;
    }
    if (sfs.f_type != SPA_XFS_MAGIC) {
        error_setg(errp, "%s is on a filesystem of type 0x%lx: only files on "
                   "ext2/3/4 and XFS can back a guest's pmem", path,
                   (unsigned long)sfs.f_type);
        return false;
    }
    if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx)) {
        error_setg_errno(errp, errno, "cannot get the XFS flags of %s", path);
        return false;
    }
    if (fsx.fsx_xflags & FS_XFLAG_REALTIME) {
        error_setg(errp, "%s is on XFS's realtime device, whose blocks "
                   "FIEMAP does not place on the data device", path);
        return false;
    }
    return true;
}

static bool spa_set_immutable(int fd, bool on, Error **errp)
{
    int flags;

    if (ioctl(fd, FS_IOC_GETFLAGS, &flags)) {
        error_setg_errno(errp, errno, "cannot get the file's flags");
        return false;
    }
    flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags)) {
        error_setg_errno(errp, errno, "cannot %s the file's immutable flag",
                         on ? "set" : "clear");
        return false;
    }
    return true;
}

/* A write lease is only granted while nobody else has the file open. */
static bool spa_lease(int fd, Error **errp)
{
    ERRP_GUARD();
    if (fcntl(fd, F_SETLEASE, F_WRLCK)) {
        error_setg_errno(errp, errno, "cannot take a write lease");
        if (errno == EAGAIN) {
            error_append_hint(errp, "Another process has the file open.\n");
        }
        return false;
    }
    return true;
}

/*
 * Never fatal: the kernel removes a lease itself once a breaker has waited
 * lease-break-time, and the release then fails with EAGAIN.
 */
static void spa_lease_drop(int fd, const char *path)
{
    if (fcntl(fd, F_SETLEASE, F_UNLCK)) {
        trace_xen_nvdimm_file_lease_lost(path, errno);
    }
}

/*
 * Make the file immutable while nobody else has it open, then prove that
 * still nobody has: a writer that passed its permission check before the
 * flag was set (and waited on our lease) would hold a writable descriptor
 * now, and the second lease is refused.  Once the flag is set, no new
 * writer gets in; the flag is never lifted again while the domain may map
 * the blocks (label writes go through the descriptor QEMU has, see
 * xen_nvdimm_file_labels_ok()).
 */
bool xen_nvdimm_file_pin(int fd, const char *path, Error **errp)
{
    ERRP_GUARD();
    char boot[XEN_PMEM_BOOT_ID_LEN + 1];
    Error *err = NULL;
    bool ok;

    if (!spa_check_fs(fd, path, errp) || !xen_pmem_boot_id(boot, errp)) {
        error_prepend(errp, "cannot pin %s: ", path);
        return false;
    }
    /* Marked first: an immutable file's attributes cannot change. */
    if (fsetxattr(fd, XEN_PMEM_PIN_XATTR, boot, XEN_PMEM_BOOT_ID_LEN, 0)) {
        error_setg_errno(errp, errno, "cannot pin %s: cannot mark it", path);
        return false;
    }
    if (!spa_lease(fd, errp)) {
        fremovexattr(fd, XEN_PMEM_PIN_XATTR);
        error_prepend(errp, "cannot pin %s: ", path);
        return false;
    }
    ok = spa_set_immutable(fd, true, errp);
    spa_lease_drop(fd, path);
    if (ok && !spa_lease(fd, errp)) {
        error_prepend(errp, "a process opened the file while it was being "
                      "pinned: ");
        if (!spa_set_immutable(fd, false, &err)) {
            error_report_err(err);
        }
        ok = false;
    } else if (ok) {
        spa_lease_drop(fd, path);
    }
    if (!ok) {
        fremovexattr(fd, XEN_PMEM_PIN_XATTR);
        error_prepend(errp, "cannot pin %s: ", path);
    }
    trace_xen_nvdimm_file_pin(path, ok);
    return ok;
}

/* Also run by the guardian process: no trace, no report. */
bool xen_nvdimm_file_unpin(int fd, const char *path, Error **errp)
{
    if (!spa_set_immutable(fd, false, errp)) {
        return false;
    }
    if (fremovexattr(fd, XEN_PMEM_PIN_XATTR) && errno != ENODATA) {
        error_setg_errno(errp, errno, "cannot remove the pin's mark");
        return false;
    }
    return true;
}

/*
 * ext4 refuses every write to an immutable file, even through a descriptor
 * opened before the flag was set: its label area could only be written by
 * lifting the flag, and a lifted flag lets the file be unlinked, truncated
 * or defragmented while the guest maps its blocks.  XFS writes through the
 * open descriptor and keeps the flag.
 */
bool xen_nvdimm_file_labels_ok(int fd, const char *path, Error **errp)
{
    ERRP_GUARD();
    struct statfs sfs;

    if (fstatfs(fd, &sfs)) {
        error_setg_errno(errp, errno, "cannot statfs %s", path);
        return false;
    }
    if (sfs.f_type == SPA_EXT4_MAGIC) {
        error_setg(errp, "%s is on ext4, which cannot write the label area "
                   "of a pinned file", path);
        error_append_hint(errp, "Keep labels on a namespace or on a file on "
                          "XFS, or set label-size=0.\n");
        return false;
    }
    return true;
}

/* FIEMAP flags that rule out a stable, initialised, private extent. */
#define SPA_FIEMAP_BAD \
    (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED | \
     FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_NOT_ALIGNED | \
     FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL | \
     FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_SHARED)

#define SPA_FIEMAP_BATCH 256

/* A file on a filesystem on a pmem block device. */
static bool spa_resolve_file(struct ndctl_ctx *ctx, int fd, dev_t dev,
                             const char *path, uint64_t size,
                             GArray *extents, GArray *sources, bool *pinned,
                             Error **errp)
{
    ERRP_GUARD();
    g_autofree struct fiemap *fm =
        g_malloc0(sizeof(*fm) + SPA_FIEMAP_BATCH * sizeof(fm->fm_extents[0]));
    PmemBlock pb;
    uint64_t part_start, part_size, next = 0;

    if (!spa_block_disk(dev, pb.name, sizeof(pb.name), &part_start,
                        &part_size, errp)) {
        error_prepend(errp, "%s is not on a pmem block device: ", path);
        return false;
    }
    if (!spa_find_block(ctx, pb.name, &pb, errp)) {
        error_prepend(errp, "%s is on a filesystem on %u:%u: ", path,
                      major(dev), minor(dev));
        return false;
    }
    if (!spa_badblocks(&pb, true, sources, errp)) {
        return false;
    }
    if (pinned) {
        if (!xen_nvdimm_file_pin(fd, path, errp)) {
            return false;
        }
        *pinned = true;
    }
    for (bool more = true; more && next < size;) {
        fm->fm_start = next;
        fm->fm_length = size - next;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = SPA_FIEMAP_BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
            error_setg_errno(errp, errno, "FIEMAP on %s failed", path);
            return false;
        }
        more = fm->fm_mapped_extents > 0;
        for (unsigned i = 0; more && i < fm->fm_mapped_extents; i++) {
            struct fiemap_extent *fe = &fm->fm_extents[i];
            uint64_t skip, len;

            if (fe->fe_logical > next) {
                more = false;   /* a hole: reported below */
                break;
            }
            if (fe->fe_flags & SPA_FIEMAP_BAD) {
                error_setg(errp, "%s: bytes 0x%" PRIx64 "+0x%" PRIx64 " are "
                           "an extent with FIEMAP flags 0x%x (unwritten, "
                           "shared, inline or otherwise not a plain block "
                           "run); write the file out in full first",
                           path, (uint64_t)fe->fe_logical,
                           (uint64_t)fe->fe_length, fe->fe_flags);
                return false;
            }
            more = !(fe->fe_flags & FIEMAP_EXTENT_LAST);
            /* The first extent may start before what was asked for. */
            skip = next - fe->fe_logical;
            if (skip >= fe->fe_length) {
                continue;
            }
            len = MIN(fe->fe_length - skip, size - next);
            if (part_size && (fe->fe_physical + skip > part_size ||
                              len > part_size - fe->fe_physical - skip)) {
                error_setg(errp, "%s: extent at 0x%" PRIx64 " lies outside "
                           "its partition", path, (uint64_t)fe->fe_logical);
                return false;
            }
            if (!spa_add(extents, &pb, next,
                         part_start + fe->fe_physical + skip, len, errp)) {
                error_prepend(errp, "%s: ", path);
                return false;
            }
            next += len;
        }
    }
    if (next < size) {
        error_setg(errp, "%s: bytes from 0x%" PRIx64 " are a hole or past "
                   "the end of the file; allocate and write the whole file",
                   path, next);
        return false;
    }
    return true;
}

/* A device-dax: its mappings, or its one range on older kernels. */
static bool spa_resolve_devdax(struct ndctl_ctx *ctx, dev_t rdev,
                               const char *path, uint64_t size,
                               GArray *extents, GArray *sources, Error **errp)
{
    ERRP_GUARD();
    struct ndctl_bus *bus;
    struct ndctl_region *region;
    struct ndctl_namespace *ns;
    struct daxctl_dev *dev;
    struct daxctl_mapping *m;
    uint64_t page = qemu_real_host_page_size();

    ndctl_bus_foreach(ctx, bus) {
        ndctl_region_foreach(bus, region) {
            ndctl_namespace_foreach(region, ns) {
                struct ndctl_dax *dax = ndctl_namespace_get_dax(ns);
                struct daxctl_region *dregion;
                PmemBlock pb = { .mode = "devdax" };
                bool any = false;

                if (!dax) {
                    continue;
                }
                dregion = ndctl_dax_get_daxctl_region(dax);
                daxctl_dev_foreach(dregion, dev) {
                    if (daxctl_dev_get_major(dev) != major(rdev) ||
                        daxctl_dev_get_minor(dev) != minor(rdev)) {
                        continue;
                    }
                    pstrcpy(pb.name, sizeof(pb.name),
                            daxctl_dev_get_devname(dev));
                    pb.region = region;
                    pb.data_base = ndctl_dax_get_resource(dax);
                    pb.data_size = ndctl_dax_get_size(dax);
                    trace_xen_nvdimm_spa_block(pb.name, pb.mode, pb.data_base,
                                               pb.data_size);
                    if (!spa_badblocks(&pb, false, sources, errp)) {
                        return false;
                    }
                    daxctl_mapping_foreach(dev, m) {
                        uint64_t off = daxctl_mapping_get_offset(m) * page;
                        uint64_t start = daxctl_mapping_get_start(m);
                        uint64_t len = daxctl_mapping_get_size(m);

                        any = true;
                        if (off >= size) {
                            continue;
                        }
                        if (start < pb.data_base) {
                            error_setg(errp, "%s: mapping at 0x%" PRIx64
                                       " lies outside its namespace's data",
                                       path, start);
                            return false;
                        }
                        if (!spa_add(extents, &pb, off, start - pb.data_base,
                                     MIN(len, size - off), errp)) {
                            error_prepend(errp, "%s: ", path);
                            return false;
                        }
                    }
                    if (!any) {
                        uint64_t start = daxctl_dev_get_resource(dev);

                        if (start < pb.data_base) {
                            error_setg(errp, "%s starts outside its "
                                       "namespace's data", path);
                            return false;
                        }
                        return spa_add(extents, &pb, 0,
                                       start - pb.data_base, size, errp);
                    }
                    /* Mappings come in device order on Linux; be sure. */
                    g_array_sort(extents, xen_nvdimm_extent_cmp);
                    return true;
                }
            }
        }
    }
    error_setg(errp, "%s is not a device-dax of an NVDIMM namespace", path);
    return false;
}

bool xen_nvdimm_resolve_spa(int fd, const char *path, uint64_t size,
                            GArray *extents, GArray *sources, bool *pinned,
                            Error **errp)
{
    struct ndctl_ctx *ctx;
    struct stat st;

    if (fstat(fd, &st)) {
        error_setg_errno(errp, errno, "cannot stat %s", path);
        return false;
    }
    if (!spa_open_ndctl(&ctx, errp)) {
        return false;
    }
    if (S_ISBLK(st.st_mode)) {
        return spa_resolve_blockdev(ctx, st.st_rdev, path, size, extents,
                                    sources, errp);
    }
    if (S_ISCHR(st.st_mode)) {
        return spa_resolve_devdax(ctx, st.st_rdev, path, size, extents,
                                  sources, errp);
    }
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size < size) {
            error_setg(errp, "%s (0x%" PRIx64 " bytes) is smaller than the "
                       "backend", path, (uint64_t)st.st_size);
            return false;
        }
        return spa_resolve_file(ctx, fd, st.st_dev, path, size, extents,
                                sources, pinned, errp);
    }
    error_setg(errp, "%s is not a block device, device-dax or file", path);
    return false;
}
