/*
 * Xen virtual NVDIMM backed by host persistent memory
 *
 * The device gives a Xen HVM guest an NVDIMM whose data area is a range of
 * the host's own persistent memory, mapped straight into the guest by host
 * physical address.  QEMU itself only ever touches the label area at the
 * end of the backend.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/xxhash.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "exec/address-spaces.h"
#include "hw/acpi/nvdimm-xen.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "hw/boards.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen-nvdimm.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "migration/blocker.h"
#include "migration/vmstate.h"
#include "system/system.h"
#include "system/xen.h"
#include "trace.h"

/*
 * Hypervisor calls, each traced.
 */

static int xen_nvdimm_permit(XenNvdimmState *s, XenNvdimmExtent *e,
                             bool allow)
{
    uint64_t mfn = e->spa >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t nr = e->size >> XEN_NVDIMM_PAGE_SHIFT;
    int rc = s->ops->iomem_permission(s, mfn, nr, allow);

    trace_xen_nvdimm_iomem_permission(s->name, mfn, nr, allow, rc);
    return rc;
}

static int xen_nvdimm_map(XenNvdimmState *s, XenNvdimmExtent *e, bool add)
{
    uint64_t gfn = (s->gpa + e->offset) >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t mfn = e->spa >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t nr = e->size >> XEN_NVDIMM_PAGE_SHIFT;
    int rc = s->ops->memory_mapping(s, gfn, mfn, nr, add);

    trace_xen_nvdimm_memory_mapping(s->name, gfn, mfn, nr, add, rc);
    return rc;
}

static int xen_nvdimm_map_wb(XenNvdimmState *s, XenNvdimmExtent *e)
{
    uint64_t gfn = (s->gpa + e->offset) >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t mfn = e->spa >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t nr = e->size >> XEN_NVDIMM_PAGE_SHIFT;
    int rc = s->ops->map_pmem_wb(s, gfn, mfn, nr);

    trace_xen_nvdimm_map_pmem_wb(s->name, gfn, mfn, nr, rc);
    return rc;
}

/*
 * Undo everything realize did, in reverse; safe to call at any point and
 * more than once.  Mappings go before permissions: Xen refuses to unmap
 * frames the domain may no longer access.  An extent Xen would not unmap
 * keeps its permission, and the claim stays (xen-nvdimm-host.c): the
 * domain may still reach that host memory until it is destroyed.  But a
 * domain the toolstack destroyed first (libxl does not wait for the device
 * model) has nothing left to unmap: then everything is released.
 */
static void xen_nvdimm_teardown(XenNvdimmState *s)
{
    g_autofree bool *stuck = NULL;
    XenNvdimmExtent *e;
    bool gone = false;
    int rc;

    migrate_del_blocker(&s->migration_blocker);
    if (s->dma_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->dma_mr);
        object_unparent(OBJECT(&s->dma_mr));
        s->dma_mapped = false;
    }
    if (s->mapped || s->permitted) {
        trace_xen_nvdimm_teardown(s->name, s->mapped, s->permitted);
        stuck = g_new0(bool, s->permitted);
    }
    while (s->mapped) {
        e = &g_array_index(s->extents, XenNvdimmExtent, --s->mapped);
        rc = gone ? 0 : xen_nvdimm_map(s, e, false);
        if (rc && s->ops->domain_gone(s)) {
            trace_xen_nvdimm_domain_gone(s->name, -rc);
            gone = true;
        } else if (rc) {
            error_report("xen-nvdimm '%s': cannot unmap SPA 0x%" PRIx64
                         "+0x%" PRIx64 " from guest address 0x%" PRIx64
                         ": %s", s->name, e->spa, e->size,
                         s->gpa + e->offset, strerror(-rc));
            stuck[s->mapped] = true;
        }
    }
    while (s->permitted) {
        e = &g_array_index(s->extents, XenNvdimmExtent, --s->permitted);
        rc = gone ? 0 : stuck[s->permitted] ? -EBUSY :
             xen_nvdimm_permit(s, e, false);
        if (rc && !stuck[s->permitted] && s->ops->domain_gone(s)) {
            trace_xen_nvdimm_domain_gone(s->name, -rc);
            gone = true;
        } else if (rc) {
            if (!stuck[s->permitted]) {
                error_report("xen-nvdimm '%s': cannot revoke access to SPA "
                             "0x%" PRIx64 "+0x%" PRIx64 ": %s", s->name,
                             e->spa, e->size, strerror(-rc));
            }
            s->claim_kept = true;
        }
    }
    if (gone) {
        /* What looked stuck went with the domain. */
        s->claim_kept = false;
    }
    if (s->claim_kept && (s->claim_fd >= 0 || s->claim_record)) {
        error_report("xen-nvdimm '%s': the domain keeps access to host "
                     "memory it could not be made to give back; the claim "
                     "on it stays until the domain is destroyed", s->name);
    }
    xen_nvdimm_host_release(s);
    if (s->exit_notifier.notify) {
        qemu_remove_exit_notifier(&s->exit_notifier);
        s->exit_notifier.notify = NULL;
    }
    if (s->gpa) {
        QTAILQ_REMOVE(&xen_nvdimm_root()->devices, s, next);
        s->gpa = 0;
    }
    if (s->attached) {
        s->ops->detach(s);
        s->attached = false;
    }
    g_clear_pointer(&s->bad_known, g_array_unref);
    xen_nvdimm_media_unwatch(s);
    s->bad_asked = s->health_asked = 0;
    g_clear_pointer(&s->extents, g_array_unref);
    if (s->pmem) {
        /* A file the domain may still map stays pinned: the claim says so. */
        xen_pmem_release(s->pmem, s->claim_kept);
        s->pmem = NULL;
    }
    s->ops = NULL;
}

