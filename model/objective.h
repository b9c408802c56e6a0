/* objective.h - service objective names (domain.md T1-T4): edition,
 * architecture, vCores and family, parsed from names such as "GP_Gen5_4",
 * "SQLDB_HS_S_Gen5_8", "S3" or "ElasticPool". Pure. */
#ifndef TIERLEDGER_MODEL_OBJECTIVE_H
#define TIERLEDGER_MODEL_OBJECTIVE_H

#include <stdbool.h>
#include <stdint.h>

#define TL_OBJECTIVE_MAX 64 /* longest objective name we store, with NUL */

typedef enum {
    TL_EDITION_OTHER = 0, /* T4 unknown, or untracked: Free, System*, DW*, DS* */
    TL_EDITION_BASIC,
    TL_EDITION_STANDARD,
    TL_EDITION_PREMIUM,
    TL_EDITION_GENERAL_PURPOSE,
    TL_EDITION_BUSINESS_CRITICAL,
    TL_EDITION_HYPERSCALE,
} TlEdition;

typedef enum {
    TL_ARCH_STANDARD = 0, /* every edition but Hyperscale (T3) */
    TL_ARCH_HYPERSCALE,
} TlArchitecture;

typedef struct {
    char name[TL_OBJECTIVE_MAX]; /* as given, without an "SQLDB_" prefix */
    TlEdition edition;
    TlArchitecture arch;
    bool known;        /* false: T4, the name was not recognised; a known edition
                          prefix with an unknown family or count (GP_Gen9_4,
                          GP_Gen5_3) still gives the edition (and the count) */
    bool tracked;      /* false for Free, System*, DW*, DS* (recorded, not tracked) */
    bool dtu;          /* Basic, S*, P* */
    bool serverless;   /* GP_S_*, HS_S_* */
    bool elastic_pool; /* "ElasticPool": the database is pooled */
    int vcores;        /* vCore objectives: n (max vCores for serverless); else 0 */
    char family[16];   /* "Gen5", "Fsv2", "DC", "M", "PRMS", "MOPRMS", "Gen4"; else "" */
} TlObjective;

/* Parse an objective name. tier_hint is the ARM sku.tier when known
 * ("GeneralPurpose", "Hyperscale", ...) or NULL; it classifies names that are
 * not recognised (T4) and pooled databases. Never fails: an unrecognised name
 * comes back with known = false and edition OTHER unless the hint says more. */
void objective_parse(const char *name, const char *tier_hint, TlObjective *out);

/* The same, parsed afresh: objective_parse answers from a small memo of the
 * names it parsed last (the fleet paths parse a handful of names millions of
 * times); the tests check the two always agree. */
void objective_parse_fresh(const char *name, const char *tier_hint, TlObjective *out);

/* Case-insensitive comparison ignoring an "SQLDB_" prefix on either side. */
bool objective_equal(const char *a, const char *b);

/* ARM edition name ("GeneralPurpose", "Hyperscale", "Other", ...). */
const char *objective_edition_str(TlEdition edition);
/* Words for people ("General Purpose", "Business Critical", ...). */
const char *objective_edition_label(TlEdition edition);
/* Parse an ARM edition (sku.tier) name, case-insensitively; OTHER if unknown. */
TlEdition objective_edition_parse(const char *tier);

const char *objective_architecture_str(TlArchitecture arch); /* "standard" | "hyperscale" */

/* E8: the maximum data size in GB of a known General Purpose objective (Gen5
 * provisioned or serverless, Fsv2, DC), or 0 when domain.md gives no figure
 * for it. */
int64_t objective_max_data_gb(const TlObjective *obj);

#endif
