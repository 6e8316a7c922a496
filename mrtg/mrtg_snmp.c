/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flowmrtg's SNMP side, on net-snmp's client library: one single session
 * (snmp_sess_*) to the agent, SNMPv2c or SNMPv3 (USM, RFC 3414), GETs of
 * a few scalars and GETBULK walks of table columns (RFC 3416 section 4.2.3).
 * Everything net-snmp stays in this file; the rest of flowmrtg sees
 * sub-identifiers as uint32_t and values as struct mrtg_value.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrtg/mrtg.h"

struct mrtg_snmp {
    void *sess;
    unsigned max_rep;
};

/* The longest OID a walk handles: a column and the longest index. */
#define OID_MAX (32 + FSN_MIB_INDEX_MAX)

static const uint32_t mib_root[] = {FSN_MIB_ROOT};
#define ROOT_LEN (sizeof mib_root / sizeof mib_root[0])

static void sess_error(void *sess, const char *what, char *err, size_t errlen)
{
    int liberr = 0, syserr = 0;
    char *msg = NULL;

    snmp_sess_error(sess, &liberr, &syserr, &msg);
    snprintf(err, errlen, "%s: %s", what, msg ? msg : "unknown SNMP error");
    free(msg);
}

/* Derives a USM key from a pass phrase (RFC 3414 section 2.6) into key[*keylen]. */
static int make_key(const oid *proto, size_t protolen, const char *pass, u_char *key,
                    size_t *keylen, const char *what, char *err, size_t errlen)
{
    if (strlen(pass) < 8) {
        snprintf(err, errlen, "the %s pass phrase must be at least 8 characters (RFC 3414)",
                 what);
        return -1;
    }
    if (generate_Ku(proto, (u_int)protolen, (const u_char *)pass, strlen(pass), key, keylen) !=
        SNMPERR_SUCCESS) {
        snprintf(err, errlen, "cannot derive the %s key from its pass phrase", what);
        return -1;
    }
    return 0;
}

static int setup_v3(netsnmp_session *ss, const struct mrtg_opts *o, char *err, size_t errlen)
{
    const char *level = o->level ? o->level : (o->priv_pass ? "authPriv" :
                                               o->auth_pass ? "authNoPriv" : "noAuthNoPriv");

    if (!o->user) {
        snprintf(err, errlen, "SNMPv3 needs a user name (-u)");
        return -1;
    }
    ss->version = SNMP_VERSION_3;
    ss->securityName = strdup(o->user);
    ss->securityNameLen = strlen(o->user);
    if (!ss->securityName) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (strcasecmp(level, "noAuthNoPriv") == 0 || strcmp(level, "1") == 0 ||
        strcasecmp(level, "nanp") == 0) {
        ss->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
        return 0;
    }
    if (strcasecmp(level, "authNoPriv") == 0 || strcmp(level, "2") == 0 ||
        strcasecmp(level, "anp") == 0)
        ss->securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
    else if (strcasecmp(level, "authPriv") == 0 || strcmp(level, "3") == 0 ||
             strcasecmp(level, "ap") == 0)
        ss->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
    else {
        snprintf(err, errlen, "-l %s: expected noAuthNoPriv, authNoPriv or authPriv", level);
        return -1;
    }

    const char *ap = o->auth_proto ? o->auth_proto : "SHA";
    if (strcasecmp(ap, "SHA") == 0 || strcasecmp(ap, "SHA1") == 0 ||
        strcasecmp(ap, "SHA-1") == 0) {
        ss->securityAuthProto = snmp_duplicate_objid(usmHMACSHA1AuthProtocol,
                                                     USM_AUTH_PROTO_SHA_LEN);
        ss->securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
#ifndef NETSNMP_DISABLE_MD5
    } else if (strcasecmp(ap, "MD5") == 0) {
        ss->securityAuthProto = snmp_duplicate_objid(usmHMACMD5AuthProtocol,
                                                     USM_AUTH_PROTO_MD5_LEN);
        ss->securityAuthProtoLen = USM_AUTH_PROTO_MD5_LEN;
#endif
    } else {
        snprintf(err, errlen, "-a %s: expected SHA or MD5 (what MRTG's Net::SNMP knows)", ap);
        return -1;
    }
    if (!o->auth_pass) {
        snprintf(err, errlen, "security level %s needs an authentication pass phrase (-A)",
                 level);
        return -1;
    }
    ss->securityAuthKeyLen = USM_AUTH_KU_LEN;
    if (make_key(ss->securityAuthProto, ss->securityAuthProtoLen, o->auth_pass,
                 ss->securityAuthKey, &ss->securityAuthKeyLen, "authentication", err,
                 errlen) != 0)
        return -1;
    if (ss->securityLevel != SNMP_SEC_LEVEL_AUTHPRIV)
        return 0;

    const char *pp = o->priv_proto ? o->priv_proto : "AES";
    if (strcasecmp(pp, "AES") == 0 || strcasecmp(pp, "AES128") == 0) {
        ss->securityPrivProto = snmp_duplicate_objid(usmAESPrivProtocol, USM_PRIV_PROTO_AES_LEN);
        ss->securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
#ifndef NETSNMP_DISABLE_DES
    } else if (strcasecmp(pp, "DES") == 0) {
        ss->securityPrivProto = snmp_duplicate_objid(usmDESPrivProtocol, USM_PRIV_PROTO_DES_LEN);
        ss->securityPrivProtoLen = USM_PRIV_PROTO_DES_LEN;
#endif
    } else {
        snprintf(err, errlen, "-x %s: expected AES or DES", pp);
        return -1;
    }
    if (!o->priv_pass) {
        snprintf(err, errlen, "security level authPriv needs a privacy pass phrase (-X)");
        return -1;
    }
    ss->securityPrivKeyLen = USM_PRIV_KU_LEN;
    /* The privacy key is derived with the authentication hash (RFC 3414 section 2.6). */
    return make_key(ss->securityAuthProto, ss->securityAuthProtoLen, o->priv_pass,
                    ss->securityPrivKey, &ss->securityPrivKeyLen, "privacy", err, errlen);
}

