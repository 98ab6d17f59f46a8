/*
 * xtest-acpi: print the ACPI tables a device model handed hvmloader.
 *
 *   xtest-acpi DOMID GPA LENGTH
 *
 * Maps the guest frames [GPA, GPA + LENGTH) of DOMID read-only (dom0,
 * libxenforeignmemory) and prints one line per table found there:
 *
 *   QTABLE <index> <signature> <oem-table-id> <length> <hex bytes>
 *
 * Exits non-zero if the range is not a sequence of whole, checksummed
 * tables.  Built on
 * the test host against the same Debian libraries as dom0 has.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

/* A header field as one word: anything but letters and digits becomes '_'. */
static void word(const uint8_t *p, int n)
{
    for (int k = 0; k < n; k++) {
        putchar((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'A' && p[k] <= 'Z') ||
                (p[k] >= 'a' && p[k] <= 'z') ? p[k] : '_');
    }
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DOMID GPA LENGTH\n", argv[0]);
        return 2;
    }
    uint32_t domid = strtoul(argv[1], NULL, 0);
    uint64_t gpa = strtoull(argv[2], NULL, 0);
    size_t len = strtoull(argv[3], NULL, 0);
    size_t off = gpa & (PAGE_SIZE - 1);
    size_t n = (off + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
    xen_pfn_t *pfns = calloc(n, sizeof(*pfns));
    int *errs = calloc(n, sizeof(*errs));
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    const uint8_t *p;
    size_t at;
    int i;

    if (!fmem || !pfns || !errs) {
        perror("xtest-acpi: xenforeignmemory_open");
        return 1;
    }
    for (size_t k = 0; k < n; k++) {
        pfns[k] = (gpa >> PAGE_SHIFT) + k;
    }
    p = xenforeignmemory_map(fmem, domid, PROT_READ, n, pfns, errs);
    if (!p) {
        fprintf(stderr, "xtest-acpi: cannot map 0x%" PRIx64 "+0x%zx of "
                "domain %u: %s\n", gpa, len, domid, strerror(errno));
        return 1;
    }
    for (size_t k = 0; k < n; k++) {
        if (errs[k]) {
            fprintf(stderr, "xtest-acpi: frame 0x%" PRIx64 ": %s\n",
                    (uint64_t)pfns[k], strerror(-errs[k]));
            return 1;
        }
    }
    p += off;
    for (at = 0, i = 0; at < len; i++) {
        uint32_t tlen;

        if (len - at < 36 || (tlen = le32(p + at + 4)) < 36 ||
            tlen > len - at) {
            fprintf(stderr, "xtest-acpi: no whole table at offset 0x%zx\n",
                    at);
            return 1;
        }
        /* hvmloader copies tables verbatim: each must sum to zero. */
        uint8_t sum = 0;
        for (uint32_t k = 0; k < tlen; k++) {
            sum += p[at + k];
        }
        if (sum) {
            fprintf(stderr, "xtest-acpi: the table at offset 0x%zx does not "
                    "sum to zero (0x%02x)\n", at, sum);
            return 1;
        }
        printf("QTABLE %d ", i);
        word(p + at, 4);
        putchar(' ');
        word(p + at + 16, 8);
        printf(" %" PRIu32 " ", tlen);
        for (uint32_t k = 0; k < tlen; k++) {
            printf("%02x", p[at + k]);
        }
        printf("\n");
        at += tlen;
    }
    return 0;
}
