/*
 * xen-nvdimm: emulated host and hypervisor
 *
 * The test-only xen-nvdimm-emu: xen-nvdimm on an emulated host and Xen,
 * for qtest and TCG test guests (QEMU refuses it on Xen, and with KVM).
 * The emulated host places each backend's data area at an emulated
 * system-physical address, scattered in extents when asked; the emulated
 * domain keeps Xen's iomem permissions and maps extents at guest addresses
 * by putting the backend's own memory there, so what the guest writes
 * lands in the backing file exactly where the extents say.
 *
 * The emulated domain is as strict as Xen: mapping needs permission for
 * every frame (so does unmapping), and it also refuses what Xen would do
 * silently but wrongly (mapping over a mapping, unmapping what is not
 * mapped), so device bugs surface in tests.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/inotify.h>
#include "qemu/cutils.h"
#include "qemu/rcu.h"
#include "qemu/units.h"
#include "qemu/xxhash.h"
#include "qapi/error.h"
#include "exec/address-spaces.h"
#include "hw/boards.h"
#include "hw/i386/x86.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen_backend_ops.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "hw/xen/xen-nvdimm-spa.h"
#include "hw/qdev-properties.h"
#include "system/qtest.h"
#include "system/tcg.h"
#include "system/xen.h"
#include "trace.h"

/*
 * The emulated host: RAM up to EMU_SPA_BASE, then persistent memory in
 * slots of EMU_SLOT_SIZE up to Xen's 52-bit limit.  A backing file keeps
 * its slot (emu_slot()), so every QEMU process on this host sees the same
 * file at the same emulated host address, as it would a namespace.
 */
#define EMU_SPA_BASE    (16 * TiB)
#define EMU_SLOT_SIZE   (1 * TiB)
#define EMU_SLOTS       ((XEN_NVDIMM_GPA_LIMIT - EMU_SPA_BASE) / EMU_SLOT_SIZE)

typedef struct EmuMapping {
    struct rcu_head rcu;
    XenNvdimmState *owner;
    uint64_t gfn, mfn, nr;
    bool wb;                    /* mapped write-back (XEN_DMOP_map_pmem) */
    MemoryRegion alias;
} EmuMapping;

/* The emulated domain: frames it may access, and what is mapped where. */
static GArray *emu_permitted;           /* XenNvdimmRange of frames */
static GPtrArray *emu_mappings;         /* EmuMapping */
static GPtrArray *emu_hosts;            /* XenNvdimmState with host pmem */

OBJECT_DECLARE_SIMPLE_TYPE(XenNvdimmEmu, XEN_NVDIMM_EMU)

struct XenNvdimmEmu {
    XenNvdimmState parent_obj;

    /* Properties: what the emulated host and hypervisor do */
    /* Make the k-th hypervisor call fail. */
    uint32_t fail_call;
    /* Make every unmap fail. */
    bool fail_unmap;
    /* The domain is gone when QEMU exits. */
    bool domain_gone;
    /* Scatter the pmem in extents of this size ... */
    uint64_t extent_size;
    /* ... with this much host memory between. */
    uint64_t extent_gap;
    /* The domain's memory reaches this far. */
    uint64_t max_gpa;
    /* The backend's host address, not its slot. */
    uint64_t host_address;
    /* Two extents on the same host memory. */
    bool alias;
    /* Pin a backing file as on a DAX filesystem. */
    bool pin;
    /* The hypervisor maps pmem write-back (off: a stock Xen). */
    bool xen_wb;
    /* What the host says of its memory. */
    char *host_memory;
    /* Files: the backend's bad sectors (as sysfs lists them), its health. */
    char *badblocks;
    char *health;
    /* Its persistence domain, in Linux's word. */
    char *persistence;
    /* The emulated host's state directory, instead of the host's own. */
    char *host_dir;

    /* Set at realize */
    uint32_t calls;             /* hypervisor calls made so far */
    uint64_t spa;               /* emulated host address of the backend */
    MemoryRegion ram;           /* the data area, mmapped */
};

static XenNvdimmEmu *emu_of(XenNvdimmState *s)
{
    return container_of(s, XenNvdimmEmu, parent_obj);
}

/* Test hook: fail the k-th hypervisor call made for a device. */
static bool emu_fail(XenNvdimmState *s)
{
    XenNvdimmEmu *emu = emu_of(s);

    if (++emu->calls == emu->fail_call) {
        trace_xen_nvdimm_emu_fail(emu->calls);
        return true;
    }
    return false;
}

