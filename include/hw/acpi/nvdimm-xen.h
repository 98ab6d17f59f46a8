/*
 * NVDIMM ACPI tables for Xen HVM guests
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_ACPI_NVDIMM_XEN_H
#define HW_ACPI_NVDIMM_XEN_H

#include "hw/mem/nvdimm.h"

/*
 * The ACPI device under which every name the device model defines lives:
 * the NVDIMM root device, reserved for the device model in the namespace
 * that hvmloader's DSDT shares (docs/specs/xen-nvdimm.rst).
 */
#define NVDIMM_XEN_ROOT         "XNVR"
#define NVDIMM_XEN_ROOT_PATH    "\\_SB." NVDIMM_XEN_ROOT

/*
 * GPE 4 (QEMU's NVDIMM hotplug GPE) says the device model has events for
 * the guest; reading the notify register returns them (and clears them).
 * NVDIMM_XEN_EVENT_HOTPLUG: an NVDIMM was plugged into a free slot, the
 * SSDT's \_GPE._E04 notifies the root device with 0x80 and the guest
 * reads _FIT again.
 * NVDIMM_XEN_EVENT_MEDIA: the host found new media errors, the SSDT's
 * \_GPE._E04 notifies the root device with 0x81 and the guest scrubs.
 */
#define NVDIMM_XEN_EVENT_HOTPLUG (1u << 0)
#define NVDIMM_XEN_EVENT_MEDIA  (1u << 1)

/*
 * Where the guest's _DSM calls go, and which NVDIMMs have labels: the
 * device model chooses, the SSDT's AML follows.
 */
typedef struct NvdimmXenDsmConf {
    uint64_t page;          /* guest-physical request/reply page */
    uint64_t notify;        /* guest-physical notify register (32-bit) */
    uint32_t labelled;      /* bit n: slot n has a label area */
    unsigned slots;         /* a child for each of slots [0, slots) too */
} NvdimmXenDsmConf;

/*
 * The NFIT's structures for @dimms (and the platform capabilities, unless
 * 0), without its header: what the root device's _FIT returns.
 */
void nvdimm_xen_build_fit(GArray *out, const NvdimmNfitDesc *dimms,
                          unsigned n, uint32_t capabilities);
/*
 * Append to @out an NFIT, then an SSDT, for @n NVDIMMs, each complete and
 * checksummed: what firmware copies verbatim needs nothing patched.  The
 * NFIT ends with a Platform Capabilities structure of @capabilities,
 * unless that is 0.
 */
void nvdimm_xen_build_nfit(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, uint32_t capabilities);
void nvdimm_xen_build_ssdt(GArray *out, const NvdimmNfitDesc *dimms,
                           unsigned n, const NvdimmXenDsmConf *dsm);

#endif /* HW_ACPI_NVDIMM_XEN_H */
