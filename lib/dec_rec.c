/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * v9 and IPFIX data records: reading each field of a template into an
 * accumulator, then building struct fsn_flow records (one, or two for an
 * RFC 5103 biflow) or applying options data (sampling, system init time).
 * The element numbers are IANA's IPFIX registry (RFC 7012), which v9 field
 * types 1..79 share (RFC 3954 §8). docs/decoding.md lists the mapping.
 * What each field does is decided once per template (fsn__field_plan,
 * fsn__plan_build); records are then read by a plan, at fixed offsets, or
 * walked field by field (docs/decoding.md, "How records are decoded").
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dec_int.h"
#include "lib/error.h"

/* Seconds from the NTP era (1900) to the Unix epoch (RFC 7011 §6.1.9). */
#define NTP_UNIX_OFFSET 2208988800u

/* Counters, in the order of preference for octets/packets. */
enum cnt { C_OCT, C_PKT, C_OCT_TOT, C_PKT_TOT, C_OCT_POST, C_PKT_POST, C_OCT_INIT, C_PKT_INIT, NCNT };

/*
 * Time stamps, in the order of preference; all but T_SYSUP are held as Unix
 * ms. T_OBS (observationTime*, 322..325, as firewalls send for events) is
 * only used when nothing else is there, as both start and end.
 */
enum tm { T_MS, T_NS, T_US, T_SEC, T_DELTA, T_SYSUP, T_OBS, NTM };

/* Integer-valued elements that are kept (index into acc.v, bit in acc.have). */
enum item {
    I_SPORT, I_DPORT, I_PROTO, I_TOS, I_IN, I_OUT, I_IN_PHYS, I_OUT_PHYS, I_VLAN, I_DOT1Q,
    I_SAS, I_DAS, I_SMASK4, I_DMASK4, I_SMASK6, I_DMASK6, I_ICMP4, I_ICMP6, I_ICMPT4, I_ICMPC4,
    I_ICMPT6, I_ICMPC6, I_END, I_SAMPLER, I_SELECTOR, I_INTERVAL, I_RINTERVAL, I_PINTERVAL,
    I_PSPACE, I_SSIZE, I_SPOP, I_SYSINIT, NITEM
};

/* Addresses (index into acc.addr, bit in acc.have_addr). */
enum addr { A_SRC4, A_DST4, A_NH4, A_BNH4, A_SRC6, A_DST6, A_NH6, A_BNH6, NADDR };

/*
 * Value slots of the accumulator: the items, then for each direction
 * (index 1: RFC 5103 reverse elements) the counters, start and end times,
 * the duration and the TCP flags. Slot s is present when bit s of
 * acc.have is set; a slot's value is read only then, so only the bits are
 * cleared per record.
 */
#define DIR_SLOTS (NCNT + 2 * NTM + 2)
#define DSLOT(d, o) ((unsigned)NITEM + (unsigned)(d) * DIR_SLOTS + (o))
#define CNT(d, c) DSLOT(d, (unsigned)(c))
#define START(d, k) DSLOT(d, NCNT + (unsigned)(k))
#define END(d, k) DSLOT(d, NCNT + NTM + (unsigned)(k))
#define DUR(d) DSLOT(d, NCNT + 2 * NTM)
#define FLAGS(d) DSLOT(d, NCNT + 2 * NTM + 1)
#define NSLOT (NITEM + 2 * DIR_SLOTS)

_Static_assert(NSLOT <= 128, "two 64-bit presence words");

struct acc {
    uint64_t have[2];
    uint32_t have_addr;
    uint64_t v[NSLOT];
    uint8_t addr[NADDR][16];
};

/*
 * How a field's value is read (fsn__dec_field.kind). Each kind fixes the
 * lengths it accepts (len_ok); a value of another length is skipped, as
 * its element would be unreadable.
 */
enum kind {
    K_SKIP,   /* not used: other enterprises, v9 scope, unknown elements */
    K_UINT,   /* unsigned integer of 1..8 bytes (RFC 7011 §6.2), kept as is */
    K_SEC,    /* dateTimeSeconds: to Unix ms */
    K_NTP,    /* dateTimeMicro/Nanoseconds: NTP stamp (RFC 7011 §6.1.9), to Unix ms */
    K_DELTA,  /* flowStart/EndDeltaMicroseconds: before the export time (IE 158/159) */
    K_DUR_US, /* flowDurationMicroseconds: to ms */
    K_ADDR4,  /* IPv4 address, exactly 4 bytes */
    K_ADDR16, /* IPv6 address, exactly 16 bytes */
};

static bool len_ok(unsigned kind, size_t len)
{
    switch (kind) {
    case K_UINT:
    case K_SEC:
    case K_DELTA:
    case K_DUR_US: return len >= 1 && len <= 8;
    case K_NTP: return len == 8;
    case K_ADDR4: return len == 4;
    case K_ADDR16: return len == 16;
    default: return false;
    }
}

