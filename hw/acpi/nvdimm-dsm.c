/*
 * NVDIMM _DSM protocol for Xen guests
 *
 * The request/reply handling behind the guest's NVDIMM _DSM: the root
 * device's function 0 and its address range scrub (nvdimm-ars.c), and
 * the Intel DSM family's functions of each NVDIMM (0: supported functions,
 * 1: get SMART and health info, 4: get label size, 5: get label data,
 * 6: set label data).  No device state and no guest memory here: the
 * caller copies the request page and supplies each NVDIMM's label area and
 * what the host knows of its media.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "trace.h"

/* Reply: status code only. */
static uint32_t dsm_status(uint8_t *out, uint32_t status)
{
    stl_le_p(out, 8);
    stl_le_p(out + 4, status);
    return 8;
}

/* Reply to function 0: a bitmap of the supported functions. */
static uint32_t dsm_functions(uint8_t *out, uint32_t mask)
{
    stl_le_p(out, 8);
    stl_le_p(out + 4, mask);
    return 8;
}

/*
 * Check a label transfer of @len bytes at @off: overflow-safe, within the
 * label area and one reply.
 */
static bool dsm_label_range_ok(const NvdimmDsmDimm *d, uint32_t off,
                               uint32_t len)
{
    if (len <= NVDIMM_DSM_MAX_XFER && off <= d->label_size &&
        len <= d->label_size - off) {
        return true;
    }
    trace_nvdimm_dsm_bad_range(d->handle, off, len, d->label_size);
    return false;
}

static uint32_t dsm_get_label_data(const NvdimmDsmDimm *d,
                                   const uint8_t *arg3, uint8_t *out)
{
    uint32_t off = ldl_le_p(arg3), len = ldl_le_p(arg3 + 4);

    if (!dsm_label_range_ok(d, off, len)) {
        return dsm_status(out, NVDIMM_DSM_INVALID);
    }
    if (!d->read_label(d->opaque, off, out + 8, len)) {
        return dsm_status(out, NVDIMM_DSM_HW_ERROR);
    }
    stl_le_p(out, 8 + len);
    stl_le_p(out + 4, NVDIMM_DSM_SUCCESS);
    return 8 + len;
}

static uint32_t dsm_set_label_data(const NvdimmDsmDimm *d,
                                   const uint8_t *arg3, uint8_t *out)
{
    uint32_t off = ldl_le_p(arg3), len = ldl_le_p(arg3 + 4);

    /* The range first: QEMU's NVDIMM has always answered in this order. */
    if (!dsm_label_range_ok(d, off, len)) {
        return dsm_status(out, NVDIMM_DSM_INVALID);
    }
    if (!d->label_writable) {
        trace_nvdimm_dsm_read_only(d->handle);
        return dsm_status(out, NVDIMM_DSM_UNSUPPORTED);
    }
    if (!d->write_label(d->opaque, off, arg3 + 8, len)) {
        return dsm_status(out, NVDIMM_DSM_HW_ERROR);
    }
    return dsm_status(out, NVDIMM_DSM_SUCCESS);
}

/*
 * Get SMART and Health Info: the host's view of the media, in the Intel
 * family's layout, fields flagged valid only where the host gave them.
 */
static uint32_t dsm_smart(const NvdimmDsmDimm *d, uint8_t *out)
{
    NvdimmHealth h = { 0 };
    uint8_t *p = out + 8;

    if (!d->health(d->opaque, &h)) {
        return dsm_status(out, NVDIMM_DSM_HW_ERROR);
    }
    memset(p, 0, NVDIMM_SMART_SIZE);
    stl_le_p(p, h.flags & (NVDIMM_SMART_HEALTH_VALID |
                           NVDIMM_SMART_SPARES_VALID |
                           NVDIMM_SMART_USED_VALID |
                           NVDIMM_SMART_MTEMP_VALID |
                           NVDIMM_SMART_SHUTDOWN_COUNT_VALID |
                           NVDIMM_SMART_SHUTDOWN_VALID));
    p[8] = h.health;
    p[9] = h.spares;
    p[10] = h.life_used;
    stw_le_p(p + 12, h.temperature);
    stl_le_p(p + 16, h.shutdown_count);
    p[31] = h.shutdown_state;
    trace_nvdimm_dsm_smart(d->handle, h.flags, h.health,
                               h.shutdown_count);
    stl_le_p(out, 8 + NVDIMM_SMART_SIZE);
    stl_le_p(out + 4, NVDIMM_DSM_SUCCESS);
    return 8 + NVDIMM_SMART_SIZE;
}

