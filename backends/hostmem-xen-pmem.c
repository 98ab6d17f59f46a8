/*
 * Host persistent memory for direct assignment to Xen guests
 *
 * Under Xen every RAM memory region is populated as guest RAM, so
 * memory-backend-file cannot stand for pmem that the hypervisor maps into
 * the guest by host address.  This backend only opens the device or file;
 * having no memory, it is not a TYPE_MEMORY_BACKEND, so that no consumer
 * of RAM backends takes it for one.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/cutils.h"
#include "qapi/visitor.h"
#include "qom/object_interfaces.h"
#include "system/hostmem-xen-pmem.h"
#include "hw/xen/xen-nvdimm-spa.h"
#include "trace.h"

/* How long an open waits for a pin that is about to go, and how often. */
#define XEN_PMEM_PIN_WAIT_US    (10 * G_USEC_PER_SEC)
#define XEN_PMEM_PIN_RETRY_US   (G_USEC_PER_SEC / 10)

/* The size of what @fd opens: a file, a block device or a device-dax. */
static bool xen_pmem_get_size(int fd, const char *path, uint64_t *size,
                              Error **errp)
{
    struct stat st;
    g_autofree char *sysfs = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (fstat(fd, &st)) {
        error_setg_errno(errp, errno, "cannot stat '%s'", path);
        return false;
    }
    if (S_ISREG(st.st_mode)) {
        *size = st.st_size;
        return true;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, size)) {
            error_setg_errno(errp, errno, "cannot get the size of '%s'", path);
            return false;
        }
        return true;
    }
    if (S_ISCHR(st.st_mode)) {
        sysfs = g_strdup_printf("/sys/dev/char/%u:%u/size",
                                major(st.st_rdev), minor(st.st_rdev));
        if (!g_file_get_contents(sysfs, &text, NULL, &gerr) ||
            qemu_strtou64(g_strstrip(text), NULL, 0, size)) {
            error_setg(errp, "'%s' is a character device but not a "
                       "device-dax (no %s)", path, sysfs);
            return false;
        }
        return true;
    }
    error_setg(errp, "'%s' is not a file, block device or device-dax", path);
    return false;
}

bool xen_pmem_boot_id(char *id, Error **errp)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &text, NULL,
                             &gerr) ||
        strlen(g_strstrip(text)) != XEN_PMEM_BOOT_ID_LEN) {
        error_setg(errp, "cannot read the host's boot id%s%s",
                   gerr ? ": " : "", gerr ? gerr->message : "");
        return false;
    }
    memcpy(id, text, XEN_PMEM_BOOT_ID_LEN + 1);
    return true;
}

/*
 * The pin a file carries: 1 if from this boot of the host, 0 if from an
 * earlier one, -1 if it has none (a flag the admin set, say).
 */
static int xen_pmem_pin_age(const char *path)
{
    char mark[XEN_PMEM_BOOT_ID_LEN + 1] = "", now[XEN_PMEM_BOOT_ID_LEN + 1];
    ssize_t n = getxattr(path, XEN_PMEM_PIN_XATTR, mark, sizeof(mark) - 1);

    if (n < 0) {
        return -1;
    }
    return xen_pmem_boot_id(now, NULL) && !strcmp(mark, now);
}

/*
 * Clear a pin left before the host's last boot: nothing maps the file.
 * (The flag goes first: an immutable file's attributes cannot change.)
 */
static bool xen_pmem_unpin_stale(const char *path, Error **errp)
{
    int fd = qemu_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, errp);
    int flags;
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = !ioctl(fd, FS_IOC_GETFLAGS, &flags);
    flags &= ~FS_IMMUTABLE_FL;
    ok = ok && !ioctl(fd, FS_IOC_SETFLAGS, &flags) &&
         (!fremovexattr(fd, XEN_PMEM_PIN_XATTR) || errno == ENODATA);
    if (!ok) {
        error_setg_errno(errp, errno, "cannot clear the stale pin of '%s'",
                         path);
    }
    close(fd);
    return ok;
}

