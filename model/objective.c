/* objective.c - the service objective grammar of domain.md T1:
 *   Basic | S0..S12 | P1..P15                                  (DTU)
 *   <EDITION>_[S_]<FAMILY>_<n>, EDITION in GP BC HS             (vCore)
 *   ElasticPool | Free | System* | DW* | DS*                    (other)
 * optionally prefixed "SQLDB_" (operations descriptions use it). Anything
 * else is T4: recorded as seen, classified by the sku tier hint if any. */
#include "model/objective.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ASCII case folding: objective names are ASCII, and the locale's tolower
 * costs a call per byte on the fleet paths (perf: 40% of refresh) */
static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (fold((unsigned char)*a) != fold((unsigned char)*b))
            return false;
    return *a == *b;
}

static bool iprefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (fold((unsigned char)*s) != fold((unsigned char)*prefix))
            return false;
    return true;
}

static const char *strip_prefix(const char *name)
{
    return iprefix(name, "SQLDB_") ? name + 6 : name;
}

bool objective_equal(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return ieq(strip_prefix(a), strip_prefix(b));
}

const char *objective_edition_str(TlEdition edition)
{
    switch (edition) {
    case TL_EDITION_BASIC: return "Basic";
    case TL_EDITION_STANDARD: return "Standard";
    case TL_EDITION_PREMIUM: return "Premium";
    case TL_EDITION_GENERAL_PURPOSE: return "GeneralPurpose";
    case TL_EDITION_BUSINESS_CRITICAL: return "BusinessCritical";
    case TL_EDITION_HYPERSCALE: return "Hyperscale";
    case TL_EDITION_OTHER: break;
    }
    return "Other";
}

const char *objective_edition_label(TlEdition edition)
{
    switch (edition) {
    case TL_EDITION_GENERAL_PURPOSE: return "General Purpose";
    case TL_EDITION_BUSINESS_CRITICAL: return "Business Critical";
    case TL_EDITION_OTHER: return "other";
    default: return objective_edition_str(edition);
    }
}

TlEdition objective_edition_parse(const char *tier)
{
    static const TlEdition all[] = {
        TL_EDITION_BASIC,           TL_EDITION_STANDARD,          TL_EDITION_PREMIUM,
        TL_EDITION_GENERAL_PURPOSE, TL_EDITION_BUSINESS_CRITICAL, TL_EDITION_HYPERSCALE};
    if (tier)
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (ieq(tier, objective_edition_str(all[i])))
                return all[i];
    return TL_EDITION_OTHER;
}

const char *objective_architecture_str(TlArchitecture arch)
{
    return arch == TL_ARCH_HYPERSCALE ? "hyperscale" : "standard";
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (ieq(s, *list))
            return true;
    return false;
}

/* Parse "<n>" as a positive vCore count with no sign, no leading zero. */
static bool parse_count(const char *s, int *out)
{
    if (!isdigit((unsigned char)s[0]) || s[0] == '0' || strlen(s) > 4)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    *out = atoi(s);
    return true;
}

/* The vCore counts T4 lists for Gen5: provisioned GP, BC and HS; serverless
 * GP_S and HS_S (1 only for GP_S). Other families' counts are not listed. */
static bool gen5_count_valid(int n, bool serverless, TlEdition edition)
{
    static const int provisioned[] = {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80, 128, 0};
    static const int on_demand[] = {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 80, 0};
    if (serverless && n == 1)
        return edition == TL_EDITION_GENERAL_PURPOSE;
    for (const int *c = serverless ? on_demand : provisioned; *c; c++)
        if (*c == n)
            return true;
    return false;
}

typedef enum {
    VCORE_NONE = 0,    /* not an EDITION_ name */
    VCORE_KNOWN,       /* edition, family and count known */
    VCORE_EDITION_ONLY /* T4: the edition prefix is known, the family or count is not */
} VcoreParse;

/* vCore names: EDITION _ [S _] FAMILY _ n. Families per edition from T1
 * (Gen4 kept for history: the ARM examples still show it). */
static VcoreParse parse_vcore(const char *name, TlObjective *out)
{
    static const struct {
        const char *prefix;
        TlEdition edition;
        const char *families[7];
        const char *serverless_families[3];
    } editions[] = {
        {"GP_", TL_EDITION_GENERAL_PURPOSE, {"Gen5", "Fsv2", "DC", "Gen4", NULL}, {"Gen5", NULL}},
        {"BC_", TL_EDITION_BUSINESS_CRITICAL, {"Gen5", "DC", "M", "Gen4", NULL}, {NULL}},
        {"HS_",
         TL_EDITION_HYPERSCALE,
         {"Gen5", "PRMS", "MOPRMS", "DC", "Gen4", NULL},
         {"Gen5", NULL}},
    };
    for (size_t e = 0; e < sizeof editions / sizeof editions[0]; e++) {
        if (!iprefix(name, editions[e].prefix))
            continue;
        out->edition = editions[e].edition; /* T4: judged by its edition, whatever follows */
        const char *rest = name + 3;
        bool serverless = iprefix(rest, "S_");
        if (serverless)
            rest += 2;
        out->serverless = serverless;
        const char *last = strrchr(rest, '_');
        int n;
        if (!last || !parse_count(last + 1, &n))
            return VCORE_EDITION_ONLY;
        out->vcores = n; /* the count as written, also for an unknown family */
        char family[16];
        size_t flen = (size_t)(last - rest);
        if (flen == 0 || flen >= sizeof family)
            return VCORE_EDITION_ONLY;
        memcpy(family, rest, flen);
        family[flen] = '\0';
        const char *const *families =
            serverless ? editions[e].serverless_families : editions[e].families;
        for (; *families; families++) {
            if (ieq(family, *families)) {
                snprintf(out->family, sizeof out->family, "%s", *families);
                bool counted =
                    strcmp(*families, "Gen5") != 0 || gen5_count_valid(n, serverless, out->edition);
                return counted ? VCORE_KNOWN : VCORE_EDITION_ONLY;
            }
        }
        return VCORE_EDITION_ONLY;
    }
    return VCORE_NONE;
}