/* Does the registry line's file still exist as the file it names? */
static bool emu_slot_live(const char *path, dev_t dev, ino_t ino)
{
    g_autofree char *name = g_strcompress(path);
    struct stat st;

    return !stat(name, &st) && st.st_dev == dev && st.st_ino == ino;
}

/*
 * The emulated host's slot for the file open at @fd.  Slots are handed out
 * host-wide, under a lock, in HOST_DIR/emulated-slots: one line "SLOT DEV
 * INO PATH" per file, its slot kept while the file exists; a new file takes
 * the first slot from its hash on that no existing file holds.  So no two
 * files that exist at once share host memory, as on a real host.
 */
static bool emu_slot(XenNvdimmState *s, int fd, const struct stat *st,
                     uint64_t *slot, Error **errp)
{
    ERRP_GUARD();
    g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autofree char *path = g_file_read_link(link, NULL);
    g_autofree char *escaped = g_strescape(path ?: "", "");
    g_autofree bool *taken = g_new0(bool, EMU_SLOTS);
    g_autoptr(GString) out = g_string_new("");
    g_autofree char *text = NULL;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    g_auto(GStrv) lines = NULL;
    bool found = false, ok = false;
    struct stat now;
    int reg;

    reg = xen_nvdimm_host_file(s, "emulated-slots", errp);
    if (reg < 0) {
        error_prepend(errp, "the emulated host's slots: ");
        return false;
    }
    if (RETRY_ON_EINTR(fcntl(reg, F_OFD_SETLKW, &fl)) || fstat(reg, &now)) {
        error_setg_errno(errp, errno, "cannot lock the emulated host's "
                         "slots");
        goto out;
    }
    if (now.st_size > EMU_SLOTS * 8 * KiB) {
        error_setg(errp, "the emulated host's slots are not a list of "
                   "slots");
        goto out;
    }
    text = g_malloc0(now.st_size + 1);
    if (RETRY_ON_EINTR(pread(reg, text, now.st_size, 0)) != now.st_size) {
        error_setg_errno(errp, errno, "cannot read the emulated host's "
                         "slots");
        goto out;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        uint64_t n, dev, ino;
        int used = 0;
        bool mine;

        if (sscanf(*l, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %n",
                   &n, &dev, &ino, &used) != 3 || !used || n >= EMU_SLOTS) {
            continue;           /* an empty or damaged line: dropped */
        }
        mine = dev == st->st_dev && ino == st->st_ino;
        if (taken[n] || (mine ? found : !emu_slot_live(*l + used, dev, ino))) {
            continue;           /* a file that is gone: its slot is free */
        }
        if (mine) {
            *slot = n;
            found = true;
        }
        taken[n] = true;
        g_string_append_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64
                               " %s\n", n, dev, ino,
                               mine ? escaped : *l + used);
    }
    if (!found) {
        uint64_t h = qemu_xxhash4(st->st_dev, st->st_ino) % EMU_SLOTS;

        for (uint64_t i = 0; i < EMU_SLOTS && !found; i++) {
            if (!taken[(h + i) % EMU_SLOTS]) {
                *slot = (h + i) % EMU_SLOTS;
                found = true;
            }
        }
        if (!found) {
            error_setg(errp, "the emulated host has no free pmem slot");
            goto out;
        }
        g_string_append_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64
                               " %s\n", *slot, (uint64_t)st->st_dev,
                               (uint64_t)st->st_ino, escaped);
    }
    if (ftruncate(reg, 0) ||
        RETRY_ON_EINTR(pwrite(reg, out->str, out->len, 0)) != out->len) {
        error_setg_errno(errp, errno, "cannot write the emulated host's "
                         "slots");
        goto out;
    }
    ok = true;
out:
    close(reg);                 /* and with it, the lock */
    return ok;
}