/*
 * Open the backend.  A file xen-nvdimm has pinned refuses writers (EPERM):
 * if its pin is from this boot, its guardian may be letting go right now
 * (a guest restarted at once after its domain was destroyed), so wait a
 * moment; if it is from an earlier boot, the host crashed or was reset
 * while a guest had it, and the pin is stale: clear it.
 */
static int xen_pmem_open(HostMemoryBackendXenPmem *pm, Error **errp)
{
    int flags = pm->readonly ? O_RDONLY : O_RDWR;
    int64_t deadline = g_get_monotonic_time() + XEN_PMEM_PIN_WAIT_US;

    for (;;) {
        Error *err = NULL;
        int fd = qemu_open(pm->mem_path, flags, &err);
        bool eperm = fd < 0 && errno == EPERM;
        int age = eperm ? xen_pmem_pin_age(pm->mem_path) : -1;

        if (fd >= 0) {
            return fd;
        }
        if (age < 0 || (age && g_get_monotonic_time() >= deadline)) {
            if (eperm) {
                error_append_hint(&err, "xen-nvdimm makes a file immutable "
                                  "while a guest maps it, until its domain "
                                  "is destroyed.  If its QEMU and its "
                                  "guardian were both killed, clear the "
                                  "flag (chattr -i) once the domain is "
                                  "gone.\n");
            }
            error_propagate(errp, err);
            return -1;
        }
        error_free(err);
        if (age) {
            g_usleep(XEN_PMEM_PIN_RETRY_US);
            continue;
        }
        if (!xen_pmem_unpin_stale(pm->mem_path, errp)) {
            return -1;
        }
        warn_report("memory-backend-xen-pmem: cleared the pin that '%s' "
                    "kept from before the host's last boot", pm->mem_path);
    }
}

static void xen_pmem_complete(UserCreatable *uc, Error **errp)
{
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(uc);
    const char *id = object_get_canonical_path_component(OBJECT(uc));
    uint64_t size;

    if (!pm->mem_path) {
        error_setg(errp, "memory-backend-xen-pmem '%s': 'mem-path' is not set",
                   id);
        return;
    }
    /* The consumer holds a block device exclusively once it claims it. */
    pm->fd = xen_pmem_open(pm, errp);
    if (pm->fd < 0) {
        return;
    }
    if (!xen_pmem_get_size(pm->fd, pm->mem_path, &size, errp)) {
        goto fail;
    }
    if (pm->size > size) {
        error_setg(errp, "memory-backend-xen-pmem '%s': size 0x%" PRIx64
                   " is larger than '%s' (0x%" PRIx64 ")",
                   id, pm->size, pm->mem_path, size);
        goto fail;
    }
    if (!pm->size ||
        !QEMU_IS_ALIGNED(pm->size, qemu_real_host_page_size())) {
        error_setg(errp, "memory-backend-xen-pmem '%s': size 0x%" PRIx64
                   " is not a non-zero multiple of the page size",
                   id, pm->size);
        goto fail;
    }
    pm->complete = true;
    return;

fail:
    close(pm->fd);
    pm->fd = -1;
}

/* The dom0 NVDIMM driver's answers (xen-nvdimm-spa.c). */
static bool host_resolve(HostMemoryBackendXenPmem *pm, void *opaque,
                         uint64_t size, GArray *extents, bool *pinned,
                         Error **errp)
{
    return xen_nvdimm_resolve_spa(pm->fd, pm->mem_path, size, extents,
                                  pm->bad_sources, pinned, errp);
}

static bool host_bad_ranges(HostMemoryBackendXenPmem *pm, void *opaque,
                            GArray *bad, Error **errp)
{
    return xen_nvdimm_read_badblocks(pm->bad_sources, bad, errp);
}

static int host_health(HostMemoryBackendXenPmem *pm, void *opaque,
                       NvdimmHealth *h, Error **errp)
{
    return xen_nvdimm_read_health(pm->bad_sources, h, errp);
}

static bool host_persistence(HostMemoryBackendXenPmem *pm, void *opaque,
                             XenNvdimmPersistence *p, Error **errp)
{
    return xen_nvdimm_read_persistence(pm->bad_sources, p, errp);
}

