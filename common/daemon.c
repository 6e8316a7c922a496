/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag, reload_flag, stats_flag;

/* The locked pid file, held open for the life of the process, and its directory. */
static int pid_fd = -1;
static char pid_dir[4096];

/* Write end of the pipe to the original process while detaching, else -1. */
static int ready_fd = -1;

void daemon_dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int daemon_pidfile_write(const char *path, char *err, size_t errlen)
{
    char text[32];
    int fd, len;

    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t got = errno == EWOULDBLOCK ? pread(fd, text, sizeof text - 1, 0) : -1;
        long other = 0;
        if (got > 0) {
            text[got] = '\0';
            other = strtol(text, NULL, 10);
        }
        if (other > 0)
            snprintf(err, errlen, "%s: already in use by pid %ld", path, other);
        else
            snprintf(err, errlen, "%s: cannot lock: %s", path,
                     errno == EWOULDBLOCK ? "held by another process" : strerror(errno));
        close(fd);
        return -1;
    }
    len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (pid_fd >= 0)
        close(pid_fd);
    pid_fd = fd;
    daemon_dir_of(path, pid_dir, sizeof pid_dir);
    return 0;
}

int daemon_pidfile_remove(const char *path)
{
    int ret = -1;

    if (pid_fd < 0)
        return -1;
    if (path && unlink(path) == 0)
        ret = 0;
    else if (ftruncate(pid_fd, 0) != 0)
        ret = -1; /* nothing more to be done: the lock goes with the process */
    close(pid_fd);
    pid_fd = -1;
    return ret;
}

bool daemon_pidfile_removable(void)
{
    return pid_fd < 0 || access(pid_dir, W_OK | X_OK) == 0;
}

/* The user's entry, not root. NULL with a message in err. */
static struct passwd *user_entry(const char *user, char *err, size_t errlen)
{
    struct passwd *pw;

    errno = 0;
    if (!(pw = getpwnam(user))) {
        snprintf(err, errlen, "user '%s': %s", user, errno ? strerror(errno) : "no such user");
        return NULL;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "user '%s' has uid 0: refusing to run as root", user);
        return NULL;
    }
    return pw;
}

int daemon_user_check(const char *user, char *err, size_t errlen)
{
    return user_entry(user, err, errlen) ? 0 : -1;
}

int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
    struct passwd *pw;
    uid_t uid;
    gid_t gid;

    if (!(pw = user_entry(user, err, errlen)))
        return -1;
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    if (geteuid() != 0) {
        if (getuid() == uid && geteuid() == uid)
            return 0;
        snprintf(err, errlen, "cannot switch to user '%s': not running as root", user);
        return -1;
    }
    /* Groups first: once the uid is gone, so is the right to change them. */
    if (initgroups(user, gid) != 0) {
        snprintf(err, errlen, "initgroups for '%s': %s", user, strerror(errno));
        return -1;
    }
    if (setgid(gid) != 0) {
        snprintf(err, errlen, "setgid(%ld): %s", (long)gid, strerror(errno));
        return -1;
    }
    if (setuid(uid) != 0) {
        snprintf(err, errlen, "setuid(%ld): %s", (long)uid, strerror(errno));
        return -1;
    }
    /* As root, setuid() sets the real, effective and saved ids: root must be gone for good. */
    if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid ||
        getgid() != gid || getegid() != gid) {
        snprintf(err, errlen, "dropping privileges to '%s' did not stick", user);
        return -1;
    }
    return 0;
}

/* May `pw` (with its groups) write and search a directory of mode st? Mode bits only. */
static bool user_may_write(const struct stat *st, const struct passwd *pw)
{
    gid_t groups[256];
    int n = (int)(sizeof groups / sizeof groups[0]);
    mode_t need = S_IWOTH | S_IXOTH;

    if (st->st_uid == pw->pw_uid) {
        need = S_IWUSR | S_IXUSR;
    } else {
        if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
            n = (int)(sizeof groups / sizeof groups[0]); /* more groups: the first 256 */
        for (int i = 0; i < n; i++)
            if (groups[i] == st->st_gid) {
                need = S_IWGRP | S_IXGRP;
                break;
            }
    }
    return (st->st_mode & need) == need;
}

