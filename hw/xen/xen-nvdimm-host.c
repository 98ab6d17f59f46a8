/*
 * xen-nvdimm: the host's guards
 *
 * Xen maps whatever frame memory_mapping is given, and its iomem
 * permissions are per domain, not exclusive: the device model is the only
 * guard of the host's memory.  Before any permission is granted, this file
 * checks that every extent is persistent memory in the machine memory map
 * (known bad media included: the guest is told of it), and claims it
 * host-wide, so that no other device model, nor another device of this
 * one, maps the same frames.
 *
 * A claim is two things (docs/specs/xen-nvdimm.rst has the details):
 *  - an open file description (OFD) write lock on the extent's host byte
 *    range of a host-wide lock file: atomic between device models racing to
 *    claim, and gone with the process that held it.  The holder's name is
 *    written in the lock file at the extent's first byte.
 *  - a record in dom0's part of xenstore, under the domain's device-model
 *    directory, which outlives a device model killed while its domain (and
 *    so its mappings) lives on: a record of a domain that still exists
 *    blocks the same host range even without a lock.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/xen/xen.h"
#include "system/xen.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

#define HOST_DIR            "/run/xen-nvdimm"
/* Emulated host addresses are not the machine's: they get a file apart. */
#define HOST_LOCKS          HOST_DIR "/claims"
#define HOST_LOCKS_EMU      HOST_DIR "/emulated-claims"
#define HOST_NFIT           "/sys/firmware/acpi/tables/NFIT"

/*
 * The lock file has HOLDER_LEN bytes per host page: a lock on host frames
 * [mfn, mfn + nr) covers bytes [mfn, mfn + nr) * HOLDER_LEN, and its
 * holder writes its domain and process id in the first HOLDER_LEN of them,
 * so that a device model it blocks can name it (OFD locks have no owner
 * pid).  Xen's 52-bit host addresses keep the file within 8 TiB, which
 * every Linux filesystem allows (it stays sparse).
 */
#define HOLDER_LEN          8

/* A xenstore record holds at most this many host ranges (4 KiB values). */
#define RECORD_RANGES       64

bool xen_nvdimm_have_xenstore(void)
{
    return xen_enabled() || g_getenv("XENSTORED_PATH");
}

bool xen_nvdimm_host_nfit(GArray *nfit, Error **errp)
{
    g_autofree char *table = NULL;
    g_autoptr(GError) gerr = NULL;
    gsize len;

    if (!g_file_get_contents(HOST_NFIT, &table, &len, &gerr)) {
        if (g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            return true;        /* no NFIT: only the E820 map counts */
        }
        error_setg(errp, "cannot read the host's NFIT: %s", gerr->message);
        return false;
    }
    return xen_nvdimm_parse_nfit_pmem((uint8_t *)table, len, nfit, errp);
}

bool xen_nvdimm_host_check(XenNvdimmState *s, GArray *bad, Error **errp)
{
    g_autoptr(GArray) map = g_array_new(false, false,
                                        sizeof(XenNvdimmMemRange));
    g_autoptr(GArray) nfit = g_array_new(false, false,
                                         sizeof(XenNvdimmRange));
    uint64_t a, b, off, len;

    if (xen_nvdimm_extents_alias(s->extents, &a, &b)) {
        error_setg(errp, "backend offsets 0x%" PRIx64 " and 0x%" PRIx64
                   " resolve to the same host memory", a, b);
        return false;
    }
    if (!s->ops->machine_map(s, map, nfit, errp)) {
        return false;
    }
    trace_xen_nvdimm_machine_map(s->name, map->len, nfit->len);
    for (guint i = 0; i < s->extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, i);
        XenNvdimmRange r = { e->spa, e->spa + e->size };

        if (!xen_nvdimm_check_pmem(r, (XenNvdimmMemRange *)map->data,
                                   map->len, (XenNvdimmRange *)nfit->data,
                                   nfit->len, errp)) {
            error_prepend(errp, "the extent at backend offset 0x%" PRIx64
                          ": ", e->offset);
            error_append_hint(errp, "Only persistent memory that Xen's "
                              "machine memory map (E820 type 7 or 12) or "
                              "the host's NFIT describes can be mapped; "
                              "legacy pmem made with memmap= is RAM to "
                              "Xen.\n");
            return false;
        }
    }
    /* Known bad media is mapped: the guest's address range scrub says so. */
    if (xen_nvdimm_extents_meet(s->extents, (XenNvdimmRange *)bad->data,
                                bad->len, &off, &len)) {
        trace_xen_nvdimm_badblocks(s->name, off, len);
    }
    return true;
}

