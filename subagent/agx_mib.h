/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * FLOWSNMP-MIB served through net-snmp's agent library: one handler per
 * table (and one for the scalars, handled as a one-row table with index 0),
 * each answering GET and GETNEXT from a sorted index of the state file's
 * rows by binary search. Values are read from the mapping at request time
 * through the seqlock; the subagent holds no counters of its own.
 */
#ifndef AGX_MIB_H
#define AGX_MIB_H

#include "subagent/agx_state.h"

/*
 * Registers the scalars and the four tables with the agent library, all
 * reading from st (which the caller keeps alive until agx_mib_fini).
 * Call after init_agent() and before init_snmp(). Returns 0 or -1.
 */
int agx_mib_init(struct agx_state *st);

/*
 * Looks at the state file again if it was not looked at for most of a
 * second (for a timer), guarded like the request handlers against SIGBUS
 * from a file truncated under the mapping.
 */
void agx_mib_tick(struct agx_state *st);

/* Logs what is served (SIGUSR1): the state file and the rows of each table. */
void agx_mib_log_stats(void);

/* Frees the indexes; call after snmp_shutdown(), which drops the registrations. */
void agx_mib_fini(void);

#endif
