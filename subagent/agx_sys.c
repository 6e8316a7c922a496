/* SPDX-License-Identifier: BSD-2-Clause */
#include "subagent/agx_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int agx_daemonize(void)
{
    pid_t pid;
    int fd;

    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    /* A second fork: the daemon is no session leader and never gets a terminal again. */
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        return -1;
    fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return -1;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
    return 0;
}

int agx_pidfile_write(const char *path)
{
    char buf[32];
    int fd, n, ret = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n)
        ret = -1;
    if (close(fd) != 0)
        ret = -1;
    return ret;
}

int agx_user_lookup(const char *user, uid_t *uid, gid_t *gid)
{
    struct passwd *pw = getpwnam(user);
    char *end;

    if (!pw) {
        unsigned long n;
        errno = 0;
        n = strtoul(user, &end, 10);
        if (errno || end == user || *end || !(pw = getpwuid((uid_t)n)))
            return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

int agx_drop_privileges(uid_t uid, gid_t gid)
{
    if (getuid() == 0 && setgroups(1, &gid) != 0)
        return -1;
    if (setgid(gid) != 0 || setuid(uid) != 0)
        return -1;
    if (uid != 0 && setuid(0) == 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}
