/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * v9 and IPFIX data records: reading each field of a template into an
 * accumulator, then building struct fsn_flow records (one, or two for an
 * RFC 5103 biflow) or applying options data (sampling, system init time).
 * The element numbers are IANA's IPFIX registry (RFC 7012), which v9 field
 * types 1..79 share (RFC 3954 §8). docs/decoding.md lists the mapping.
 */
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

/* Addresses (index into acc.addr, bit in acc.have above the items). */
enum addr { A_SRC4, A_DST4, A_NH4, A_BNH4, A_SRC6, A_DST6, A_NH6, A_BNH6, NADDR };

#define ABIT(a) (1ull << (NITEM + (a)))
#define IBIT(i) (1ull << (i))

/* What one direction of a record says (index 1: RFC 5103 reverse elements). */
struct dir {
    uint32_t have_cnt;
    uint32_t have_start;
    uint32_t have_end;
    bool have_dur;
    bool have_flags;
    uint8_t flags;
    uint64_t dur_ms;
    uint64_t cnt[NCNT];
    uint64_t start[NTM];
    uint64_t end[NTM];
};

struct acc {
    uint64_t have;
    uint64_t v[NITEM];
    uint8_t addr[NADDR][16];
    struct dir d[2];
};

/* An unsigned integer of any length 1..8 (reduced-size encoding, RFC 7011 §6.2). */
static bool get_uint(struct fsn_rd val, uint64_t *out)
{
    return fsn_rd_uint(&val, fsn_rd_left(&val), out);
}

static void set_item(struct acc *a, enum item i, struct fsn_rd val)
{
    if (get_uint(val, &a->v[i]))
        a->have |= IBIT(i);
}

static void set_addr(struct acc *a, enum addr i, struct fsn_rd val, size_t len)
{
    if (fsn_rd_left(&val) == len) {
        memcpy(a->addr[i], val.p, len);
        a->have |= ABIT(i);
    }
}

static void set_cnt(struct dir *d, enum cnt c, struct fsn_rd val)
{
    if (get_uint(val, &d->cnt[c]))
        d->have_cnt |= 1u << c;
}

/* dateTimeMicroseconds/Nanoseconds: NTP timestamp, 32-bit seconds since 1900 and fraction. */
static bool ntp_ms(struct fsn_rd val, uint64_t *ms)
{
    uint64_t v, sec, frac;

    if (fsn_rd_left(&val) != 8 || !fsn_rd_uint(&val, 8, &v))
        return false;
    sec = v >> 32;
    frac = v & 0xffffffffu;
    if (sec < NTP_UNIX_OFFSET)
        return false;
    *ms = (sec - NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32);
    return true;
}

/* How a time element is encoded. */
enum enc { E_SEC, E_MS, E_NTP, E_DELTA_US, E_RAW };

/* Converts a time element to Unix ms (E_RAW: kept as is) and stores it in slot k. */
static void set_time(const struct fsn__dec_ctx *x, struct dir *d, bool end, enum enc e, enum tm k,
                     struct fsn_rd val)
{
    uint64_t v, ms;

    switch (e) {
    case E_NTP:
        if (!ntp_ms(val, &ms))
            return;
        break;
    case E_SEC:
        if (!get_uint(val, &v))
            return;
        ms = v * 1000;
        break;
    case E_DELTA_US:
        /* flowStart/EndDeltaMicroseconds: before the export time (RFC 7012, IE 158/159). */
        if (!get_uint(val, &v))
            return;
        v /= 1000;
        ms = x->hdr.export_ms > v ? x->hdr.export_ms - v : 0;
        break;
    default:
        if (!get_uint(val, &ms))
            return;
        break;
    }
    if (end) {
        d->end[k] = ms;
        d->have_end |= 1u << k;
    } else {
        d->start[k] = ms;
        d->have_start |= 1u << k;
    }
}

/* Elements that exist in both directions of a biflow: counters, flags, times. */
static bool dir_field(const struct fsn__dec_ctx *x, struct acc *a, int dir, uint16_t ie,
                      struct fsn_rd val)
{
    struct dir *d = &a->d[dir];
    uint64_t v;