static bool emu_attach(XenNvdimmState *s, int fd, bool readonly,
                       Error **errp)
{
    XenNvdimmEmu *emu = emu_of(s);
    uint32_t flags = RAM_SHARED;
    g_autofree char *name = g_strdup_printf("xen-nvdimm.%s", s->name);
    struct stat st;
    uint64_t slot;
    int ram_fd;

    if (emu->host_dir) {
        s->host_dir = s->secret_dir = emu->host_dir;
    }
    /* xenstore, for tests: a stand-in, reached as libxenstore reaches it. */
    if (g_getenv("XENSTORED_PATH") && !xen_xenstore_ops) {
        setup_xen_backend_ops();
    }
    if (fstat(fd, &st)) {
        error_setg_errno(errp, errno, "cannot stat the backend");
        return false;
    }
    if (s->data_size > EMU_SLOT_SIZE) {
        error_setg(errp, "the emulated host has no pmem namespace larger "
                   "than 1 TiB");
        return false;
    }
    if (emu->host_address) {
        /* x-emu-host-address: the test places the backend itself. */
        if (emu->host_address < EMU_SPA_BASE ||
            emu->host_address > XEN_NVDIMM_GPA_LIMIT - EMU_SLOT_SIZE ||
            !QEMU_IS_ALIGNED(emu->host_address, XEN_NVDIMM_PAGE_SIZE)) {
            error_setg(errp, "x-emu-host-address must be page-aligned, "
                       "from 0x%" PRIx64 " to 0x%" PRIx64,
                       (uint64_t)EMU_SPA_BASE,
                       (uint64_t)(XEN_NVDIMM_GPA_LIMIT - EMU_SLOT_SIZE));
            return false;
        }
        emu->spa = emu->host_address;
    } else if (emu_slot(s, fd, &st, &slot, errp)) {
        emu->spa = EMU_SPA_BASE + slot * EMU_SLOT_SIZE;
    } else {
        return false;
    }
    if (readonly) {
        flags |= RAM_READONLY | RAM_READONLY_FD;
    }
    /*
     * The RAM block closes its fd when it goes: give it its own, so the
     * backend outlives a device that is refused or unplugged.
     */
    ram_fd = dup(fd);
    if (ram_fd < 0) {
        error_setg_errno(errp, errno, "cannot duplicate the backend's fd");
        return false;
    }
    if (!memory_region_init_ram_from_fd(&emu->ram, OBJECT(s), name,
                                        s->data_size, flags, ram_fd, 0,
                                        errp)) {
        close(ram_fd);
        return false;
    }
    if (!emu_hosts) {
        emu_hosts = g_ptr_array_new();
    }
    g_ptr_array_add(emu_hosts, s);
    return true;
}

static void emu_drop_mapping(EmuMapping *m)
{
    memory_region_del_subregion(get_system_memory(), &m->alias);
    object_unparent(OBJECT(&m->alias));
    g_ptr_array_remove(emu_mappings, m);
    /* A vCPU may still see the old memory map. */
    g_free_rcu(m, rcu);
}

static void emu_detach(XenNvdimmState *s)
{
    /*
     * Mappings the device failed to remove would outlive its memory: drop
     * them, but say so (on Xen they would stay).
     */
    for (guint i = emu_mappings ? emu_mappings->len : 0; i-- > 0;) {
        EmuMapping *m = g_ptr_array_index(emu_mappings, i);

        if (m->owner == s) {
            trace_xen_nvdimm_emu_stale_mapping(m->gfn, m->mfn, m->nr);
            emu_drop_mapping(m);
        }
    }
    g_ptr_array_remove(emu_hosts, s);
    object_unparent(OBJECT(&emu_of(s)->ram));
}

/*
 * The data area in extents of x-emu-extent-size, laid out in host memory
 * in reverse order, x-emu-extent-gap apart, or one extent when the size
 * is 0.
 */
static bool emu_resolve(HostMemoryBackendXenPmem *pm, void *opaque,
                        uint64_t size, GArray *extents, bool *pinned,
                        Error **errp)
{
    XenNvdimmEmu *emu = emu_of(opaque);
    uint64_t step = emu->extent_size ?: size;
    uint64_t n = DIV_ROUND_UP(size, step);
    uint64_t stride = step + emu->extent_gap;
    struct stat st;

    if (!QEMU_IS_ALIGNED(step | emu->extent_gap, XEN_NVDIMM_PAGE_SIZE)) {
        error_setg(errp, "x-emu-extent-size and -gap must be multiples of "
                   "4 KiB");
        return false;
    }
    if (stride < step || n > EMU_SLOT_SIZE / stride) {
        error_setg(errp, "the extents do not fit the emulated namespace");
        return false;
    }
    /* x-emu-pin: a file is pinned as on a DAX filesystem (ext4, XFS). */
    if (emu->pin && !fstat(pm->fd, &st) && S_ISREG(st.st_mode)) {
        if (!xen_nvdimm_file_pin(pm->fd, pm->mem_path, errp)) {
            return false;
        }
        *pinned = true;
    }
    for (uint64_t i = 0; i < n; i++) {
        XenNvdimmExtent e = {
            .offset = i * step,
            .spa = emu->spa + (n - 1 - i) * stride,
            .size = MIN(step, size - i * step),
        };

        /* x-emu-alias: the last extent is the first's memory again. */
        if (emu->alias && n > 1 && i == n - 1) {
            e.spa = emu->spa + (n - 1) * stride;
        }
        g_array_append_val(extents, e);
    }
    return true;
}

/*
 * x-emu-badblocks: a file that lists bad sectors of the backend as sysfs
 * lists a disk's, read whenever the native path reads sysfs.
 */
