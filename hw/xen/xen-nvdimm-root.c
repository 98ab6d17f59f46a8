/*
 * Xen virtual NVDIMM: the NVDIMM root, its slots and hot-plug
 *
 * The machine's xen-nvdimm devices are the children of one NVDIMM root
 * device in the guest's ACPI (\_SB.XNVR).  Its slots are fixed when the
 * guest reads its tables at boot: one ACPI child per slot, used or free.
 * By default there are as many as devices at start; the admin reserves
 * free ones with -object xen-nvdimm-root,slots=N.
 *
 * The root is the devices' hotplug handler.  A device plugged into a
 * running guest goes into a free slot with every host guard of a device
 * at start; the guest learns of it through the root's _FIT, notified with
 * 0x80 (Linux keeps what it has and adds what is new).  Unplug is refused:
 * Linux rejects a FIT that loses an NVDIMM.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/acpi/nvdimm-xen.h"
#include "hw/boards.h"
#include "hw/hotplug.h"
#include "hw/qdev-core.h"
#include "hw/xen/xen-nvdimm.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "qom/object_interfaces.h"
#include "trace.h"

/* The admin's (-object xen-nvdimm-root), or the one the first device made. */
XenNvdimmRoot *xen_nvdimm_root_find(void)
{
    return XEN_NVDIMM_ROOT(object_resolve_path_type("", TYPE_XEN_NVDIMM_ROOT,
                                                    NULL));
}

XenNvdimmRoot *xen_nvdimm_root(void)
{
    XenNvdimmRoot *r = xen_nvdimm_root_find();

    if (!r) {
        r = XEN_NVDIMM_ROOT(object_new(TYPE_XEN_NVDIMM_ROOT));
        object_property_add_child(qdev_get_machine(), TYPE_XEN_NVDIMM_ROOT,
                                  OBJECT(r));
        object_unref(OBJECT(r));
    }
    return r;
}

HotplugHandler *xen_nvdimm_hotplug_handler(DeviceState *dev)
{
    if (!object_dynamic_cast(OBJECT(dev), TYPE_XEN_NVDIMM)) {
        return NULL;
    }
    return HOTPLUG_HANDLER(xen_nvdimm_root());
}

static unsigned xen_nvdimm_root_used(XenNvdimmRoot *r)
{
    XenNvdimmState *s;
    unsigned n = 0;

    QTAILQ_FOREACH(s, &r->devices, next) {
        n++;
    }
    return n;
}

/*
 * Before realize: what the guest's tables allow.  Devices at start are
 * placed in slots as they come (xen-nvdimm-place.c).
 */
static void xen_nvdimm_root_pre_plug(HotplugHandler *hh, DeviceState *dev,
                                     Error **errp)
{
    XenNvdimmRoot *r = XEN_NVDIMM_ROOT(hh);
    XenNvdimmState *s = XEN_NVDIMM(dev);
    /* Named by its memdev, as realize's messages name it. */
    const char *id = s->hostmem ?
        object_get_canonical_path_component(OBJECT(s->hostmem)) :
        dev->id ?: "";
    unsigned used;

    if (!dev->hotplugged) {
        return;
    }
    used = xen_nvdimm_root_used(r);
    if (!used) {
        error_setg(errp, "xen-nvdimm '%s': the guest has no NVDIMM root to "
                   "plug it into", id);
        error_append_hint(errp, "Its ACPI tables come at boot with the "
                          "devices given at start: start the guest with at "
                          "least one xen-nvdimm.\n");
        return;
    }
    if (used >= r->slots) {
        error_setg(errp, "xen-nvdimm '%s': all %u NVDIMM slots the guest "
                   "has are used", id, MAX(r->slots, used));
        error_append_hint(errp, "The slots are fixed at start: add "
                          "-object " TYPE_XEN_NVDIMM_ROOT ",id=ID,slots=N "
                          "to the device model's arguments to have N.\n");
        return;
    }
    if (s->label_size) {
        error_setg(errp, "xen-nvdimm '%s': a hot-plugged NVDIMM has no label "
                   "area: the guest learnt at boot which slots have one", id);
        error_append_hint(errp, "Set " XEN_NVDIMM_LABEL_SIZE_PROP "=0: "
                          "Linux uses an NVDIMM without labels as one "
                          "namespace, in any mode.\n");
    }
}

