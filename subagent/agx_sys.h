/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Process plumbing for flowagentx: detaching into the background, the pid
 * file, and giving up root for an unprivileged user.
 */
#ifndef AGX_SYS_H
#define AGX_SYS_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Forks into the background, starts a new session, changes to / and points
 * stdin, stdout and stderr at /dev/null. Returns in the child only; 0, or
 * -1 with errno set (then nothing happened).
 */
int agx_daemonize(void);

/*
 * Writes the calling process's pid into path (created 0644, replaced when
 * it exists). Returns 0 or -1 with errno set.
 */
int agx_pidfile_write(const char *path);

/*
 * Looks up user (a name or a numeric uid) and its primary group. Returns
 * 0, or -1 when there is no such user.
 */
int agx_user_lookup(const char *user, uid_t *uid, gid_t *gid);

/*
 * Switches to uid/gid for good (supplementary groups dropped, then gid,
 * then uid) and checks that root cannot be regained. Returns 0 or -1 with
 * errno set.
 */
int agx_drop_privileges(uid_t uid, gid_t gid);

#endif
