/*
 * xen-nvdimm: the domain's xenstore
 *
 * Through QEMU's Xen backend ops, in both modes: libxenstore on Xen, and
 * for the emulated host of tests a stand-in at XENSTORED_PATH.  The
 * tables for hvmloader and the host-wide claim records live there.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-bus-helper.h"
#include "hw/xen/xen-nvdimm-ops.h"

/* Connected when first needed. */
static struct qemu_xs_handle *xsh;

void xen_nvdimm_xs_forget(void)
{
    /* Its descriptor is not ours: leave it (and its memory) alone. */
    xsh = NULL;
}

static struct qemu_xs_handle *nvdimm_xs(Error **errp)
{
    if (!xsh) {
        xsh = qemu_xen_xs_open();
        if (!xsh) {
            error_setg_errno(errp, errno, "cannot connect to xenstore");
        }
    }
    return xsh;
}

char *xen_nvdimm_xs_read(const char *path, Error **errp)
{
    struct qemu_xs_handle *h = nvdimm_xs(errp);
    unsigned int len;
    char *value, *copy;

    if (!h) {
        return NULL;
    }
    value = qemu_xen_xs_read(h, XBT_NULL, path, &len);
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

/*
 * Write @n keys in one transaction; with @private_dir, also make it and
 * everything written dom0's alone (no access for any other domain).
 */
static bool nvdimm_xs_write(const char *private_dir,
                            const char *const *paths,
                            const char *const *values, unsigned n,
                            Error **errp)
{
    ERRP_GUARD();
    struct qemu_xs_handle *h = nvdimm_xs(errp);
    xs_transaction_t t;

    if (!h) {
        return false;
    }
    /* xenstored makes us retry when another writer got there first. */
    for (;;) {
        const char *failed = NULL;

        t = qemu_xen_xs_transaction_start(h);
        if (t == XBT_NULL) {
            error_setg_errno(errp, errno, "cannot start a xenstore "
                             "transaction");
            return false;
        }
        if (private_dir) {
            xs_node_create(h, t, private_dir, 0, 0, XS_PERM_NONE, errp);
        }
        for (unsigned i = 0; i < n && !*errp && !failed; i++) {
            if (private_dir) {
                xs_node_create(h, t, paths[i], 0, 0, XS_PERM_NONE, errp);
            }
            if (!*errp && !qemu_xen_xs_write(h, t, paths[i], values[i],
                                             strlen(values[i]))) {
                failed = paths[i];
            }
        }
        if (failed || *errp) {
            if (failed) {
                error_setg_errno(errp, errno, "cannot write xenstore %s",
                                 failed);
            }
            qemu_xen_xs_transaction_end(h, t, true);
            return false;
        }
        if (qemu_xen_xs_transaction_end(h, t, false)) {
            return true;
        }
        if (errno != EAGAIN) {
            error_setg_errno(errp, errno, "cannot write xenstore %s",
                             paths[0]);
            return false;
        }
    }
}

bool xen_nvdimm_xs_write_all(const char *const *paths,
                             const char *const *values, unsigned n,
                             Error **errp)
{
    return nvdimm_xs_write(NULL, paths, values, n, errp);
}

bool xen_nvdimm_xs_write_private(const char *dir, const char *const *paths,
                                 const char *const *values, unsigned n,
                                 Error **errp)
{
    return nvdimm_xs_write(dir, paths, values, n, errp);
}

char **xen_nvdimm_xs_directory(const char *path, Error **errp)
{
    struct qemu_xs_handle *h = nvdimm_xs(errp);
    unsigned int n;
    char **list;
    char **out;

    if (!h) {
        return NULL;
    }
    list = qemu_xen_xs_directory(h, XBT_NULL, path, &n);
    if (!list) {
        if (errno != ENOENT) {
            error_setg_errno(errp, errno, "cannot list xenstore %s", path);
        }
        return NULL;
    }
    out = g_new0(char *, n + 1);
    for (unsigned int i = 0; i < n; i++) {
        out[i] = g_strdup(list[i]);
    }
    free(list);
    return out;
}

bool xen_nvdimm_xs_rm(const char *path, Error **errp)
{
    struct qemu_xs_handle *h = nvdimm_xs(errp);

    if (!h) {
        return false;
    }
    if (!qemu_xen_xs_destroy(h, XBT_NULL, path) && errno != ENOENT) {
        error_setg_errno(errp, errno, "cannot remove xenstore %s", path);
        return false;
    }
    return true;
}