/* objective_parse runs per transition and per billed hour on the fleet
 * paths, over a handful of distinct names: a small direct-mapped memo of
 * parsed names. It caches a pure function, so results are the same with or
 * without it; the callers are single-threaded. */
#define MEMO_SLOTS 509 /* a prime: every bit of the hash counts */
#define MEMO_HINT  32
static struct {
    bool used, has_hint;
    char name[TL_OBJECTIVE_MAX], hint[MEMO_HINT];
    TlObjective obj;
} memo[MEMO_SLOTS];

void objective_parse(const char *name, const char *tier_hint, TlObjective *out)
{
    const char *n = name ? name : "";
    size_t ln = strlen(n), lh = tier_hint ? strlen(tier_hint) : 0;
    if (ln >= TL_OBJECTIVE_MAX || lh >= MEMO_HINT) {
        objective_parse_fresh(name, tier_hint, out);
        return;
    }
    uint64_t h = 14695981039346656037u; /* FNV-1a over name, NUL, hint */
    for (size_t i = 0; i <= ln; i++)
        h = (h ^ (unsigned char)n[i]) * 1099511628211u;
    for (size_t i = 0; i < lh; i++)
        h = (h ^ (unsigned char)tier_hint[i]) * 1099511628211u;
    size_t slot = (size_t)(h % MEMO_SLOTS);
    if (memo[slot].used && strcmp(memo[slot].name, n) == 0 &&
        memo[slot].has_hint == (tier_hint != NULL) &&
        (!tier_hint || strcmp(memo[slot].hint, tier_hint) == 0)) {
        *out = memo[slot].obj;
        return;
    }
    objective_parse_fresh(name, tier_hint, out);
    memo[slot].used = true;
    memo[slot].has_hint = tier_hint != NULL;
    memcpy(memo[slot].name, n, ln + 1);
    if (tier_hint)
        memcpy(memo[slot].hint, tier_hint, lh + 1);
    memo[slot].obj = *out;
}

void objective_parse_fresh(const char *name, const char *tier_hint, TlObjective *out)
{
    static const char *const standard_dtu[] = {"S0", "S1", "S2", "S3",  "S4",
                                               "S6", "S7", "S9", "S12", NULL};
    static const char *const premium_dtu[] = {"P1", "P2", "P4", "P6", "P11", "P15", NULL};

    memset(out, 0, sizeof *out);
    VcoreParse vcore;
    const char *bare = strip_prefix(name ? name : "");
    snprintf(out->name, sizeof out->name, "%s", bare);
    out->known = true;
    out->tracked = true;

    if (ieq(bare, "Basic")) {
        out->edition = TL_EDITION_BASIC;
        out->dtu = true;
    } else if (in_list(bare, standard_dtu)) {
        out->edition = TL_EDITION_STANDARD;
        out->dtu = true;
    } else if (in_list(bare, premium_dtu)) {
        out->edition = TL_EDITION_PREMIUM;
        out->dtu = true;
    } else if ((vcore = parse_vcore(bare, out)) != VCORE_NONE) {
        out->known = vcore == VCORE_KNOWN; /* filled in; else T4, judged by its edition */
    } else if (ieq(bare, "ElasticPool")) {
        out->elastic_pool = true;
        out->edition = objective_edition_parse(tier_hint);
    } else if (ieq(bare, "Free") || iprefix(bare, "System") || iprefix(bare, "DW") ||
               iprefix(bare, "DS")) {
        out->tracked = false;
        out->edition = TL_EDITION_OTHER;
    } else {
        out->known = false; /* T4 */
        out->edition = objective_edition_parse(tier_hint);
    }
    out->arch = out->edition == TL_EDITION_HYPERSCALE ? TL_ARCH_HYPERSCALE : TL_ARCH_STANDARD;
}

int64_t objective_max_data_gb(const TlObjective *obj)
{
    if (obj->edition != TL_EDITION_GENERAL_PURPOSE || !obj->known)
        return 0;
    int n = obj->vcores;
    if (ieq(obj->family, "Fsv2") && !obj->serverless) /* E8, GP_Fsv2: 8-14:1024; 16:1536 */
        return n >= 8 && n <= 14 ? 1024 : n == 16 ? 1536 : 0;
    if (ieq(obj->family, "DC") && !obj->serverless) /* E8, GP_DC: 2:1024; 4:1536; 6-12:3072 */
        return n == 2 ? 1024 : n == 4 ? 1536 : n >= 6 && n <= 12 ? 3072 : 0;
    if (!ieq(obj->family, "Gen5"))
        return 0;
    if (obj->serverless) { /* E8, GP serverless: 1:512; 2-6:1024; 8,10:2048; 12-20:3072; 24-80:4096
                            */
        if (n == 1)
            return 512;
        if (n >= 2 && n <= 6)
            return 1024;
        if (n == 8 || n == 10)
            return 2048;
        if (n >= 12 && n <= 20)
            return 3072;
        if (n >= 24 && n <= 80)
            return 4096;
        return 0;
    }
    /* E8, GP provisioned: 2,4:1024; 6:1536; 8,10:2048; 12-20:3072; 24-128:4096 */
    if (n == 2 || n == 4)
        return 1024;
    if (n == 6)
        return 1536;
    if (n == 8 || n == 10)
        return 2048;
    if (n >= 12 && n <= 20)
        return 3072;
    if (n >= 24 && n <= 128)
        return 4096;
    return 0;
}