static bool emu_bad_ranges(HostMemoryBackendXenPmem *pm, void *opaque,
                           GArray *bad, Error **errp)
{
    ERRP_GUARD();
    XenNvdimmEmu *emu = emu_of(opaque);
    g_autoptr(GArray) bad_offsets = g_array_new(false, false,
                                                sizeof(XenNvdimmRange));
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (!emu->badblocks) {
        return true;
    }
    if (!g_file_get_contents(emu->badblocks, &text, NULL, &gerr) ||
        !xen_nvdimm_parse_badblocks(text, 0, bad_offsets, errp)) {
        if (gerr) {
            error_setg(errp, "%s", gerr->message);
        }
        error_prepend(errp, "x-emu-badblocks: ");
        return false;
    }
    for (guint i = 0; i < bad_offsets->len; i++) {
        XenNvdimmRange *b = &g_array_index(bad_offsets, XenNvdimmRange, i);

        for (guint j = 0; j < pm->extents->len; j++) {
            XenNvdimmExtent *e = &g_array_index(pm->extents, XenNvdimmExtent,
                                                j);
            uint64_t lo = MAX(b->start, e->offset);
            uint64_t hi = MIN(b->end, e->offset + e->size);

            if (lo < hi) {
                XenNvdimmRange r = { e->spa + (lo - e->offset),
                                     e->spa + (hi - e->offset) };
                g_array_append_val(bad, r);
            }
        }
    }
    return true;
}