/*
 * Locks
 */

static bool host_lock_open(XenNvdimmState *s, Error **errp)
{
    const char *path = xen_enabled() ? HOST_LOCKS : HOST_LOCKS_EMU;

    if (g_mkdir_with_parents(HOST_DIR, 0700) && errno != EEXIST) {
        error_setg_errno(errp, errno, "cannot create %s", HOST_DIR);
        return false;
    }
    s->claim_fd = qemu_create(path, O_RDWR, 0600, errp);
    if (s->claim_fd < 0) {
        error_prepend(errp, "the host-wide claims: ");
        return false;
    }
    return true;
}

/* Who holds the lock that conflicts with host range @r? */
static char *host_lock_holder(int fd, XenNvdimmRange r, XenNvdimmRange *held)
{
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = (r.start >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
        .l_len = ((r.end - r.start) >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
    };
    uint8_t who[HOLDER_LEN];

    *held = r;
    if (fcntl(fd, F_OFD_GETLK, &fl) || fl.l_type == F_UNLCK) {
        return g_strdup("a device model that has just let go");
    }
    held->start = fl.l_start / HOLDER_LEN << XEN_NVDIMM_PAGE_SHIFT;
    held->end = fl.l_len ?
        (fl.l_start + fl.l_len) / HOLDER_LEN << XEN_NVDIMM_PAGE_SHIFT :
        XEN_NVDIMM_GPA_LIMIT;
    if (pread(fd, who, sizeof(who), fl.l_start) != sizeof(who)) {
        return g_strdup("another device model");
    }
    return g_strdup_printf("the device model of domain %u (QEMU pid %u)",
                           ldl_le_p(who), ldl_le_p(who + 4));
}

static bool host_lock_extents(XenNvdimmState *s, Error **errp)
{
    uint8_t who[HOLDER_LEN];

    stl_le_p(who, xen_domid);
    stl_le_p(who + 4, getpid());
    for (guint i = 0; i < s->extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, i);
        XenNvdimmRange r = { e->spa, e->spa + e->size };
        struct flock fl = {
            .l_type = F_WRLCK,
            .l_whence = SEEK_SET,
            .l_start = (e->spa >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
            .l_len = (e->size >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
        };

        if (fcntl(s->claim_fd, F_OFD_SETLK, &fl)) {
            XenNvdimmRange held;
            g_autofree char *holder = NULL;
            uint64_t lo, hi;

            if (errno != EAGAIN && errno != EACCES) {
                error_setg_errno(errp, errno, "cannot lock host memory 0x%"
                                 PRIx64 "+0x%" PRIx64 " in the host-wide "
                                 "claims", e->spa, e->size);
                return false;
            }
            holder = host_lock_holder(s->claim_fd, r, &held);
            lo = MAX(r.start, held.start);
            hi = MIN(r.end, held.end);
            trace_xen_nvdimm_claim_conflict(s->name, e->spa, e->size,
                                            held.start, held.end);
            error_setg(errp, "host memory 0x%" PRIx64 "..0x%" PRIx64
                       " (backend offset 0x%" PRIx64 ") is already "
                       "mapped by %s", lo, hi - 1, e->offset + (lo - e->spa),
                       holder);
            return false;
        }
        if (pwrite(s->claim_fd, who, sizeof(who), fl.l_start) !=
            sizeof(who)) {
            error_setg_errno(errp, errno, "cannot write the host-wide "
                             "claims");
            return false;
        }
    }
    return true;
}

/*
 * Records
 */

/* Where the records of domain @domid (a xenstore path component) live. */
#define RECORDS_ROOT "/local/domain/0/device-model"

static char *record_dir(const char *domid)
{
    return g_strdup_printf(RECORDS_ROOT "/%s/xen-nvdimm", domid);
}

/* Does the domain a record was written for still exist? */
static bool record_domain_lives(const char *domid, const char *vm,
                                Error **errp)
{
    g_autofree char *dom = g_strdup_printf("/local/domain/%s", domid);
    g_autofree char *vm_path = g_strdup_printf("/local/domain/%s/vm", domid);
    g_autofree char *node = xen_nvdimm_xs_read(dom, errp);
    g_autofree char *now = NULL;

    if (!node) {
        return false;
    }
    if (!vm || !vm[0]) {
        return true;
    }
    /* The same domid may since have gone to another domain. */
    now = xen_nvdimm_xs_read(vm_path, errp);
    return now && !strcmp(now, vm);
}

/* Parse "0xSTART+0xSIZE ..." and find a range that meets our extents. */
static bool record_meets(XenNvdimmState *s, const char *text,
                         XenNvdimmRange *hit)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);

    for (char **w = words; *w; w++) {
        const char *p = *w;
        uint64_t start, size, off, len;
        XenNvdimmRange r;

        if (qemu_strtou64(p, &p, 0, &start) || *p != '+' ||
            qemu_strtou64(p + 1, NULL, 0, &size) || start + size < start) {
            continue;
        }
        r = (XenNvdimmRange) { start, start + size };
        if (xen_nvdimm_extents_meet(s->extents, &r, 1, &off, &len)) {
            *hit = r;
            return true;
        }
    }
    return false;
}