struct mrtg_snmp *mrtg_snmp_open(const struct mrtg_opts *o, char *err, size_t errlen)
{
    netsnmp_session ss;
    struct mrtg_snmp *s = NULL;
    char peer[300];

    /* Numeric OIDs only: no MIB files to read, nothing to write under /var/lib/snmp. */
    setenv("MIBS", "", 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    init_snmp("flowmrtg");

    snmp_sess_init(&ss);
    snprintf(peer, sizeof peer, o->host_v6 ? "udp6:[%s]:%u" : "udp:%s:%u", o->host,
             o->port ? o->port : 161);
    ss.peername = peer;
    ss.timeout = o->timeout_ms * 1000;
    ss.retries = o->retries;
    if (o->version == 3) {
        if (setup_v3(&ss, o, err, errlen) != 0)
            goto out;
    } else {
        ss.version = SNMP_VERSION_2c;
        ss.community = (u_char *)strdup(o->community);
        ss.community_len = strlen(o->community);
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    s->max_rep = o->max_rep;
    s->sess = snmp_sess_open(&ss);
    if (!s->sess) {
        int liberr = 0, syserr = 0;
        char *msg = NULL;

        snmp_error(&ss, &liberr, &syserr, &msg);
        snprintf(err, errlen, "%s: %s", peer, msg ? msg : "cannot open an SNMP session");
        free(msg);
        free(s);
        s = NULL;
    }
out:
    /* snmp_sess_open copied what it needs. */
    free(ss.community);
    free(ss.securityName);
    free(ss.securityAuthProto);
    free(ss.securityPrivProto);
    return s;
}

void mrtg_snmp_close(struct mrtg_snmp *s)
{
    if (!s)
        return;
    snmp_sess_close(s->sess);
    free(s);
    snmp_shutdown("flowmrtg");
}

/* Copies a string varbind into out[len], NUL-terminated, control bytes as '?'. */
static void copy_text(const netsnmp_variable_list *v, char *out, size_t len)
{
    size_t n = 0;

    if (v->type == ASN_OCTET_STR)
        for (; n < v->val_len && n + 1 < len; n++)
            out[n] = (v->val.string[n] < 0x20 || v->val.string[n] == 0x7f) ? '?' :
                     (char)v->val.string[n];
    out[n] = '\0';
}

int mrtg_snmp_agent(struct mrtg_snmp *s, struct mrtg_agent *a, char *err, size_t errlen)
{
    static const oid sys[] = {1, 3, 6, 1, 2, 1, 1, 0, 0};
    oid name[OID_MAX];
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET), *resp = NULL;
    netsnmp_variable_list *v;
    /* sysDescr, sysContact, sysName, sysLocation; then the MIB's two scalars. */
    static const unsigned sys_ids[] = {1, 4, 5, 6};
    char *dst[] = {a->sys_descr, a->sys_contact, a->sys_name, a->sys_location};
    int ret = -1, status, i;

    memset(a, 0, sizeof *a);
    if (!pdu) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < 4; i++) {
        memcpy(name, sys, sizeof sys);
        name[7] = sys_ids[i];
        snmp_add_null_var(pdu, name, 9);
    }
    for (i = 0; i < (int)ROOT_LEN; i++)
        name[i] = mib_root[i];
    name[ROOT_LEN] = FSN_MIB_OBJECTS;
    name[ROOT_LEN + 1] = FSN_MIB_SCALARS;
    name[ROOT_LEN + 3] = 0;
    name[ROOT_LEN + 2] = FSN_MIB_SOFTWARE_VERSION;
    snmp_add_null_var(pdu, name, ROOT_LEN + 4);
    name[ROOT_LEN + 2] = FSN_MIB_HOST_ROWS;
    snmp_add_null_var(pdu, name, ROOT_LEN + 4);