bool xen_nvdimm_root_admit(XenNvdimmState *s, Error **errp)
{
    XenNvdimmRoot *r = xen_nvdimm_root();
    XenNvdimmPersistence told = xen_nvdimm_acpi_persistence(r);

    /*
     * The FIT's one persistence domain covers every NVDIMM, and Linux
     * keeps the one it read at boot for the regions it has.
     */
    if (s->persistence < told) {
        error_setg(errp, "xen-nvdimm '%s': the host's persistence domain of "
                   "this memory is '%s', but the guest's NVDIMMs are "
                   "'%s': it cannot join them", s->name,
                   xen_nvdimm_persistence_name(s->persistence),
                   xen_nvdimm_persistence_name(told));
        return false;
    }
    return true;
}

/* After realize: the device is mapped; tell the guest. */
static void xen_nvdimm_root_plug(HotplugHandler *hh, DeviceState *dev,
                                 Error **errp)
{
    XenNvdimmRoot *r = XEN_NVDIMM_ROOT(hh);
    XenNvdimmState *s = XEN_NVDIMM(dev);

    if (!dev->hotplugged) {
        return;
    }
    xen_nvdimm_acpi_fit_rebuild(r);
    trace_xen_nvdimm_hotplug(s->name, s->slot, s->gpa, r->fit->len);
    xen_nvdimm_event_raise(NVDIMM_XEN_EVENT_HOTPLUG);
}

static void xen_nvdimm_root_unplug_request(HotplugHandler *hh,
                                           DeviceState *dev, Error **errp)
{
    error_setg(errp, "xen-nvdimm '%s' cannot be unplugged: Linux rejects a "
               "FIT that loses an NVDIMM, and the guest may be using it",
               XEN_NVDIMM(dev)->name);
    error_append_hint(errp, "It goes with the domain: shut the guest down "
                      "(its next start has only the devices of its "
                      "configuration).\n");
}

static void xen_nvdimm_root_instance_init(Object *obj)
{
    QTAILQ_INIT(&XEN_NVDIMM_ROOT(obj)->devices);
}

static void xen_nvdimm_root_complete(UserCreatable *uc, Error **errp)
{
    XenNvdimmRoot *r = XEN_NVDIMM_ROOT(uc);
    bool ambiguous = false;

    if (r->slots > XEN_NVDIMM_MAX_SLOTS) {
        error_setg(errp, TYPE_XEN_NVDIMM_ROOT ": 'slots' must be at most %d",
                   XEN_NVDIMM_MAX_SLOTS);
        return;
    }
    object_resolve_path_type("", TYPE_XEN_NVDIMM_ROOT, &ambiguous);
    if (ambiguous) {
        error_setg(errp, "a machine has one " TYPE_XEN_NVDIMM_ROOT);
    }
}

/* Its devices are its children in the guest: it goes with the machine. */
static bool xen_nvdimm_root_can_be_deleted(UserCreatable *uc)
{
    return false;
}

static void xen_nvdimm_root_get_slots(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    visit_type_uint32(v, name, &XEN_NVDIMM_ROOT(obj)->slots, errp);
}

static void xen_nvdimm_root_set_slots(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    if (phase_check(PHASE_MACHINE_READY)) {
        error_setg(errp, "'slots' is fixed at start: the guest has read "
                   "its tables");
        return;
    }
    visit_type_uint32(v, name, &XEN_NVDIMM_ROOT(obj)->slots, errp);
}

static void xen_nvdimm_root_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(oc);

    ucc->complete = xen_nvdimm_root_complete;
    ucc->can_be_deleted = xen_nvdimm_root_can_be_deleted;
    hc->pre_plug = xen_nvdimm_root_pre_plug;
    hc->plug = xen_nvdimm_root_plug;
    hc->unplug_request = xen_nvdimm_root_unplug_request;
    object_class_property_add(oc, "slots", "uint32", xen_nvdimm_root_get_slots,
                              xen_nvdimm_root_set_slots, NULL, NULL);
    object_class_property_set_description(oc, "slots",
        "NVDIMM slots in the guest's ACPI, used at start or free for "
        "hot-plug (default: as many as devices at start)");
}

static const TypeInfo xen_nvdimm_root_info = {
    .name          = TYPE_XEN_NVDIMM_ROOT,
    .parent        = TYPE_OBJECT,
    .instance_size = sizeof(XenNvdimmRoot),
    .instance_init = xen_nvdimm_root_instance_init,
    .class_init    = xen_nvdimm_root_class_init,
    .interfaces    = (InterfaceInfo[]) {
        { TYPE_HOTPLUG_HANDLER },
        { TYPE_USER_CREATABLE },
        { }
    },
};

static void xen_nvdimm_root_register_types(void)
{
    type_register_static(&xen_nvdimm_root_info);
}

type_init(xen_nvdimm_root_register_types)
