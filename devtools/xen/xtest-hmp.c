/*
 * xtest-hmp: send one command to a QEMU human monitor on a unix socket and
 * print what QEMU answers within two seconds.
 *
 *   xtest-hmp SOCKET COMMAND
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[4096];
    int fd;

    if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: %s SOCKET COMMAND\n", argv[0]);
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        perror(argv[1]);
        return 1;
    }
    if (dprintf(fd, "%s\n", argv[2]) < 0) {
        perror("write");
        return 1;
    }
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 2000) <= 0) {
            break;
        }
        n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        fwrite(buf, 1, n, stdout);
    }
    close(fd);
    return 0;
}
