/*
 * xen-nvdimm: host and hypervisor operations
 *
 * Everything xen-nvdimm asks of Xen and of the guest's memory goes through
 * one of these tables: the native one (libxenctrl) of xen-nvdimm, which
 * needs QEMU on the Xen accelerator, or the emulated one of the test-only
 * xen-nvdimm-emu, so the device logic is the same in both and can be
 * tested without Xen.  What the host's NVDIMM driver knows of the memory
 * is the backend's (memory-backend-xen-pmem); the emulated table gives it
 * an emulated host instead.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_NVDIMM_OPS_H
#define HW_XEN_XEN_NVDIMM_OPS_H

#include "hw/xen/xen-nvdimm.h"
#include "hw/xen/xen-nvdimm-layout.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "qemu/timer.h"
#include "qemu/units.h"

/* The data area is mapped in whole 2 MiB pages so Xen can use superpages. */
#define XEN_NVDIMM_DATA_ALIGN   (2 * MiB)

/*
 * The device model's guest-physical area, inside the range hvmloader
 * reports reserved in the e820 map and none of its allocators use (its
 * dynamic area ends below 0xFE000000; 0xFE700000 up is GUEST_RESERVED):
 * the tables for hvmloader, then the _DSM request/reply page (memory, so
 * the guest's AML reads and writes it without exits) and the _DSM notify
 * register (emulated, so on Xen the IOREQ server brings the write here).
 */
#define XEN_NVDIMM_ACPI_GPA     0xFE000000ULL
#define XEN_NVDIMM_ACPI_MAX     (4 * MiB)
#define XEN_NVDIMM_DSM_GPA      (XEN_NVDIMM_ACPI_GPA + XEN_NVDIMM_ACPI_MAX)
#define XEN_NVDIMM_NOTIFY_GPA   (XEN_NVDIMM_DSM_GPA + NVDIMM_DSM_PAGE)
/*
 * hvmloader appends at most 16 secondary tables and may build up to 9 of
 * its own (MADT, HPET, WAET, SSDTs for PM, S3, S4 and laptop, TPM, SRAT,
 * SLIT): with the admin's, at most 7 may come from xenstore.
 */
#define XEN_NVDIMM_ACPI_TABLES  7

/*
 * What the machine's xen-nvdimm devices share, as the guest's one NVDIMM
 * root device (\_SB.XNVR) does, and its slots: the admin's
 * -object xen-nvdimm-root, or a child of the machine made with the first
 * device (xen-nvdimm-root.c).  It is the devices' hotplug handler.
 */
#define TYPE_XEN_NVDIMM_ROOT "xen-nvdimm-root"
OBJECT_DECLARE_SIMPLE_TYPE(XenNvdimmRoot, XEN_NVDIMM_ROOT)

struct XenNvdimmRoot {
    Object parent_obj;

    QTAILQ_HEAD(, XenNvdimmState) devices;  /* placed, in realize order */
    uint32_t slots;             /* the admin's; 0: as many as devices */
    /* The tables the admin gave hvmloader, once read (xen-nvdimm-acpi.c) */
    GByteArray *admin_acpi;
    /* What _FIT reads: the NFIT's structures, rebuilt with the tables */
    GArray *fit;
    bool fit_dirty;             /* rebuilt since a read started */
    uint64_t fit_gen;           /* how often it was rebuilt */
    /* The _DSM transport and the guest's events (xen-nvdimm-dsm.c) */
    const XenNvdimmOps *ops;    /* the devices' */
    uint8_t *dsm_page;          /* QEMU's view of it, once set up */
    MemoryRegion notify_mr;
    bool dsm_busy;              /* a call is served in a worker thread */
    NvdimmArs ars;
    uint32_t events;            /* NVDIMM_XEN_EVENT_*, not yet read */
    bool guest_ready;           /* a _DSM call since reset */
    int64_t event_sent;         /* ms, QEMU_CLOCK_REALTIME; 0: never */
    QEMUTimer *event_timer;
};

/* The machine's root, made on first use; or NULL if there is none yet. */
XenNvdimmRoot *xen_nvdimm_root(void);
XenNvdimmRoot *xen_nvdimm_root_find(void);
/*
 * May hot-plugged device @s join the running guest's NVDIMMs, now that its
 * host memory is known (xen-nvdimm-root.c)?
 */
bool xen_nvdimm_root_admit(XenNvdimmState *s, Error **errp);