static void xen_nvdimm_exit_notify(Notifier *n, void *data)
{
    xen_nvdimm_teardown(container_of(n, XenNvdimmState, exit_notifier));
}

/*
 * Map the first extent write-back if the admin wants it and the hypervisor
 * can (cache=auto|wb), else uncacheable; the others follow the first.
 * Returns 0 or a negative errno, with @errp set only for cache=wb.
 */
static int xen_nvdimm_map_first(XenNvdimmState *s, XenNvdimmExtent *e,
                                Error **errp)
{
    ERRP_GUARD();
    static bool warned;
    int rc;

    if (!strcmp(s->cache, "uc")) {
        return xen_nvdimm_map(s, e, true);
    }
    rc = xen_nvdimm_map_wb(s, e);
    if (!rc) {
        s->mapped_wb = true;
        return 0;
    }
    if (!strcmp(s->cache, "wb")) {
        error_setg_errno(errp, -rc, "xen-nvdimm '%s': " XEN_NVDIMM_CACHE_PROP
                         "=wb: Xen refuses to map SPA 0x%" PRIx64 "+0x%"
                         PRIx64 " write-back", s->name, e->spa, e->size);
        if (rc == -EOPNOTSUPP) {
            error_append_hint(errp, "This hypervisor cannot map persistent "
                              "memory write-back (no XEN_DMOP_map_pmem): "
                              "install the xen-nvdimm build of the Xen "
                              "hypervisor package, or use cache=uc.\n");
        } else if (rc == -EINVAL) {
            error_append_hint(errp, "Xen maps write-back only what the host "
                              "firmware declares persistent memory (E820 "
                              "type 7 or the NFIT); Xen's log lists those "
                              "ranges.\n");
        }
        return rc;
    }
    if (!warned) {
        warned = true;
        warn_report("xen-nvdimm '%s': the guest's pmem is uncached (UC), "
                    "every read goes to the media: %s (%s); cache=uc "
                    "silences this", s->name, rc == -EOPNOTSUPP ?
                    "this Xen cannot map persistent memory write-back" :
                    "Xen refuses to map this range write-back",
                    strerror(-rc));
    }
    return xen_nvdimm_map(s, e, true);
}

