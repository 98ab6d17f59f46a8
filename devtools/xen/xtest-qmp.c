/*
 * xtest-qmp: send QMP commands to a QEMU on a unix socket, as a QMP client
 * of libxl's socket for a domain would, and print each reply on a line.
 *
 *   xtest-qmp SOCKET JSON-COMMAND...
 *
 * Exits 1 if it cannot connect or a reply does not come within 60 s.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[65536];
static size_t have;

/* The next line from QEMU that is not an event, without its newline. */
static int next_reply(int fd, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (nl) {
            size_t len = nl - buf;

            snprintf(line, size, "%.*s", (int)len, buf);
            memmove(buf, nl + 1, have - len - 1);
            have -= len + 1;
            if (strstr(line, "\"event\"")) {
                continue;
            }
            return 0;
        }
        if (have == sizeof(buf) || poll(&p, 1, 60000) <= 0) {
            return -1;
        }
        n = read(fd, buf + have, sizeof(buf) - have);
        if (n <= 0) {
            return -1;
        }
        have += n;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    static char line[65536];
    int fd;

    if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: %s SOCKET JSON-COMMAND...\n", argv[0]);
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        perror(argv[1]);
        return 1;
    }
    /* The greeting, then capabilities negotiation. */
    if (next_reply(fd, line, sizeof(line)) ||
        dprintf(fd, "{\"execute\": \"qmp_capabilities\"}\n") < 0 ||
        next_reply(fd, line, sizeof(line)) || !strstr(line, "\"return\"")) {
        fprintf(stderr, "%s: no QMP greeting or capabilities: %s\n", argv[1],
                line);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (dprintf(fd, "%s\n", argv[i]) < 0 ||
            next_reply(fd, line, sizeof(line))) {
            fprintf(stderr, "%s: no reply to %s\n", argv[1], argv[i]);
            return 1;
        }
        printf("%s\n", line);
    }
    close(fd);
    return 0;
}