static int host_media_watch(HostMemoryBackendXenPmem *pm, void *opaque)
{
    return xen_nvdimm_badblocks_watch(pm->bad_sources);
}

static bool host_media_rearm(HostMemoryBackendXenPmem *pm, void *opaque,
                             int fd)
{
    return xen_nvdimm_badblocks_rearm(fd);
}

static const XenPmemHost xen_pmem_dom0_host = {
    .resolve = host_resolve,
    .bad_ranges = host_bad_ranges,
    .health = host_health,
    .persistence = host_persistence,
    .media_watch = host_media_watch,
    .media_rearm = host_media_rearm,
};

bool xen_pmem_acquire(HostMemoryBackendXenPmem *pm, uint64_t size,
                      const XenPmemHost *host, void *opaque, Error **errp)
{
    ERRP_GUARD();

    assert(pm->complete && size <= pm->size);
    if (pm->in_use) {
        error_setg(errp, "'%s' is in use",
                   object_get_canonical_path_component(OBJECT(pm)));
        return false;
    }
    pm->in_use = true;
    pm->host = host ?: &xen_pmem_dom0_host;
    pm->host_opaque = opaque;
    pm->extents = g_array_new(false, false, sizeof(XenNvdimmExtent));
    pm->bad_sources = g_array_new(false, false, sizeof(XenNvdimmBadSource));
    if (!pm->host->resolve(pm, opaque, size, pm->extents, &pm->pinned,
                           errp)) {
        goto fail;
    }
    xen_nvdimm_extents_coalesce(pm->extents);
    if (!xen_nvdimm_extents_check(pm->extents, size, errp)) {
        error_prepend(errp, "%s: ", pm->mem_path);
        goto fail;
    }
    return true;

fail:
    xen_pmem_release(pm, false);
    return false;
}

bool xen_pmem_unpin(HostMemoryBackendXenPmem *pm, Error **errp)
{
    if (!pm->pinned) {
        return true;
    }
    if (!xen_nvdimm_file_unpin(pm->fd, pm->mem_path, errp)) {
        return false;
    }
    pm->pinned = false;
    return true;
}

/* A pinned file takes writes only where its filesystem allows it. */
bool xen_pmem_labels_ok(HostMemoryBackendXenPmem *pm, Error **errp)
{
    return !pm->pinned ||
           xen_nvdimm_file_labels_ok(pm->fd, pm->mem_path, errp);
}

void xen_pmem_release(HostMemoryBackendXenPmem *pm, bool keep_pin)
{
    Error *err = NULL;

    if (!pm->in_use) {
        return;
    }
    if (pm->pinned && !keep_pin) {
        if (xen_pmem_unpin(pm, &err)) {
            trace_xen_pmem_unpinned(pm->mem_path);
        } else {
            error_reportf_err(err, "memory-backend-xen-pmem: %s stays "
                              "immutable: ", pm->mem_path);
        }
    }
    pm->pinned = false;
    g_clear_pointer(&pm->extents, g_array_unref);
    g_clear_pointer(&pm->bad_sources, g_array_unref);
    pm->host = NULL;
    pm->host_opaque = NULL;
    pm->in_use = false;
}

bool xen_pmem_bad_ranges(HostMemoryBackendXenPmem *pm, GArray *bad,
                         Error **errp)
{
    return pm->host->bad_ranges(pm, pm->host_opaque, bad, errp);
}

int xen_pmem_health(HostMemoryBackendXenPmem *pm, NvdimmHealth *h,
                    Error **errp)
{
    return pm->host->health(pm, pm->host_opaque, h, errp);
}

bool xen_pmem_persistence(HostMemoryBackendXenPmem *pm,
                          XenNvdimmPersistence *p, Error **errp)
{
    return pm->host->persistence(pm, pm->host_opaque, p, errp);
}

int xen_pmem_media_watch(HostMemoryBackendXenPmem *pm)
{
    return pm->host->media_watch(pm, pm->host_opaque);
}

