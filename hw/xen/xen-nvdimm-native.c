/*
 * xen-nvdimm: native host and hypervisor operations
 *
 * The dom0 NVDIMM driver resolves host physical addresses; libxenctrl asks
 * Xen to grant and map them.  The only xen-nvdimm file with Xen headers.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen_native.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-ops.h"

static bool native_resolve(XenNvdimmState *s, int fd, const char *path,
                           uint64_t size, GArray *extents, Error **errp)
{
    return xen_nvdimm_resolve_spa(fd, path, size, extents, errp);
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

static struct xs_handle *native_xs(Error **errp)
{
    static struct xs_handle *xsh;

    if (!xsh) {
        xsh = xs_open(0);
        if (!xsh) {
            error_setg_errno(errp, errno, "cannot connect to xenstore");
        }
    }
    return xsh;
}

char *xen_nvdimm_xs_read(const char *path, Error **errp)
{
    struct xs_handle *xsh = native_xs(errp);
    unsigned int len;
    char *value, *copy;

    if (!xsh) {
        return NULL;
    }
    value = xs_read(xsh, XBT_NULL, path, &len);
    if (!value) {
        if (errno != ENOENT) {
            error_setg_errno(errp, errno, "cannot read xenstore %s", path);
        }
        return NULL;
    }
    copy = g_strndup(value, len);
    free(value);
    return copy;
}

bool xen_nvdimm_xs_write(const char *path, const char *value, Error **errp)
{
    struct xs_handle *xsh = native_xs(errp);

    if (!xsh) {
        return false;
    }
    if (!xs_write(xsh, XBT_NULL, path, value, strlen(value))) {
        error_setg_errno(errp, errno, "cannot write xenstore %s", path);
        return false;
    }
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
    p = xenforeignmemory_map(xen_fmem, xen_domid, prot, n, pfns, NULL);
    if (!p) {
        error_setg_errno(errp, errno, "cannot map guest memory at 0x%"
                         PRIx64, gpa);
        return NULL;
    }
    *pages = n;
    return (uint8_t *)p + (gpa & (XEN_NVDIMM_PAGE_SIZE - 1));
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
    xenforeignmemory_unmap(xen_fmem,
                           (void *)QEMU_ALIGN_PTR_DOWN(p, XEN_NVDIMM_PAGE_SIZE),
                           n);
    return true;
}

static bool native_guest_place(uint64_t gpa, const void *buf, size_t len,
                               Error **errp)
{
    static uint64_t populated;          /* pages from gpa already given */
    size_t need = DIV_ROUND_UP(len, XEN_NVDIMM_PAGE_SIZE), n;
    uint8_t *p;

    assert(QEMU_IS_ALIGNED(gpa, XEN_NVDIMM_PAGE_SIZE));
    if (need > populated) {
        g_autofree xen_pfn_t *pfns = g_new(xen_pfn_t, need - populated);

        for (size_t i = 0; i < need - populated; i++) {
            pfns[i] = (gpa >> XEN_NVDIMM_PAGE_SHIFT) + populated + i;
        }
        if (xc_domain_populate_physmap_exact(xen_xc, xen_domid,
                                             need - populated, 0, 0, pfns)) {
            error_setg_errno(errp, errno, "cannot populate guest memory at "
                             "0x%" PRIx64, gpa);
            return false;
        }
        populated = need;
    }
    p = native_map(gpa, len, PROT_READ | PROT_WRITE, &n, errp);
    if (!p) {
        return false;
    }
    memcpy(p, buf, len);
    xenforeignmemory_unmap(xen_fmem, p, n);
    return true;
}

const XenNvdimmOps xen_nvdimm_native_ops = {
    .name = "native",
    .resolve = native_resolve,
    .max_gpfn = native_max_gpfn,
    .iomem_permission = native_iomem_permission,
    .memory_mapping = native_memory_mapping,
    .guest_read = native_guest_read,
    .guest_place = native_guest_place,
};