/* Elements that exist in both directions of a biflow: counters, flags, times. */
static bool dir_plan(uint16_t ie, int d, unsigned *kind, unsigned *slot)
{
    unsigned k = K_UINT, s;

    switch (ie) {
    case 1: s = CNT(d, C_OCT); break;        /* octetDeltaCount / IN_BYTES */
    case 2: s = CNT(d, C_PKT); break;        /* packetDeltaCount / IN_PKTS */
    case 85: s = CNT(d, C_OCT_TOT); break;   /* octetTotalCount */
    case 86: s = CNT(d, C_PKT_TOT); break;   /* packetTotalCount */
    case 23: s = CNT(d, C_OCT_POST); break;  /* postOctetDeltaCount / OUT_BYTES */
    case 24: s = CNT(d, C_PKT_POST); break;  /* postPacketDeltaCount / OUT_PKTS */
    case 231: s = CNT(d, C_OCT_INIT); break; /* initiatorOctets (ASA: forward bytes) */
    case 298: s = CNT(d, C_PKT_INIT); break; /* initiatorPackets */
    case 6: s = FLAGS(d); break;             /* tcpControlBits: 1 or 2 bytes */
    case 150: k = K_SEC, s = START(d, T_SEC); break; /* flowStartSeconds */
    case 151: k = K_SEC, s = END(d, T_SEC); break;
    case 152: s = START(d, T_MS); break; /* flowStartMilliseconds */
    case 153: s = END(d, T_MS); break;
    case 154: k = K_NTP, s = START(d, T_US); break; /* ...Microseconds */
    case 155: k = K_NTP, s = END(d, T_US); break;
    case 156: k = K_NTP, s = START(d, T_NS); break; /* ...Nanoseconds */
    case 157: k = K_NTP, s = END(d, T_NS); break;
    case 158: k = K_DELTA, s = START(d, T_DELTA); break;
    case 159: k = K_DELTA, s = END(d, T_DELTA); break;
    case 22: s = START(d, T_SYSUP); break; /* FIRST_SWITCHED: sysUpTime ms, kept raw */
    case 21: s = END(d, T_SYSUP); break;   /* LAST_SWITCHED */
    case 322: k = K_SEC, s = START(d, T_OBS); break; /* observationTimeSeconds */
    case 323: s = START(d, T_OBS); break;
    case 324: k = K_NTP, s = START(d, T_OBS); break;
    case 325: k = K_NTP, s = START(d, T_OBS); break;
    case 161: s = DUR(d); break;                /* flowDurationMilliseconds */
    case 162: k = K_DUR_US, s = DUR(d); break; /* flowDurationMicroseconds */
    default: return false;
    }
    *kind = k;
    *slot = s;
    return true;
}

/* The forward-only elements: the key, interfaces, AS, masks, ICMP, sampling. */
static bool fwd_plan(uint16_t ie, unsigned *kind, unsigned *slot)
{
    unsigned k = K_UINT, s;

    switch (ie) {
    case 232: s = CNT(1, C_OCT_INIT); break; /* responderOctets: the reverse */
    case 299: s = CNT(1, C_PKT_INIT); break; /* responderPackets */
    case 8: k = K_ADDR4, s = A_SRC4; break;
    case 12: k = K_ADDR4, s = A_DST4; break;
    case 15: k = K_ADDR4, s = A_NH4; break;
    case 18: k = K_ADDR4, s = A_BNH4; break;
    case 27: k = K_ADDR16, s = A_SRC6; break;
    case 28: k = K_ADDR16, s = A_DST6; break;
    case 62: k = K_ADDR16, s = A_NH6; break;
    case 63: k = K_ADDR16, s = A_BNH6; break;
    case 7: s = I_SPORT; break;
    case 11: s = I_DPORT; break;
    case 4: s = I_PROTO; break;
    case 5: s = I_TOS; break;
    case 10: s = I_IN; break;
    case 14: s = I_OUT; break;
    case 252: s = I_IN_PHYS; break;
    case 253: s = I_OUT_PHYS; break;
    case 58: s = I_VLAN; break;  /* vlanId / SRC_VLAN */
    case 243: s = I_DOT1Q; break; /* dot1qVlanId */
    case 16: s = I_SAS; break;
    case 17: s = I_DAS; break;
    case 9: s = I_SMASK4; break;
    case 13: s = I_DMASK4; break;
    case 29: s = I_SMASK6; break;
    case 30: s = I_DMASK6; break;
    case 32: s = I_ICMP4; break;  /* icmpTypeCodeIPv4 */
    case 139: s = I_ICMP6; break; /* icmpTypeCodeIPv6 */
    case 176: s = I_ICMPT4; break;
    case 177: s = I_ICMPC4; break;
    case 178: s = I_ICMPT6; break;
    case 179: s = I_ICMPC6; break;
    case 136: s = I_END; break;
    case 48: s = I_SAMPLER; break;    /* FLOW_SAMPLER_ID / samplerId */
    case 302: s = I_SELECTOR; break;  /* selectorId */
    case 34: s = I_INTERVAL; break;   /* samplingInterval */
    case 50: s = I_RINTERVAL; break;  /* samplerRandomInterval */
    case 305: s = I_PINTERVAL; break; /* samplingPacketInterval */
    case 306: s = I_PSPACE; break;    /* samplingPacketSpace */
    case 309: s = I_SSIZE; break;     /* samplingSize */
    case 310: s = I_SPOP; break;      /* samplingPopulation */
    case 160: s = I_SYSINIT; break;   /* systemInitTimeMilliseconds */
    default: return false;
    }
    *kind = k;
    *slot = s;
    return true;
}