/* Grant access to, and map, every extent; on failure undo it all. */
static bool xen_nvdimm_map_all(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();

    while (s->mapped < s->extents->len) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent,
                                            s->mapped);
        int rc;

        if (s->permitted == s->mapped) {
            rc = xen_nvdimm_permit(s, e, true);
            if (rc) {
                error_setg_errno(errp, -rc, "xen-nvdimm '%s': cannot grant "
                                 "the guest access to SPA 0x%" PRIx64
                                 "+0x%" PRIx64, s->name,
                                 e->spa, e->size);
                if (rc == -EPERM) {
                    error_append_hint(errp, "The device model must run in a "
                                      "privileged domain (dom0).\n");
                }
                return false;
            }
            s->permitted++;
        }
        if (!s->mapped) {
            rc = xen_nvdimm_map_first(s, e, errp);
            if (rc && *errp) {
                return false;
            }
        } else {
            rc = s->mapped_wb ? xen_nvdimm_map_wb(s, e) :
                                xen_nvdimm_map(s, e, true);
        }
        if (rc) {
            error_setg_errno(errp, -rc, "xen-nvdimm '%s': cannot map SPA 0x%"
                             PRIx64 "+0x%" PRIx64 " at guest address 0x%"
                             PRIx64 "%s", s->name, e->spa, e->size,
                             s->gpa + e->offset,
                             s->mapped_wb ? " write-back" : "");
            return false;
        }
        s->mapped++;
    }
    trace_xen_nvdimm_cache(s->name, s->mapped_wb ? "wb" : "uc");
    return true;
}

/*
 * On Xen the data area is host memory that Xen maps into the guest; QEMU
 * has no view of it.  An emulated device that DMAs to or from a buffer
 * there would otherwise write nowhere or read nothing without a word:
 * such accesses reach this region instead, fail, and are reported.
 */
static MemTxResult xen_nvdimm_dma_refuse(XenNvdimmState *s, hwaddr addr,
                                         unsigned size, bool write)
{
    trace_xen_nvdimm_dma_refused(s->name, addr, size, write);
    if (!s->dma_reported) {
        s->dma_reported = true;
        error_report("xen-nvdimm '%s': an emulated device %s the guest's "
                     "pmem at 0x%" PRIx64 ", which QEMU cannot reach on "
                     "Xen: the access failed", s->name,
                     write ? "wrote" : "read", s->gpa + addr);
    }
    return MEMTX_ERROR;
}

static MemTxResult xen_nvdimm_dma_read(void *opaque, hwaddr addr,
                                       uint64_t *data, unsigned size,
                                       MemTxAttrs attrs)
{
    *data = ~0ULL;
    return xen_nvdimm_dma_refuse(opaque, addr, size, false);
}

static MemTxResult xen_nvdimm_dma_write(void *opaque, hwaddr addr,
                                        uint64_t data, unsigned size,
                                        MemTxAttrs attrs)
{
    return xen_nvdimm_dma_refuse(opaque, addr, size, true);
}

