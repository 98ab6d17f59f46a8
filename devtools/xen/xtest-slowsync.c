/*
 * xtest-slowsync: an LD_PRELOAD library for a device model under test.
 * Every fdatasync() of the process is held back XTEST_SYNC_DELAY_US
 * microseconds, and the time it began (CLOCK_REALTIME, in seconds) goes on
 * a line of XTEST_SYNC_LOG: so dom0 can tell whether QEMU goes on serving
 * QMP while a guest's label write waits for the host.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int fdatasync(int fd)
{
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    const char *delay = getenv("XTEST_SYNC_DELAY_US");
    const char *log = getenv("XTEST_SYNC_LOG");
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    if (log) {
        int f = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        if (f >= 0) {
            dprintf(f, "%lld.%09ld %d\n", (long long)now.tv_sec, now.tv_nsec,
                    fd);
            close(f);
        }
    }
    if (delay) {
        usleep(strtoul(delay, NULL, 10));
    }
    return real(fd);
}