void fsn__field_plan(struct fsn__dec_field *f, uint8_t version, bool scope)
{
    unsigned kind = K_SKIP, slot = 0;
    bool ok = false;

    /* v9 scope fields hold scope types (RFC 3954 §6.1), not field types. */
    if (version != FSN_DEC_IPFIX && scope)
        ok = false;
    else if (f->pen == FSN__PEN_REVERSE)
        ok = dir_plan(f->ie, 1, &kind, &slot);
    else if (f->pen == 0)
        ok = dir_plan(f->ie, 0, &kind, &slot) || fwd_plan(f->ie, &kind, &slot);
    /* Other enterprises' elements are skipped by length. */
    if (!ok)
        kind = K_SKIP, slot = 0;
    /* A fixed length that the kind cannot read: the value is skipped for good. */
    else if (!(version == FSN_DEC_IPFIX && f->len == FSN__VARLEN) && !len_ok(kind, f->len))
        kind = K_SKIP, slot = 0;
    f->kind = (uint8_t)kind;
    f->slot = (uint8_t)slot;
}

/* A big-endian unsigned integer of 1..8 bytes (reduced-size encoding, RFC 7011 §6.2). */
static inline uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    switch (n) {
    case 1: return p[0];
    case 2: return fsn_load16(p);
    case 4: return fsn_load32(p);
    case 8: return (uint64_t)fsn_load32(p) << 32 | fsn_load32(p + 4);
    default:
        for (size_t i = 0; i < n; i++)
            v = v << 8 | p[i];
        return v;
    }
}

static inline void put(struct acc *a, unsigned slot, uint64_t v)
{
    a->v[slot] = v;
    a->have[slot >> 6] |= 1ull << (slot & 63);
}

/*
 * Stores the value at p[0..len) in the accumulator; len_ok(kind, len)
 * holds (the template or the walk checked it).
 */
static inline void apply(const struct fsn__dec_ctx *x, struct acc *a, unsigned kind, unsigned slot,
                         const uint8_t *p, size_t len)
{
    uint64_t v;

    switch (kind) {
    case K_UINT: put(a, slot, load_be(p, len)); break;
    case K_SEC: put(a, slot, load_be(p, len) * 1000); break;
    case K_NTP: {
        uint64_t sec = fsn_load32(p), frac = fsn_load32(p + 4);
        if (sec >= NTP_UNIX_OFFSET)
            put(a, slot, (sec - NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32));
        break;
    }
    case K_DELTA:
        v = load_be(p, len) / 1000;
        put(a, slot, x->hdr.export_ms > v ? x->hdr.export_ms - v : 0);
        break;
    case K_DUR_US: put(a, slot, load_be(p, len) / 1000); break;
    case K_ADDR4:
        memcpy(a->addr[slot], p, 4);
        a->have_addr |= 1u << slot;
        break;
    case K_ADDR16:
        memcpy(a->addr[slot], p, 16);
        a->have_addr |= 1u << slot;
        break;
    default: break;
    }
}

static inline void acc_init(struct acc *a)
{
    a->have[0] = a->have[1] = 0;
    a->have_addr = 0;
}

static inline bool hasv(const struct acc *a, unsigned slot)
{
    return (a->have[slot >> 6] >> (slot & 63)) & 1;
}

/*
 * A plan: the fields of a fixed-length template sorted into groups that
 * are decoded each by a loop of its own, without a branch per field. The
 * integers are loaded by width first; the time and duration kinds then
 * convert their loaded slot in place. Every field but an NTP stamp (whose
 * value may be out of range) always stores, so the presence bits are the
 * template's own. A template qualifies when no two fields fill the same
 * slot: then the order in which the groups run cannot change the result.
 */
enum group { G_U8, G_U16, G_U32, G_U64, G_UN, G_A4, G_A16, G_NTP, G_SEC, G_DELTA, G_DUR, NGROUP };

struct plan_op {
    uint16_t off;
    uint8_t slot;
    uint8_t len;
};

struct fsn__dec_plan {
    uint64_t have[2];
    uint32_t have_addr;
    uint16_t n[NGROUP];
    uint16_t nops;
    struct plan_op op[];
};