    switch (ie) {
    case 1: set_cnt(d, C_OCT, val); break;        /* octetDeltaCount / IN_BYTES */
    case 2: set_cnt(d, C_PKT, val); break;        /* packetDeltaCount / IN_PKTS */
    case 85: set_cnt(d, C_OCT_TOT, val); break;   /* octetTotalCount */
    case 86: set_cnt(d, C_PKT_TOT, val); break;   /* packetTotalCount */
    case 23: set_cnt(d, C_OCT_POST, val); break;  /* postOctetDeltaCount / OUT_BYTES */
    case 24: set_cnt(d, C_PKT_POST, val); break;  /* postPacketDeltaCount / OUT_PKTS */
    case 231: set_cnt(d, C_OCT_INIT, val); break; /* initiatorOctets (ASA: forward bytes) */
    case 298: set_cnt(d, C_PKT_INIT, val); break; /* initiatorPackets */
    case 6:                                       /* tcpControlBits: 1 or 2 bytes */
        if (get_uint(val, &v)) {
            d->flags = (uint8_t)v;
            d->have_flags = true;
        }
        break;
    case 150: set_time(x, d, false, E_SEC, T_SEC, val); break; /* flowStartSeconds */
    case 151: set_time(x, d, true, E_SEC, T_SEC, val); break;
    case 152: set_time(x, d, false, E_MS, T_MS, val); break; /* flowStartMilliseconds */
    case 153: set_time(x, d, true, E_MS, T_MS, val); break;
    case 154: set_time(x, d, false, E_NTP, T_US, val); break; /* ...Microseconds */
    case 155: set_time(x, d, true, E_NTP, T_US, val); break;
    case 156: set_time(x, d, false, E_NTP, T_NS, val); break; /* ...Nanoseconds */
    case 157: set_time(x, d, true, E_NTP, T_NS, val); break;
    case 158: set_time(x, d, false, E_DELTA_US, T_DELTA, val); break;
    case 159: set_time(x, d, true, E_DELTA_US, T_DELTA, val); break;
    case 22: set_time(x, d, false, E_RAW, T_SYSUP, val); break; /* FIRST_SWITCHED */
    case 21: set_time(x, d, true, E_RAW, T_SYSUP, val); break; /* LAST_SWITCHED */
    case 322: set_time(x, d, false, E_SEC, T_OBS, val); break; /* observationTimeSeconds */
    case 323: set_time(x, d, false, E_MS, T_OBS, val); break;
    case 324: set_time(x, d, false, E_NTP, T_OBS, val); break;
    case 325: set_time(x, d, false, E_NTP, T_OBS, val); break;
    case 161:                                            /* flowDurationMilliseconds */
    case 162:                                            /* flowDurationMicroseconds */
        if (get_uint(val, &v)) {
            d->dur_ms = ie == 161 ? v : v / 1000;
            d->have_dur = true;
        }
        break;
    default:
        return false;
    }
    return true;
}

