/*
 * xen-nvdimm: extent and guest-physical layout helpers
 *
 * Pure functions: no device state, no hypervisor.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/xen/xen-nvdimm-layout.h"

#define EXTENT(a, i) (&g_array_index(a, XenNvdimmExtent, i))

int xen_nvdimm_extent_cmp(const void *a, const void *b)
{
    const XenNvdimmExtent *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

void xen_nvdimm_extents_coalesce(GArray *extents)
{
    guint out = 0;

    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);
        XenNvdimmExtent *last = out ? EXTENT(extents, out - 1) : NULL;

        if (last && last->offset + last->size == e->offset &&
            last->spa + last->size == e->spa) {
            last->size += e->size;
        } else {
            *EXTENT(extents, out++) = *e;
        }
    }
    g_array_set_size(extents, out);
}

bool xen_nvdimm_extents_check(GArray *extents, uint64_t size, Error **errp)
{
    ERRP_GUARD();
    uint64_t next = 0;

    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);

        if (e->offset < next) {
            error_setg(errp, "extents overlap at backend offset 0x%" PRIx64,
                       e->offset);
            return false;
        }
        if (e->offset != next) {
            error_setg(errp, "backend bytes 0x%" PRIx64 "..0x%" PRIx64
                       " have no host physical address", next,
                       e->offset - 1);
            return false;
        }
        if (!e->size || !QEMU_IS_ALIGNED(e->offset | e->spa | e->size,
                                         XEN_NVDIMM_PAGE_SIZE)) {
            error_setg(errp, "extent at backend offset 0x%" PRIx64
                       " (SPA 0x%" PRIx64 ", 0x%" PRIx64 " bytes) is not "
                       "made of whole pages", e->offset, e->spa, e->size);
            return false;
        }
        if (e->spa + e->size < e->spa || e->offset + e->size < e->offset) {
            error_setg(errp, "extent at backend offset 0x%" PRIx64
                       " wraps around", e->offset);
            return false;
        }
        next = e->offset + e->size;
    }
    if (next < size) {
        error_setg(errp, "backend bytes 0x%" PRIx64 "..0x%" PRIx64
                   " have no host physical address", next, size - 1);
        return false;
    }
    if (next > size) {
        error_setg(errp, "extents run 0x%" PRIx64 " bytes past the end",
                   next - size);
        return false;
    }
    if (extents->len > XEN_NVDIMM_MAX_EXTENTS) {
        error_setg(errp, "it lies in %u separate runs of host memory, more "
                   "than the %u a device may have", extents->len,
                   XEN_NVDIMM_MAX_EXTENTS);
        error_append_hint(errp, "Copy the file to a new one written in one "
                          "go (or fallocate it) on a filesystem with free "
                          "space in large runs.\n");
        return false;
    }
    return true;
}

void xen_nvdimm_congruence(GArray *extents, uint64_t *phase, uint64_t *align)
{
    XenNvdimmExtent *big = NULL;

    for (guint i = 0; i < extents->len; i++) {
        if (!big || EXTENT(extents, i)->size > big->size) {
            big = EXTENT(extents, i);
        }
    }
    *align = big && big->size >= 1 * GiB ? 1 * GiB : 2 * MiB;
    /* The GPA of the data area where this extent's SPA lands congruently. */
    *phase = big ? (big->spa - big->offset) & (*align - 1) : 0;
}

static const XenNvdimmRange *find_overlap(uint64_t start, uint64_t size,
                                          const XenNvdimmRange *busy,
                                          size_t nbusy)
{
    for (size_t i = 0; i < nbusy; i++) {
        if (start < busy[i].end && busy[i].start < start + size) {
            return &busy[i];
        }
    }
    return NULL;
}

static bool fits(uint64_t gpa, uint64_t size)
{
    return gpa < XEN_NVDIMM_GPA_LIMIT && size <= XEN_NVDIMM_GPA_LIMIT - gpa;
}

bool xen_nvdimm_place(uint64_t floor, uint64_t size, uint64_t phase,
                      uint64_t align, const XenNvdimmRange *busy,
                      size_t nbusy, uint64_t *gpa, Error **errp)
{
    const XenNvdimmRange *hit;
    uint64_t at = floor;

    assert(is_power_of_2(align) && phase < align);
    for (;;) {
        /* Round up to the next address congruent to phase. */
        at = (at & ~(align - 1)) + phase;
        if (at < floor) {
            at += align;        /* past 2^64 it is below floor again */
        }
        if (at < floor || !fits(at, size)) {
            error_setg(errp, "no room for 0x%" PRIx64 " bytes of guest "
                       "physical address space above 0x%" PRIx64,
                       size, floor);
            return false;
        }
        hit = find_overlap(at, size, busy, nbusy);
        if (!hit) {
            *gpa = at;
            return true;
        }
        floor = at = hit->end;
    }
}

