/*
 * xen-nvdimm: the guardian, which keeps the host's guards up for as long
 * as the domain lives
 *
 * A domain keeps its mappings of host pmem when its device model dies
 * (kill -9, a crash): Xen tears them down only with the domain.  The
 * guards QEMU holds through open files would die with it, though: the
 * exclusive hold of a namespace (dom0 could then mount it, make a
 * filesystem on it or reconfigure it while the guest still writes there),
 * the host-wide locks, and the last reference to a file's inode.  So each
 * device forks a small process that shares those open files and does
 * nothing but wait for the domain to be gone.  Then it unpins a file
 * backend and exits, and the kernel drops the hold and the locks.  When
 * the device is torn down normally, QEMU ends the guardian first.
 *
 * Copyright (c) 2026 The xen-nvdimm authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/prctl.h>
#include "qapi/error.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen-nvdimm-ops.h"
#include "trace.h"

/* How often the guardian asks whether the domain is still there. */
#define GUARD_POLL_US   (G_USEC_PER_SEC / 4)

/*
 * A line in the device model's log.  The guardian is a forked child of a
 * threaded QEMU: another thread may have held the monitor's or the log's
 * lock at the fork, so it writes to stderr itself.
 */
static void G_GNUC_PRINTF(2, 3) guard_say(XenNvdimmState *s,
                                          const char *fmt, ...)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "xen-nvdimm '%s' guardian: ",
                     s->name);
    va_list ap;

    /* (Either part may be cut short: the name is the admin's.) */
    n = MIN(n, (int)sizeof(line) - 2);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    n = MIN(n, (int)sizeof(line) - 2);
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0) {
        return;                 /* nobody to tell */
    }
}

/*
 * Keep writing to the device model's log (libxl's qemu-dm log is a file),
 * but hold no pipe open: whoever reads one waits for its end, which would
 * then come only with the domain's.
 */
static void guard_stderr(void)
{
    struct stat st;
    int null;

    if (!fstat(STDERR_FILENO, &st) && S_ISREG(st.st_mode)) {
        return;
    }
    null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
}

static int guard_fd_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/*
 * The guardian process: it keeps to system calls and the few library
 * calls its op needs, and leaves with _exit(), never through QEMU's exit
 * handlers.
 */
static void G_GNUC_NORETURN guard_main(XenNvdimmState *s, int ready)
{
    int want[] = { STDERR_FILENO, ready, s->claim_fd, s->block_fd,
                   s->pmem->fd };
    int keep[ARRAY_SIZE(want)];
    unsigned nkeep = 0;
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    struct sigaction ign = { .sa_handler = SIG_IGN };
    sigset_t none;
    Error *err = NULL;
    bool gone = false;
    char ok = 1;

    /* Only QEMU's teardown (SIGKILL) or the domain's end stop it. */
    setsid();
    prctl(PR_SET_NAME, "xen-nvdimm-grd");
    for (int sig = 1; sig < NSIG; sig++) {
        sigaction(sig, sig == SIGHUP || sig == SIGINT || sig == SIGTERM ||
                  sig == SIGPIPE ? &ign : &dfl, NULL);
    }
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    guard_stderr();
    /* qemu_close_all_open_fd() wants them sorted and distinct. */
    qsort(want, ARRAY_SIZE(want), sizeof(want[0]), guard_fd_cmp);
    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        if (want[i] >= 0 && (!nkeep || keep[nkeep - 1] != want[i])) {
            keep[nkeep++] = want[i];
        }
    }
    qemu_close_all_open_fd(keep, nkeep);

    /* Prove the watch works before QEMU maps anything. */
    if (!s->ops->guard_domain_gone(s, &gone, &err) || gone) {
        guard_say(s, "%s", err ? error_get_pretty(err) : "no domain");
        _exit(1);
    }
    if (write(ready, &ok, 1) != 1) {
        _exit(1);
    }
    close(ready);
    while (!gone) {
        g_usleep(GUARD_POLL_US);
        if (!s->ops->guard_domain_gone(s, &gone, &err)) {
            /* Fail closed: keep the guards up, and ask again. */
            error_free(err);
            err = NULL;
        }
    }
    /* Nothing maps the backend any more. */
    if (!xen_pmem_unpin(s->pmem, &err)) {
        guard_say(s, "%s stays immutable: %s", s->pmem->mem_path,
                  error_get_pretty(err));
    }
    guard_say(s, "domain %u is gone: its host memory is released",
              xen_domid);
    _exit(0);
}

bool xen_nvdimm_guard_start(XenNvdimmState *s, Error **errp)
{
    int fds[2];
    char ok = 0;
    pid_t pid;

    if (!s->ops->guard_domain_gone) {
        return true;
    }
    if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL)) {
        error_setg_errno(errp, errno, "cannot start the guardian");
        return false;
    }
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        guard_main(s, fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        error_setg_errno(errp, errno, "cannot start the guardian");
        close(fds[0]);
        return false;
    }
    s->guard_pid = pid;
    /* One byte once it is set up, or none if it failed. */
    while (read(fds[0], &ok, 1) < 0 && errno == EINTR) {
        continue;
    }
    close(fds[0]);
    trace_xen_nvdimm_guard(s->name, pid, ok);
    if (!ok) {
        xen_nvdimm_guard_stop(s);
        error_setg(errp, "the guardian process could not watch domain %u",
                   xen_domid);
        return false;
    }
    return true;
}

void xen_nvdimm_guard_stop(XenNvdimmState *s)
{
    if (s->guard_pid <= 0) {
        return;
    }
    kill(s->guard_pid, SIGKILL);
    while (waitpid(s->guard_pid, NULL, 0) < 0 && errno == EINTR) {
        continue;
    }
    trace_xen_nvdimm_guard(s->name, s->guard_pid, false);
    s->guard_pid = 0;
}
