/*
 * xtest-mapwb DOMID GFN MFN NR [FLAGS]: ask Xen, as xen-nvdimm does, to map
 * host frames write-back into a guest (XEN_DMOP_map_pmem of the xen-nvdimm
 * Xen patches), and print "rc=0" or "rc=-ERRNO (text)".  With NR of 0 it
 * only asks whether the operation exists: a stock Xen says -EOPNOTSUPP
 * before it looks at the arguments, the patched one -EINVAL.  For the Xen
 * test's dom0: Xen must refuse RAM, memory outside the firmware's
 * persistent memory, frames the guest may not access, and unknown flags.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xen/sys/privcmd.h>

struct map_pmem {
    uint32_t op, pad;
    uint64_t first_gfn, first_mfn, nr_mfns;
    uint32_t flags, pad2;
};

int main(int argc, char **argv)
{
    struct map_pmem op = { .op = 21 };
    privcmd_dm_op_buf_t buf = { .uptr = &op, .size = sizeof(op) };
    privcmd_dm_op_t dm = { .num = 1, .ubufs = &buf };
    int fd, rc;

    if (argc < 5) {
        fprintf(stderr, "usage: %s DOMID GFN MFN NR [FLAGS]\n", argv[0]);
        return 2;
    }
    dm.dom = strtoul(argv[1], NULL, 0);
    op.first_gfn = strtoull(argv[2], NULL, 0);
    op.first_mfn = strtoull(argv[3], NULL, 0);
    op.nr_mfns = strtoull(argv[4], NULL, 0);
    op.flags = argc > 5 ? strtoul(argv[5], NULL, 0) : 0;
    fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("/dev/xen/privcmd");
        return 2;
    }
    rc = ioctl(fd, IOCTL_PRIVCMD_DM_OP, &dm) ? -errno : 0;
    printf("rc=%d%s%s%s\n", rc, rc ? " (" : "", rc ? strerror(-rc) : "",
           rc ? ")" : "");
    return 0;
}