bool xen_nvdimm_check_gpa(uint64_t gpa, uint64_t floor, uint64_t size,
                          const XenNvdimmRange *busy, size_t nbusy,
                          Error **errp)
{
    const XenNvdimmRange *hit;

    if (!QEMU_IS_ALIGNED(gpa, XEN_NVDIMM_PAGE_SIZE)) {
        error_setg(errp, "address 0x%" PRIx64 " is not page aligned", gpa);
        return false;
    }
    if (gpa < floor) {
        error_setg(errp, "address 0x%" PRIx64 " is below 0x%" PRIx64 ": "
                   "guest RAM, the PCI holes and the 64-bit BAR window "
                   "are there", gpa, floor);
        return false;
    }
    if (!fits(gpa, size)) {
        error_setg(errp, "address 0x%" PRIx64 " + 0x%" PRIx64 " is beyond "
                   "the guest physical address space Xen can map",
                   gpa, size);
        return false;
    }
    hit = find_overlap(gpa, size, busy, nbusy);
    if (hit) {
        error_setg(errp, "address range 0x%" PRIx64 "..0x%" PRIx64
                   " overlaps another xen-nvdimm at 0x%" PRIx64 "..0x%"
                   PRIx64, gpa, gpa + size - 1, hit->start, hit->end - 1);
        return false;
    }
    return true;
}

static const char *e820_name(uint32_t type)
{
    switch (type) {
    case 1:
        return "RAM";
    case 2:
        return "reserved";
    case 3:
        return "ACPI data";
    case 4:
        return "ACPI NVS";
    case 5:
        return "unusable";
    default:
        return "not persistent memory";
    }
}

bool xen_nvdimm_check_pmem(XenNvdimmRange r, const XenNvdimmMemRange *map,
                           size_t nmap, const XenNvdimmRange *nfit,
                           size_t nnfit, Error **errp)
{
    uint64_t at = r.start;

    while (at < r.end) {
        uint64_t next = r.end;
        const XenNvdimmMemRange *m = NULL;
        const XenNvdimmRange *n = NULL;

        for (size_t i = 0; i < nmap; i++) {
            if (map[i].start <= at && at < map[i].end) {
                m = &map[i];
                break;
            }
            /* A hole ends where the next entry starts. */
            if (at < map[i].start) {
                next = MIN(next, map[i].start);
            }
        }
        if (m) {
            if (m->type != XEN_NVDIMM_E820_PMEM &&
                m->type != XEN_NVDIMM_E820_PRAM) {
                error_setg(errp, "host memory 0x%" PRIx64 " is %s (E820 type "
                           "%u, 0x%" PRIx64 "..0x%" PRIx64 ") in the machine "
                           "memory map, not persistent memory", at,
                           e820_name(m->type), m->type, m->start, m->end - 1);
                return false;
            }
            at = MIN(m->end, r.end);
            continue;
        }
        for (size_t i = 0; i < nnfit; i++) {
            if (nfit[i].start <= at && at < nfit[i].end) {
                n = &nfit[i];
                break;
            }
        }
        if (!n) {
            error_setg(errp, "host memory 0x%" PRIx64 " is in no persistent "
                       "memory range of the machine memory map or of the "
                       "host's NFIT", at);
            return false;
        }
        at = MIN(next, n->end);
    }
    return true;
}

/* The NFIT's SPA Range structure and the persistent memory range GUID. */
#define NFIT_HEADER_LEN     40
#define NFIT_SPA_TYPE       0
#define NFIT_SPA_LEN        56