/* At most two ops per field: FSN__PLAN_MAX holds. */
_Static_assert(sizeof(struct fsn__dec_plan) <= 48 && sizeof(struct plan_op) == 4, "FSN__PLAN_MAX");

size_t fsn__plan_bytes(const struct fsn__dec_tmpl *t)
{
    return t->plan ? sizeof *t->plan + t->plan->nops * sizeof t->plan->op[0] : 0;
}

/* The group that loads a field of `kind` and `len`, and the group that converts it after. */
static void groups_of(unsigned kind, uint16_t len, int *load, int *conv)
{
    *conv = -1;
    switch (kind) {
    case K_ADDR4: *load = G_A4; return;
    case K_ADDR16: *load = G_A16; return;
    case K_NTP: *load = G_NTP; return;
    case K_SEC: *conv = G_SEC; break;
    case K_DELTA: *conv = G_DELTA; break;
    case K_DUR_US: *conv = G_DUR; break;
    default: break;
    }
    *load = len == 1 ? G_U8 : len == 2 ? G_U16 : len == 4 ? G_U32 : len == 8 ? G_U64 : G_UN;
}

void fsn__plan_build(struct fsn__dec_tmpl *t)
{
    struct fsn__dec_plan *pl;
    uint64_t seen[2] = {0, 0};
    uint32_t seen_addr = 0;
    size_t nops = 0, at[NGROUP];
    int load, conv;

    t->plan = NULL;
    if (t->varlen || t->min_len > UINT16_MAX)
        return;
    for (size_t i = 0; i < t->nfields; i++) {
        const struct fsn__dec_field *f = &t->f[i];
        if (f->kind == K_SKIP)
            continue;
        if (f->kind == K_ADDR4 || f->kind == K_ADDR16) {
            if (seen_addr & (1u << f->slot))
                return;
            seen_addr |= 1u << f->slot;
        } else {
            if ((seen[f->slot >> 6] >> (f->slot & 63)) & 1)
                return;
            seen[f->slot >> 6] |= 1ull << (f->slot & 63);
        }
        groups_of(f->kind, f->len, &load, &conv);
        nops += conv >= 0 ? 2 : 1;
    }
    if (!(pl = calloc(1, sizeof *pl + nops * sizeof pl->op[0])))
        return;
    pl->nops = (uint16_t)nops;
    for (size_t i = 0; i < t->nfields; i++) {
        const struct fsn__dec_field *f = &t->f[i];
        if (f->kind == K_SKIP)
            continue;
        groups_of(f->kind, f->len, &load, &conv);
        pl->n[load]++;
        if (conv >= 0)
            pl->n[conv]++;
        if (f->kind == K_ADDR4 || f->kind == K_ADDR16)
            pl->have_addr |= 1u << f->slot;
        else if (f->kind != K_NTP)
            pl->have[f->slot >> 6] |= 1ull << (f->slot & 63);
    }
    at[0] = 0;
    for (int g = 1; g < NGROUP; g++)
        at[g] = at[g - 1] + pl->n[g - 1];
    for (size_t i = 0; i < t->nfields; i++) {
        const struct fsn__dec_field *f = &t->f[i];
        struct plan_op op = {f->off, f->slot, (uint8_t)(f->len > 255 ? 0 : f->len)};
        if (f->kind == K_SKIP)
            continue;
        groups_of(f->kind, f->len, &load, &conv);
        pl->op[at[load]++] = op;
        if (conv >= 0)
            pl->op[at[conv]++] = op;
    }
    t->plan = pl;
}

/* Decodes one record at p by the plan (the caller checked that it is all there). */
static inline void plan_run(const struct fsn__dec_ctx *x, const struct fsn__dec_plan *pl,
                            const uint8_t *p, struct acc *a)
{
    const struct plan_op *o = pl->op, *e;

    a->have[0] = pl->have[0];
    a->have[1] = pl->have[1];
    a->have_addr = pl->have_addr;
    for (e = o + pl->n[G_U8]; o < e; o++)
        a->v[o->slot] = p[o->off];
    for (e = o + pl->n[G_U16]; o < e; o++)
        a->v[o->slot] = fsn_load16(p + o->off);
    for (e = o + pl->n[G_U32]; o < e; o++)
        a->v[o->slot] = fsn_load32(p + o->off);
    for (e = o + pl->n[G_U64]; o < e; o++)
        a->v[o->slot] = (uint64_t)fsn_load32(p + o->off) << 32 | fsn_load32(p + o->off + 4);
    for (e = o + pl->n[G_UN]; o < e; o++)
        a->v[o->slot] = load_be(p + o->off, o->len);
    for (e = o + pl->n[G_A4]; o < e; o++)
        memcpy(a->addr[o->slot], p + o->off, 4);
    for (e = o + pl->n[G_A16]; o < e; o++)
        memcpy(a->addr[o->slot], p + o->off, 16);
    for (e = o + pl->n[G_NTP]; o < e; o++)
        apply(x, a, K_NTP, o->slot, p + o->off, 8);
    for (e = o + pl->n[G_SEC]; o < e; o++)
        a->v[o->slot] *= 1000;
    for (e = o + pl->n[G_DELTA]; o < e; o++) {
        uint64_t v = a->v[o->slot] / 1000;
        a->v[o->slot] = x->hdr.export_ms > v ? x->hdr.export_ms - v : 0;
    }
    for (e = o + pl->n[G_DUR]; o < e; o++)
        a->v[o->slot] /= 1000;
}

