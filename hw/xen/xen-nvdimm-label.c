/*
 * xen-nvdimm: the label area
 *
 * The guest's namespace labels live in the last label-size bytes of the
 * backend, which are never mapped into the guest: QEMU reads and writes
 * them for the guest's _DSM calls: on Xen in the worker thread that serves
 * the call (xen-nvdimm-dsm.c), one call at a time, while the calling vCPU
 * waits; for the emulated host in the main loop.  A write is durable
 * before the guest hears it succeeded; once the host has failed to make
 * one durable, every later write fails too (a later fdatasync could
 * succeed after the kernel dropped the data), until the device model
 * restarts.  Where writes run in the main loop, the time they take is
 * bounded for all devices of this QEMU together, so that a guest cannot
 * hold the main loop with a storm of label writes, however many labelled
 * devices it has.  The worker needs no such bound: it holds nothing but
 * the guest's own vCPU, like a disk's flush.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/*
 * Label writes in the main loop may take XEN_NVDIMM_LABEL_BUSY_SHARE of
 * its time, with bursts of up to XEN_NVDIMM_LABEL_BURST_NS: far more than
 * Linux needs to write a whole label area, far less than a stall.
 */
#define XEN_NVDIMM_LABEL_BURST_NS       (200 * SCALE_MS)
#define XEN_NVDIMM_LABEL_BUSY_SHARE     10      /* percent */

bool xen_nvdimm_label_read(void *opaque, uint32_t off, void *buf,
                           uint32_t len)
{
    XenNvdimmState *s = opaque;
    uint64_t at = s->label_offset + off;
    ssize_t r;

    for (uint32_t done = 0; done < len; done += r) {
        r = pread(s->pmem->fd, (uint8_t *)buf + done, len - done, at + done);
        if (r < 0 && errno == EINTR) {
            r = 0;
            continue;
        }
        if (r <= 0) {
            trace_xen_nvdimm_label_io_error(s->name, "read", at + done,
                                            r ? errno : EIO);
            return false;
        }
    }
    return true;
}

/* One budget for every device: the main loop is one. */
static XenNvdimmBudget label_budget;

static ssize_t label_pwrite(XenNvdimmState *s, const void *buf, size_t len,
                            uint64_t at, bool sync)
{
    ssize_t r;

    /* A pinned file keeps its flag: it is on XFS (realize checked). */
    do {
        r = pwrite(s->pmem->fd, buf, len, at);
    } while (r < 0 && errno == EINTR);
    if (r > 0 && sync && qemu_fdatasync(s->pmem->fd)) {
        trace_xen_nvdimm_label_io_error(s->name, "sync", at, errno);
        return -1;
    }
    return r;
}

bool xen_nvdimm_label_write(void *opaque, uint32_t off, const void *buf,
                            uint32_t len)
{
    XenNvdimmState *s = opaque;
    uint64_t at = s->label_offset + off;
    int64_t start = get_clock();
    bool in_main_loop = bql_locked();
    ssize_t r = 0;
    bool ok = true;

    if (s->label_failed) {
        trace_xen_nvdimm_label_io_error(s->name, "write", at, EIO);
        return false;
    }
    if (in_main_loop &&
        !xen_nvdimm_budget_left(&label_budget, start,
                                XEN_NVDIMM_LABEL_BURST_NS,
                                XEN_NVDIMM_LABEL_BUSY_SHARE)) {
        trace_xen_nvdimm_label_throttled(s->name, label_budget.left_ns);
        return false;
    }
    for (uint32_t done = 0; done < len; done += r) {
        /* Each piece is durable before the next (and before the reply). */
        r = label_pwrite(s, (const uint8_t *)buf + done, len - done,
                         at + done, true);
        if (r <= 0) {
            int err = r ? errno : EIO;

            trace_xen_nvdimm_label_io_error(s->name, "write", at + done,
                                            err);
            s->label_failed = true;
            error_report("xen-nvdimm '%s': writing labels failed (%s); "
                         "label writes fail until the device model "
                         "restarts", s->name, strerror(err));
            ok = false;
            break;
        }
    }
    if (in_main_loop) {
        xen_nvdimm_budget_spend(&label_budget, get_clock() - start);
    }
    return ok;
}