bool xen_pmem_media_rearm(HostMemoryBackendXenPmem *pm, int fd)
{
    return pm->host->media_rearm(pm, pm->host_opaque, fd);
}

/* Properties are set before the object is complete, never after. */
static bool xen_pmem_can_set(Object *obj, const char *name, Error **errp)
{
    if (MEMORY_BACKEND_XEN_PMEM(obj)->complete) {
        error_setg(errp, "cannot change property '%s' of %s", name,
                   object_get_typename(obj));
        return false;
    }
    return true;
}

static char *xen_pmem_get_mem_path(Object *obj, Error **errp)
{
    return g_strdup(MEMORY_BACKEND_XEN_PMEM(obj)->mem_path);
}

static void xen_pmem_set_mem_path(Object *obj, const char *value, Error **errp)
{
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(obj);

    if (xen_pmem_can_set(obj, "mem-path", errp)) {
        g_free(pm->mem_path);
        pm->mem_path = g_strdup(value);
    }
}

static bool xen_pmem_get_readonly(Object *obj, Error **errp)
{
    return MEMORY_BACKEND_XEN_PMEM(obj)->readonly;
}

static void xen_pmem_set_readonly(Object *obj, bool value, Error **errp)
{
    if (xen_pmem_can_set(obj, "readonly", errp)) {
        MEMORY_BACKEND_XEN_PMEM(obj)->readonly = value;
    }
}

static void xen_pmem_prop_get_size(Object *obj, Visitor *v,
                                   const char *name, void *opaque,
                                   Error **errp)
{
    uint64_t value = MEMORY_BACKEND_XEN_PMEM(obj)->size;

    visit_type_size(v, name, &value, errp);
}

static void xen_pmem_prop_set_size(Object *obj, Visitor *v,
                                   const char *name, void *opaque,
                                   Error **errp)
{
    uint64_t value;

    if (xen_pmem_can_set(obj, name, errp) &&
        visit_type_size(v, name, &value, errp)) {
        MEMORY_BACKEND_XEN_PMEM(obj)->size = value;
    }
}

static void xen_pmem_instance_init(Object *obj)
{
    MEMORY_BACKEND_XEN_PMEM(obj)->fd = -1;
}

static void xen_pmem_instance_finalize(Object *obj)
{
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(obj);

    xen_pmem_release(pm, false);
    if (pm->fd >= 0) {
        close(pm->fd);
    }
    g_free(pm->mem_path);
}

/* A device uses it: it cannot go away meanwhile. */
static bool xen_pmem_can_be_deleted(UserCreatable *uc)
{
    return !MEMORY_BACKEND_XEN_PMEM(uc)->in_use;
}

static void xen_pmem_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);

    ucc->complete = xen_pmem_complete;
    ucc->can_be_deleted = xen_pmem_can_be_deleted;
    object_class_property_add_str(oc, "mem-path", xen_pmem_get_mem_path,
                                  xen_pmem_set_mem_path);
    object_class_property_set_description(oc, "mem-path",
        "pmem device (/dev/pmemN, /dev/daxX.Y) or file on a pmem filesystem");
    object_class_property_add(oc, "size", "size", xen_pmem_prop_get_size,
                              xen_pmem_prop_set_size, NULL, NULL);
    object_class_property_set_description(oc, "size",
        "how much of the pmem to use, from its start");
    object_class_property_add_bool(oc, "readonly", xen_pmem_get_readonly,
                                   xen_pmem_set_readonly);
    object_class_property_set_description(oc, "readonly",
        "open the pmem read-only (the guest gets an unarmed NVDIMM)");
}

static const TypeInfo xen_pmem_info = {
    .name = TYPE_MEMORY_BACKEND_XEN_PMEM,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(HostMemoryBackendXenPmem),
    .instance_init = xen_pmem_instance_init,
    .instance_finalize = xen_pmem_instance_finalize,
    .class_init = xen_pmem_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_USER_CREATABLE },
        { }
    },
};

static void xen_pmem_register_types(void)
{
    type_register_static(&xen_pmem_info);
}

type_init(xen_pmem_register_types);