/* The n (< 32) presence bits from slot `slot` on, as an integer. */
static inline unsigned bits(const struct acc *a, unsigned slot, unsigned n)
{
    uint64_t w = slot >= 64 ? a->have[1] >> (slot - 64)
                 : slot ? a->have[0] >> slot | a->have[1] << (64 - slot)
                        : a->have[0];

    return (unsigned)(w & ((1u << n) - 1));
}

static bool has(const struct acc *a, enum item i)
{
    return hasv(a, (unsigned)i);
}

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/*
 * The 1:N interval a record states, 0 when none, in this order:
 * samplingInterval (34), samplerRandomInterval (50), samplingPopulation
 * over samplingSize (309/310, n-out-of-N), samplingPacketInterval with
 * samplingPacketSpace (305/306, RFC 5477: N = (interval + space) /
 * interval), and samplingPacketInterval alone when above 1 (some exporters
 * put N there; 1 alone only says one packet is taken at a time).
 */
static uint32_t interval_of(const struct acc *a)
{
    if (has(a, I_INTERVAL) && a->v[I_INTERVAL])
        return clamp32(a->v[I_INTERVAL]);
    if (has(a, I_RINTERVAL) && a->v[I_RINTERVAL])
        return clamp32(a->v[I_RINTERVAL]);
    if (has(a, I_SSIZE) && has(a, I_SPOP) && a->v[I_SSIZE] && a->v[I_SPOP] >= a->v[I_SSIZE])
        return clamp32(a->v[I_SPOP] / a->v[I_SSIZE]);
    if (has(a, I_PINTERVAL) && a->v[I_PINTERVAL]) {
        if (has(a, I_PSPACE) && a->v[I_PSPACE] <= UINT32_MAX)
            return clamp32((a->v[I_PINTERVAL] + a->v[I_PSPACE]) / a->v[I_PINTERVAL]);
        if (a->v[I_PINTERVAL] > 1)
            return clamp32(a->v[I_PINTERVAL]);
    }
    return 0;
}

static bool sampler_id(const struct acc *a, uint64_t *id)
{
    if (has(a, I_SAMPLER)) {
        *id = a->v[I_SAMPLER];
        return true;
    }
    if (has(a, I_SELECTOR)) {
        *id = a->v[I_SELECTOR];
        return true;
    }
    return false;
}

/* Options data (RFC 3954 §6.2, RFC 7011 §3.4.2): learn sampling and the system init time. */
static void options_apply(struct fsn__dec_ctx *x, const struct acc *a)
{
    struct fsn_dec_session *s = x->s;
    uint32_t interval = interval_of(a);
    uint64_t id;

    s->c.options_records++;
    if (has(a, I_SYSINIT)) {
        s->sys_init_ms = a->v[I_SYSINIT];
        s->has_sys_init = true;
    }
    if (!interval)
        return;
    if (!sampler_id(a, &id)) {
        s->sampling = interval;
        return;
    }
    /* Keep the table in update order: remove the id (or the oldest when full), append. */
    for (size_t i = 0; i < s->nsamplers; i++) {
        if (s->samplers[i].id == id) {
            memmove(&s->samplers[i], &s->samplers[i + 1],
                    (s->nsamplers - i - 1) * sizeof s->samplers[0]);
            s->nsamplers--;
            break;
        }
    }
    if (s->nsamplers == FSN__MAX_SAMPLERS) {
        memmove(&s->samplers[0], &s->samplers[1], (s->nsamplers - 1) * sizeof s->samplers[0]);
        s->nsamplers--;
    }
    s->samplers[s->nsamplers].id = id;
    s->samplers[s->nsamplers].interval = interval;
    s->nsamplers++;
}

/*
 * The interval for a data record: its own sampling elements; else the
 * sampler it names; else the interval of options data without a sampler id;
 * else the sampler announced last (an exporter with one sampler often does
 * not name it in its data); else 1.
 */
static uint32_t record_sampling(const struct fsn_dec_session *s, const struct acc *a)
{
    uint32_t interval = interval_of(a);
    uint64_t id;

    if (interval)
        return interval;
    if (sampler_id(a, &id)) {
        for (size_t i = 0; i < s->nsamplers; i++)
            if (s->samplers[i].id == id)
                return s->samplers[i].interval;
    }
    if (s->sampling)
        return s->sampling;
    if (s->nsamplers)
        return s->samplers[s->nsamplers - 1].interval;
    return 1;
}