static void field(const struct fsn__dec_ctx *x, struct acc *a, int dir, uint16_t ie,
                  struct fsn_rd val)
{
    if (dir_field(x, a, dir, ie, val) || dir != 0)
        return;
    switch (ie) {
    case 232: set_cnt(&a->d[1], C_OCT_INIT, val); break; /* responderOctets: the reverse */
    case 299: set_cnt(&a->d[1], C_PKT_INIT, val); break; /* responderPackets */
    case 8: set_addr(a, A_SRC4, val, 4); break;
    case 12: set_addr(a, A_DST4, val, 4); break;
    case 15: set_addr(a, A_NH4, val, 4); break;
    case 18: set_addr(a, A_BNH4, val, 4); break;
    case 27: set_addr(a, A_SRC6, val, 16); break;
    case 28: set_addr(a, A_DST6, val, 16); break;
    case 62: set_addr(a, A_NH6, val, 16); break;
    case 63: set_addr(a, A_BNH6, val, 16); break;
    case 7: set_item(a, I_SPORT, val); break;
    case 11: set_item(a, I_DPORT, val); break;
    case 4: set_item(a, I_PROTO, val); break;
    case 5: set_item(a, I_TOS, val); break;
    case 10: set_item(a, I_IN, val); break;
    case 14: set_item(a, I_OUT, val); break;
    case 252: set_item(a, I_IN_PHYS, val); break;
    case 253: set_item(a, I_OUT_PHYS, val); break;
    case 58: set_item(a, I_VLAN, val); break;   /* vlanId / SRC_VLAN */
    case 243: set_item(a, I_DOT1Q, val); break; /* dot1qVlanId */
    case 16: set_item(a, I_SAS, val); break;
    case 17: set_item(a, I_DAS, val); break;
    case 9: set_item(a, I_SMASK4, val); break;
    case 13: set_item(a, I_DMASK4, val); break;
    case 29: set_item(a, I_SMASK6, val); break;
    case 30: set_item(a, I_DMASK6, val); break;
    case 32: set_item(a, I_ICMP4, val); break;  /* icmpTypeCodeIPv4 */
    case 139: set_item(a, I_ICMP6, val); break; /* icmpTypeCodeIPv6 */
    case 176: set_item(a, I_ICMPT4, val); break;
    case 177: set_item(a, I_ICMPC4, val); break;
    case 178: set_item(a, I_ICMPT6, val); break;
    case 179: set_item(a, I_ICMPC6, val); break;
    case 136: set_item(a, I_END, val); break;
    case 48: set_item(a, I_SAMPLER, val); break;    /* FLOW_SAMPLER_ID / samplerId */
    case 302: set_item(a, I_SELECTOR, val); break;  /* selectorId */
    case 34: set_item(a, I_INTERVAL, val); break;   /* samplingInterval */
    case 50: set_item(a, I_RINTERVAL, val); break;  /* samplerRandomInterval */
    case 305: set_item(a, I_PINTERVAL, val); break; /* samplingPacketInterval */
    case 306: set_item(a, I_PSPACE, val); break;    /* samplingPacketSpace */
    case 309: set_item(a, I_SSIZE, val); break;     /* samplingSize */
    case 310: set_item(a, I_SPOP, val); break;      /* samplingPopulation */
    case 160: set_item(a, I_SYSINIT, val); break;   /* systemInitTimeMilliseconds */
    default: break;
    }
}

