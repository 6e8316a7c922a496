/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Filter expressions: a recursive-descent parser into an array of nodes,
 * and an evaluator over that tree. The grammar is in lib/filter.h.
 */
#include "lib/filter.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/error.h"

enum op { N_TRUE, N_AND, N_OR, N_NOT, N_HOST, N_NET, N_PORT, N_PROTO, N_FAMILY, N_EXPORTER };

#define DIR_SRC 1u
#define DIR_DST 2u
#define DIR_ANY 3u

struct node {
    uint8_t op;          /* enum op */
    uint8_t dir;         /* DIR_* for host, net, port */
    uint8_t family;      /* N_FAMILY: the family */
    uint8_t proto;       /* N_PROTO */
    uint16_t lo;         /* N_PORT: range lo..hi */
    uint16_t hi;
    uint32_t a;          /* children of and, or (a, b) and not (a) */
    uint32_t b;
    struct fsn_cidr net; /* host (a full-length prefix), net, exporter */
};

struct fsn_filter {
    uint32_t root;
    uint32_t n;
    struct node nodes[];
};

enum tok { T_EOF, T_WORD, T_LP, T_RP, T_NOT, T_AND, T_OR, T_BAD };

struct parser {
    const char *s;
    size_t pos;  /* where the lexer continues */
    enum tok t;  /* current token */
    size_t tpos; /* its offset and length */
    size_t tlen;
    size_t ppos; /* the previous token, for "after 'X'" */
    size_t plen;
    int depth;
    struct fsn_filter *f;
    uint32_t cap;
    int err; /* 0, FSN_E_SYNTAX, FSN_E_LIMIT, FSN_E_NOMEM */
    size_t errpos;
    char *msg;
    size_t msglen;
};

static const struct {
    const char *name;
    uint8_t proto;
} proto_names[] = {
    {"icmp", 1}, {"igmp", 2},   {"tcp", 6},        {"udp", 17},  {"gre", 47},   {"esp", 50},
    {"ah", 51},  {"icmp6", 58}, {"ipv6-icmp", 58}, {"ospf", 89}, {"sctp", 132},
};

/* Protocols whose flows carry ports: TCP, UDP, DCCP, SCTP, UDP-Lite. */
static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_word_char(char c)
{
    return c && !is_space(c) && !strchr("()!&|", c);
}

static __attribute__((format(printf, 3, 4))) void fail(struct parser *p, size_t pos,
                                                       const char *fmt, ...)
{
    va_list ap;

    if (p->err)
        return;
    p->err = FSN_E_SYNTAX;
    p->errpos = pos;
    if (p->msglen) {
        va_start(ap, fmt);
        vsnprintf(p->msg, p->msglen, fmt, ap);
        va_end(ap);
    }
}

/* Reads the next token into p->t, p->tpos, p->tlen. */
static void next(struct parser *p)
{
    const char *s = p->s;
    size_t i = p->pos;

    p->ppos = p->tpos;
    p->plen = p->tlen;
    while (is_space(s[i]))
        i++;
    p->tpos = i;
    p->tlen = 1;
    switch (s[i]) {
    case 0:
        p->t = T_EOF;
        p->tlen = 0;
        break;
    case '(':
        p->t = T_LP;
        break;
    case ')':
        p->t = T_RP;
        break;
    case '!':
        p->t = T_NOT;
        break;
    case '&':
    case '|':
        if (s[i + 1] == s[i]) {
            p->t = s[i] == '&' ? T_AND : T_OR;
            p->tlen = 2;
        } else {
            p->t = T_BAD;
        }
        break;
    default:
        while (is_word_char(s[i + p->tlen]))
            p->tlen++;
        p->t = T_WORD;
        if (p->tlen == 3 && strncasecmp(s + i, "and", 3) == 0)
            p->t = T_AND;
        else if (p->tlen == 2 && strncasecmp(s + i, "or", 2) == 0)
            p->t = T_OR;
        else if (p->tlen == 3 && strncasecmp(s + i, "not", 3) == 0)
            p->t = T_NOT;
        break;
    }
    p->pos = i + p->tlen;
}