/* Did any of the events name x-emu-badblocks? */
static bool emu_media_rearm(HostMemoryBackendXenPmem *pm, void *opaque,
                            int fd)
{
    g_autofree char *name = g_path_get_basename(emu_of(opaque)->badblocks);
    char buf[4096] QEMU_ALIGNED(__alignof__(struct inotify_event));
    bool changed = false;
    ssize_t len;

    while ((len = read(fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;

            changed |= ev->len && !strcmp(ev->name, name);
            p += sizeof(*ev) + ev->len;
        }
    }
    return changed;
}

/*
 * x-emu-badblocks changes when the test writes it, in place or by renaming
 * a new file over it: inotify on its directory says so.
 */
static int emu_media_watch(HostMemoryBackendXenPmem *pm, void *opaque)
{
    XenNvdimmEmu *emu = emu_of(opaque);
    g_autofree char *dir = NULL;
    int fd;

    if (!emu->badblocks) {
        return -1;
    }
    dir = g_path_get_dirname(emu->badblocks);
    fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 ||
        inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        trace_xen_nvdimm_media_unwatched(emu->badblocks, errno);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* x-emu-persistence: the host's persistence domain (default: none). */
static bool emu_persistence(HostMemoryBackendXenPmem *pm, void *opaque,
                            XenNvdimmPersistence *p, Error **errp)
{
    XenNvdimmEmu *emu = emu_of(opaque);

    *p = XEN_NVDIMM_PERSIST_NONE;
    if (emu->persistence &&
        !xen_nvdimm_parse_persistence(emu->persistence, p)) {
        error_setg(errp, "x-emu-persistence must be cpu_cache, "
                   "memory_controller or none, not '%s'", emu->persistence);
        return false;
    }
    return true;
}

/*
 * x-emu-health: a file in xen_nvdimm_parse_health_dimms()'s format (the
 * DIMMs behind the backend), or none.
 */
static int emu_health(HostMemoryBackendXenPmem *pm, void *opaque,
                      NvdimmHealth *h, Error **errp)
{
    ERRP_GUARD();
    XenNvdimmEmu *emu = emu_of(opaque);
    g_autoptr(GArray) dimms = g_array_new(false, false,
                                          sizeof(NvdimmHealth));
    g_autoptr(GArray) smart = g_array_new(false, false, sizeof(bool));
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (!emu->health) {
        return 0;
    }
    if (!g_file_get_contents(emu->health, &text, NULL, &gerr)) {
        error_setg(errp, "x-emu-health: %s", gerr->message);
        return -1;
    }
    if (!xen_nvdimm_parse_health_dimms(text, dimms, smart, errp)) {
        error_prepend(errp, "x-emu-health: ");
        return -1;
    }
    return xen_nvdimm_health_of_dimms((NvdimmHealth *)dimms->data,
                                      (bool *)smart->data, dimms->len, h);
}

/*
 * The emulated machine: RAM below the pmem, and the device's slot as
 * x-emu-host-memory says: "pmem" or "pram" (E820 type 7 or 12, and in the
 * NFIT), "nfit" (only in the NFIT, like QEMU's NVDIMM that plays the
 * host's pmem in the nested Xen test), "ram" (like legacy memmap=!
 * pmem, which is RAM to Xen), "reserved", or "hole" (nowhere).  A list
 * "KIND+KIND@OFFSET+..." changes kind at those offsets into the slot.
 */
static bool emu_machine_map(XenNvdimmState *s, GArray *map, GArray *nfit,
                            Error **errp)
{
    XenNvdimmEmu *emu = emu_of(s);
    static const struct {
        const char *name;
        uint32_t e820;          /* 0: not in the machine map */
        bool nfit;
    } kinds[] = {
        { "pmem", XEN_NVDIMM_E820_PMEM, true },
        { "pram", XEN_NVDIMM_E820_PRAM, false },
        { "nfit", 0, true },
        { "ram", 1, false },
        { "reserved", 2, false },
        { "hole", 0, false },
    };
    g_auto(GStrv) parts = g_strsplit(emu->host_memory ?: "pmem", "+", -1);
    XenNvdimmMemRange ram = { 1 * MiB, EMU_SPA_BASE, 1 };
    uint64_t start = 0;

    if (emu_fail(s)) {
        error_setg_errno(errp, EIO, "cannot get the machine memory map");
        return false;
    }
    g_array_append_val(map, ram);
    for (guint p = 0; parts[p]; p++) {
        g_autofree char *kind = g_strdup(parts[p]);
        char *at = strchr(kind, '@');
        uint64_t end = EMU_SLOT_SIZE;
        size_t i;

        if (parts[p + 1]) {
            const char *next = strchr(parts[p + 1], '@');

            if (!next || qemu_strtou64(next + 1, NULL, 0, &end) ||
                end <= start || end > EMU_SLOT_SIZE) {
                goto bad;
            }
        }
        if (at) {
            *at = '\0';
        }
        for (i = 0; i < ARRAY_SIZE(kinds) && strcmp(kind, kinds[i].name);
             i++) {
            /* find the kind */
        }
        if (i == ARRAY_SIZE(kinds) || (p == 0) != !at) {
            goto bad;
        }
        if (kinds[i].e820) {
            XenNvdimmMemRange r = { emu->spa + start, emu->spa + end,
                                    kinds[i].e820 };
            g_array_append_val(map, r);
        }
        if (kinds[i].nfit) {
            XenNvdimmRange r = { emu->spa + start, emu->spa + end };
            g_array_append_val(nfit, r);
        }
        start = end;
    }
    return true;
bad:
    error_setg(errp, "x-emu-host-memory must be a kind (pmem, pram, nfit, "
               "ram, reserved or hole), or a list KIND+KIND@OFFSET+... "
               "with offsets rising within the slot");
    return false;
}

static bool emu_max_gpfn(XenNvdimmState *s, uint64_t *gpfn, Error **errp)
{
    X86MachineState *x86ms = X86_MACHINE(qdev_get_machine());
    uint64_t end = x86ms->above_4g_mem_size ?
        x86ms->above_4g_mem_start + x86ms->above_4g_mem_size :
        x86ms->below_4g_mem_size;

    /* x-emu-max-gpa: the domain has more than QEMU's RAM, as on Xen. */
    end = MAX(end, emu_of(s)->max_gpa);

    if (emu_fail(s)) {
        error_setg_errno(errp, EIO, "cannot get the domain's maximum gpfn");
        return false;
    }
    *gpfn = (end >> XEN_NVDIMM_PAGE_SHIFT) - 1;
    return true;
}

/* Is every frame of [mfn, mfn + nr) permitted? */
static bool emu_is_permitted(uint64_t mfn, uint64_t nr)
{
    uint64_t next = mfn;
    bool progress = true;

    /* The ranges are few and unsorted: sweep until no range extends it. */
    while (progress && next < mfn + nr) {
        progress = false;
        for (guint i = 0; emu_permitted && i < emu_permitted->len; i++) {
            XenNvdimmRange *r = &g_array_index(emu_permitted,
                                               XenNvdimmRange, i);

            if (r->start <= next && next < r->end) {
                next = r->end;
                progress = true;
            }
        }
    }
    return next >= mfn + nr;
}

/* Like Xen's rangeset: add merges, remove may split a range. */
static int emu_iomem_permission(XenNvdimmState *s, uint64_t mfn, uint64_t nr,
                                bool allow)
{
    uint64_t end = mfn + nr;
    g_autoptr(GArray) out = g_array_new(false, false, sizeof(XenNvdimmRange));

    if (emu_fail(s)) {
        return -EIO;
    }
    if (!allow && emu_of(s)->domain_gone) {
        return -ESRCH;
    }
    if (!nr || end < mfn) {
        return -EINVAL;
    }
    for (guint i = 0; emu_permitted && i < emu_permitted->len; i++) {
        XenNvdimmRange r = g_array_index(emu_permitted, XenNvdimmRange, i);

        /* Granting merges with neighbours too, as Xen's rangesets do. */
        if (r.end < mfn || end < r.start ||
            (!allow && (r.end == mfn || end == r.start))) {
            g_array_append_val(out, r);
            continue;
        }
        if (allow) {
            /* Overlaps: swallow it into the new range. */
            mfn = MIN(mfn, r.start);
            end = MAX(end, r.end);
            continue;
        }
        if (r.start < mfn) {
            XenNvdimmRange low = { r.start, mfn };
            g_array_append_val(out, low);
        }
        if (end < r.end) {
            XenNvdimmRange high = { end, r.end };
            g_array_append_val(out, high);
        }
    }
    if (allow) {
        XenNvdimmRange r = { mfn, end };
        g_array_append_val(out, r);
    }
    if (emu_permitted) {
        g_array_unref(emu_permitted);
    }
    emu_permitted = g_steal_pointer(&out);
    trace_xen_nvdimm_emu_permitted(emu_permitted->len);
    return 0;
}

/*
 * The device, and backend offset, whose emulated host pmem holds frames
 * [mfn, mfn + nr): they must lie within one of its extents.
 */
static XenNvdimmState *emu_find_host(uint64_t mfn, uint64_t nr,
                                     uint64_t *offset)
{
    uint64_t spa = mfn << XEN_NVDIMM_PAGE_SHIFT;
    uint64_t size = nr << XEN_NVDIMM_PAGE_SHIFT;

    for (guint i = 0; emu_hosts && i < emu_hosts->len; i++) {
        XenNvdimmState *s = g_ptr_array_index(emu_hosts, i);

        for (guint j = 0; s->extents && j < s->extents->len; j++) {
            XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, j);

            if (e->spa <= spa && spa - e->spa <= e->size &&
                size <= e->size - (spa - e->spa)) {
                *offset = e->offset + (spa - e->spa);
                return s;
            }
        }
    }
    return NULL;
}

static EmuMapping *emu_find_mapping(uint64_t gfn, uint64_t nr)
{
    for (guint i = 0; emu_mappings && i < emu_mappings->len; i++) {
        EmuMapping *m = g_ptr_array_index(emu_mappings, i);

        if (gfn < m->gfn + m->nr && m->gfn < gfn + nr) {
            return m;
        }
    }
    return NULL;
}

/* Is a frame of [mfn, mfn + nr) mapped write-back? */
static bool emu_wb_overlaps(uint64_t mfn, uint64_t nr)
{
    for (guint i = 0; emu_mappings && i < emu_mappings->len; i++) {
        EmuMapping *m = g_ptr_array_index(emu_mappings, i);

        if (m->wb && mfn < m->mfn + m->nr && m->mfn < mfn + nr) {
            return true;
        }
    }
    return false;
}

static int emu_map(XenNvdimmState *s, uint64_t gfn, uint64_t mfn,
                   uint64_t nr, bool add, bool wb)
{
    XenNvdimmEmu *emu = emu_of(s);
    EmuMapping *m;
    XenNvdimmState *host;
    uint64_t offset;

    if (!add && (emu->fail_unmap || emu->domain_gone)) {
        trace_xen_nvdimm_emu_fail(emu->calls);
        return emu->domain_gone ? -ESRCH : -EIO;
    }
    if (!nr || gfn + nr < gfn || mfn + nr < mfn) {
        return -EINVAL;
    }
    if (!emu_is_permitted(mfn, nr)) {
        return -EPERM;
    }
    m = emu_find_mapping(gfn, nr);
    if (!add) {
        if (!m || m->gfn != gfn || m->mfn != mfn || m->nr != nr) {
            return -ENOENT;
        }
        if (m->wb) {
            /* As Xen does once write-back frames are unmapped. */
            trace_xen_nvdimm_emu_write_back(mfn, nr);
        }
        emu_drop_mapping(m);
        return 0;
    }
    if (m) {
        return -EEXIST;
    }
    host = emu_find_host(mfn, nr, &offset);
    if (!host) {
        return -EFAULT;
    }
    m = g_new0(EmuMapping, 1);
    m->owner = host;
    m->gfn = gfn;
    m->mfn = mfn;
    m->nr = nr;
    m->wb = wb;
    memory_region_init_alias(&m->alias, OBJECT(host), "xen-nvdimm.map",
                             &emu_of(host)->ram, offset,
                             nr << XEN_NVDIMM_PAGE_SHIFT);
    memory_region_add_subregion(get_system_memory(),
                                gfn << XEN_NVDIMM_PAGE_SHIFT, &m->alias);
    if (!emu_mappings) {
        emu_mappings = g_ptr_array_new();
    }
    g_ptr_array_add(emu_mappings, m);
    trace_xen_nvdimm_emu_map(gfn, offset, nr);
    return 0;
}

/*
 * The xen-nvdimm Xen (x-emu-xen-wb, the default) maps write-back only
 * what the host firmware declares persistent memory: E820 type 7 or the
 * NFIT, not type 12, RAM or reserved memory.  A stock Xen has no such
 * operation.
 */
static int emu_map_pmem_wb(XenNvdimmState *s, uint64_t gfn, uint64_t mfn,
                           uint64_t nr)
{
    XenNvdimmState *host;
    uint64_t offset;
    const char *kind;

    if (!emu_of(s)->xen_wb) {
        return -EOPNOTSUPP;
    }
    if (emu_fail(s)) {
        return -EIO;
    }
    if (!nr || gfn + nr < gfn || mfn + nr < mfn) {
        return -EINVAL;
    }
    host = emu_find_host(mfn, nr, &offset);
    kind = host ? emu_of(host)->host_memory : NULL;
    kind = kind ?: "pmem";
    if (!host || (strcmp(kind, "pmem") && strcmp(kind, "nfit"))) {
        return -EINVAL;
    }
    if (!emu_is_permitted(mfn, nr)) {
        return -EPERM;
    }
    if (emu_wb_overlaps(mfn, nr)) {
        return -EEXIST;
    }
    return emu_map(s, gfn, mfn, nr, true, true);
}

static int emu_memory_mapping(XenNvdimmState *s, uint64_t gfn, uint64_t mfn,
                              uint64_t nr, bool add)
{
    if (emu_fail(s)) {
        return -EIO;
    }
    return emu_map(s, gfn, mfn, nr, add, false);
}

/* x-emu-domain-gone: the toolstack destroyed the domain before QEMU. */
static bool emu_domain_gone(XenNvdimmState *s)
{
    return emu_of(s)->domain_gone;
}

/*
 * The emulated domain lives while its xenstore directory does: a test
 * destroys it by removing that, as libxl does.  The first call, in the
 * guardian process, makes it if need be (a toolstack would have) on a
 * connection of its own.  The emulated world ends with the stand-in.
 */
static bool emu_guard_domain_gone(XenNvdimmState *s, bool *gone,
                                  Error **errp)
{
    static bool started;
    g_autofree char *dir = g_strdup_printf("/local/domain/%u", xen_domid);
    g_autofree char *key = g_strdup_printf("%s/domid", dir);
    g_autofree char *value = g_strdup_printf("%u", xen_domid);
    g_autofree char *node = NULL;
    Error *err = NULL;

    if (!started) {
        const char *k = key, *v = value;

        /*
         * A connection of the guardian's own (forked by QEMU's main
         * thread, which held no other thread's lock at the fork).
         */
        xen_nvdimm_xs_forget();
        started = true;
        if (!xen_nvdimm_xs_write_all(&k, &v, 1, errp)) {
            return false;
        }
    }
    node = xen_nvdimm_xs_read(dir, &err);
    *gone = !node;
    error_free(err);
    return true;
}

static bool emu_guest_read(uint64_t gpa, void *buf, size_t len,
                           Error **errp)
{
    if (address_space_read(&address_space_memory, gpa,
                           MEMTXATTRS_UNSPECIFIED, buf, len) != MEMTX_OK) {
        error_setg(errp, "cannot read guest memory at 0x%" PRIx64, gpa);
        return false;
    }
    return true;
}

/* RAM of our own over whatever is there: the emulated machine's PCI hole. */
static bool emu_guest_place(uint64_t gpa, const void *buf, size_t len,
                            Error **errp)
{
    static MemoryRegion *ram;

    if (ram && memory_region_size(ram) < len) {
        memory_region_del_subregion(get_system_memory(), ram);
        object_unparent(OBJECT(ram));
        ram = NULL;
    }
    if (!ram) {
        ram = g_new0(MemoryRegion, 1);
        if (!memory_region_init_ram(ram, NULL, "xen-nvdimm.acpi",
                                    ROUND_UP(len, XEN_NVDIMM_PAGE_SIZE),
                                    errp)) {
            g_free(ram);
            ram = NULL;
            return false;
        }
        memory_region_add_subregion_overlap(get_system_memory(), gpa, ram, 1);
    }
    memcpy(memory_region_get_ram_ptr(ram), buf, len);
    return true;
}

static void *emu_guest_page(uint64_t gpa, Error **errp)
{
    MemoryRegion *ram = g_new0(MemoryRegion, 1);

    if (!memory_region_init_ram(ram, NULL, "xen-nvdimm.dsm",
                                XEN_NVDIMM_PAGE_SIZE, errp)) {
        g_free(ram);
        return NULL;
    }
    memory_region_add_subregion_overlap(get_system_memory(), gpa, ram, 1);
    return memory_region_get_ram_ptr(ram);
}

/* For tests only: never in place of Xen, nor beside KVM. */
static bool emu_usable(Error **errp)
{
    if (xen_enabled()) {
        error_setg(errp, TYPE_XEN_NVDIMM_EMU " emulates Xen for tests: on "
                   "Xen, use " TYPE_XEN_NVDIMM);
        return false;
    }
    if (!qtest_enabled() && !tcg_enabled()) {
        error_setg(errp, TYPE_XEN_NVDIMM_EMU " is for tests: it needs "
                   "-accel qtest or tcg");
        return false;
    }
    return true;
}

/* The emulated host's answers for the backend. */
static const XenPmemHost xen_nvdimm_emu_host = {
    .resolve = emu_resolve,
    .bad_ranges = emu_bad_ranges,
    .health = emu_health,
    .persistence = emu_persistence,
    .media_watch = emu_media_watch,
    .media_rearm = emu_media_rearm,
};

static const XenNvdimmOps xen_nvdimm_emu_ops = {
    .name = "emulated",
    .emulated = true,
    .host = &xen_nvdimm_emu_host,
    .usable = emu_usable,
    .attach = emu_attach,
    .detach = emu_detach,
    .machine_map = emu_machine_map,
    .max_gpfn = emu_max_gpfn,
    .iomem_permission = emu_iomem_permission,
    .memory_mapping = emu_memory_mapping,
    .map_pmem_wb = emu_map_pmem_wb,
    .domain_gone = emu_domain_gone,
    .guard_domain_gone = emu_guard_domain_gone,
    .guest_read = emu_guest_read,
    .guest_place = emu_guest_place,
    .guest_page = emu_guest_page,
};

static const Property xen_nvdimm_emu_properties[] = {
    DEFINE_PROP_UINT32("x-emu-fail-call", XenNvdimmEmu, fail_call, 0),
    DEFINE_PROP_BOOL("x-emu-fail-unmap", XenNvdimmEmu, fail_unmap, false),
    DEFINE_PROP_BOOL("x-emu-domain-gone", XenNvdimmEmu, domain_gone, false),
    DEFINE_PROP_SIZE("x-emu-extent-size", XenNvdimmEmu, extent_size, 0),
    DEFINE_PROP_SIZE("x-emu-extent-gap", XenNvdimmEmu, extent_gap, 0),
    DEFINE_PROP_STRING("x-emu-host-memory", XenNvdimmEmu, host_memory),
    DEFINE_PROP_STRING("x-emu-badblocks", XenNvdimmEmu, badblocks),
    DEFINE_PROP_STRING("x-emu-health", XenNvdimmEmu, health),
    DEFINE_PROP_STRING("x-emu-persistence", XenNvdimmEmu, persistence),
    DEFINE_PROP_UINT64("x-emu-max-gpa", XenNvdimmEmu, max_gpa, 0),
    DEFINE_PROP_UINT64("x-emu-host-address", XenNvdimmEmu, host_address, 0),
    DEFINE_PROP_BOOL("x-emu-alias", XenNvdimmEmu, alias, false),
    DEFINE_PROP_BOOL("x-emu-pin", XenNvdimmEmu, pin, false),
    DEFINE_PROP_BOOL("x-emu-xen-wb", XenNvdimmEmu, xen_wb, true),
    DEFINE_PROP_STRING("x-emu-host-dir", XenNvdimmEmu, host_dir),
};

static void xen_nvdimm_emu_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "xen-nvdimm on an emulated host and Xen, for tests";
    device_class_set_props(dc, xen_nvdimm_emu_properties);
    XEN_NVDIMM_CLASS(oc)->ops = &xen_nvdimm_emu_ops;
}

static const TypeInfo xen_nvdimm_emu_info = {
    .name          = TYPE_XEN_NVDIMM_EMU,
    .parent        = TYPE_XEN_NVDIMM,
    .instance_size = sizeof(XenNvdimmEmu),
    .class_init    = xen_nvdimm_emu_class_init,
};

static void xen_nvdimm_emu_register_types(void)
{
    type_register_static(&xen_nvdimm_emu_info);
}

type_init(xen_nvdimm_emu_register_types)
