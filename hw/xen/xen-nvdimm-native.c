/*
 * xen-nvdimm: native hypervisor operations
 *
 * The backend resolves host physical addresses through the dom0 NVDIMM
 * driver; libxenctrl asks Xen to grant and map them.  Guest memory goes
 * through QEMU's Xen backend ops (and xenstore too, in xen-nvdimm-xs.c).
 * The only xen-nvdimm file with Xen headers.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "hw/xen/xen_native.h"
#include <xen/sys/privcmd.h>
#include "qapi/error.h"
#include "system/xen.h"
#include "hw/xen/xen_backend_ops.h"
#include "hw/xen/xen-hvm-common.h"
#include "hw/xen/xen-nvdimm-ops.h"

static bool native_usable(Error **errp)
{
    if (!xen_enabled()) {
        error_setg(errp, TYPE_XEN_NVDIMM " needs QEMU to be Xen's device "
                   "model (-accel xen, as libxl starts it)");
        error_append_hint(errp, "Tests without Xen use " TYPE_XEN_NVDIMM_EMU
                          ", on an emulated host.\n");
        return false;
    }
    return true;
}

/* Xen's own E820 map of the machine: dom0's is pseudo-physical. */
static bool native_machine_map(XenNvdimmState *s, GArray *map, GArray *nfit,
                               Error **errp)
{
    g_autofree struct e820entry *e = g_new(struct e820entry, E820MAX);
    int n = xc_get_machine_memory_map(xen_xc, e, E820MAX);

    if (n < 0) {
        error_setg_errno(errp, errno, "cannot get Xen's machine memory map");
        return false;
    }
    for (int i = 0; i < n; i++) {
        XenNvdimmMemRange r = {
            .start = e[i].addr,
            .end = e[i].addr + e[i].size,
            .type = e[i].type,
        };

        if (r.end > r.start) {
            g_array_append_val(map, r);
        }
    }
    return xen_nvdimm_host_nfit(nfit, errp);
}

static bool native_max_gpfn(XenNvdimmState *s, uint64_t *gpfn, Error **errp)
{
    xen_pfn_t max;

    if (xc_domain_maximum_gpfn(xen_xc, xen_domid, &max) < 0) {
        error_setg_errno(errp, errno, "cannot get the maximum gpfn of "
                         "domain %u", xen_domid);
        return false;
    }
    *gpfn = max;
    return true;
}

static int native_iomem_permission(XenNvdimmState *s, uint64_t mfn,
                                   uint64_t nr, bool allow)
{
    if (xc_domain_iomem_permission(xen_xc, xen_domid, mfn, nr, allow)) {
        return -errno;
    }
    return 0;
}

/*
 * libxenctrl loops over Xen's per-call limit and, if adding fails part way,
 * removes what it had added before returning the error.
 */
static int native_memory_mapping(XenNvdimmState *s, uint64_t gfn,
                                 uint64_t mfn, uint64_t nr, bool add)
{
    uint32_t op = add ? DPCI_ADD_MAPPING : DPCI_REMOVE_MAPPING;

    if (xc_domain_memory_mapping(xen_xc, xen_domid, gfn, mfn, nr, op)) {
        return -errno;
    }
    return 0;
}

/*
 * XEN_DMOP_map_pmem, from the xen-nvdimm patches to Xen (xen/patches/):
 * neither Xen's public headers nor libxendevicemodel have it, so it goes
 * through privcmd, as libxendevicemodel sends its own operations.
 */
#define XEN_NVDIMM_DMOP_MAP_PMEM 21

typedef struct XenNvdimmDmOpMapPmem {
    uint32_t op;
    uint32_t pad;
    /* What is left to map; after a failure, what was not mapped. */
    uint64_t first_gfn;
    uint64_t first_mfn;
    uint64_t nr_mfns;
    uint32_t flags;
    uint32_t pad2;
} XenNvdimmDmOpMapPmem;

QEMU_BUILD_BUG_ON(sizeof(XenNvdimmDmOpMapPmem) != 40);