static const uint8_t nfit_pmem_guid[16] = {
    0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
    0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

bool xen_nvdimm_parse_nfit_pmem(const uint8_t *table, size_t len,
                                GArray *ranges, Error **errp)
{
    size_t at = NFIT_HEADER_LEN;

    if (len < NFIT_HEADER_LEN || memcmp(table, "NFIT", 4) ||
        ldl_le_p(table + 4) != len) {
        error_setg(errp, "the host's NFIT is not a whole NFIT");
        return false;
    }
    while (at < len) {
        uint16_t type, slen;
        uint64_t base, size;

        if (len - at < 4) {
            error_setg(errp, "the host's NFIT ends inside a structure");
            return false;
        }
        type = lduw_le_p(table + at);
        slen = lduw_le_p(table + at + 2);
        if (slen < 4 || slen > len - at) {
            error_setg(errp, "the host's NFIT has a structure of length %u "
                       "at offset %zu", slen, at);
            return false;
        }
        if (type == NFIT_SPA_TYPE && slen >= NFIT_SPA_LEN &&
            !memcmp(table + at + 16, nfit_pmem_guid, 16)) {
            base = ldq_le_p(table + at + 32);
            size = ldq_le_p(table + at + 40);
            if (size && base + size > base) {
                XenNvdimmRange r = { base, base + size };
                g_array_append_val(ranges, r);
            }
        }
        at += slen;
    }
    return true;
}

bool xen_nvdimm_parse_badblocks(const char *text, uint64_t base,
                                GArray *ranges, Error **errp)
{
    const char *p = text;

    for (;;) {
        uint64_t sector, count;
        const char *start;
        XenNvdimmRange r;

        while (*p == ' ' || *p == '\n' || *p == ',') {
            p++;
        }
        if (!*p) {
            return true;
        }
        start = p;
        if (qemu_strtou64(p, &p, 10, &sector) || *p != ' ' ||
            qemu_strtou64(p, &p, 10, &count) ||
            (*p && *p != '\n' && *p != ',')) {
            error_setg(errp, "badblocks entry '%.32s' is not 'SECTOR COUNT'",
                       start);
            return false;
        }
        if (!count || sector > (UINT64_MAX - base) / 512 ||
            count > (UINT64_MAX - base - sector * 512) / 512) {
            error_setg(errp, "badblocks entry %" PRIu64 " %" PRIu64
                       " is out of range", sector, count);
            return false;
        }
        r.start = base + sector * 512;
        r.end = r.start + count * 512;
        g_array_append_val(ranges, r);
    }
}

bool xen_nvdimm_extents_meet(GArray *extents, const XenNvdimmRange *ranges,
                             size_t n, uint64_t *offset, uint64_t *len)
{
    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);
        uint64_t end = e->spa + e->size;

        for (size_t j = 0; j < n; j++) {
            uint64_t lo = MAX(e->spa, ranges[j].start);
            uint64_t hi = MIN(end, ranges[j].end);

            if (lo < hi) {
                *offset = e->offset + (lo - e->spa);
                *len = hi - lo;
                return true;
            }
        }
    }
    return false;
}

static int extent_spa_cmp(const void *a, const void *b)
{
    const XenNvdimmExtent *x = a, *y = b;

    return x->spa < y->spa ? -1 : x->spa > y->spa;
}

bool xen_nvdimm_extents_alias(GArray *extents, uint64_t *a, uint64_t *b)
{
    g_autoptr(GArray) by_spa = g_array_copy(extents);
    XenNvdimmExtent *reach = NULL;      /* the one that ends last so far */

    g_array_sort(by_spa, extent_spa_cmp);
    for (guint i = 0; i < by_spa->len; i++) {
        XenNvdimmExtent *y = EXTENT(by_spa, i);

        if (reach && y->spa < reach->spa + reach->size) {
            *a = MIN(reach->offset, y->offset);
            *b = MAX(reach->offset, y->offset);
            return true;
        }
        if (!reach || y->spa + y->size > reach->spa + reach->size) {
            reach = y;
        }
    }
    return false;
}

void xen_nvdimm_bad_to_guest(GArray *extents, const XenNvdimmRange *bad,
                             size_t n, uint64_t gpa, GArray *out)
{
    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);

        for (size_t j = 0; j < n; j++) {
            uint64_t lo = MAX(e->spa, bad[j].start);
            uint64_t hi = MIN(e->spa + e->size, bad[j].end);
            NvdimmBadRange g = {
                .addr = gpa + e->offset + (lo - e->spa),
                .len = hi - lo,
            };

            if (lo < hi) {
                g_array_append_val(out, g);
            }
        }
    }
}

/* A SMART temperature (1/16 degree C, bit 15 the sign) as a number. */
static int32_t health_temperature(uint16_t t)
{
    return t & 0x8000 ? -(int32_t)(t & 0x7fff) : t;
}

void xen_nvdimm_health_merge(NvdimmHealth *acc, const NvdimmHealth *h,
                             bool first)
{
    if (first) {
        *acc = *h;
        return;
    }
    acc->flags &= h->flags;
    acc->health |= h->health;
    acc->spares = MIN(acc->spares, h->spares);
    acc->life_used = MAX(acc->life_used, h->life_used);
    if (health_temperature(h->temperature) >
        health_temperature(acc->temperature)) {
        acc->temperature = h->temperature;
    }
    acc->shutdown_count = h->shutdown_count > UINT32_MAX - acc->shutdown_count ?
                          UINT32_MAX : acc->shutdown_count + h->shutdown_count;
    acc->shutdown_state |= h->shutdown_state;
}

