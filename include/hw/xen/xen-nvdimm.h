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
#include "system/hostmem.h"
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

/* Linux and the UEFI label format need at least two 64 KiB index blocks. */
#define XEN_NVDIMM_MIN_LABEL_SIZE   (128 * KiB)

struct XenNvdimmState {
    DeviceState parent_obj;

    /* Properties */
    HostMemoryBackend *hostmem;
    /* Guest-physical base of the data area; 0 picks one at realize. */
    uint64_t addr;
    /* Bytes at the end of the backend that hold namespace labels; 0: none. */
    uint64_t label_size;
    /* NUMA proximity domain reported in the NFIT. */
    uint32_t node;
    /* Report the DIMM as unable to persist writes (NFIT "not armed"). */
    bool unarmed;
    QemuUUID uuid;

    /* Derived at realize */
    uint64_t data_size;         /* backend size less the label area */
};

#endif /* HW_XEN_XEN_NVDIMM_H */
