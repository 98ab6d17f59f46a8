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
#include <sys/random.h>
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/* Emulated host addresses are not the machine's: they get a file apart. */
#define HOST_LOCKS          "claims"
#define HOST_LOCKS_EMU      "emulated-claims"
#define HOST_NFIT           "/sys/firmware/acpi/tables/NFIT"
/* The host's secret for the NFIT serial numbers: root's alone, kept. */
#define HOST_SECRET         "serial.key"
#define HOST_SECRET_LEN     32

/*
 * The lock file has HOLDER_LEN bytes per host page: a lock on host frames
 * [mfn, mfn + nr) covers bytes [mfn, mfn + nr) * HOLDER_LEN, and its
 * holder writes its domain and process id in the first HOLDER_LEN of them,
 * so that a device model it blocks can name it (OFD locks have no owner
 * pid).  Xen's 52-bit host addresses keep the file within 8 TiB, which
 * every Linux filesystem allows (it stays sparse).
 */
#define HOLDER_LEN          8
#define HOLDER_UNKNOWN      UINT32_MAX

/* How long a start waits for a lock that is about to go, and how often. */
#define HOST_LOCK_WAIT_US   (10 * G_USEC_PER_SEC)
#define HOST_LOCK_RETRY_US  (G_USEC_PER_SEC / 10)