static const MemoryRegionOps xen_nvdimm_dma_ops = {
    .read_with_attrs = xen_nvdimm_dma_read,
    .write_with_attrs = xen_nvdimm_dma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/*
 * The serial number of the DIMM's NFIT control region, which Linux makes
 * part of the NVDIMM's unique id: from uuid= if set, else a keyed hash of
 * where the data lives (xen_nvdimm_host_serial()), so the same
 * configuration always gets the same identity.  Never 0, which would mean
 * "derive from the slot".
 */
static bool xen_nvdimm_serial(XenNvdimmState *s, Error **errp)
{
    ERRP_GUARD();
    uint32_t serial;

    if (!qemu_uuid_is_null(&s->uuid)) {
        serial = qemu_xxhash4(ldq_be_p(s->uuid.data),
                              ldq_be_p(s->uuid.data + 8));
    } else if (!xen_nvdimm_host_serial(s, &serial, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        return false;
    }
    s->serial = serial ?: 1;
    return true;
}

/* Everything about the command line that can be checked up front. */
static bool xen_nvdimm_check_config(XenNvdimmState *s, Error **errp)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    struct stat st;
    uint64_t size;
    int fd;

    if (!s->hostmem) {
        error_setg(errp, "'" XEN_NVDIMM_MEMDEV_PROP "' property is not set");
        return false;
    }
    if (!s->cache) {
        s->cache = g_strdup("auto");
    }
    if (strcmp(s->cache, "auto") && strcmp(s->cache, "wb") &&
        strcmp(s->cache, "uc")) {
        error_setg(errp, "'" XEN_NVDIMM_CACHE_PROP "' must be auto, wb or "
                   "uc, not '%s'", s->cache);
        return false;
    }
    /* Kept: -objects lose their id before exit notifiers run. */
    g_free(s->name);
    s->name = g_strdup(object_get_canonical_path_component(OBJECT(s->hostmem)));
    if (s->hostmem->in_use) {
        error_setg(errp, "can't use already busy memdev: %s",
                   s->name);
        return false;
    }
    size = s->hostmem->size;
    if (s->label_size && s->label_size < XEN_NVDIMM_MIN_LABEL_SIZE) {
        error_setg(errp, "'" XEN_NVDIMM_LABEL_SIZE_PROP "' (0x%" PRIx64
                   ") must be 0 or at least 0x%" PRIx64,
                   s->label_size, (uint64_t)XEN_NVDIMM_MIN_LABEL_SIZE);
        return false;
    }
    if (!QEMU_IS_ALIGNED(s->label_size, XEN_NVDIMM_PAGE_SIZE) ||
        s->label_size > UINT32_MAX) {
        error_setg(errp, "'" XEN_NVDIMM_LABEL_SIZE_PROP "' (0x%" PRIx64
                   ") must be a multiple of 4 KiB below 4 GiB",
                   s->label_size);
        return false;
    }
    /*
     * The label area is the end of the backend; the data area is whole
     * 2 MiB pages from its start, like QEMU's nvdimm.
     */
    s->data_size = size > s->label_size ?
        QEMU_ALIGN_DOWN(size - s->label_size, XEN_NVDIMM_DATA_ALIGN) : 0;
    if (!s->data_size) {
        error_setg(errp, "memdev '%s' (0x%" PRIx64 " bytes) has no room for "
                   "a 2 MiB data area besides 0x%" PRIx64 " bytes of labels",
                   s->name, size, s->label_size);
        return false;
    }
    s->label_offset = size - s->label_size;
    /*
     * Labels are read and written with pread/pwrite + fdatasync; a
     * device-dax character device only maps, and would need cache flushes
     * for durability.
     */
    fd = s->hostmem->fd;
    if (s->label_size && (fstat(fd, &st) || S_ISCHR(st.st_mode))) {
        error_setg(errp, "memdev '%s': labels on a device-dax backend are "
                   "not supported: set '" XEN_NVDIMM_LABEL_SIZE_PROP "=0'",
                   s->name);
        return false;
    }
    if (s->hostmem->readonly) {
        if (!s->ops->emulated) {
            error_setg(errp, "memdev '%s' is read-only, but Xen can only map "
                       "host memory into an HVM guest read-write",
                       s->name);
            return false;
        }
        if (!s->unarmed) {
            error_setg(errp, "memdev '%s' is read-only: set '"
                       XEN_NVDIMM_UNARMED_PROP "=on'", s->name);
            return false;
        }
    }
    if (ms->nvdimms_state && ms->nvdimms_state->is_enabled) {
        error_setg(errp, "xen-nvdimm cannot be used with -machine nvdimm=on: "
                   "the guest would get two NFITs");
        return false;
    }
    if (xen_enabled() && xen_domid_restrict) {
        error_setg(errp, "xen-nvdimm needs a privileged device model, but "
                   "-xen-domid-restrict is set");
        return false;
    }
    return true;
}

static void xen_nvdimm_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    XenNvdimmState *s = XEN_NVDIMM(dev);
    g_autoptr(GArray) bad = NULL;
    int64_t start = g_get_monotonic_time();

    s->ops = XEN_NVDIMM_GET_CLASS(s)->ops;
    if (!s->ops->usable(errp) || !xen_nvdimm_check_config(s, errp)) {
        s->ops = NULL;
        return;
    }
    /*
     * Before any host work: a save or migration already under way, or
     * -only-migratable, refuses the device here.  On Xen the blocker also
     * stops the toolstack's save before it suspends the guest (it asks
     * xen-set-global-dirty-log first).
     */
    error_setg(&s->migration_blocker, "xen-nvdimm '%s': the guest has host "
               "persistent memory mapped directly; it cannot be saved or "
               "migrated", s->name);
    if (migrate_add_blocker(&s->migration_blocker, errp) < 0) {
        return;
    }
    s->pmem = s->hostmem;
    s->host_dir = XEN_NVDIMM_HOST_DIR;
    s->secret_dir = XEN_NVDIMM_SECRET_DIR;
    trace_xen_nvdimm_realize(s->name, s->ops->name,
                             s->pmem->mem_path, s->data_size, s->label_size);

    if (s->ops->attach) {
        if (!s->ops->attach(s, s->pmem->fd, s->pmem->readonly, errp)) {
            goto fail;
        }
        s->attached = true;
    }

    if (!xen_pmem_acquire(s->pmem, s->data_size, s->ops->host, s, errp) ||
        (s->label_size && !xen_pmem_labels_ok(s->pmem, errp))) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        goto fail;
    }
    s->extents = g_array_ref(s->pmem->extents);
    for (guint i = 0; i < s->extents->len; i++) {
        XenNvdimmExtent *e = &g_array_index(s->extents, XenNvdimmExtent, i);

        trace_xen_nvdimm_extent(s->name, e->offset, e->spa,
                                e->size);
    }
    bad = g_array_new(false, false, sizeof(XenNvdimmRange));
    if (!xen_pmem_bad_ranges(s->pmem, bad, errp) ||
        !xen_nvdimm_host_check(s, bad, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': %s: ", s->name,
                      s->pmem->mem_path);
        goto fail;
    }

    if (!xen_nvdimm_serial(s, errp) || !xen_nvdimm_media_init(s, errp) ||
        (dev->hotplugged && !xen_nvdimm_root_admit(s, errp)) ||
        !xen_nvdimm_place_data(s, errp)) {
        goto fail;
    }
    s->exit_notifier.notify = xen_nvdimm_exit_notify;
    qemu_add_exit_notifier(&s->exit_notifier);
    if (!xen_nvdimm_host_claim(s, errp)) {
        error_prepend(errp, "xen-nvdimm '%s': %s: ", s->name,
                      s->pmem->mem_path);
        goto fail;
    }
    if (!xen_nvdimm_map_all(s, errp)) {
        goto fail;
    }
    if (!s->ops->emulated) {
        memory_region_init_io(&s->dma_mr, OBJECT(s), &xen_nvdimm_dma_ops, s,
                              "xen-nvdimm.data", s->data_size);
        memory_region_add_subregion(get_system_memory(), s->gpa, &s->dma_mr);
        s->dma_mapped = true;
    }
    /*
     * hvmloader read the tables at boot: a hot-plugged device reaches the
     * guest through the root's _FIT (xen-nvdimm-root.c).
     */
    if (!xen_nvdimm_dsm_init(s, errp) ||
        (!dev->hotplugged && !xen_nvdimm_publish_acpi(s, errp))) {
        error_prepend(errp, "xen-nvdimm '%s': ", s->name);
        goto fail;
    }
    /* What realize cost: the benchmark (make bench) reads it. */
    trace_xen_nvdimm_realized(s->name, s->extents->len, s->mapped,
                              g_get_monotonic_time() - start);
    return;