/* The first counter present among the preferences, or 0. */
static uint64_t pick(const struct acc *a, int d, const enum cnt *pref, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (hasv(a, CNT(d, pref[i])))
            return a->v[CNT(d, pref[i])];
    return 0;
}

static const enum cnt OCT_PREF[] = {C_OCT, C_OCT_TOT, C_OCT_POST, C_OCT_INIT};
static const enum cnt PKT_PREF[] = {C_PKT, C_PKT_TOT, C_PKT_POST, C_PKT_INIT};

/*
 * Flow start and end of one direction, in Unix ms. Absolute stamps first
 * (ms, ns, us, s), then deltas before the export time, then sysUpTime
 * stamps: for v9 relative to the header's sysUptime; for IPFIX relative to
 * systemInitTimeMilliseconds from the record or from options data, or,
 * when neither came, anchored so that the latest stamp is the export time.
 * A duration fills in a missing end; a lone stamp is both; no stamp at all
 * gives the export time. Returns false when the direction had no stamp.
 */
static bool dir_times(const struct fsn__dec_ctx *x, const struct acc *a, int d,
                      uint64_t *first, uint64_t *last)
{
    bool hs = false, he = false;
    uint64_t s = 0, e = 0;
    unsigned sb = bits(a, START(d, 0), T_SYSUP), eb = bits(a, END(d, 0), T_SYSUP);

    /* The first absolute or delta stamp present, by preference (the enum's order). */
    if (sb) {
        s = a->v[START(d, (unsigned)__builtin_ctz(sb))];
        hs = true;
    }
    if (eb) {
        e = a->v[END(d, (unsigned)__builtin_ctz(eb))];
        he = true;
    }
    if ((!hs && hasv(a, START(d, T_SYSUP))) || (!he && hasv(a, END(d, T_SYSUP)))) {
        bool ss = !hs && hasv(a, START(d, T_SYSUP));
        bool es = !he && hasv(a, END(d, T_SYSUP));
        uint64_t su = ss ? a->v[START(d, T_SYSUP)] : 0, eu = es ? a->v[END(d, T_SYSUP)] : 0;
        if (x->hdr.version != FSN_DEC_IPFIX) {
            if (ss)
                s = fsn__uptime_ms(&x->hdr, (uint32_t)su);
            if (es)
                e = fsn__uptime_ms(&x->hdr, (uint32_t)eu);
        } else {
            uint64_t init;
            if (has(a, I_SYSINIT)) {
                init = a->v[I_SYSINIT];
            } else if (x->s->has_sys_init) {
                init = x->s->sys_init_ms;
            } else {
                uint64_t top = 0;
                if (ss)
                    top = su;
                if (es && eu > top)
                    top = eu;
                init = x->hdr.export_ms > top ? x->hdr.export_ms - top : 0;
            }
            if (ss)
                s = init + su;
            if (es)
                e = init + eu;
        }
        hs = hs || ss;
        he = he || es;
    }
    if (hasv(a, DUR(d))) {
        uint64_t dur = a->v[DUR(d)];
        if (hs && !he) {
            e = s + dur;
            he = true;
        } else if (he && !hs) {
            s = e > dur ? e - dur : 0;
            hs = true;
        }
    }
    if (!hs && !he && hasv(a, START(d, T_OBS))) {
        s = e = a->v[START(d, T_OBS)];
        hs = he = true;
    }
    if (!hs && !he) {
        *first = *last = x->hdr.export_ms;
        return false;
    }
    if (!hs)
        s = e;
    if (!he)
        e = s;
    *first = s > e ? e : s;
    *last = e;
    return true;
}

static void emit(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, const struct fsn_flow *f,
                 uint8_t direction)
{
    struct fsn_dec_meta m;

    memset(&m, 0, sizeof m);
    m.exporter = &x->s->exporter;
    m.domain = x->s->domain;
    m.template_id = t->id;
    m.version = x->hdr.version;
    m.direction = direction;
    m.buffered = x->buffered;
    m.export_ms = x->hdr.export_ms;
    if (x->emit)
        x->emit(x->arg, f, &m);
}

static bool nonzero(const uint8_t *p, size_t n)
{
    uint64_t w[2];

    if (n == 4)
        return fsn_load32(p) != 0;
    memcpy(w, p, 16); /* n == 16 */
    return (w[0] | w[1]) != 0;
}