bool xen_nvdimm_have_xenstore(XenNvdimmState *s)
{
    return !s->ops->emulated || g_getenv("XENSTORED_PATH");
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
    ERRP_GUARD();
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
 * The claims and the host secret are root's alone: a claims file others can
 * open lets them block every start with a read lock, or learn who maps
 * what; a secret others can read is none.
 */
static bool host_private(int fd, const char *path, bool dir,
                              Error **errp)
{
    struct stat st;

    if (fstat(fd, &st)) {
        error_setg_errno(errp, errno, "cannot stat %s", path);
        return false;
    }
    if ((dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
        st.st_uid != geteuid() || (st.st_mode & 077)) {
        error_setg(errp, "%s must be a %s owned by uid %u with no access for "
                   "group or others (it is mode 0%o, uid %u)", path,
                   dir ? "directory" : "regular file", (unsigned)geteuid(),
                   (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
        return false;
    }
    return true;
}

/*
 * The host secret: made once, from the kernel's random pool, and then read
 * by every device model, so that serial numbers stay the same across
 * restarts and reboots of the host.
 */
static bool host_secret(XenNvdimmState *s, uint8_t *key, Error **errp)
{
    g_autofree char *path = g_build_filename(s->secret_dir, HOST_SECRET,
                                             NULL);
    uint8_t fresh[HOST_SECRET_LEN];
    int fd;

    if (mkdir(s->secret_dir, 0700) && errno != EEXIST) {
        error_setg_errno(errp, errno, "cannot create %s", s->secret_dir);
        return false;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (getrandom(fresh, sizeof(fresh), 0) != sizeof(fresh)) {
            error_setg_errno(errp, errno, "cannot make a host secret");
            return false;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                  O_CLOEXEC, 0600);
        if (fd >= 0) {
            bool ok = qemu_write_full(fd, fresh, sizeof(fresh)) ==
                      sizeof(fresh) && !qemu_fdatasync(fd);

            close(fd);
            if (!ok) {
                error_setg_errno(errp, errno, "cannot write %s", path);
                unlink(path);
                return false;
            }
        } else if (errno != EEXIST) {
            error_setg_errno(errp, errno, "cannot create %s", path);
            return false;
        }
        /* Made here or by a device model racing us: read what won. */
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open %s", path);
        return false;
    }
    if (!host_private(fd, path, false, errp)) {
        close(fd);
        return false;
    }
    if (read(fd, key, HOST_SECRET_LEN) != HOST_SECRET_LEN) {
        error_setg(errp, "%s is not a %d-byte secret", path,
                   HOST_SECRET_LEN);
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

/*
 * A serial number that tells nothing of where the data lives: a keyed hash
 * (HMAC-SHA-256 with the host secret) of the first extent's host address
 * and the size, so the same configuration keeps its identity.
 */
bool xen_nvdimm_host_serial(XenNvdimmState *s, uint32_t *serial,
                            Error **errp)
{
    ERRP_GUARD();
    XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, 0);
    uint8_t key[HOST_SECRET_LEN], msg[16], digest[32];
    gsize len = sizeof(digest);
    GHmac *hmac;

    if (!host_secret(s, key, errp)) {
        error_prepend(errp, "the NFIT serial number: ");
        error_append_hint(errp, "Or give the device a uuid=, from which "
                          "its serial number derives instead.\n");
        return false;
    }
    stq_le_p(msg, e->spa);
    stq_le_p(msg + 8, s->data_size);
    hmac = g_hmac_new(G_CHECKSUM_SHA256, key, sizeof(key));
    g_hmac_update(hmac, msg, sizeof(msg));
    g_hmac_get_digest(hmac, digest, &len);
    g_hmac_unref(hmac);
    *serial = ldl_le_p(digest);
    return true;
}

/*
 * Locks
 */

/*
 * Open (or create) file @name in the host-wide directory, root's alone and
 * never through a symlink; -1 and @errp on failure.
 */
int xen_nvdimm_host_file(XenNvdimmState *s, const char *name, Error **errp)
{
    g_autofree char *path = g_build_filename(s->host_dir, name, NULL);
    struct stat st, now;
    int dir, fd;

    if (mkdir(s->host_dir, 0700) && errno != EEXIST) {
        error_setg_errno(errp, errno, "cannot create %s", s->host_dir);
        return -1;
    }
    dir = open(s->host_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
        error_setg_errno(errp, errno, "cannot open %s", s->host_dir);
        return -1;
    }
    if (!host_private(dir, s->host_dir, true, errp)) {
        close(dir);
        return -1;
    }
    fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open %s", path);
    } else if (!host_private(fd, path, false, errp) || fstat(fd, &st)) {
        close(fd);
        fd = -1;
    } else if (fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) ||
               now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
        /* Removed or replaced since: device models would lock apart. */
        error_setg(errp, "%s was replaced while it was being opened", path);
        close(fd);
        fd = -1;
    }
    close(dir);
    return fd;
}

static bool host_lock_open(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    const char *name = s->ops->emulated ? HOST_LOCKS_EMU : HOST_LOCKS;

    s->claim_fd = xen_nvdimm_host_file(s, name, errp);
    if (s->claim_fd < 0) {
        error_prepend(errp, "the host-wide claims: ");
        return false;
    }
    return true;
}

/*
 * Who holds the lock that conflicts with host range @r?  *@domid is the
 * holder's domain, or HOLDER_UNKNOWN when the lock file does not say.
 */
static char *host_lock_holder(int fd, XenNvdimmRange r, XenNvdimmRange *held,
                              uint32_t *domid)
{
    struct flock fl = {
        .l_type = F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = (r.start >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
        .l_len = ((r.end - r.start) >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN,
    };
    uint8_t who[HOLDER_LEN];

    *held = r;
    *domid = HOLDER_UNKNOWN;
    if (fcntl(fd, F_OFD_GETLK, &fl) || fl.l_type == F_UNLCK) {
        return g_strdup("a device model that has just let go");
    }
    held->start = fl.l_start / HOLDER_LEN << XEN_NVDIMM_PAGE_SHIFT;
    held->end = fl.l_len ?
        (fl.l_start + fl.l_len) / HOLDER_LEN << XEN_NVDIMM_PAGE_SHIFT :
        XEN_NVDIMM_GPA_LIMIT;
    if (RETRY_ON_EINTR(pread(fd, who, sizeof(who), fl.l_start)) !=
        sizeof(who)) {
        return g_strdup("another device model");
    }
    *domid = ldl_le_p(who);
    return g_strdup_printf("the device model of domain %u (QEMU pid %u)",
                           ldl_le_p(who), ldl_le_p(who + 4));
}

/*
 * Will the holder's lock go within moments?  It will if its domain is being
 * destroyed (gone from xenstore: its guardian sees it within a quarter of
 * a second), or is an earlier domain of this same guest (a reboot: libxl
 * destroys the old domain before it starts the new one's device model).
 */
static bool host_lock_going(uint32_t domid, const char *our_vm)
{
    g_autofree char *dom = g_strdup_printf("/local/domain/%u", domid);
    g_autofree char *vm_path = g_strdup_printf("%s/vm", dom);
    g_autofree char *node = NULL;
    g_autofree char *vm = NULL;
    Error *err = NULL;

    if (domid == HOLDER_UNKNOWN || domid == xen_domid) {
        return false;
    }
    node = xen_nvdimm_xs_read(dom, &err);
    if (!node) {
        if (err) {
            error_free(err);
            return false;
        }
        return true;
    }
    vm = xen_nvdimm_xs_read(vm_path, &err);
    error_free(err);
    return vm && our_vm[0] && !strcmp(vm, our_vm);
}

/*
 * Lock every extent.  With xenstore (@our_vm set), a lock that is about to
 * go (host_lock_going()) is waited for, HOST_LOCK_WAIT_US at most.
 */
static bool host_lock_extents(XenNvdimmState *s, const char *our_vm,
                              Error **errp)
{
    int64_t deadline = g_get_monotonic_time() + HOST_LOCK_WAIT_US;
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

        while (fcntl(s->claim_fd, F_OFD_SETLK, &fl)) {
            XenNvdimmRange held;
            g_autofree char *holder = NULL;
            uint32_t holder_domid;
            uint64_t lo, hi;

            if (errno != EAGAIN && errno != EACCES) {
                error_setg_errno(errp, errno, "cannot lock host memory 0x%"
                                 PRIx64 "+0x%" PRIx64 " in the host-wide "
                                 "claims", e->spa, e->size);
                return false;
            }
            holder = host_lock_holder(s->claim_fd, r, &held, &holder_domid);
            trace_xen_nvdimm_claim_conflict(s->name, e->spa, e->size,
                                            held.start, held.end);
            if (our_vm && g_get_monotonic_time() < deadline &&
                host_lock_going(holder_domid, our_vm)) {
                g_usleep(HOST_LOCK_RETRY_US);
                continue;
            }
            lo = MAX(r.start, held.start);
            hi = MIN(r.end, held.end);
            error_setg(errp, "host memory 0x%" PRIx64 "..0x%" PRIx64
                       " (backend offset 0x%" PRIx64 ") is already "
                       "mapped by %s", lo, hi - 1, e->offset + (lo - e->spa),
                       holder);
            return false;
        }
        s->locked++;
        if (RETRY_ON_EINTR(pwrite(s->claim_fd, who, sizeof(who),
                                  fl.l_start)) != sizeof(who)) {
            error_setg_errno(errp, errno, "cannot write the host-wide "
                             "claims");
            return false;
        }
    }
    return true;
}

/*
 * Zero our holder names while the locks still keep others off them, and
 * give tmpfs its pages back: the file must not grow with every extent a
 * host has ever mapped.
 */
static void host_lock_forget(XenNvdimmState *s)
{
    for (guint i = 0; i < s->locked; i++) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, i);
        off_t at = (e->spa >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN;

        if (fallocate(s->claim_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      at, (e->size >> XEN_NVDIMM_PAGE_SHIFT) * HOLDER_LEN)) {
            trace_xen_nvdimm_claim_forget_failed(s->name, e->spa, errno);
        }
    }
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

/*
 * Does the domain a record was written for still exist?  A domid may since
 * have gone to another domain: then its "vm" differs.
 */
static bool record_domain_lives(const char *domid, const char *vm,
                                bool *lives, Error **errp)
{
    ERRP_GUARD();
    g_autofree char *dom = g_strdup_printf("/local/domain/%s", domid);
    g_autofree char *vm_path = g_strdup_printf("/local/domain/%s/vm", domid);
    g_autofree char *node = NULL;
    g_autofree char *now = NULL;

    node = xen_nvdimm_xs_read(dom, errp);
    if (!node) {
        *lives = false;
        return !*errp;
    }
    if (!vm[0]) {
        *lives = true;
        return true;
    }
    now = xen_nvdimm_xs_read(vm_path, errp);
    *lives = now && !strcmp(now, vm);
    return !*errp;
}

/* Does record text @text name a range that meets our extents? */
static bool record_meets(XenNvdimmState *s, const char *text,
                         XenNvdimmRange *hit)
{
    g_autoptr(GArray) ranges = g_array_new(false, false,
                                           sizeof(XenNvdimmRange));
    uint64_t off, len;

    xen_nvdimm_record_parse(text, ranges);
    for (guint i = 0; i < ranges->len; i++) {
        XenNvdimmRange *r = &g_array_index(ranges, XenNvdimmRange, i);

        if (xen_nvdimm_extents_meet(s->extents, r, 1, &off, &len)) {
            *hit = *r;
            return true;
        }
    }
    return false;
}

/*
 * Does record @key (a value, and children holding the ranges that did not
 * fit in it) name host memory of our extents?
 */
static bool record_hit(XenNvdimmState *s, const char *key,
                       XenNvdimmRange *hit, Error **errp)
{
    ERRP_GUARD();
    g_autofree char *text = NULL;
    g_auto(GStrv) more = NULL;

    text = xen_nvdimm_xs_read(key, errp);
    if (text && record_meets(s, text, hit)) {
        return true;
    }
    more = *errp ? NULL : xen_nvdimm_xs_directory(key, errp);
    for (char **m = more; m && *m && !*errp; m++) {
        g_autofree char *sub = g_strdup_printf("%s/%s", key, *m);

        g_free(text);
        text = xen_nvdimm_xs_read(sub, errp);
        if (text && record_meets(s, text, hit)) {
            return true;
        }
    }
    return false;
}

/*
 * Refuse host memory that a domain still holds according to the records,
 * whether or not its device model is still there to hold the lock.  Records
 * of an earlier domain of the same guest (another domid with the same "vm":
 * a reboot) are its own leftovers.  Another device model's record for our
 * own domain is not: its key would be overwritten, and then removed while
 * the domain still maps that memory.
 */
static bool records_check(XenNvdimmState *s, const char *our_vm,
                          Error **errp)
{
    ERRP_GUARD();
    g_autofree char *our_domid = g_strdup_printf("%u", xen_domid);
    g_auto(GStrv) domids = NULL;

    domids = xen_nvdimm_xs_directory(RECORDS_ROOT, errp);
    for (char **d = domids; d && *d && !*errp; d++) {
        g_autofree char *dir = record_dir(*d);
        g_autofree char *vm_key = g_strdup_printf("%s/vm", dir);
        g_autofree char *vm = NULL;
        g_auto(GStrv) keys = NULL;

        keys = xen_nvdimm_xs_directory(dir, errp);
        vm = keys ? xen_nvdimm_xs_read(vm_key, errp) : NULL;
        if (!vm) {
            vm = g_strdup("");
        }
        for (char **k = keys; k && *k && !*errp; k++) {
            g_autofree char *key = g_strdup_printf("%s/%s", dir, *k);
            XenNvdimmRange hit;
            bool lives;

            if (!g_str_has_prefix(*k, "nv") ||
                !record_hit(s, key, &hit, errp)) {
                continue;
            }
            if (strcmp(*d, our_domid) && our_vm[0] && !strcmp(vm, our_vm)) {
                trace_xen_nvdimm_claim_own(s->name, key);
                continue;
            }
            if (!record_domain_lives(*d, vm, &lives, errp)) {
                break;
            }
            if (!lives) {
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
    if (*errp) {
        error_prepend(errp, "cannot read the claims of other domains: ");
        return false;
    }
    return true;
}

/*
 * Our record: the domain's "vm" (which stays the same across the guest's
 * reboots) and key nv<slot> with the first ranges, nv<slot>/<k> with the
 * rest, all in one transaction, readable and writable by dom0 only.
 */
static bool record_write(XenNvdimmState *s, const char *vm, Error **errp)
{
    g_autofree char *domid = g_strdup_printf("%u", xen_domid);
    g_autofree char *dir = record_dir(domid);
    g_autofree char *key = g_strdup_printf("%s/nv%d", dir, s->slot);
    g_autoptr(GPtrArray) texts = xen_nvdimm_record_texts(s->extents);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) values = g_ptr_array_new();

    g_ptr_array_add(paths, g_strdup_printf("%s/vm", dir));
    g_ptr_array_add(values, (char *)vm);
    for (guint i = 0; i < texts->len; i++) {
        g_ptr_array_add(paths, i ? g_strdup_printf("%s/%u", key, i) :
                               g_strdup(key));
        g_ptr_array_add(values, texts->pdata[i]);
        trace_xen_nvdimm_claim_record(s->name, (char *)paths->pdata[i + 1],
                                      texts->pdata[i]);
    }
    if (!xen_nvdimm_xs_write_private(dir, (const char *const *)paths->pdata,
                                     (const char *const *)values->pdata,
                                     paths->len, errp)) {
        return false;
    }
    s->claim_record = g_steal_pointer(&key);
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
    ERRP_GUARD();
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

/* Our domain's "vm" path, or "" if the toolstack wrote none. */
static char *record_our_vm(Error **errp)
{
    g_autofree char *path = g_strdup_printf("/local/domain/%u/vm", xen_domid);
    Error *err = NULL;
    char *vm = xen_nvdimm_xs_read(path, &err);

    if (err) {
        error_propagate(errp, err);
        return NULL;
    }
    return vm ?: g_strdup("");
}

bool xen_nvdimm_host_claim(XenNvdimmState *s, Error **errp)
{
    g_autofree char *vm = NULL;

    if (xen_nvdimm_have_xenstore(s)) {
        vm = record_our_vm(errp);
        if (!vm) {
            return false;
        }
    }
    if (!host_lock_open(s, errp) || !host_lock_extents(s, vm, errp)) {
        return false;
    }
    if (vm && (!records_check(s, vm, errp) || !record_write(s, vm, errp))) {
        return false;
    }
    if (!host_hold_block(s, errp)) {
        return false;
    }
    /* Nothing is granted before the guards can outlive this process. */
    if (xen_nvdimm_have_xenstore(s) && !xen_nvdimm_guard_start(s, errp)) {
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
        /* The guardian keeps it all until the domain is gone. */
        s->guard_pid = 0;
        /* Deliberately left open: the locks must outlive the device. */
        s->claim_fd = -1;
        s->block_fd = -1;
        s->locked = 0;
        g_clear_pointer(&s->claim_record, g_free);
        return;
    }
    xen_nvdimm_guard_stop(s);
    if (s->block_fd >= 0) {
        close(s->block_fd);
        s->block_fd = -1;
    }
    if (s->claim_record) {
        if (xen_nvdimm_xs_rm(s->claim_record, &err)) {
            trace_xen_nvdimm_claim_record_removed(s->name, s->claim_record);
        } else {
            error_report_err(err);
        }
        g_clear_pointer(&s->claim_record, g_free);
    }
    if (s->claim_fd >= 0) {
        host_lock_forget(s);
        s->locked = 0;
        close(s->claim_fd);
        s->claim_fd = -1;
        trace_xen_nvdimm_claim_released(s->name);
    }
}