int daemon_check_dir(const char *path, int make, const char *user, char *err, size_t errlen)
{
    char dir[4096], up[4096];
    struct stat st;
    struct statvfs vfs;
    struct passwd *pw = NULL;
    bool self;

    snprintf(dir, sizeof dir, "%s", path);
    while (stat(dir, &st) != 0) {
        self = strcmp(dir, path) == 0;
        if (errno != ENOENT || make == 0 || strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0) {
            snprintf(err, errlen, "%s: %s%s%s", path, self ? "" : dir, self ? "" : ": ",
                     strerror(errno));
            return -1;
        }
        /* Missing, to be made: its parent must take it. */
        daemon_dir_of(dir, up, sizeof up);
        snprintf(dir, sizeof dir, "%s", up);
        if (make > 0)
            make--;
    }
    self = strcmp(dir, path) == 0;
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", path);
        return -1;
    }
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
        snprintf(err, errlen, "%s: %s", path, strerror(EROFS));
        return -1;
    }
    if (user && geteuid() == 0 && !(pw = user_entry(user, err, errlen)))
        return -1;
    if (pw ? !user_may_write(&st, pw) : access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s: %s%snot writable by %s", path, self ? "" : dir,
                 self ? "" : " is ", pw ? user : "this process");
        return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
        stop_flag = 1;
        break;
    case SIGHUP:
        reload_flag = 1;
        break;
    case SIGUSR1:
        stats_flag = 1;
        break;
    default:
        break;
    }
}

int daemon_signals_init(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sa.sa_flags = 0; /* no SA_RESTART: see the header */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return -1;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

bool daemon_stop_requested(void)
{
    return stop_flag != 0;
}

void daemon_request_stop(void)
{
    stop_flag = 1;
}

bool daemon_take_reload(void)
{
    if (!reload_flag)
        return false;
    reload_flag = 0;
    return true;
}

bool daemon_take_stats(void)
{
    if (!stats_flag)
        return false;
    stats_flag = 0;
    return true;
}

/* Points fd at /dev/null. */
static void to_null(int fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null < 0)
        return;
    if (null != fd) {
        dup2(null, fd);
        close(null);
    }
}

int daemon_detach(char *err, size_t errlen)
{
    int p[2];
    pid_t pid;

    if (pipe(p) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* Close-on-exec: a program the daemon runs must not hold the original process waiting. */
    (void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    if ((pid = fork()) < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid > 0) {
        /* The original process: wait for "ready" or for the daemon to go away. */
        char c;
        ssize_t r;
        close(p[1]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        do {
            r = read(p[0], &c, 1);
        } while (r < 0 && errno == EINTR);
        _exit(r == 1 ? 0 : 1);
    }
    close(p[0]);
    if (setsid() < 0) {
        fprintf(stderr, "setsid: %s\n", strerror(errno));
        _exit(1);
    }
    if ((pid = fork()) < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        _exit(1);
    }
    if (pid > 0)
        _exit(0);
    ready_fd = p[1];
    if (chdir("/") != 0) {
        snprintf(err, errlen, "chdir /: %s", strerror(errno));
        return -1;
    }
    to_null(STDIN_FILENO);
    to_null(STDOUT_FILENO);
    return 0;
}

void daemon_ready(void)
{
    ssize_t r;

    if (ready_fd < 0)
        return;
    /* stderr first: when the original process exits, the daemon is fully detached. */
    fflush(stderr);
    to_null(STDERR_FILENO);
    do {
        r = write(ready_fd, "R", 1);
    } while (r < 0 && errno == EINTR);
    close(ready_fd);
    ready_fd = -1;
}