/*
 * The guest side's homes: the data area's guest-physical address and slot
 * (xen-nvdimm-place.c), the tables handed to hvmloader (xen-nvdimm-acpi.c),
 * the _DSM page and notify register (xen-nvdimm-dsm.c).
 */
bool xen_nvdimm_place_data(XenNvdimmState *s, Error **errp);
bool xen_nvdimm_publish_acpi(XenNvdimmState *s, Error **errp);
/* The weakest persistence domain of the devices' host memory. */
XenNvdimmPersistence xen_nvdimm_acpi_persistence(XenNvdimmRoot *r);
/* Rebuild what _FIT returns from the devices, for a device plugged in. */
void xen_nvdimm_acpi_fit_rebuild(XenNvdimmRoot *r);
bool xen_nvdimm_dsm_init(XenNvdimmState *s, Error **errp);

/* Host-wide state (claims), and the host secret, kept across reboots. */
#define XEN_NVDIMM_HOST_DIR     "/run/xen-nvdimm"
#define XEN_NVDIMM_SECRET_DIR   "/var/lib/xen-nvdimm"

typedef struct XenNvdimmOps {
    const char *name;
    /* The emulated host: its addresses are not the machine's. */
    bool emulated;

    /*
     * Can a device with these ops be realized in this QEMU?  The native
     * ops need Xen; the emulated ones must never stand in for it.
     */
    bool (*usable)(Error **errp);

    /*
     * Who tells the backend where its memory is in the host and what the
     * host knows of it (memory-backend-xen-pmem owns that); NULL: the dom0
     * NVDIMM driver.
     */
    const XenPmemHost *host;

    /*
     * Take the open backend before it is acquired, and give it back at
     * teardown (after a successful attach only); may be NULL.
     */
    bool (*attach)(XenNvdimmState *s, int fd, bool readonly, Error **errp);
    void (*detach)(XenNvdimmState *s);

    /*
     * The host's machine memory map as the hypervisor reports it (@map, of
     * XenNvdimmMemRange), and the persistent-memory ranges of the host
     * firmware's NFIT (@nfit, of XenNvdimmRange).
     */
    bool (*machine_map)(XenNvdimmState *s, GArray *map, GArray *nfit,
                        Error **errp);

    /* The highest guest frame number the domain has populated. */
    bool (*max_gpfn)(XenNvdimmState *s, uint64_t *gpfn, Error **errp);

    /*
     * Grant (@allow) or revoke the domain's access to host frames
     * [mfn, mfn + nr).  Returns 0 or a negative errno.
     */
    int (*iomem_permission)(XenNvdimmState *s, uint64_t mfn, uint64_t nr,
                            bool allow);

    /*
     * Map (@add) host frames [mfn, mfn + nr) at guest frames
     * [gfn, gfn + nr), or remove that mapping.  Returns 0 or a negative
     * errno; a failed map leaves nothing of the range mapped.
     */
    int (*memory_mapping)(XenNvdimmState *s, uint64_t gfn, uint64_t mfn,
                          uint64_t nr, bool add);

    /*
     * Map host frames [mfn, mfn + nr) at guest frames [gfn, gfn + nr) with
     * the memory type RAM gets (write-back for a Linux guest), where
     * memory_mapping() makes them uncacheable; memory_mapping() removes the
     * mapping.  Returns 0; -EOPNOTSUPP from a hypervisor that cannot (a
     * stock Xen: no XEN_DMOP_map_pmem); or another negative errno if it
     * refuses this range (-EINVAL: not persistent memory by the host
     * firmware's word).  A failed map leaves nothing of the range mapped.
     */
    int (*map_pmem_wb)(XenNvdimmState *s, uint64_t gfn, uint64_t mfn,
                       uint64_t nr);

    /*
     * Is the domain gone, or dying (the toolstack destroyed it: it never
     * runs again, and Xen tears its mappings down itself)?  When unsure,
     * false: only then may a failed unmap be taken for "nothing left".
     */
    bool (*domain_gone)(XenNvdimmState *s);

    /*
     * The same question, asked by the guardian process (xen-nvdimm-guard.c)
     * with handles of its own; false with @errp set if it cannot tell.
     * NULL where nothing outlives QEMU (emulated mode without xenstore).
     */
    bool (*guard_domain_gone)(XenNvdimmState *s, bool *gone, Error **errp);

    /* Read guest memory below 4 GiB (for tables the toolstack put there). */
    bool (*guest_read)(uint64_t gpa, void *buf, size_t len, Error **errp);

    /*
     * Put @len bytes at @gpa, a range no guest RAM and none of hvmloader's
     * allocators use, populating it if need be.
     */
    bool (*guest_place)(uint64_t gpa, const void *buf, size_t len,
                        Error **errp);

    /*
     * A page at @gpa, in a range like guest_place's, that the device model
     * and the guest share until QEMU exits: returns QEMU's mapping of it.
     */
    void *(*guest_page)(uint64_t gpa, Error **errp);

    /*
     * Let the guest's write being handled (a _DSM call) complete later,
     * from the main loop, with complete_write(): its vCPU waits, QEMU's
     * main loop does not.  NULL if it must be served at once; and NULL
     * where every access is (the emulated host).
     */
    void *(*defer_write)(void);
    void (*complete_write)(void *deferred);
} XenNvdimmOps;