fail:
    xen_nvdimm_teardown(s);
    trace_xen_nvdimm_realize_failed(s->name);
}

static void xen_nvdimm_unrealize(DeviceState *dev)
{
    xen_nvdimm_teardown(XEN_NVDIMM(dev));
}

/* The guest's pmem is the host's: nothing QEMU could save or move. */
static int xen_nvdimm_pre_save(void *opaque)
{
    XenNvdimmState *s = opaque;

    trace_xen_nvdimm_save_refused(s->name);
    error_report("xen-nvdimm '%s': the guest has host persistent memory "
                 "mapped directly; it cannot be saved or migrated",
                 s->name);
    return -EPERM;
}

static const VMStateDescription vmstate_xen_nvdimm = {
    .name = TYPE_XEN_NVDIMM,
    /*
     * The migration blocker (realize) stops migrate, savevm and a Xen
     * save at its start; pre_save still fails xen-save-devices-state, for
     * a toolstack that asks for the device state without that start.
     */
    .pre_save = xen_nvdimm_pre_save,
    .fields = (const VMStateField[]) {
        VMSTATE_END_OF_LIST()
    },
};

static void xen_nvdimm_get_size(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    XenNvdimmState *s = XEN_NVDIMM(obj);
    uint64_t value = s->data_size;

    visit_type_size(v, name, &value, errp);
}

