/*
 * xen-nvdimm stubs for builds without the device
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen-nvdimm.h"

void xen_nvdimm_build_acpi(GArray *table_offsets, GArray *table_data)
{
}

HotplugHandler *xen_nvdimm_hotplug_handler(DeviceState *dev)
{
    return NULL;
}