/*
 * The domain's xenstore (xen-nvdimm-xs.c), through QEMU's Xen backend ops
 * in both modes (the emulated host's reach a stand-in at XENSTORED_PATH).
 * xen_nvdimm_xs_read() returns NULL, without error, for a missing key.
 */
char *xen_nvdimm_xs_read(const char *path, Error **errp);
/* Write @n keys in one transaction: all of them or none. */
bool xen_nvdimm_xs_write_all(const char *const *paths,
                             const char *const *values, unsigned n,
                             Error **errp);
/* The same, in @dir, all of it readable and writable by dom0 only. */
bool xen_nvdimm_xs_write_private(const char *dir, const char *const *paths,
                                 const char *const *values, unsigned n,
                                 Error **errp);
/* The children of @path; NULL, without error, if it does not exist. */
char **xen_nvdimm_xs_directory(const char *path, Error **errp);
bool xen_nvdimm_xs_rm(const char *path, Error **errp);

extern const XenNvdimmOps xen_nvdimm_native_ops;

/*
 * The host's guards (xen-nvdimm-host.c): before any permission is granted,
 * check that every extent is persistent memory, note where it meets the
 * known media errors @bad, and claim it host-wide; release the claim once
 * nothing is mapped.
 */
bool xen_nvdimm_host_check(XenNvdimmState *s, GArray *bad, Error **errp);
bool xen_nvdimm_host_claim(XenNvdimmState *s, Error **errp);
void xen_nvdimm_host_release(XenNvdimmState *s);
/* The DIMM's NFIT serial number when it has no uuid=: reveals no address. */
bool xen_nvdimm_host_serial(XenNvdimmState *s, uint32_t *serial,
                            Error **errp);
/* The persistent-memory ranges of the host firmware's NFIT, from sysfs. */
bool xen_nvdimm_host_nfit(GArray *nfit, Error **errp);
/* A file of the host-wide state directory, opened read-write. */
int xen_nvdimm_host_file(XenNvdimmState *s, const char *name, Error **errp);
/*
 * What the guest learns of the host's media (xen-nvdimm-media.c): its
 * NVDIMM's entry for the _DSM handler, with the scrub's and SMART's
 * callbacks; whether the host gives health data is found at realize.
 */
bool xen_nvdimm_media_init(XenNvdimmState *s, Error **errp);
NvdimmDsmDimm xen_nvdimm_media_dsm_dimm(XenNvdimmState *s);
void xen_nvdimm_media_unwatch(XenNvdimmState *s);
/* The host's list of media errors changed: tell the guest. */
void xen_nvdimm_media_changed(XenNvdimmState *s);
/* Raise events (NVDIMM_XEN_EVENT_*) for the guest (xen-nvdimm-dsm.c). */
void xen_nvdimm_event_raise(uint32_t events);
/* The label area, for the _DSM handler (xen-nvdimm-label.c). */
bool xen_nvdimm_label_read(void *opaque, uint32_t off, void *buf,
                           uint32_t len);
bool xen_nvdimm_label_write(void *opaque, uint32_t off, const void *buf,
                            uint32_t len);
/*
 * The guardian (xen-nvdimm-guard.c): a process that shares the device's
 * open files (the locks, the hold, the backend) and keeps them until the
 * domain is gone, should QEMU die first; stopped by the teardown.
 */
bool xen_nvdimm_guard_start(XenNvdimmState *s, Error **errp);
void xen_nvdimm_guard_stop(XenNvdimmState *s);
/* In a forked child: forget the parent's xenstore connection. */
void xen_nvdimm_xs_forget(void);
/*
 * Is xenstore there: on Xen, or for the emulated host a stand-in for tests
 * at XENSTORED_PATH?
 */
bool xen_nvdimm_have_xenstore(XenNvdimmState *s);

#endif /* HW_XEN_XEN_NVDIMM_OPS_H */