/* Fills the key and the direction-free parts of a flow from the accumulator. */
static void flow_key(const struct acc *a, struct fsn_flow *f)
{
    bool v4 = (a->have_addr & (1u << A_SRC4 | 1u << A_DST4)) != 0;
    bool v6 = (a->have_addr & (1u << A_SRC6 | 1u << A_DST6)) != 0;

    /* Templates that carry both families (one of them zero) take the one in use. */
    if (v4 && v6 && !((a->have_addr & (1u << A_SRC4)) && nonzero(a->addr[A_SRC4], 4)) &&
        !((a->have_addr & (1u << A_DST4)) && nonzero(a->addr[A_DST4], 4)))
        v4 = false;
    if (v4) {
        f->key.family = FSN_FAMILY_IPV4;
        if (a->have_addr & (1u << A_SRC4))
            memcpy(f->key.src, a->addr[A_SRC4], 4);
        if (a->have_addr & (1u << A_DST4))
            memcpy(f->key.dst, a->addr[A_DST4], 4);
        if ((a->have_addr & (1u << A_NH4)) && nonzero(a->addr[A_NH4], 4))
            memcpy(f->nexthop, a->addr[A_NH4], 4);
        else if (a->have_addr & (1u << A_BNH4))
            memcpy(f->nexthop, a->addr[A_BNH4], 4);
        f->src_mask = has(a, I_SMASK4) ? (uint8_t)a->v[I_SMASK4] : 0;
        f->dst_mask = has(a, I_DMASK4) ? (uint8_t)a->v[I_DMASK4] : 0;
    } else if (v6) {
        f->key.family = FSN_FAMILY_IPV6;
        if (a->have_addr & (1u << A_SRC6))
            memcpy(f->key.src, a->addr[A_SRC6], 16);
        if (a->have_addr & (1u << A_DST6))
            memcpy(f->key.dst, a->addr[A_DST6], 16);
        if ((a->have_addr & (1u << A_NH6)) && nonzero(a->addr[A_NH6], 16))
            memcpy(f->nexthop, a->addr[A_NH6], 16);
        else if (a->have_addr & (1u << A_BNH6))
            memcpy(f->nexthop, a->addr[A_BNH6], 16);
        f->src_mask = has(a, I_SMASK6) ? (uint8_t)a->v[I_SMASK6] : 0;
        f->dst_mask = has(a, I_DMASK6) ? (uint8_t)a->v[I_DMASK6] : 0;
    }
    f->key.sport = has(a, I_SPORT) ? (uint16_t)a->v[I_SPORT] : 0;
    f->key.dport = has(a, I_DPORT) ? (uint16_t)a->v[I_DPORT] : 0;
    f->key.proto = has(a, I_PROTO) ? (uint8_t)a->v[I_PROTO] : 0;
    f->key.tos = has(a, I_TOS) ? (uint8_t)a->v[I_TOS] : 0;
    f->key.vlan = has(a, I_VLAN) ? (uint16_t)a->v[I_VLAN]
                  : has(a, I_DOT1Q) ? (uint16_t)a->v[I_DOT1Q] : 0;
    f->key.in_if = has(a, I_IN) ? clamp32(a->v[I_IN])
                   : has(a, I_IN_PHYS) ? clamp32(a->v[I_IN_PHYS]) : 0;
    f->out_if = has(a, I_OUT) ? clamp32(a->v[I_OUT])
                : has(a, I_OUT_PHYS) ? clamp32(a->v[I_OUT_PHYS]) : 0;
    f->src_as = has(a, I_SAS) ? clamp32(a->v[I_SAS]) : 0;
    f->dst_as = has(a, I_DAS) ? clamp32(a->v[I_DAS]) : 0;
    f->end_reason = has(a, I_END) && a->v[I_END] <= 255 ? (uint8_t)a->v[I_END] : 0;

    /* ICMP type and code go into dport (flow.h), from whichever element carries them. */
    if ((f->key.proto == FSN_PROTO_ICMP || f->key.proto == FSN_PROTO_ICMPV6) &&
        f->key.dport == 0) {
        bool six = f->key.proto == FSN_PROTO_ICMPV6;
        enum item tc = six ? I_ICMP6 : I_ICMP4, ty = six ? I_ICMPT6 : I_ICMPT4;
        enum item co = six ? I_ICMPC6 : I_ICMPC4;
        if (!has(a, tc))
            tc = six ? I_ICMP4 : I_ICMP6; /* some exporters use the other family's element */
        if (has(a, tc)) {
            f->key.dport = (uint16_t)a->v[tc];
            f->key.sport = 0;
        } else if (has(a, ty)) {
            f->key.dport = (uint16_t)((a->v[ty] & 0xff) << 8 | (has(a, co) ? a->v[co] & 0xff : 0));
            f->key.sport = 0;
        }
    }
}

static const struct fsn_flow zero_flow;