static void xen_nvdimm_get_gpa(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    XenNvdimmState *s = XEN_NVDIMM(obj);
    uint64_t value = s->gpa;

    visit_type_uint64(v, name, &value, errp);
}

static char *xen_nvdimm_get_cache_mapped(Object *obj, Error **errp)
{
    XenNvdimmState *s = XEN_NVDIMM(obj);

    if (!s->mapped) {
        return g_strdup("");
    }
    return g_strdup(s->mapped_wb ? "wb" : "uc");
}

static const Property xen_nvdimm_properties[] = {
    DEFINE_PROP_LINK(XEN_NVDIMM_MEMDEV_PROP, XenNvdimmState, hostmem,
                     TYPE_MEMORY_BACKEND_XEN_PMEM, HostMemoryBackendXenPmem *),
    DEFINE_PROP_UINT64(XEN_NVDIMM_ADDR_PROP, XenNvdimmState, addr, 0),
    DEFINE_PROP_SIZE(XEN_NVDIMM_LABEL_SIZE_PROP, XenNvdimmState, label_size, 0),
    DEFINE_PROP_UINT32(XEN_NVDIMM_NODE_PROP, XenNvdimmState, node, 0),
    DEFINE_PROP_BOOL(XEN_NVDIMM_UNARMED_PROP, XenNvdimmState, unarmed, false),
    DEFINE_PROP_UUID_NODEFAULT(XEN_NVDIMM_UUID_PROP, XenNvdimmState, uuid),
    DEFINE_PROP_STRING(XEN_NVDIMM_CACHE_PROP, XenNvdimmState, cache),
};

static void xen_nvdimm_instance_finalize(Object *obj)
{
    g_free(XEN_NVDIMM(obj)->name);
}

static void xen_nvdimm_instance_init(Object *obj)
{
    XEN_NVDIMM(obj)->claim_fd = -1;
    XEN_NVDIMM(obj)->block_fd = -1;
    XEN_NVDIMM(obj)->media_fd = -1;
    object_property_add(obj, "size", "size", xen_nvdimm_get_size,
                        NULL, NULL, NULL);
    object_property_set_description(obj, "size",
                                    "bytes mapped into the guest");
    object_property_add(obj, "guest-address", "uint64", xen_nvdimm_get_gpa,
                        NULL, NULL, NULL);
    object_property_set_description(obj, "guest-address",
                                    "guest-physical base of the data area");
    object_property_add_str(obj, "cache-mapped", xen_nvdimm_get_cache_mapped,
                            NULL);
    object_property_set_description(obj, "cache-mapped",
                                    "the memory type the guest's mapping "
                                    "got: wb or uc (empty before realize)");
}

static void xen_nvdimm_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    XenNvdimmClass *xc = XEN_NVDIMM_CLASS(oc);

    dc->desc = "Xen virtual NVDIMM backed by host persistent memory";
    dc->realize = xen_nvdimm_realize;
    dc->unrealize = xen_nvdimm_unrealize;
    dc->vmsd = &vmstate_xen_nvdimm;
    /*
     * Into a free slot of the NVDIMM root, whose hotplug handler
     * (xen-nvdimm-root.c) refuses the unplug.
     */
    dc->hotpluggable = true;
    device_class_set_props(dc, xen_nvdimm_properties);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    xc->ops = &xen_nvdimm_native_ops;
}

static const TypeInfo xen_nvdimm_info = {
    .name          = TYPE_XEN_NVDIMM,
    .parent        = TYPE_DEVICE,
    .instance_size = sizeof(XenNvdimmState),
    .instance_init = xen_nvdimm_instance_init,
    .instance_finalize = xen_nvdimm_instance_finalize,
    .class_size    = sizeof(XenNvdimmClass),
    .class_init    = xen_nvdimm_class_init,
};

static void xen_nvdimm_register_types(void)
{
    type_register_static(&xen_nvdimm_info);
}

type_init(xen_nvdimm_register_types)
