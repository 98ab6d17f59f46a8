/*
 * What PMDK's libpmem2 learns of the device behind a file: its unique id
 * and its unsafe shutdown count, as PMDK's shutdown-state check asks, and
 * the store granularity of a mapping of it.  The granularity is "byte"
 * only if pmem2_auto_flush() found every NVDIMM region's persistence
 * domain to be the CPU caches (eADR: no flush needed), "cache-line" for a
 * DAX mapping otherwise, "page" without DAX.
 *
 *   pmem2-usc FILE      prints "PMEM2 id=ID usc=N granularity=G" or
 *                       "PMEM2-ERROR ..."
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <inttypes.h>
#include <libpmem2.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    static const char *const granularity[] = {
        [PMEM2_GRANULARITY_BYTE] = "byte",
        [PMEM2_GRANULARITY_CACHE_LINE] = "cache-line",
        [PMEM2_GRANULARITY_PAGE] = "page",
    };
    struct pmem2_source *src;
    struct pmem2_config *cfg;
    struct pmem2_map *map;
    uint64_t usc;
    size_t len;
    char *id;
    int fd, rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    fd = open(argv[1], O_RDWR);
    if (fd < 0 || pmem2_source_from_fd(&src, fd)) {
        printf("PMEM2-ERROR source: %s\n", pmem2_errormsg());
        return 1;
    }
    rc = pmem2_source_device_usc(src, &usc);
    if (rc) {
        printf("PMEM2-ERROR usc %d: %s\n", rc, pmem2_errormsg());
        return 1;
    }
    rc = pmem2_source_device_id(src, NULL, &len);
    if (rc) {
        printf("PMEM2-ERROR id length %d: %s\n", rc, pmem2_errormsg());
        return 1;
    }
    id = calloc(1, len);
    rc = id ? pmem2_source_device_id(src, id, &len) : -1;
    if (rc) {
        printf("PMEM2-ERROR id %d: %s\n", rc, pmem2_errormsg());
        return 1;
    }
    /* Accept any granularity: the question is which one PMDK offers. */
    if (pmem2_config_new(&cfg) ||
        pmem2_config_set_required_store_granularity(cfg,
                                                    PMEM2_GRANULARITY_PAGE) ||
        pmem2_map_new(&map, cfg, src)) {
        printf("PMEM2-ERROR map: %s\n", pmem2_errormsg());
        return 1;
    }
    printf("PMEM2 id=%s usc=%" PRIu64 " granularity=%s\n", id, usc,
           granularity[pmem2_map_get_store_granularity(map)]);
    pmem2_map_delete(&map);
    pmem2_config_delete(&cfg);
    return 0;
}
