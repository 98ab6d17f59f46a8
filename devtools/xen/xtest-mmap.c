/*
 * xtest-mmap: read or write a few bytes of a file or device through a
 * shared mapping, as DAX users do (a device-DAX character device can only
 * be mapped; its mapping size must be a multiple of its alignment).
 *
 *   xtest-mmap PATH ALIGN OFFSET read LENGTH    print the bytes (NULs dropped)
 *   xtest-mmap PATH ALIGN OFFSET write STRING   write STRING there, then msync
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    unsigned long align, off, base, len;
    int fd, writing;
    char *p;

    if (argc != 6) {
        fprintf(stderr, "usage: %s PATH ALIGN OFFSET read LENGTH | write STRING\n", argv[0]);
        return 2;
    }
    align = strtoul(argv[2], NULL, 0);
    off = strtoul(argv[3], NULL, 0);
    writing = !strcmp(argv[4], "write");
    len = writing ? strlen(argv[5]) : strtoul(argv[5], NULL, 0);
    if (!align || (align & (align - 1)) || len > align - off % align) {
        fprintf(stderr, "%s: bad alignment or a range across an alignment unit\n", argv[0]);
        return 2;
    }
    fd = open(argv[1], writing ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    base = off & ~(align - 1);
    p = mmap(NULL, align, writing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, base);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (writing) {
        memcpy(p + (off - base), argv[5], len);
        if (msync(p, align, MS_SYNC)) {
            perror("msync");
            return 1;
        }
    } else {
        for (unsigned long i = 0; i < len; i++) {
            if (p[off - base + i]) {
                putchar(p[off - base + i]);
            }
        }
        putchar('\n');
    }
    return 0;
}