static int native_map_pmem_wb(XenNvdimmState *s, uint64_t gfn,
                              uint64_t mfn, uint64_t nr)
{
    static int privcmd = -1;
    XenNvdimmDmOpMapPmem op = {
        .op = XEN_NVDIMM_DMOP_MAP_PMEM,
        .first_gfn = gfn, .first_mfn = mfn, .nr_mfns = nr,
    };
    privcmd_dm_op_buf_t buf = { .uptr = &op, .size = sizeof(op) };
    privcmd_dm_op_t dm = { .dom = xen_domid, .num = 1, .ubufs = &buf };
    domid_t dom = xen_domid;
    int rc;

    if (privcmd < 0) {
        privcmd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
        if (privcmd < 0) {
            return -errno;
        }
        /* As restricted as QEMU's other handles are. */
        if (xen_domid_restrict &&
            ioctl(privcmd, IOCTL_PRIVCMD_RESTRICT, &dom)) {
            rc = -errno;
            close(privcmd);
            privcmd = -1;
            return rc;
        }
    }
    if (!ioctl(privcmd, IOCTL_PRIVCMD_DM_OP, &dm)) {
        return 0;
    }
    rc = errno == ENOTTY ? -EOPNOTSUPP : -errno;
    /* Parts mapped by Xen's earlier continuations stay: remove them. */
    if (op.first_gfn > gfn && op.first_gfn - gfn < nr &&
        op.first_mfn - mfn == op.first_gfn - gfn) {
        native_memory_mapping(s, gfn, mfn, op.first_gfn - gfn, false);
    }
    return rc;
}

static bool native_domain_gone(XenNvdimmState *s)
{
    xc_domaininfo_t info;
    int n = xc_domain_getinfolist(xen_xc, xen_domid, 1, &info);

    if (n < 0) {
        return false;
    }
    return n == 0 || info.domain != xen_domid ||
           (info.flags & XEN_DOMINF_dying);
}

/* In the guardian: QEMU's libxenctrl handle is not ours, open one. */
static bool native_guard_domain_gone(XenNvdimmState *s, bool *gone,
                                     Error **errp)
{
    static xc_interface *xch;
    xc_domaininfo_t info;
    int n;

    if (!xch) {
        xch = xc_interface_open(NULL, NULL, 0);
        if (!xch) {
            error_setg_errno(errp, errno, "cannot open libxenctrl");
            return false;
        }
    }
    n = xc_domain_getinfolist(xch, xen_domid, 1, &info);
    if (n < 0) {
        error_setg_errno(errp, errno, "cannot ask Xen about domain %u",
                         xen_domid);
        return false;
    }
    *gone = n == 0 || info.domain != xen_domid ||
            (info.flags & XEN_DOMINF_dying);
    return true;
}

/* Foreign-map guest frames [gpa, gpa + len) with @prot. */
static void *native_map(uint64_t gpa, size_t len, int prot, size_t *pages,
                        Error **errp)
{
    uint64_t first = gpa >> XEN_NVDIMM_PAGE_SHIFT;
    size_t n = DIV_ROUND_UP((gpa & (XEN_NVDIMM_PAGE_SIZE - 1)) + len,
                            XEN_NVDIMM_PAGE_SIZE);
    g_autofree xen_pfn_t *pfns = g_new(xen_pfn_t, n);
    void *p;

    for (size_t i = 0; i < n; i++) {
        pfns[i] = first + i;
    }
    p = qemu_xen_foreignmem_map(xen_domid, NULL, prot, n, pfns, NULL);
    if (!p) {
        error_setg_errno(errp, errno, "cannot map guest memory at 0x%"
                         PRIx64, gpa);
        return NULL;
    }
    *pages = n;
    return (uint8_t *)p + (gpa & (XEN_NVDIMM_PAGE_SIZE - 1));
}

