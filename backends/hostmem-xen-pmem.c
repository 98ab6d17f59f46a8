/*
 * Host persistent memory for direct assignment to Xen guests
 *
 * Under Xen every RAM memory region is populated as guest RAM, so
 * memory-backend-file cannot stand for pmem that the hypervisor maps into
 * the guest by host address.  This backend only opens the device or file.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qom/object_interfaces.h"
#include "system/hostmem-xen-pmem.h"

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

static void xen_pmem_complete(UserCreatable *uc, Error **errp)
{
    HostMemoryBackend *backend = MEMORY_BACKEND(uc);
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(uc);
    const char *id = object_get_canonical_path_component(OBJECT(uc));
    uint64_t size;

    if (!pm->mem_path) {
        error_setg(errp, "memory-backend-xen-pmem '%s': 'mem-path' is not set",
                   id);
        return;
    }
    /*
     * O_EXCL holds a block device exclusively (Linux ignores it for other
     * files): nobody can mount, mkfs or reconfigure the namespace while a
     * guest has it, nor can another backend open it.
     */
    pm->fd = qemu_open(pm->mem_path,
                       (pm->readonly ? O_RDONLY : O_RDWR) | O_EXCL, errp);
    if (pm->fd < 0) {
        if (errno == EBUSY) {
            error_append_hint(errp, "A pmem block device must not be "
                              "mounted, nor be in use by anything else.\n");
        }
        return;
    }
    if (!xen_pmem_get_size(pm->fd, pm->mem_path, &size, errp)) {
        goto fail;
    }
    if (backend->size > size) {
        error_setg(errp, "memory-backend-xen-pmem '%s': size 0x%" PRIx64
                   " is larger than '%s' (0x%" PRIx64 ")",
                   id, backend->size, pm->mem_path, size);
        goto fail;
    }
    if (!backend->size ||
        !QEMU_IS_ALIGNED(backend->size, qemu_real_host_page_size())) {
        error_setg(errp, "memory-backend-xen-pmem '%s': size 0x%" PRIx64
                   " is not a non-zero multiple of the page size",
                   id, backend->size);
        goto fail;
    }
    /* Not RAM: nothing is allocated, populated or mapped. */
    memory_region_init(&backend->mr, OBJECT(backend), id, backend->size);
    return;

fail:
    close(pm->fd);
    pm->fd = -1;
}

static char *xen_pmem_get_mem_path(Object *obj, Error **errp)
{
    return g_strdup(MEMORY_BACKEND_XEN_PMEM(obj)->mem_path);
}

static void xen_pmem_set_mem_path(Object *obj, const char *value, Error **errp)
{
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(obj);

    if (host_memory_backend_mr_inited(MEMORY_BACKEND(obj))) {
        error_setg(errp, "cannot change property 'mem-path' of %s",
                   object_get_typename(obj));
        return;
    }
    g_free(pm->mem_path);
    pm->mem_path = g_strdup(value);
}

static bool xen_pmem_get_readonly(Object *obj, Error **errp)
{
    return MEMORY_BACKEND_XEN_PMEM(obj)->readonly;
}

static void xen_pmem_set_readonly(Object *obj, bool value, Error **errp)
{
    if (host_memory_backend_mr_inited(MEMORY_BACKEND(obj))) {
        error_setg(errp, "cannot change property 'readonly' of %s",
                   object_get_typename(obj));
        return;
    }
    MEMORY_BACKEND_XEN_PMEM(obj)->readonly = value;
}

static void xen_pmem_instance_init(Object *obj)
{
    MEMORY_BACKEND_XEN_PMEM(obj)->fd = -1;
}

static void xen_pmem_instance_finalize(Object *obj)
{
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(obj);

    if (pm->fd >= 0) {
        close(pm->fd);
    }
    g_free(pm->mem_path);
}

static void xen_pmem_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);

    /* No alloc(): the generic code would treat the region as RAM. */
    ucc->complete = xen_pmem_complete;
    object_class_property_add_str(oc, "mem-path", xen_pmem_get_mem_path,
                                  xen_pmem_set_mem_path);
    object_class_property_set_description(oc, "mem-path",
        "pmem device (/dev/pmemN, /dev/daxX.Y) or file on a pmem filesystem");
    object_class_property_add_bool(oc, "readonly", xen_pmem_get_readonly,
                                   xen_pmem_set_readonly);
    object_class_property_set_description(oc, "readonly",
        "open the pmem read-only (the guest gets an unarmed NVDIMM)");
}

static const TypeInfo xen_pmem_info = {
    .name = TYPE_MEMORY_BACKEND_XEN_PMEM,
    .parent = TYPE_MEMORY_BACKEND,
    .instance_size = sizeof(HostMemoryBackendXenPmem),
    .instance_init = xen_pmem_instance_init,
    .instance_finalize = xen_pmem_instance_finalize,
    .class_init = xen_pmem_class_init,
};

static void xen_pmem_register_types(void)
{
    type_register_static(&xen_pmem_info);
}

type_init(xen_pmem_register_types);