/*
 * Refuse host memory that a domain still holds according to the records,
 * whether or not its device model is still there to hold the lock.
 */
static bool records_check(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    g_auto(GStrv) domids = NULL;

    domids = xen_nvdimm_xs_directory(RECORDS_ROOT, errp);
    for (char **d = domids; d && *d; d++) {
        g_autofree char *dir = record_dir(*d);
        g_autofree char *vm_key = g_strdup_printf("%s/vm", dir);
        g_autofree char *vm = NULL;
        g_auto(GStrv) keys = xen_nvdimm_xs_directory(dir, errp);

        if (!keys) {
            if (*errp) {
                return false;
            }
            continue;
        }
        vm = xen_nvdimm_xs_read(vm_key, errp);
        for (char **k = keys; *k; k++) {
            g_autofree char *key = g_strdup_printf("%s/%s", dir, *k);
            g_autofree char *text = NULL;
            XenNvdimmRange hit;

            if (!g_str_has_prefix(*k, "nv")) {
                continue;
            }
            text = xen_nvdimm_xs_read(key, errp);
            if (!text || !record_meets(s, text, &hit)) {
                continue;
            }
            if (!record_domain_lives(*d, vm, errp)) {
                trace_xen_nvdimm_claim_stale(s->name, key);
                continue;
            }
            error_setg(errp, "host memory 0x%" PRIx64 "..0x%" PRIx64 " is "
                       "still mapped into domain %s (xenstore %s), whose "
                       "device model is gone; destroy that domain first",
                       hit.start, hit.end - 1, *d, key);
            return false;
        }
    }
    return !*errp;
}

static int range_cmp(const void *a, const void *b)
{
    const XenNvdimmRange *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The extents' host ranges, at most RECORD_RANGES of them: when there are
 * more, close the smallest gaps first.  A record may cover more than the
 * extents (never less), which only errs on the safe side.
 */
static char *record_text(XenNvdimmState *s)
{
    g_autoptr(GArray) r = g_array_new(false, false, sizeof(XenNvdimmRange));
    GString *out = g_string_new(NULL);
    uint64_t gap = 0;

    for (guint i = 0; i < s->extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, i);
        XenNvdimmRange x = { e->spa, e->spa + e->size };

        g_array_append_val(r, x);
    }
    g_array_sort(r, range_cmp);
    for (;;) {
        guint n = 0;

        for (guint i = 0; i < r->len; i++) {
            XenNvdimmRange *x = &g_array_index(r, XenNvdimmRange, i);
            XenNvdimmRange *last = n ? &g_array_index(r, XenNvdimmRange,
                                                      n - 1) : NULL;

            if (last && x->start - last->end <= gap) {
                last->end = MAX(last->end, x->end);
            } else {
                g_array_index(r, XenNvdimmRange, n++) = *x;
            }
        }
        g_array_set_size(r, n);
        if (n <= RECORD_RANGES) {
            break;
        }
        gap = gap ? gap * 2 : XEN_NVDIMM_PAGE_SIZE;
    }
    for (guint i = 0; i < r->len; i++) {
        XenNvdimmRange *x = &g_array_index(r, XenNvdimmRange, i);

        g_string_append_printf(out, "%s0x%" PRIx64 "+0x%" PRIx64,
                               i ? " " : "", x->start, x->end - x->start);
    }
    return g_string_free(out, false);
}