static int record_range_cmp(const void *a, const void *b)
{
    const XenNvdimmRange *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

GPtrArray *xen_nvdimm_record_texts(GArray *extents)
{
    g_autoptr(GArray) r = g_array_new(false, false, sizeof(XenNvdimmRange));
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GString *text = NULL;
    guint n = 0;

    for (guint i = 0; i < extents->len; i++) {
        XenNvdimmExtent *e = EXTENT(extents, i);
        XenNvdimmRange x = { e->spa, e->spa + e->size };

        g_array_append_val(r, x);
    }
    g_array_sort(r, record_range_cmp);
    for (guint i = 0; i < r->len; i++) {
        XenNvdimmRange *x = &g_array_index(r, XenNvdimmRange, i);
        XenNvdimmRange *last = n ? &g_array_index(r, XenNvdimmRange, n - 1) :
                                   NULL;

        if (last && x->start == last->end) {
            last->end = x->end;
        } else {
            g_array_index(r, XenNvdimmRange, n++) = *x;
        }
    }
    for (guint i = 0; i < n; i++) {
        XenNvdimmRange *x = &g_array_index(r, XenNvdimmRange, i);

        if (i % XEN_NVDIMM_RECORD_RANGES == 0) {
            text = g_string_new(NULL);
            g_ptr_array_add(out, text);
        }
        g_string_append_printf(text, "%s0x%" PRIx64 "+0x%" PRIx64,
                               i % XEN_NVDIMM_RECORD_RANGES ? " " : "",
                               x->start, x->end - x->start);
    }
    for (guint i = 0; i < out->len; i++) {
        out->pdata[i] = g_string_free(out->pdata[i], false);
    }
    return out;
}

void xen_nvdimm_record_parse(const char *text, GArray *ranges)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);

    for (char **w = words; *w; w++) {
        const char *p = *w;
        uint64_t start, size;
        XenNvdimmRange r;

        if (qemu_strtou64(p, &p, 0, &start) || *p != '+' ||
            qemu_strtou64(p + 1, NULL, 0, &size) || !size ||
            start + size < start) {
            continue;
        }
        r = (XenNvdimmRange) { start, start + size };
        g_array_append_val(ranges, r);
    }
}

int xen_nvdimm_health_of_dimms(const NvdimmHealth *dimms,
                               const bool *smart, size_t n,
                               NvdimmHealth *h)
{
    for (size_t i = 0; i < n; i++) {
        if (!smart[i]) {
            return 0;
        }
        xen_nvdimm_health_merge(h, &dimms[i], i == 0);
    }
    return n ? 1 : 0;
}

bool xen_nvdimm_parse_health(const char *text, NvdimmHealth *h,
                             Error **errp)
{
    static const char *const states[] = { "ok", "non-critical", "critical",
                                          "fatal" };
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    *h = (NvdimmHealth) { 0 };
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) kv = g_strsplit(g_strstrip(*l), " ", 2);
        const char *key, *val;
        int64_t n = 0;
        bool num;

        if (!kv[0]) {
            continue;           /* an empty line */
        }
        key = kv[0];
        val = kv[1];
        num = val && !qemu_strtoi64(val, NULL, 10, &n);
        if (!strcmp(key, "health") && val) {
            for (int i = 0; i < ARRAY_SIZE(states); i++) {
                if (!strcmp(val, states[i])) {
                    h->health = i ? 1 << (i - 1) : 0;
                    h->flags |= NVDIMM_SMART_HEALTH_VALID;
                }
            }
            if (!(h->flags & NVDIMM_SMART_HEALTH_VALID)) {
                goto bad;
            }
        } else if (!strcmp(key, "spares") && num && n >= 0 && n <= 100) {
            h->spares = n;
            h->flags |= NVDIMM_SMART_SPARES_VALID;
        } else if (!strcmp(key, "life-used") && num && n >= 0 && n <= 100) {
            h->life_used = n;
            h->flags |= NVDIMM_SMART_USED_VALID;
        } else if (!strcmp(key, "temperature") && num && n >= -273 &&
                   n <= 2047) {
            h->temperature = n < 0 ? 0x8000 | (-n * 16) : n * 16;
            h->flags |= NVDIMM_SMART_MTEMP_VALID;
        } else if (!strcmp(key, "shutdown-count") && num && n >= 0 &&
                   n <= UINT32_MAX) {
            h->shutdown_count = n;
            h->flags |= NVDIMM_SMART_SHUTDOWN_COUNT_VALID;
        } else if (!strcmp(key, "shutdown-state") && val &&
                   (!strcmp(val, "clean") || !strcmp(val, "dirty"))) {
            h->shutdown_state = !strcmp(val, "dirty");
            h->flags |= NVDIMM_SMART_SHUTDOWN_VALID;
        } else {
            goto bad;
        }
        continue;