static bool word_is(const struct parser *p, const char *w)
{
    return p->t == T_WORD && strlen(w) == p->tlen && strncasecmp(p->s + p->tpos, w, p->tlen) == 0;
}

/* The current token as text for messages: 'fooo', or "end of filter". */
static void where(const struct parser *p, char *buf, size_t len)
{
    int n = p->tlen > 40 ? 40 : (int)p->tlen;

    if (p->t == T_EOF)
        snprintf(buf, len, "end of filter");
    else
        snprintf(buf, len, "'%.*s%s'", n, p->s + p->tpos, p->tlen > 40 ? "..." : "");
}

/* "expected X after 'KEYWORD' at 'TOKEN'", where KEYWORD is the previous token. */
static void expected_after(struct parser *p, const char *what)
{
    char at[64];
    int n = p->plen > 40 ? 40 : (int)p->plen;

    where(p, at, sizeof at);
    fail(p, p->tpos, "expected %s after '%.*s' at %s", what, n, p->s + p->ppos, at);
}

/* "expected WHAT at 'TOKEN'", or for a lone '&' or '|' what to write instead. */
static void expected_at(struct parser *p, const char *what)
{
    char at[64];

    if (p->t == T_BAD) {
        fail(p, p->tpos, "unexpected '%c' (use '%c%c')", p->s[p->tpos], p->s[p->tpos],
             p->s[p->tpos]);
        return;
    }
    where(p, at, sizeof at);
    fail(p, p->tpos, "expected %s at %s", what, at);
}

static uint32_t add_node(struct parser *p, const struct node *n)
{
    if (p->err)
        return 0;
    if (p->f->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 16;
        struct fsn_filter *g = realloc(p->f, sizeof *g + cap * sizeof g->nodes[0]);
        if (!g) {
            p->err = FSN_E_NOMEM;
            snprintf(p->msg, p->msglen, "out of memory");
            return 0;
        }
        p->f = g;
        p->cap = cap;
    }
    p->f->nodes[p->f->n] = *n;
    return p->f->n++;
}

/* Copies the current word into buf; false when it does not fit. */
static bool word_text(const struct parser *p, char *buf, size_t len)
{
    if (p->t != T_WORD || p->tlen >= len)
        return false;
    memcpy(buf, p->s + p->tpos, p->tlen);
    buf[p->tlen] = 0;
    return true;
}

/*
 * Parses the current word as an address, or with `prefix` as ADDR[/LEN]
 * (lib/addr), into n->net. Returns 0, or -1 when it is no address, -2 when
 * the prefix length is bad, -3 when bits beyond the prefix are set.
 */
static int parse_cidr(const struct parser *p, bool prefix, struct node *n)
{
    char buf[64];
    char *slash;
    struct fsn_addr a;

    if (!word_text(p, buf, sizeof buf))
        return -1;
    slash = strchr(buf, '/');
    if (slash && !prefix)
        return -1;
    if (slash)
        *slash = 0;
    if (fsn_addr_parse(buf, &a) != 0)
        return -1;
    if (slash) {
        const char *d = slash + 1;
        size_t max = fsn_family_addrlen(a.family) * 8;
        *slash = '/';
        if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d) ||
            strtoul(d, NULL, 10) > max)
            return -2;
    }
    /* The address and the length are fine: a failure now means host bits set. */
    return fsn_cidr_parse(buf, &n->net) == 0 ? 0 : -3;
}