static bool record_write(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    g_autofree char *domid = g_strdup_printf("%u", xen_domid);
    g_autofree char *dir = record_dir(domid);
    g_autofree char *dom_vm = g_strdup_printf("/local/domain/%u/vm",
                                              xen_domid);
    g_autofree char *vm = NULL;
    g_autofree char *text = record_text(s);
    g_autofree char *vm_key = g_strdup_printf("%s/vm", dir);
    g_autofree char *key = g_strdup_printf("%s/nv%d", dir, s->slot);
    const char *paths[] = { vm_key, key };
    const char *values[2];

    vm = xen_nvdimm_xs_read(dom_vm, errp);
    if (*errp) {
        return false;
    }
    values[0] = vm ?: "";
    values[1] = text;
    if (!xen_nvdimm_xs_write_all(paths, values, 2, errp)) {
        return false;
    }
    s->claim_record = g_steal_pointer(&key);
    trace_xen_nvdimm_claim_record(s->name, s->claim_record, text);
    return true;
}

/*
 * Hold a block device exclusively, as a mounted filesystem does: nobody can
 * mount it, make a filesystem on it or reconfigure its namespace (ndctl
 * checks with an exclusive open).  Done after the host-wide claim, so that
 * a device model holding it already is named rather than just "busy".
 */
static bool host_hold_block(XenNvdimmState *s, Error **errp)
{
    g_autofree char *self = g_strdup_printf("/proc/self/fd/%d", s->pmem->fd);
    struct stat st;

    if (fstat(s->pmem->fd, &st) || !S_ISBLK(st.st_mode)) {
        return true;
    }
    s->block_fd = open(self, (s->pmem->readonly ? O_RDONLY : O_RDWR) |
                       O_EXCL | O_CLOEXEC);
    if (s->block_fd < 0) {
        error_setg_errno(errp, errno, "cannot hold %s exclusively",
                         s->pmem->mem_path);
        if (errno == EBUSY) {
            error_append_hint(errp, "It is mounted, or in use by something "
                              "else in dom0.\n");
        }
        return false;
    }
    return true;
}

bool xen_nvdimm_host_claim(XenNvdimmState *s, Error **errp)
{
    if (!host_lock_open(s, errp) || !host_lock_extents(s, errp)) {
        return false;
    }
    if (xen_nvdimm_have_xenstore() &&
        (!records_check(s, errp) || !record_write(s, errp))) {
        return false;
    }
    if (!host_hold_block(s, errp)) {
        return false;
    }
    trace_xen_nvdimm_claim(s->name, s->extents->len);
    return true;
}

/*
 * Drop the claim, unless the domain may still reach some of the host
 * memory (a failed unmap or revoke): then the lock stays with this process
 * and the record with the domain, until the domain is gone.
 */
void xen_nvdimm_host_release(XenNvdimmState *s)
{
    Error *err = NULL;

    if (s->claim_kept) {
        if (s->claim_fd >= 0 || s->claim_record) {
            trace_xen_nvdimm_claim_kept(s->name);
        }
        /* Deliberately left open: the locks must outlive the device. */
        s->claim_fd = -1;
        s->block_fd = -1;
        g_clear_pointer(&s->claim_record, g_free);
        return;
    }
    if (s->block_fd >= 0) {
        close(s->block_fd);
        s->block_fd = -1;
    }
    if (s->claim_record) {
        if (!xen_nvdimm_xs_rm(s->claim_record, &err)) {
            error_report_err(err);
        }
        g_clear_pointer(&s->claim_record, g_free);
    }
    if (s->claim_fd >= 0) {
        close(s->claim_fd);
        s->claim_fd = -1;
        trace_xen_nvdimm_claim_released(s->name);
    }
}
