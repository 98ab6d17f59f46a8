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
#include <linux/fs.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qapi/visitor.h"
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
    HostMemoryBackendXenPmem *pm = MEMORY_BACKEND_XEN_PMEM(uc);
    const char *id = object_get_canonical_path_component(OBJECT(uc));
    uint64_t size;

    if (!pm->mem_path) {
        error_setg(errp, "memory-backend-xen-pmem '%s': 'mem-path' is not set",
                   id);
        return;
    }
    /* The consumer holds a block device exclusively once it claims it. */
    pm->fd = qemu_open(pm->mem_path, pm->readonly ? O_RDONLY : O_RDWR, errp);
    if (pm->fd < 0) {
        if (errno == EPERM) {
            error_append_hint(errp, "xen-nvdimm makes a file immutable while "
                              "a guest maps it; if a QEMU was killed, clear "
                              "the flag (chattr -i) once its domain is "
                              "destroyed.\n");
        }
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