/* Parses a decimal number of at most `max` from the current word's [off, off+len). */
static bool parse_num(const struct parser *p, size_t off, size_t len, unsigned long max,
                      unsigned long *v)
{
    unsigned long x = 0;

    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = p->s[p->tpos + off + i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (unsigned long)(c - '0');
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

static uint32_t parse_or(struct parser *p);

/* host/net/port after an optional direction; the keyword is the current token. */
static uint32_t parse_qualified(struct parser *p, uint8_t dir)
{
    struct node n;
    int r;

    memset(&n, 0, sizeof n);
    n.dir = dir;
    if (word_is(p, "host") || word_is(p, "net")) {
        bool net = word_is(p, "net");
        n.op = net ? N_NET : N_HOST;
        next(p);
        if ((r = parse_cidr(p, net, &n)) == -1) {
            expected_after(p, net ? "network (ADDR/LEN)" : "address");
            return 0;
        }
        if (r == -2) {
            fail(p, p->tpos, "prefix length out of range in '%.*s'", (int)p->tlen, p->s + p->tpos);
            return 0;
        }
        if (r == -3) {
            fail(p, p->tpos, "non-network bits set in '%.*s'", (int)p->tlen, p->s + p->tpos);
            return 0;
        }
    } else if (word_is(p, "port")) {
        const char *w;
        const char *dash;
        unsigned long lo, hi;
        n.op = N_PORT;
        next(p);
        w = p->s + p->tpos;
        dash = p->t == T_WORD ? memchr(w, '-', p->tlen) : NULL;
        if (p->t != T_WORD || !parse_num(p, 0, dash ? (size_t)(dash - w) : p->tlen, 65535, &lo)) {
            expected_after(p, "port number (0-65535)");
            return 0;
        }
        hi = lo;
        if (dash &&
            (!parse_num(p, (size_t)(dash - w) + 1, p->tlen - (size_t)(dash - w) - 1, 65535, &hi) ||
             hi < lo)) {
            fail(p, p->tpos, "bad port range '%.*s'", (int)p->tlen, w);
            return 0;
        }
        n.lo = (uint16_t)lo;
        n.hi = (uint16_t)hi;
    } else {
        expected_after(p, "'host', 'net' or 'port'");
        return 0;
    }
    next(p);
    return add_node(p, &n);
}

static uint32_t parse_primitive(struct parser *p)
{
    struct node n;
    unsigned long v;

    memset(&n, 0, sizeof n);
    if (word_is(p, "src") || word_is(p, "dst")) {
        uint8_t dir = word_is(p, "src") ? DIR_SRC : DIR_DST;
        next(p);
        return parse_qualified(p, dir);
    }
    if (word_is(p, "host") || word_is(p, "net") || word_is(p, "port"))
        return parse_qualified(p, DIR_ANY);
    if (word_is(p, "proto")) {
        next(p);
        n.op = N_PROTO;
        if (p->t == T_WORD && parse_num(p, 0, p->tlen, 255, &v)) {
            n.proto = (uint8_t)v;
        } else {
            size_t i;
            for (i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
                if (word_is(p, proto_names[i].name))
                    break;
            if (i == sizeof proto_names / sizeof proto_names[0]) {
                expected_after(p, "protocol name or number (0-255)");
                return 0;
            }
            n.proto = proto_names[i].proto;
        }
        next(p);
        return add_node(p, &n);
    }
    if (word_is(p, "exporter")) {
        next(p);
        n.op = N_EXPORTER;
        if (parse_cidr(p, true, &n) != 0) {
            expected_after(p, "address or network");
            return 0;
        }
        next(p);
        return add_node(p, &n);
    }
    if (word_is(p, "ip") || word_is(p, "ip6")) {
        n.op = N_FAMILY;
        n.family = word_is(p, "ip") ? FSN_FAMILY_IPV4 : FSN_FAMILY_IPV6;
        next(p);
        return add_node(p, &n);
    }
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++) {
        if (word_is(p, proto_names[i].name)) {
            n.op = N_PROTO;
            n.proto = proto_names[i].proto;
            next(p);
            return add_node(p, &n);
        }
    }
    if (p->t == T_EOF)
        expected_after(p, "an expression");
    else
        expected_at(p, "host, net, port, proto, src, dst, not or '('");
    return 0;
}

static uint32_t parse_not(struct parser *p)
{
    uint32_t r;

    if (++p->depth > FSN_FILTER_MAX_DEPTH) {
        fail(p, p->tpos, "filter nested too deeply (more than %d levels)", FSN_FILTER_MAX_DEPTH);
        p->err = FSN_E_LIMIT;
        return 0;
    }
    if (p->t == T_NOT) {
        struct node n;
        memset(&n, 0, sizeof n);
        next(p);
        n.op = N_NOT;
        n.a = parse_not(p);
        r = add_node(p, &n);
    } else if (p->t == T_LP) {
        next(p);
        r = parse_or(p);
        if (!p->err && p->t != T_RP)
            expected_at(p, "')'");
        next(p);
    } else {
        r = parse_primitive(p);
    }
    p->depth--;
    return r;
}

/*
 * One level of a binary operator: operands of `t` at the next level down,
 * nested to the right (a and (b and c)), so that the evaluator walks a
 * long chain in a loop instead of recursing once per operand.
 */
static uint32_t parse_chain(struct parser *p, enum tok t, uint8_t op,
                            uint32_t (*operand)(struct parser *))
{
    uint32_t first = operand(p), last = UINT32_MAX;

    while (!p->err && p->t == t) {
        struct node n;
        uint32_t r, m;
        memset(&n, 0, sizeof n);
        next(p);
        r = operand(p);
        n.op = op;
        n.a = last == UINT32_MAX ? first : p->f->nodes[last].b;
        n.b = r;
        m = add_node(p, &n);
        if (p->err)
            break;
        if (last == UINT32_MAX)
            first = m;
        else
            p->f->nodes[last].b = m;
        last = m;
    }
    return first;
}

static uint32_t parse_and(struct parser *p)
{
    return parse_chain(p, T_AND, N_AND, parse_not);
}

static uint32_t parse_or(struct parser *p)
{
    return parse_chain(p, T_OR, N_OR, parse_and);
}

int fsn_filter_compile(const char *expr, struct fsn_filter **out, char *err, size_t errlen,
                       size_t *errpos)
{
    struct parser p;
    char dummy[1];
    uint32_t root;
    int ret;

    memset(&p, 0, sizeof p);
    p.s = expr;
    p.msg = errlen ? err : dummy;
    p.msglen = errlen ? errlen : sizeof dummy;
    p.msg[0] = 0;
    *out = NULL;
    if (strlen(expr) > FSN_FILTER_MAX_LEN) {
        fail(&p, FSN_FILTER_MAX_LEN, "filter longer than %d bytes", FSN_FILTER_MAX_LEN);
        ret = FSN_E_LIMIT;
        goto out;
    }
    if (!(p.f = malloc(sizeof *p.f + 16 * sizeof p.f->nodes[0]))) {
        ret = FSN_E_NOMEM;
        goto out;
    }
    p.f->n = 0;
    p.cap = 16;
    next(&p);
    /* The parser may move p.f (realloc): take the root first, store it after. */
    if (p.t == T_EOF) {
        struct node n;
        memset(&n, 0, sizeof n);
        n.op = N_TRUE;
        root = add_node(&p, &n);
    } else {
        root = parse_or(&p);
        if (!p.err && p.t == T_RP)
            fail(&p, p.tpos, "unmatched ')'");
        if (!p.err && p.t != T_EOF)
            expected_at(&p, "'and', 'or' or end of filter");
    }
    ret = p.err;
    if (ret == 0) {
        p.f->root = root;
        *out = p.f;
        p.f = NULL;
    }
out:
    if (errpos)
        *errpos = p.errpos;
    free(p.f);
    return ret;
}

void fsn_filter_free(struct fsn_filter *f)
{
    free(f);
}

static bool leaf(const struct node *n, const struct fsn_flow *fl, const struct fsn_addr *x)
{
    const struct fsn_flow_key *k = &fl->key;

    switch (n->op) {
    case N_TRUE:
        return true;
    case N_HOST:
    case N_NET:
        return ((n->dir & DIR_SRC) && fsn_cidr_match(&n->net, k->family, k->src)) ||
               ((n->dir & DIR_DST) && fsn_cidr_match(&n->net, k->family, k->dst));
    case N_PORT:
        if (!has_ports(k->proto))
            return false;
        return ((n->dir & DIR_SRC) && k->sport >= n->lo && k->sport <= n->hi) ||
               ((n->dir & DIR_DST) && k->dport >= n->lo && k->dport <= n->hi);
    case N_PROTO:
        return k->proto == n->proto;
    case N_FAMILY:
        return k->family == n->family;
    case N_EXPORTER:
        return x && fsn_cidr_match(&n->net, x->family, x->a);
    default:
        return false;
    }
}

/*
 * Short-circuit evaluation. Recursion only goes into left operands and
 * `not`, whose depth the parser bounds; chains are followed in the loop.
 */
static bool eval(const struct node *nodes, uint32_t i, const struct fsn_flow *fl,
                 const struct fsn_addr *x)
{
    for (;;) {
        const struct node *n = &nodes[i];
        switch (n->op) {
        case N_AND:
            if (!eval(nodes, n->a, fl, x))
                return false;
            i = n->b;
            break;
        case N_OR:
            if (eval(nodes, n->a, fl, x))
                return true;
            i = n->b;
            break;
        case N_NOT:
            return !eval(nodes, n->a, fl, x);
        default:
            return leaf(n, fl, x);
        }
    }
}

bool fsn_filter_match(const struct fsn_filter *f, const struct fsn_flow *fl,
                      const struct fsn_addr *exporter)
{
    return eval(f->nodes, f->root, fl, exporter);
}

/* snprintf into the rest of a buffer, counting what would be needed. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += (size_t)n;
}

static void dump(const struct node *nodes, uint32_t i, char *buf, size_t len, size_t *at)
{
    static const char *const dirs[] = {"", " src", " dst", ""};
    const struct node *n = &nodes[i];
    char a[FSN_ADDR_STRLEN];

    switch (n->op) {
    case N_TRUE:
        put(buf, len, at, "(true)");
        break;
    case N_AND:
    case N_OR: {
        /* A chain in a loop, like eval(), then its closing parentheses. */
        size_t close = 0;
        while (n->op == N_AND || n->op == N_OR) {
            put(buf, len, at, "(%s ", n->op == N_AND ? "and" : "or");
            dump(nodes, n->a, buf, len, at);
            put(buf, len, at, " ");
            close++;
            n = &nodes[n->b];
        }
        dump(nodes, (uint32_t)(n - nodes), buf, len, at);
        while (close--)
            put(buf, len, at, ")");
        break;
    }
    case N_NOT:
        put(buf, len, at, "(not ");
        dump(nodes, n->a, buf, len, at);
        put(buf, len, at, ")");
        break;
    case N_HOST:
    case N_NET:
    case N_EXPORTER:
        fsn_addr_format(n->net.family, n->net.a, a, sizeof a);
        if (n->op == N_HOST)
            put(buf, len, at, "(host%s %s)", dirs[n->dir], a);
        else
            put(buf, len, at, "(%s%s %s/%u)", n->op == N_NET ? "net" : "exporter", dirs[n->dir], a,
                n->net.len);
        break;
    case N_PORT:
        if (n->lo == n->hi)
            put(buf, len, at, "(port%s %u)", dirs[n->dir], n->lo);
        else
            put(buf, len, at, "(port%s %u-%u)", dirs[n->dir], n->lo, n->hi);
        break;
    case N_PROTO:
        put(buf, len, at, "(proto %u)", n->proto);
        break;
    case N_FAMILY:
        put(buf, len, at, "(ip%s)", n->family == FSN_FAMILY_IPV6 ? "6" : "");
        break;
    }
}

size_t fsn_filter_dump(const struct fsn_filter *f, char *buf, size_t len)
{
    size_t at = 0;

    if (len)
        buf[0] = 0;
    dump(f->nodes, f->root, buf, len, &at);
    return at;
}