static bool has(const struct acc *a, enum item i)
{
    return (a->have & IBIT(i)) != 0;
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
static uint64_t pick(const struct dir *d, const enum cnt *pref, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d->have_cnt & (1u << pref[i]))
            return d->cnt[pref[i]];
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
static bool dir_times(const struct fsn__dec_ctx *x, const struct acc *a, const struct dir *d,
                      uint64_t *first, uint64_t *last)
{
    bool hs = false, he = false;
    uint64_t s = 0, e = 0;

    for (int k = 0; k < T_SYSUP; k++) {
        if (!hs && (d->have_start & (1u << k))) {
            s = d->start[k];
            hs = true;
        }
        if (!he && (d->have_end & (1u << k))) {
            e = d->end[k];
            he = true;
        }
    }
    if ((!hs && (d->have_start & (1u << T_SYSUP))) || (!he && (d->have_end & (1u << T_SYSUP)))) {
        bool ss = !hs && (d->have_start & (1u << T_SYSUP));
        bool es = !he && (d->have_end & (1u << T_SYSUP));
        uint64_t su = ss ? d->start[T_SYSUP] : 0, eu = es ? d->end[T_SYSUP] : 0;
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
    if (d->have_dur) {
        if (hs && !he) {
            e = s + d->dur_ms;
            he = true;
        } else if (he && !hs) {
            s = e > d->dur_ms ? e - d->dur_ms : 0;
            hs = true;
        }
    }
    if (!hs && !he && (d->have_start & (1u << T_OBS))) {
        s = e = d->start[T_OBS];
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
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return true;
    return false;
}

/* Fills the key and the direction-free parts of a flow from the accumulator. */
static void flow_key(const struct acc *a, struct fsn_flow *f)
{
    bool v4 = (a->have & (ABIT(A_SRC4) | ABIT(A_DST4))) != 0;
    bool v6 = (a->have & (ABIT(A_SRC6) | ABIT(A_DST6))) != 0;

    /* Templates that carry both families (one of them zero) take the one in use. */
    if (v4 && v6 && !((a->have & ABIT(A_SRC4)) && nonzero(a->addr[A_SRC4], 4)) &&
        !((a->have & ABIT(A_DST4)) && nonzero(a->addr[A_DST4], 4)))
        v4 = false;
    if (v4) {
        f->key.family = FSN_FAMILY_IPV4;
        if (a->have & ABIT(A_SRC4))
            memcpy(f->key.src, a->addr[A_SRC4], 4);
        if (a->have & ABIT(A_DST4))
            memcpy(f->key.dst, a->addr[A_DST4], 4);
        if ((a->have & ABIT(A_NH4)) && nonzero(a->addr[A_NH4], 4))
            memcpy(f->nexthop, a->addr[A_NH4], 4);
        else if (a->have & ABIT(A_BNH4))
            memcpy(f->nexthop, a->addr[A_BNH4], 4);
        f->src_mask = has(a, I_SMASK4) ? (uint8_t)a->v[I_SMASK4] : 0;
        f->dst_mask = has(a, I_DMASK4) ? (uint8_t)a->v[I_DMASK4] : 0;
    } else if (v6) {
        f->key.family = FSN_FAMILY_IPV6;
        if (a->have & ABIT(A_SRC6))
            memcpy(f->key.src, a->addr[A_SRC6], 16);
        if (a->have & ABIT(A_DST6))
            memcpy(f->key.dst, a->addr[A_DST6], 16);
        if ((a->have & ABIT(A_NH6)) && nonzero(a->addr[A_NH6], 16))
            memcpy(f->nexthop, a->addr[A_NH6], 16);
        else if (a->have & ABIT(A_BNH6))
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

static void flow_emit(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, const struct acc *a)
{
    struct fsn_flow f, r;
    uint32_t n = record_sampling(x->s, a);
    uint64_t rpk, roc;

    memset(&f, 0, sizeof f);
    flow_key(a, &f);
    f.sampling = n;
    f.packets = fsn__mul_sat(pick(&a->d[0], PKT_PREF, 4), n);
    f.octets = fsn__mul_sat(pick(&a->d[0], OCT_PREF, 4), n);
    f.tcp_flags = a->d[0].flags;
    dir_times(x, a, &a->d[0], &f.first_ms, &f.last_ms);
    x->s->c.records++;
    if (x->buffered)
        x->s->c.buffered_records++;
    emit(x, t, &f, FSN_DEC_FORWARD);

    /* RFC 5103 §5: the reverse direction, when it saw any traffic. */
    rpk = pick(&a->d[1], PKT_PREF, 4);
    roc = pick(&a->d[1], OCT_PREF, 4);
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
    r.tcp_flags = a->d[1].flags;
    if (!dir_times(x, a, &a->d[1], &r.first_ms, &r.last_ms)) {
        r.first_ms = f.first_ms;
        r.last_ms = f.last_ms;
    }
    x->s->c.reverse_records++;
    emit(x, t, &r, FSN_DEC_REVERSE);
}

/*
 * One record of template t at r (RFC 3954 §5.3, RFC 7011 §3.3.2). The
 * caller checked that at least t->min_len bytes are left, which covers
 * every fixed-length template; variable-length fields (RFC 7011 §7: a
 * length byte, or 255 and a 2-byte length) are checked here. Returns false,
 * having emitted nothing, when a value runs past the set.
 */
bool fsn__rec_decode(struct fsn__dec_ctx *x, const struct fsn__dec_tmpl *t, struct fsn_rd *r)
{
    struct acc a;
    bool ipfix = x->hdr.version == FSN_DEC_IPFIX;

    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < t->nfields; i++) {
        const struct fsn__dec_field *fd = &t->f[i];
        size_t len = fd->len;
        struct fsn_rd val;
        int dir = 0;

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
        /* v9 scope fields hold scope types (§6.1), not field types. */
        if (!ipfix && i < t->nscope)
            continue;
        if (fd->pen == FSN__PEN_REVERSE)
            dir = 1;
        else if (fd->pen != 0)
            continue; /* other enterprises' elements: skipped by length */
        field(x, &a, dir, fd->ie, val);
    }
    if (t->options)
        options_apply(x, &a);
    else
        flow_emit(x, t, &a);
    return true;
}
