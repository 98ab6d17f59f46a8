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
#include "hw/acpi/nvdimm-xen-dsm.h"
#include "hw/xen/xen-nvdimm-layout.h"
#include "system/hostmem-xen-pmem.h"
#include "qemu/notify.h"
#include "qemu/queue.h"
#include "qemu/uuid.h"
#include "qom/object.h"

#define TYPE_XEN_NVDIMM "xen-nvdimm"
OBJECT_DECLARE_SIMPLE_TYPE(XenNvdimmState, XEN_NVDIMM)

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
    /* Emulated mode, for tests: make the k-th hypervisor call fail. */
    uint32_t emu_fail_call;
    /* Emulated mode, for tests: make every unmap fail. */
    bool emu_fail_unmap;
    /* Emulated mode, for tests: the domain is gone when QEMU exits. */
    bool emu_domain_gone;
    /* Emulated mode, for tests: scatter the pmem in extents of this size. */
    uint64_t emu_extent_size;
    /* Emulated mode, for tests: ... with this much host memory between. */
    uint64_t emu_extent_gap;
    /* Emulated mode, for tests: the domain's memory reaches this far. */
    uint64_t emu_max_gpa;
    /* Emulated mode, for tests: the backend's host address, not its slot. */
    uint64_t emu_host_address;
    /* Emulated mode, for tests: two extents on the same host memory. */
    bool emu_alias;
    /* Emulated mode, for tests: pin a backing file as on a DAX filesystem. */
    bool emu_pin;
    /* Emulated mode: the hypervisor maps pmem write-back (off: stock). */
    bool emu_xen_wb;
    /* Emulated mode, for tests: what the host says of its memory. */
    char *emu_host_memory;
    /* ... files: its bad sectors (as sysfs lists them), its health. */
    char *emu_badblocks;
    char *emu_health;
    /* ... and its persistence domain, in Linux's word. */
    char *emu_persistence;

    /* Set at realize */
    char *name;                 /* the memdev's id, for messages */
    HostMemoryBackendXenPmem *pmem;
    const XenNvdimmOps *ops;
    uint64_t data_size;         /* mapped bytes: backend less label area */
    uint64_t label_offset;      /* where the label area starts */
    uint64_t gpa;               /* guest-physical base of the data area */
    int slot;                   /* its NFIT slot; handle is slot + 1 */
    uint32_t serial;            /* its NFIT serial number */
    GArray *extents;            /* XenNvdimmExtent, in backend order */
    GArray *bad_sources;        /* XenNvdimmBadSource: the host's lists */
    bool has_health;            /* the host gives the DIMMs' health */
    XenNvdimmPersistence persistence;   /* the host's, for this memory */
    /* The host's last answers, and when it was asked (0: never). */
    GArray *bad_known;          /* XenNvdimmRange: host ranges known bad */
    int64_t bad_asked;
    NvdimmXenHealth health;
    int health_rc;              /* as XenNvdimmOps.health returned */
    int64_t health_asked;
    GPtrArray *media_watches;   /* XenNvdimmWatch: the host's lists */
    unsigned permitted;         /* extents[0..permitted) have iomem access */
    unsigned mapped;            /* extents[0..mapped) are mapped */
    bool mapped_wb;             /* ... write-back (else uncacheable) */
    int claim_fd;               /* holds the host-wide locks, or -1 */
    unsigned locked;            /* extents[0..locked) are locked there */
    int block_fd;               /* holds a block device exclusively, or -1 */
    char *claim_record;         /* our xenstore record, if written */
    bool claim_kept;            /* the domain may still reach host memory */
    bool file_pinned;           /* a file backend made immutable */
    pid_t guard_pid;            /* the guardian process, if started */
    bool label_failed;          /* a label write was lost: fail them all */
    Error *migration_blocker;   /* why the guest cannot be saved */
    Notifier exit_notifier;
    MemoryRegion dma_mr;        /* on Xen: what QEMU's DMA finds there */
    bool dma_mapped;
    bool dma_reported;
    QTAILQ_ENTRY(XenNvdimmState) next;

    /* Emulated mode */
    uint32_t emu_calls;         /* hypervisor calls made so far */
    uint64_t emu_spa;           /* emulated host address of the backend */
    MemoryRegion emu_ram;       /* the data area, mmapped */
    bool emu_attached;
};

/*
 * Append the guest's NVDIMM tables (NFIT, SSDT) for the xen-nvdimm devices,
 * if any, to a table blob being built by QEMU's ACPI code: in emulated
 * mode, the guest firmware then sees what hvmloader would get on Xen.
 */
void xen_nvdimm_build_acpi(GArray *table_offsets, GArray *table_data);

#endif /* HW_XEN_XEN_NVDIMM_H */