    status = snmp_sess_synch_response(s->sess, pdu, &resp);
    if (status != STAT_SUCCESS) {
        sess_error(s->sess, "no answer from the agent", err, errlen);
        goto out;
    }
    if (resp->errstat != SNMP_ERR_NOERROR) {
        snprintf(err, errlen, "the agent answered: %s", snmp_errstring((int)resp->errstat));
        goto out;
    }
    for (i = 0, v = resp->variables; v; v = v->next_variable, i++) {
        if (i < 4)
            copy_text(v, dst[i], sizeof a->sys_descr);
        else if (i == 4) {
            if (v->type != ASN_OCTET_STR) {
                snprintf(err, errlen, "the agent does not serve FLOWSNMP-MIB "
                         "(flowSoftwareVersion.0 missing: is flowagentx running, and does "
                         "snmpd's view include 1.3.6.1.4.1.8072.9999.9999.4242?)");
                goto out;
            }
            copy_text(v, a->software, sizeof a->software);
        } else if (i == 5 && (v->type == ASN_GAUGE || v->type == ASN_UNSIGNED))
            a->host_rows = *v->val.integer;
    }
    if (i != 6) {
        snprintf(err, errlen, "the agent's answer has %d values, not 6", i);
        goto out;
    }
    ret = 0;
out:
    if (resp)
        snmp_free_pdu(resp);
    return ret;
}

/* True when name[0..len) lies strictly under prefix[0..plen). */
static bool under(const oid *name, size_t len, const oid *prefix, size_t plen)
{
    return len > plen && snmp_oid_compare(name, plen, prefix, plen) == 0;
}