/* Undo native_map(). */
static void native_unmap(void *p, size_t pages)
{
    qemu_xen_foreignmem_unmap((void *)QEMU_ALIGN_PTR_DOWN(p,
                                                          XEN_NVDIMM_PAGE_SIZE),
                              pages);
}

static bool native_guest_read(uint64_t gpa, void *buf, size_t len,
                              Error **errp)
{
    size_t n;
    uint8_t *p = native_map(gpa, len, PROT_READ, &n, errp);

    if (!p) {
        return false;
    }
    memcpy(buf, p, len);
    native_unmap(p, n);
    return true;
}

/*
 * Give the domain fresh pages at guest frames [gpa, gpa + len) that it does
 * not have yet.  Pages populated here stay until the domain dies.
 */
static bool native_populate(uint64_t gpa, size_t len, Error **errp)
{
    static GHashTable *populated;       /* guest frames given so far */
    uint64_t first = gpa >> XEN_NVDIMM_PAGE_SHIFT;
    uint64_t end = DIV_ROUND_UP(gpa + len, XEN_NVDIMM_PAGE_SIZE);
    g_autoptr(GArray) pfns = g_array_new(false, false, sizeof(xen_pfn_t));

    if (!populated) {
        populated = g_hash_table_new(g_int64_hash, g_int64_equal);
    }
    for (uint64_t gfn = first; gfn < end; gfn++) {
        if (!g_hash_table_contains(populated, &gfn)) {
            xen_pfn_t pfn = gfn;

            g_array_append_val(pfns, pfn);
        }
    }
    if (!pfns->len) {
        return true;
    }
    if (xc_domain_populate_physmap_exact(xen_xc, xen_domid, pfns->len, 0, 0,
                                         (xen_pfn_t *)pfns->data)) {
        error_setg_errno(errp, errno, "cannot populate guest memory at "
                         "0x%" PRIx64, gpa);
        return false;
    }
    for (guint i = 0; i < pfns->len; i++) {
        uint64_t *key = g_new(uint64_t, 1);

        *key = g_array_index(pfns, xen_pfn_t, i);
        g_hash_table_add(populated, key);
    }
    return true;
}

static bool native_guest_place(uint64_t gpa, const void *buf, size_t len,
                               Error **errp)
{
    size_t n;
    uint8_t *p;

    if (!native_populate(gpa, len, errp)) {
        return false;
    }
    p = native_map(gpa, len, PROT_READ | PROT_WRITE, &n, errp);
    if (!p) {
        return false;
    }
    memcpy(p, buf, len);
    native_unmap(p, n);
    return true;
}

/* Mapped for good: the guest's _DSM calls use it until QEMU exits. */
static void *native_guest_page(uint64_t gpa, Error **errp)
{
    size_t n;

    assert(QEMU_IS_ALIGNED(gpa, XEN_NVDIMM_PAGE_SIZE));
    if (!native_populate(gpa, XEN_NVDIMM_PAGE_SIZE, errp)) {
        return NULL;
    }
    return native_map(gpa, XEN_NVDIMM_PAGE_SIZE, PROT_READ | PROT_WRITE, &n,
                      errp);
}

/* A _DSM call completes from its worker thread: see xen_ioreq_defer(). */
static void *native_defer_write(void)
{
    return xen_ioreq_defer();
}

static void native_complete_write(void *deferred)
{
    xen_ioreq_complete(deferred);
}

const XenNvdimmOps xen_nvdimm_native_ops = {
    .name = "native",
    .usable = native_usable,
    .machine_map = native_machine_map,
    .max_gpfn = native_max_gpfn,
    .iomem_permission = native_iomem_permission,
    .memory_mapping = native_memory_mapping,
    .map_pmem_wb = native_map_pmem_wb,
    .domain_gone = native_domain_gone,
    .guard_domain_gone = native_guard_domain_gone,
    .guest_read = native_guest_read,
    .guest_place = native_guest_place,
    .guest_page = native_guest_page,
    .defer_write = native_defer_write,
    .complete_write = native_complete_write,
};
