/*
 * Xen virtual NVDIMM backed by host persistent memory
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_NVDIMM_H
#define HW_XEN_XEN_NVDIMM_H

#include "hw/qdev-core.h"
#include "exec/memory.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "hw/xen/xen-nvdimm-layout.h"
#include "system/hostmem-xen-pmem.h"
#include "qemu/notify.h"
#include "qemu/queue.h"
#include "qemu/uuid.h"
#include "qom/object.h"

#define TYPE_XEN_NVDIMM "xen-nvdimm"
OBJECT_DECLARE_TYPE(XenNvdimmState, XenNvdimmClass, XEN_NVDIMM)

/*
 * The same device on an emulated host and hypervisor, for tests only
 * (xen-nvdimm-emu.c): QEMU refuses it on Xen, and without -accel qtest or
 * tcg.
 */
#define TYPE_XEN_NVDIMM_EMU "xen-nvdimm-emu"

#define XEN_NVDIMM_MEMDEV_PROP      "memdev"
#define XEN_NVDIMM_ADDR_PROP        "addr"
#define XEN_NVDIMM_LABEL_SIZE_PROP  "label-size"
#define XEN_NVDIMM_NODE_PROP        "node"
#define XEN_NVDIMM_UNARMED_PROP     "unarmed"
#define XEN_NVDIMM_UUID_PROP        "uuid"
#define XEN_NVDIMM_CACHE_PROP       "cache"

/* Linux and the UEFI label format need at least two 64 KiB index blocks. */
#define XEN_NVDIMM_MIN_LABEL_SIZE   (128 * KiB)

/* NVDIMM slots: the SSDT names their devices NV00..NV1F. */
#define XEN_NVDIMM_MAX_SLOTS        32

typedef struct XenNvdimmOps XenNvdimmOps;

struct XenNvdimmState {
    DeviceState parent_obj;

    /* Properties */
    HostMemoryBackendXenPmem *hostmem;
    /* Guest-physical base of the data area; 0 picks one at realize. */
    uint64_t addr;
    /* Bytes at the end of the backend that hold namespace labels; 0: none. */
    uint64_t label_size;
    /* NUMA proximity domain reported in the NFIT. */
    uint32_t node;
    /* Report the DIMM as unable to persist writes (NFIT "not armed"). */
    bool unarmed;
    /* The DIMM's identity: its NFIT serial number derives from it. */
    QemuUUID uuid;
    /* The guest mapping's memory type: "auto", "wb" or "uc". */
    char *cache;

    /* Set at realize */
    char *name;                 /* the memdev's id, for messages */
    HostMemoryBackendXenPmem *pmem;
    const XenNvdimmOps *ops;
    uint64_t data_size;         /* mapped bytes: backend less label area */
    uint64_t label_offset;      /* where the label area starts */
    uint64_t gpa;               /* guest-physical base of the data area */
    int slot;                   /* its NFIT slot; handle is slot + 1 */
    uint32_t serial;            /* its NFIT serial number */
    GArray *extents;            /* the backend's, while it is acquired */
    bool has_health;            /* the host gives the DIMMs' health */
    XenNvdimmPersistence persistence;   /* the host's, for this memory */
    /* The host's last answers, and when it was asked (0: never). */
    GArray *bad_known;          /* XenNvdimmRange: host ranges known bad */
    int64_t bad_asked;
    NvdimmHealth health;
    int health_rc;              /* as xen_pmem_health() returned */
    int64_t health_asked;
    int media_fd;               /* watches the host's lists, or -1 */
    guint media_tag;
    unsigned permitted;         /* extents[0..permitted) have iomem access */
    unsigned mapped;            /* extents[0..mapped) are mapped */
    bool mapped_wb;             /* ... write-back (else uncacheable) */
    int claim_fd;               /* holds the host-wide locks, or -1 */
    unsigned locked;            /* extents[0..locked) are locked there */
    int block_fd;               /* holds a block device exclusively, or -1 */
    char *claim_record;         /* our xenstore record, if written */
    bool claim_kept;            /* the domain may still reach host memory */
    pid_t guard_pid;            /* the guardian process, if started */
    bool label_failed;          /* a label write was lost: fail them all */
    Error *migration_blocker;   /* why the guest cannot be saved */
    Notifier exit_notifier;
    MemoryRegion dma_mr;        /* on Xen: what QEMU's DMA finds there */
    bool dma_mapped;
    bool dma_reported;
    bool attached;              /* the ops' attach() succeeded */
    const char *host_dir;       /* host-wide state: claims, slots */
    const char *secret_dir;     /* the host secret, kept across reboots */
    QTAILQ_ENTRY(XenNvdimmState) next;
};

struct XenNvdimmClass {
    DeviceClass parent_class;

    /* The host and hypervisor: native (Xen) or emulated (tests). */
    const XenNvdimmOps *ops;
};

/*
 * Append the guest's NVDIMM tables (NFIT, SSDT) for the xen-nvdimm devices,
 * if any, to a table blob being built by QEMU's ACPI code: in emulated
 * mode, the guest firmware then sees what hvmloader would get on Xen.
 */
void xen_nvdimm_build_acpi(GArray *table_offsets, GArray *table_data);

/*
 * The hotplug handler of a bus-less xen-nvdimm for the pc machine (the
 * NVDIMM root), or NULL for any other device.
 */
HotplugHandler *xen_nvdimm_hotplug_handler(DeviceState *dev);

#endif /* HW_XEN_XEN_NVDIMM_H */