bad:
        error_setg(errp, "health line '%.40s' is not one of 'health "
                   "ok|non-critical|critical|fatal', 'spares PERCENT', "
                   "'life-used PERCENT', 'temperature CELSIUS', "
                   "'shutdown-count N', 'shutdown-state clean|dirty'", *l);
        return false;
    }
    return true;
}

bool xen_nvdimm_parse_health_dimms(const char *text, GArray *dimms,
                                   GArray *smart, Error **errp)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GString) section = g_string_new("");
    bool have = true, started = false;

    for (char **l = lines; ; l++) {
        const char *line = *l ? g_strstrip(*l) : NULL;
        bool next = line && g_str_has_prefix(line, "dimm") &&
                    (!line[4] || line[4] == ' ');

        if (!line || next) {
            NvdimmHealth h = { 0 };

            if (started || section->len) {
                if (have && !xen_nvdimm_parse_health(section->str, &h,
                                                     errp)) {
                    return false;
                }
                if (!have && section->len) {
                    error_setg(errp, "a DIMM without SMART has no health "
                               "lines");
                    return false;
                }
                g_array_append_val(dimms, h);
                g_array_append_val(smart, have);
            }
            if (!line) {
                return true;
            }
            if (strcmp(line, "dimm") && strcmp(line, "dimm no-smart")) {
                error_setg(errp, "health line '%.40s' is not 'dimm' or "
                           "'dimm no-smart'", line);
                return false;
            }
            have = !strcmp(line, "dimm");
            started = true;
            g_string_truncate(section, 0);
        } else if (*line) {
            g_string_append_printf(section, "%s\n", line);
        }
    }
}

static const char *const xen_nvdimm_persistence_names[] = {
    [XEN_NVDIMM_PERSIST_NONE] = "none",
    [XEN_NVDIMM_PERSIST_MEMCTRL] = "memory_controller",
    [XEN_NVDIMM_PERSIST_CPU_CACHE] = "cpu_cache",
};

bool xen_nvdimm_parse_persistence(const char *word, XenNvdimmPersistence *p)
{
    for (unsigned i = 0; i < ARRAY_SIZE(xen_nvdimm_persistence_names); i++) {
        if (!strcmp(word, xen_nvdimm_persistence_names[i])) {
            *p = i;
            return true;
        }
    }
    return false;
}

const char *xen_nvdimm_persistence_name(XenNvdimmPersistence p)
{
    return xen_nvdimm_persistence_names[p];
}

/*
 * ACPI 6.2, 5.2.25.9: bit 0, CPU cache flush to NVDIMM durability on power
 * loss; bit 1, memory controller flush to NVDIMM durability.  A platform
 * with the first has the second.
 */
uint32_t xen_nvdimm_persistence_caps(XenNvdimmPersistence p)
{
    switch (p) {
    case XEN_NVDIMM_PERSIST_CPU_CACHE:
        return 3;
    case XEN_NVDIMM_PERSIST_MEMCTRL:
        return 2;
    default:
        return 0;
    }
}

int xen_nvdimm_acpi_count_tables(const uint8_t *blob, size_t len)
{
    int n = 0;

    for (size_t at = 0; at < len; n++) {
        uint32_t tlen;

        if (len - at < 36) {
            return -1;
        }
        tlen = ldl_le_p(blob + at + 4);
        if (tlen < 36 || tlen > len - at) {
            return -1;
        }
        at += tlen;
    }
    return n;
}

bool xen_nvdimm_budget_left(XenNvdimmBudget *b, int64_t now,
                            int64_t burst_ns, unsigned share_pct)
{
    if (!b->at) {
        b->left_ns = burst_ns;
    } else if (now > b->at) {
        /* Whole percents of elapsed time; saturates at the burst. */
        int64_t refill = (now - b->at) / 100 * share_pct;

        b->left_ns = refill >= burst_ns - b->left_ns ? burst_ns :
                     b->left_ns + refill;
    }
    b->at = MAX(now, b->at);
    return b->left_ns > 0;
}

void xen_nvdimm_budget_spend(XenNvdimmBudget *b, int64_t ns)
{
    b->left_ns -= MAX(ns, 0);
}
