/*
 * Xen virtual NVDIMM backed by host persistent memory
 *
 * The device gives a Xen HVM guest an NVDIMM whose data area is a range of
 * the host's own persistent memory, mapped straight into the guest.  QEMU
 * only ever touches the label area at the end of the backend.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/xen/xen-nvdimm.h"
#include "trace.h"

static const char *xen_nvdimm_memdev_name(XenNvdimmState *s)
{
    return object_get_canonical_path_component(OBJECT(s->hostmem));
}

static bool xen_nvdimm_check_sizes(XenNvdimmState *s, Error **errp)
{
    MemoryRegion *mr = host_memory_backend_get_memory(s->hostmem);
    uint64_t size = memory_region_size(mr);

    if (s->label_size && s->label_size < XEN_NVDIMM_MIN_LABEL_SIZE) {
        error_setg(errp, "'" XEN_NVDIMM_LABEL_SIZE_PROP "' (0x%" PRIx64
                   ") must be 0 or at least 0x%" PRIx64,
                   s->label_size, (uint64_t)XEN_NVDIMM_MIN_LABEL_SIZE);
        return false;
    }
    if (s->label_size >= size) {
        error_setg(errp, "'" XEN_NVDIMM_LABEL_SIZE_PROP "' (0x%" PRIx64
                   ") leaves no data area in memdev '%s' of size 0x%" PRIx64,
                   s->label_size, xen_nvdimm_memdev_name(s), size);
        return false;
    }
    s->data_size = size - s->label_size;
    return true;
}

static void xen_nvdimm_unrealize(DeviceState *dev)
{
    XenNvdimmState *s = XEN_NVDIMM(dev);

    trace_xen_nvdimm_unrealize(dev->id ?: "");
    if (s->hostmem && host_memory_backend_is_mapped(s->hostmem)) {
        host_memory_backend_set_mapped(s->hostmem, false);
    }
    s->data_size = 0;
}

static void xen_nvdimm_realize(DeviceState *dev, Error **errp)
{
    XenNvdimmState *s = XEN_NVDIMM(dev);

    if (!s->hostmem) {
        error_setg(errp, "'" XEN_NVDIMM_MEMDEV_PROP "' property is not set");
        return;
    }
    if (host_memory_backend_is_mapped(s->hostmem)) {
        error_setg(errp, "can't use already busy memdev: %s",
                   xen_nvdimm_memdev_name(s));
        return;
    }
    if (!xen_nvdimm_check_sizes(s, errp)) {
        return;
    }
    host_memory_backend_set_mapped(s->hostmem, true);
    trace_xen_nvdimm_realize(dev->id ?: "", xen_nvdimm_memdev_name(s),
                             s->data_size, s->label_size);
}

static void xen_nvdimm_get_size(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    XenNvdimmState *s = XEN_NVDIMM(obj);
    uint64_t value = s->data_size;

    visit_type_size(v, name, &value, errp);
}

static const Property xen_nvdimm_properties[] = {
    DEFINE_PROP_LINK(XEN_NVDIMM_MEMDEV_PROP, XenNvdimmState, hostmem,
                     TYPE_MEMORY_BACKEND, HostMemoryBackend *),
    DEFINE_PROP_UINT64(XEN_NVDIMM_ADDR_PROP, XenNvdimmState, addr, 0),
    DEFINE_PROP_SIZE(XEN_NVDIMM_LABEL_SIZE_PROP, XenNvdimmState, label_size, 0),
    DEFINE_PROP_UINT32(XEN_NVDIMM_NODE_PROP, XenNvdimmState, node, 0),
    DEFINE_PROP_BOOL(XEN_NVDIMM_UNARMED_PROP, XenNvdimmState, unarmed, false),
    DEFINE_PROP_UUID_NODEFAULT(XEN_NVDIMM_UUID_PROP, XenNvdimmState, uuid),
};

static void xen_nvdimm_instance_init(Object *obj)
{
    object_property_add(obj, "size", "size", xen_nvdimm_get_size,
                        NULL, NULL, NULL);
}

static void xen_nvdimm_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "Xen virtual NVDIMM backed by host persistent memory";
    dc->realize = xen_nvdimm_realize;
    dc->unrealize = xen_nvdimm_unrealize;
    /* The guest learns about it from boot-time ACPI tables only. */
    dc->hotpluggable = false;
    device_class_set_props(dc, xen_nvdimm_properties);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
}

static const TypeInfo xen_nvdimm_info = {
    .name          = TYPE_XEN_NVDIMM,
    .parent        = TYPE_DEVICE,
    .instance_size = sizeof(XenNvdimmState),
    .instance_init = xen_nvdimm_instance_init,
    .class_init    = xen_nvdimm_class_init,
};

static void xen_nvdimm_register_types(void)
{
    type_register_static(&xen_nvdimm_info);
}

type_init(xen_nvdimm_register_types)