int mrtg_snmp_walk(struct mrtg_snmp *s, const struct mrtg_walk *w, mrtg_walk_fn fn, void *arg,
                   unsigned long *requests, char *err, size_t errlen)
{
    enum { MAXCOLS = 8 };
    oid col[MAXCOLS][OID_MAX], cur[MAXCOLS][OID_MAX];
    /* A column's OID is collen long; the walk stays under its first sublen sub-ids. */
    size_t curlen[MAXCOLS], collen = w->entrylen + 1, sublen = collen + w->underlen;
    size_t ncols = w->ncols;
    bool done[MAXCOLS];
    size_t active[MAXCOLS];
    uint32_t idx[OID_MAX];
    int ret = -1;

    if (ncols == 0 || ncols > MAXCOLS || sublen >= OID_MAX) {
        snprintf(err, errlen, "internal: bad walk request");
        return -1;
    }
    for (size_t c = 0; c < ncols; c++) {
        for (size_t i = 0; i < w->entrylen; i++)
            col[c][i] = w->entry[i];
        col[c][w->entrylen] = w->cols[c];
        for (size_t i = 0; i < w->underlen; i++)
            col[c][collen + i] = w->under[i];
        memcpy(cur[c], col[c], sublen * sizeof(oid));
        curlen[c] = sublen;
        done[c] = false;
    }
    for (;;) {
        netsnmp_pdu *pdu, *resp = NULL;
        netsnmp_variable_list *v;
        size_t nactive = 0, k = 0;
        int status;

        for (size_t c = 0; c < ncols; c++)
            if (!done[c])
                active[nactive++] = c;
        if (nactive == 0)
            return 0;
        pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
        if (!pdu) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        pdu->non_repeaters = 0;
        /* Share the repetitions among the columns, so a request's size stays the same. */
        pdu->max_repetitions = (long)(s->max_rep / nactive ? s->max_rep / nactive : 1);
        for (size_t i = 0; i < nactive; i++)
            snmp_add_null_var(pdu, cur[active[i]], curlen[active[i]]);
        status = snmp_sess_synch_response(s->sess, pdu, &resp);
        (*requests)++;
        if (status != STAT_SUCCESS) {
            sess_error(s->sess, "walk: no answer from the agent", err, errlen);
            if (resp)
                snmp_free_pdu(resp);
            return -1;
        }
        if (resp->errstat != SNMP_ERR_NOERROR) {
            snprintf(err, errlen, "walk: the agent answered %s",
                     snmp_errstring((int)resp->errstat));
            snmp_free_pdu(resp);
            return -1;
        }
        /* Varbinds come repetition by repetition: the active columns in turn. */
        bool progress = false;
        for (v = resp->variables; v; v = v->next_variable, k++) {
            size_t c = active[k % nactive];
            struct mrtg_value val = {0};

            if (done[c])
                continue;
            if (v->type == SNMP_ENDOFMIBVIEW || !under(v->name, v->name_length, col[c], sublen)) {
                done[c] = true;
                continue;
            }
            if (v->name_length >= OID_MAX || v->name_length - collen > FSN_MIB_INDEX_MAX) {
                snprintf(err, errlen, "walk: an index longer than the MIB allows");
                goto fail;
            }
            if (snmp_oid_compare(v->name, v->name_length, cur[c], curlen[c]) <= 0) {
                snprintf(err, errlen, "walk: the agent returned OIDs out of order");
                goto fail;
            }
            memcpy(cur[c], v->name, v->name_length * sizeof(oid));
            curlen[c] = v->name_length;
            progress = true;
            for (size_t i = collen; i < v->name_length; i++) {
                if (v->name[i] > UINT32_MAX) {
                    snprintf(err, errlen, "walk: a sub-identifier beyond 32 bits");
                    goto fail;
                }
                idx[i - collen] = (uint32_t)v->name[i];
            }
            switch (v->type) {
            case ASN_COUNTER64:
                val.u64 = ((uint64_t)v->val.counter64->high << 32) | v->val.counter64->low;
                break;
            case ASN_INTEGER:
                if (*v->val.integer < 0)
                    continue;
                val.u64 = (uint64_t)*v->val.integer;
                break;
            case ASN_COUNTER:
            case ASN_GAUGE:
            case ASN_TIMETICKS:
                val.u64 = (uint64_t)(unsigned long)*v->val.integer;
                break;
            case ASN_OCTET_STR:
                val.is_str = true;
                val.str = (const char *)v->val.string;
                val.str_len = v->val_len;
                break;
            default:
                continue; /* noSuchInstance etc.: a row that went away */
            }
            ret = fn(arg, c, idx, v->name_length - collen, &val);
            if (ret != 0) {
                snmp_free_pdu(resp);
                return ret;
            }
        }
        snmp_free_pdu(resp);
        if (!progress)
            for (size_t i = 0; i < nactive; i++)
                done[active[i]] = true;
        continue;
    fail:
        snmp_free_pdu(resp);
        return -1;
    }
}