/* Function 0 of an NVDIMM: what it offers. */
static uint32_t dsm_dimm_functions(const NvdimmDsmDimm *d)
{
    uint32_t mask = 0;

    if (d && d->has_health) {
        mask |= 1 << NVDIMM_DSM_SMART;
    }
    if (d && d->label_size) {
        mask |= 1 << 4 | 1 << 5 | 1 << 6;
    }
    return mask ? mask | 1 : 0;
}

/*
 * Read FIT: the FIT from @offset, as much as one reply holds.  A FIT that
 * changed since a read began at offset 0 makes the guest start over.
 */
static uint32_t dsm_read_fit(const NvdimmDsmRoot *root,
                             const uint8_t *arg3, uint8_t *out)
{
    uint32_t offset = ldl_le_p(arg3), len;

    trace_nvdimm_dsm_read_fit(offset, root->fit->len, *root->fit_dirty);
    if (offset > root->fit->len) {
        return dsm_status(out, NVDIMM_DSM_INVALID);
    }
    if (!offset) {
        *root->fit_dirty = false;
    } else if (*root->fit_dirty) {
        return dsm_status(out, NVDIMM_DSM_FIT_CHANGED);
    }
    len = MIN(root->fit->len - offset, NVDIMM_DSM_PAGE - 8);
    memcpy(out + 8, root->fit->data + offset, len);
    stl_le_p(out, 8 + len);
    stl_le_p(out + 4, NVDIMM_DSM_SUCCESS);
    return 8 + len;
}

uint32_t nvdimm_dsm_serve(const uint8_t *in, const NvdimmDsmRoot *root,
                        const NvdimmDsmDimm *dimms, unsigned n,
                        NvdimmArs *ars, uint8_t *out)
{
    uint32_t handle = ldl_le_p(in);
    uint32_t revision = ldl_le_p(in + 4);
    uint32_t function = ldl_le_p(in + 8);
    const uint8_t *arg3 = in + NVDIMM_DSM_ARG3_OFFSET;
    const NvdimmDsmDimm *d = NULL;

    trace_nvdimm_dsm(handle, revision, function);
    if (revision != 1) {
        trace_nvdimm_dsm_bad_revision(revision);
        return dsm_status(out, NVDIMM_DSM_UNSUPPORTED);
    }
    /* The root device (handle 0): address range scrub, if offered. */
    if (!handle && root->ars) {
        return function ? nvdimm_ars_serve(function, arg3, dimms, n, ars, out) :
               dsm_functions(out, 1 | 1 << NVDIMM_ARS_CAP |
                             1 << NVDIMM_ARS_START |
                             1 << NVDIMM_ARS_STATUS);
    }
    if (!handle) {
        return function ? dsm_status(out, NVDIMM_DSM_UNSUPPORTED) :
               dsm_functions(out, 0);
    }
    if (handle == NVDIMM_DSM_QEMU_ROOT && root->fit) {
        switch (function) {
        case 0:
            return dsm_functions(out, 1 | 1 << NVDIMM_DSM_READ_FIT);
        case NVDIMM_DSM_READ_FIT:
            return dsm_read_fit(root, arg3, out);
        }
        return dsm_status(out, NVDIMM_DSM_UNSUPPORTED);
    }
    for (unsigned i = 0; i < n; i++) {
        if (dimms[i].handle == handle) {
            d = &dimms[i];
        }
    }
    if (!function) {
        return dsm_functions(out, dsm_dimm_functions(d));
    }
    if (!d) {
        trace_nvdimm_dsm_no_dimm(handle);
        return dsm_status(out, NVDIMM_DSM_NOMEMDEV);
    }
    if (function == NVDIMM_DSM_SMART && d->has_health) {
        return dsm_smart(d, out);
    }
    if (d->label_size) {
        switch (function) {
        case 4:                     /* Get Namespace Label Size */
            stl_le_p(out, 16);
            stl_le_p(out + 4, NVDIMM_DSM_SUCCESS);
            stl_le_p(out + 8, d->label_size);
            stl_le_p(out + 12, NVDIMM_DSM_MAX_XFER);
            return 16;
        case 5:                     /* Get Namespace Label Data */
            return dsm_get_label_data(d, arg3, out);
        case 6:                     /* Set Namespace Label Data */
            return dsm_set_label_data(d, arg3, out);
        }
    }
    trace_nvdimm_dsm_unsupported(handle, function);
    return dsm_status(out, NVDIMM_DSM_UNSUPPORTED);
}
