/*
 * libFuzzer target: the guest's _DSM requests (hw/acpi/nvdimm-dsm.c
 * and nvdimm-ars.c, compiled in unchanged), against two NVDIMMs with
 * label areas that abort on any access outside themselves, and a host
 * whose list of bad ranges the input chooses too (anything: unsorted,
 * overlapping, wrapping, outside the devices).
 *
 * Input: u8 number of host bad ranges (mod 17), that many {u64 addr, u64
 * len}, u8 flags (bit 0: the host fails; bit 1: the root offers no scrub,
 * as QEMU's NVDIMM; bit 2: it has a FIT of 5000 bytes for Read FIT; bit 3:
 * the FIT changed before the first request), then requests of 64 bytes each
 * {u32 handle, u32 revision, u32 function, arg3[52]}, the last one taking
 * the rest of the input as its arg3.  After every request the reply must
 * be well formed, and after every Query ARS Status its records must lie,
 * sorted and apart, in the range scrubbed, inside one device, and report
 * exactly the host's bad bytes there; a Read FIT that succeeds must give
 * the FIT's bytes from the offset asked.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/acpi/nvdimm-dsm.h"
#include "../../tests/unit/nvdimm-ars-check.h"

#define LABEL_SIZE  (128 * 1024)
#define SPA1        0x100000000ULL
#define SPA_SIZE    0x40000000ULL
#define REQ         64

static uint8_t labels[LABEL_SIZE];
static GArray *host_bad;
static bool host_fails;

static bool store_read(void *opaque, uint32_t off, void *buf, uint32_t len)
{
    if (off > LABEL_SIZE || len > LABEL_SIZE - off) {
        abort();
    }
    memcpy(buf, labels + off, len);
    return !host_fails;
}

static bool store_write(void *opaque, uint32_t off, const void *buf,
                        uint32_t len)
{
    if (off > LABEL_SIZE || len > LABEL_SIZE - off) {
        abort();
    }
    memcpy(labels + off, buf, len);
    return !host_fails;
}

static bool bad_ranges(void *opaque, GArray *ranges)
{
    g_array_append_vals(ranges, host_bad->data, host_bad->len);
    return !host_fails;
}

static bool health(void *opaque, NvdimmHealth *h)
{
    *h = (NvdimmHealth) { .flags = 0xffffffff, .health = 7,
                             .shutdown_count = 42 };
    return !host_fails;
}

static const NvdimmDsmDimm dimms[] = {
    { .handle = 1, .spa = SPA1, .spa_size = SPA_SIZE,
      .label_size = LABEL_SIZE, .label_writable = true, .has_health = true,
      .read_label = store_read, .write_label = store_write,
      .bad_ranges = bad_ranges, .health = health },
    { .handle = 2, .spa = SPA1 + SPA_SIZE, .spa_size = SPA_SIZE,
      .label_size = LABEL_SIZE, .label_writable = false,
      .read_label = store_read, .write_label = store_write,
      .bad_ranges = bad_ranges, .health = health },
};

/* A Query ARS Status reply: records sorted, apart, in the range. */
static void check_ars_status(const uint8_t *out, uint32_t len)
{
    const uint8_t *p = out + 4;
    uint64_t addr = ldq_le_p(p + 8), end = addr + ldq_le_p(p + 16);
    uint64_t prev_end = 0;
    uint32_t n = ldl_le_p(p + 44);

    if (len != 4 + NVDIMM_ARS_HEADER + n * NVDIMM_ARS_RECORD ||
        n > NVDIMM_ARS_MAX_RECORDS ||
        ldl_le_p(p + 4) != NVDIMM_ARS_HEADER - 4 +
                            n * NVDIMM_ARS_RECORD) {
        abort();
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *r = p + NVDIMM_ARS_HEADER +
                           i * NVDIMM_ARS_RECORD;
        uint64_t ra = ldq_le_p(r + 8), rl = ldq_le_p(r + 16);

        if (!rl || ra < addr || ra > end || rl > end - ra ||
            (i && ra <= prev_end) || ra < SPA1 ||
            ra + rl > SPA1 + 2 * SPA_SIZE) {
            abort();
        }
        prev_end = ra + rl;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static NvdimmArs ars;
    static GArray *fit;
    uint8_t in[NVDIMM_DSM_PAGE], out[NVDIMM_DSM_PAGE];
    NvdimmDsmRoot root;
    bool fit_dirty;
    size_t k;

    if (!host_bad) {
        host_bad = g_array_new(false, false, sizeof(NvdimmBadRange));
        fit = g_array_new(false, false, 1);
        for (unsigned i = 0; i < 5000; i++) {
            uint8_t b = i * 7;

            g_array_append_val(fit, b);
        }
    }
    g_array_set_size(host_bad, 0);
    nvdimm_ars_reset(&ars);
    if (size < 2) {
        return 0;
    }
    k = data[0] % 17;
    data++, size--;
    for (; k && size >= 16; k--, data += 16, size -= 16) {
        NvdimmBadRange r = { ldq_le_p(data), ldq_le_p(data + 8) };

        g_array_append_val(host_bad, r);
    }
    if (!size) {
        return 0;
    }
    host_fails = data[0] & 1;
    root = (NvdimmDsmRoot) {
        .ars = !(data[0] & 2),
        .fit = data[0] & 4 ? fit : NULL,
        .fit_dirty = &fit_dirty,
    };
    fit_dirty = data[0] & 8;
    data++, size--;
    while (size >= 12) {
        size_t take = size >= 2 * REQ ? REQ : size;
        uint32_t len;

        memset(in, 0, sizeof(in));
        memcpy(in, data, MIN(take, sizeof(in)));
        data += take, size -= take;
        len = nvdimm_dsm_serve(in, &root, dimms, ARRAY_SIZE(dimms), &ars, out);
        if (len < 8 || len > sizeof(out) || ldl_le_p(out) != len) {
            abort();
        }
        if (root.fit && ldl_le_p(in) == NVDIMM_DSM_QEMU_ROOT &&
            ldl_le_p(in + 4) == 1 && ldl_le_p(in + 8) == 1 &&
            !ldl_le_p(out + 4) &&
            ((uint64_t)ldl_le_p(in + 12) + len - 8 > fit->len ||
             memcmp(out + 8, fit->data + ldl_le_p(in + 12), len - 8))) {
            abort();
        }
        if (root.ars && !ldl_le_p(in) && ldl_le_p(in + 4) == 1 &&
            ldl_le_p(in + 8) == NVDIMM_ARS_STATUS) {
            check_ars_status(out, len);
            if (!nvdimm_ars_check_exact(out,
                                            (NvdimmBadRange *)host_bad->data,
                                            host_bad->len)) {
                abort();
            }
        }
    }
    return 0;
}