static void flow_emit(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, const struct acc *a)
{
    struct fsn_flow f, r;
    uint32_t n = record_sampling(x->s, a);
    uint64_t rpk, roc;

    memcpy(&f, &zero_flow, sizeof f); /* every byte zero (flow.h); cheaper than memset */
    flow_key(a, &f);
    f.sampling = n;
    f.packets = fsn__mul_sat(pick(a, 0, PKT_PREF, 4), n);
    f.octets = fsn__mul_sat(pick(a, 0, OCT_PREF, 4), n);
    f.tcp_flags = hasv(a, FLAGS(0)) ? (uint8_t)a->v[FLAGS(0)] : 0;
    dir_times(x, a, 0, &f.first_ms, &f.last_ms);
    x->s->c.records++;
    if (x->buffered)
        x->s->c.buffered_records++;
    emit(x, t, &f, FSN_DEC_FORWARD);

    /* RFC 5103 §5: the reverse direction, when it saw any traffic. */
    rpk = pick(a, 1, PKT_PREF, 4);
    roc = pick(a, 1, OCT_PREF, 4);
    if (!rpk && !roc)
        return;
    r = f;
    memcpy(r.key.src, f.key.dst, 16);
    memcpy(r.key.dst, f.key.src, 16);
    if (f.key.proto != FSN_PROTO_ICMP && f.key.proto != FSN_PROTO_ICMPV6) {
        r.key.sport = f.key.dport;
        r.key.dport = f.key.sport;
    }
    r.key.in_if = f.out_if;
    r.out_if = f.key.in_if;
    r.src_as = f.dst_as;
    r.dst_as = f.src_as;
    r.src_mask = f.dst_mask;
    r.dst_mask = f.src_mask;
    memset(r.nexthop, 0, sizeof r.nexthop);
    r.packets = fsn__mul_sat(rpk, n);
    r.octets = fsn__mul_sat(roc, n);
    r.tcp_flags = hasv(a, FLAGS(1)) ? (uint8_t)a->v[FLAGS(1)] : 0;
    if (!dir_times(x, a, 1, &r.first_ms, &r.last_ms)) {
        r.first_ms = f.first_ms;
        r.last_ms = f.last_ms;
    }
    x->s->c.reverse_records++;
    emit(x, t, &r, FSN_DEC_REVERSE);
}

/* Applies a record's accumulated fields: options data, or one or two flows. */
static void rec_done(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, const struct acc *a)
{
    if (t->options)
        options_apply(x, a);
    else
        flow_emit(x, t, a);
}

/*
 * One record of template t at r, walked field by field with a bounds check
 * each (RFC 3954 §5.3, RFC 7011 §3.3.2): for templates with
 * variable-length fields (RFC 7011 §7: a length byte, or 255 and a 2-byte
 * length). The caller checked that at least t->min_len bytes are left.
 * Returns false, having emitted nothing, when a value runs past the set.
 */
static bool rec_walk(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, struct fsn_rd *r)
{
    struct acc a;
    bool ipfix = x->hdr.version == FSN_DEC_IPFIX;

    acc_init(&a);
    for (size_t i = 0; i < t->nfields; i++) {
        const struct fsn__dec_field *fd = &t->f[i];
        size_t len = fd->len;
        struct fsn_rd val;

        if (ipfix && len == FSN__VARLEN) {
            uint8_t b;
            uint16_t l16;
            if (!fsn_rd_u8(r, &b))
                return false;
            len = b;
            if (b == 255) {
                if (!fsn_rd_u16(r, &l16))
                    return false;
                len = l16;
            }
        }
        if (!fsn_rd_sub(r, len, &val))
            return false;
        if (fd->kind != K_SKIP && len_ok(fd->kind, len))
            apply(x, &a, fd->kind, fd->slot, val.p, len);
    }
    rec_done(x, t, &a);
    return true;
}

/*
 * The records of a fixed-length template: every record is t->min_len
 * bytes and each field sits at its offset, so one length check per set
 * covers them all, and the fields that kind K_SKIP leaves alone cost a
 * test each.
 */
static uint32_t set_fixed(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, const uint8_t *p,
                          size_t n)
{
    const struct fsn__dec_field *f = t->f, *fend = t->f + t->nfields;
    size_t rl = t->min_len;
    struct acc a;

    if (t->plan) {
        for (size_t i = 0; i < n; i++, p += rl) {
            plan_run(x, t->plan, p, &a);
            rec_done(x, t, &a);
        }
        return (uint32_t)n;
    }
    for (size_t i = 0; i < n; i++, p += rl) {
        acc_init(&a);
        for (const struct fsn__dec_field *fd = f; fd < fend; fd++)
            if (fd->kind != K_SKIP)
                apply(x, &a, fd->kind, fd->slot, p + fd->off, fd->len);
        rec_done(x, t, &a);
    }
    return (uint32_t)n;
}

/*
 * The records of a data set (RFC 3954 §5.3, RFC 7011 §3.3.1): records
 * while a minimum-length record fits; what is left is padding.
 */
uint32_t fsn__set_decode(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, struct fsn_rd body)
{
    uint32_t n = 0;

    /* min_len > 0 (fsn__tmpl_finish), so each round consumes bytes. */
    if (!t->varlen && !x->s->walk_only)
        return set_fixed(x, t, body.p, fsn_rd_left(&body) / t->min_len);
    while (fsn_rd_left(&body) >= t->min_len) {
        if (!rec_walk(x, t, &body)) {
            x->malformed = true;
            break;
        }
        n++;
    }
    return n;
}
