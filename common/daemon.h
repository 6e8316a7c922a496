/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Daemon helpers: pid file, privilege drop, signal flags, detaching from
 * the terminal. The clocks (clock_ms_mono, clock_ms_wall) come with this
 * header from common/clock.h.
 *
 * A daemon's start-up order: parse options and config; daemon_detach()
 * unless in the foreground; daemon_signals_init(); daemon_pidfile_write();
 * open sockets and files; daemon_drop_privileges(); daemon_ready(); loop
 * until daemon_stop_requested(), polling daemon_take_reload() and
 * daemon_take_stats(); daemon_pidfile_remove().
 */
#ifndef FSN_COMMON_DAEMON_H
#define FSN_COMMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/clock.h"

/*
 * Creates (or takes over) the pid file at `path`, writes our pid, and keeps
 * it open with an exclusive lock for the life of the process, so that a
 * second instance fails while a stale file from a crash does not block a
 * start. Returns 0, or -1 with a message in err (e.g. "PATH: already in
 * use by pid N").
 */
int daemon_pidfile_write(const char *path, char *err, size_t errlen);

/*
 * Removes the pid file and unlocks it. After a privilege drop the user may
 * not be allowed to remove it from its directory: it is then emptied, so
 * that it names no process. Returns 0 when removed, -1 when only emptied
 * (or not ours: nothing written).
 */
int daemon_pidfile_remove(const char *path);

/*
 * True when the pid file written by daemon_pidfile_write() can be removed
 * at exit by this process as it runs now (after daemon_drop_privileges():
 * its directory is writable by the user). True without a pid file.
 */
bool daemon_pidfile_removable(void);

/*
 * Checks that `user` exists and is not root, as daemon_drop_privileges()
 * will. Returns 0, or -1 with a message in err.
 */
int daemon_user_check(const char *user, char *err, size_t errlen);

/* Writes the directory part of `path` into dir ("." for a bare name, "/" for "/x"). */
void daemon_dir_of(const char *path, char *dir, size_t len);

/*
 * Checks that files can be made in the directory `path`: it is a directory,
 * on a file system mounted read-write, that `user` may write and search
 * (NULL: this process as it runs now; as root for another user, the mode
 * bits are checked against the user's uid and groups, ACLs are not). A
 * missing directory passes when the nearest of its `make` missing levels'
 * parent does (0: it must exist; 1: its parent must; -1: any ancestor, as
 * with mkdir -p), and that parent is then the one checked. Returns 0, or -1
 * with "PATH: reason" in err.
 */
int daemon_check_dir(const char *path, int make, const char *user, char *err, size_t errlen);

/*
 * Switches to `user` for good: supplementary groups (initgroups), gid, uid;
 * then checks that root cannot be regained. Refuses a user with uid 0.
 * Without root, succeeds only if already running as that user. Returns 0,
 * or -1 with a message in err.
 */
int daemon_drop_privileges(const char *user, char *err, size_t errlen);

/*
 * Installs the handlers: SIGTERM and SIGINT request a stop, SIGHUP a
 * reload, SIGUSR1 a statistics report; SIGPIPE is ignored. The handlers
 * only set flags (volatile sig_atomic_t) read by the getters below, and are
 * installed without SA_RESTART so that a blocking call returns EINTR and
 * the main loop gets to look at the flags. Returns 0 or -1 (errno set).
 */
int daemon_signals_init(void);

/* True once SIGTERM or SIGINT has arrived (or daemon_request_stop() was called). */
bool daemon_stop_requested(void);

/* Asks the main loop to stop, as SIGTERM does. */
void daemon_request_stop(void);

/* True if SIGHUP arrived since the last call (the flag is cleared). */
bool daemon_take_reload(void);

/* True if SIGUSR1 arrived since the last call (the flag is cleared). */
bool daemon_take_stats(void);

/*
 * Detaches from the terminal: forks twice (the daemon is not a session
 * leader and cannot regain a terminal), starts a new session, changes to
 * "/" (relative paths must be resolved before), points stdin and stdout at
 * /dev/null. Returns 0 in the daemon. The original process waits: it exits
 * 0 when the daemon calls daemon_ready(), or 1 if the daemon exits first,
 * so that a start-up error after detaching still fails the start. stderr
 * stays open until daemon_ready() so that such errors reach the terminal.
 * Returns -1 with a message in err if it cannot fork.
 */
int daemon_detach(char *err, size_t errlen);

/*
 * Tells the waiting original process that start-up succeeded and points
 * stderr at /dev/null. Does nothing when daemon_detach() was not called.
 */
void daemon_ready(void);

#endif
