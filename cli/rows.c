/* rows.c - the checks of one import row (see rows.h). */
#include "cli/rows.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/arm_id.h"
#include "model/billing.h"
#include "model/check.h"
#include "model/history.h"
#include "model/objective.h"

/* ---- import: transitions ------------------------------------------------- */

const char *const rows_transition_required[] = {
    "resource_id", "started_at", "ended_at", "state", "from_objective", "to_objective", NULL};
const char *const rows_transition_optional[] = {"operation_id", "initiated_by", NULL};

void rows_transition_columns(const CsvTable *tab, RowsTransitionColumns *c)
{
    *c = (RowsTransitionColumns){
        csvfile_column(tab, "resource_id"),  csvfile_column(tab, "operation_id"),
        csvfile_column(tab, "started_at"),   csvfile_column(tab, "ended_at"),
        csvfile_column(tab, "state"),        csvfile_column(tab, "from_objective"),
        csvfile_column(tab, "to_objective"), csvfile_column(tab, "initiated_by")};
}

TlResult rows_transition(const CsvTable *tab, const CsvRow *row, const RowsTransitionColumns *c,
                         MergeEntry *e, TlError *err)
{
    const char *name = tab->name;
    memset(e, 0, sizeof *e);
    e->line = row->line;
    ArmDatabaseId parts;
    e->resource_id = csvfile_field(row, c->resource_id);
    if (!arm_database_id_parse(e->resource_id, &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                            name, row->line, e->resource_id);
    if (!arm_id_key(e->resource_id, e->key, sizeof e->key))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: resource_id is too long", name, row->line);
    TlTransition *t = &e->t;
    const char *started = csvfile_field(row, c->started_at),
               *ended = csvfile_field(row, c->ended_at);
    if (!csvfile_time(started, false, &t->started_at))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: started_at '%s' is not an RFC 3339 time from 1970 to 9999",
                            name, row->line, started);
    t->ended_at = TL_TIME_NONE;
    if (ended[0] && !csvfile_time(ended, false, &t->ended_at))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: ended_at '%s' is not an RFC 3339 time from 1970 to 9999", name,
                            row->line, ended);
    const char *state = csvfile_field(row, c->state);
    if (!history_state_parse(state, &t->state))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: unknown state '%s' (Pending, InProgress, Succeeded, Failed, "
                            "CancelInProgress, Cancelled)",
                            name, row->line, state);
    t->from_objective = csvfile_field(row, c->from);
    t->to_objective = csvfile_field(row, c->to);
    if (!t->to_objective[0])
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: to_objective is empty", name, row->line);
    if (strlen(t->to_objective) >= TL_OBJECTIVE_MAX ||
        strlen(t->from_objective) >= TL_OBJECTIVE_MAX)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: objective name longer than %d characters",
                            name, row->line, TL_OBJECTIVE_MAX - 1);
    t->operation_id = csvfile_nonempty(csvfile_field(row, c->operation_id));
    t->initiated_by = csvfile_nonempty(csvfile_field(row, c->initiated_by));
    if (history_is_creation(t) && t->state == TL_OP_SUCCEEDED && t->ended_at == TL_TIME_NONE)
        t->ended_at = t->started_at; /* a creation is complete when recorded */
    return TL_OK;
}

/* ---- import-facts -------------------------------------------------------- */

const char *const rows_fact_required[] = {"resource_id", "observed_at", NULL};
const char *const rows_fact_optional[] = {
    "retention_days",  "elastic_pool_id",     "in_elastic_pool", "geo_replication",
    "named_replicas",  "allocated_bytes",     "max_size_bytes",  "geo_role",
    "geo_secondaries", "requested_objective", "requested_since", NULL};
const char *const rows_fact_columns[ROWS_FACT_COLUMNS] = {
    "resource_id",     "observed_at",     "retention_days",  "elastic_pool_id",
    "in_elastic_pool", "geo_replication", "named_replicas",  "allocated_bytes",
    "max_size_bytes",  "geo_role",        "geo_secondaries", "requested_objective",
    "requested_since"};

static TlResult parse_bool(const char *text, const char **out)
{
    static const char *const yes[] = {"true", "yes", "1", "t", "y", NULL};
    static const char *const no[] = {"false", "no", "0", "f", "n", NULL};
    char low[8];
    size_t n = 0;
    for (; text[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)text[n]);
    low[n] = '\0';
    *out = NULL;
    if (!text[0])
        return TL_OK;
    for (int i = 0; yes[i]; i++)
        if (strcmp(low, yes[i]) == 0)
            return (*out = "true", TL_OK);
    for (int i = 0; no[i]; i++)
        if (strcmp(low, no[i]) == 0)
            return (*out = "false", TL_OK);
    return TL_ERR_DATA;
}

TlResult rows_fact(const CsvTable *tab, const CsvRow *row, const char *const *v, TlTime *observed,
                   const char **pool_flag, const char **geo_flag, TlError *err)
{
    const char *name = tab->name;
    ArmDatabaseId parts;
    long long retention = 0;
    if (!arm_database_id_parse(v[0], &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                            name, row->line, v[0]);
    if (!csvfile_time(v[1], false, observed))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: observed_at '%s' is not an RFC 3339 time from 1970 to 9999",
                            name, row->line, v[1]);
    if (v[2][0] && (!csvfile_is_count(v[2], 35) || (retention = atoll(v[2])) < 1))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: retention_days '%s' is not between 1 and 35 (L9)", name,
                            row->line, v[2]);
    if (parse_bool(v[4], pool_flag) || parse_bool(v[5], geo_flag))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: in_elastic_pool and geo_replication take true or false", name,
                            row->line);
    if ((v[6][0] && !csvfile_is_count(v[6], 1000)) ||
        (v[7][0] && !csvfile_is_count(v[7], INT64_MAX / 2)) ||
        (v[8][0] && !csvfile_is_count(v[8], INT64_MAX / 2) && strcmp(v[8], "-1") != 0))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: named_replicas, allocated_bytes and max_size_bytes take "
                            "whole non-negative numbers",
                            name, row->line);
    TlGeoRole role;
    if (v[9][0] && !check_geo_role_parse(v[9], &role))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: geo_role '%s' is not none, primary or secondary (E11)", name,
                            row->line, v[9]);
    if (v[10][0] && !csvfile_is_count(v[10], 1000))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: geo_secondaries '%s' is not a whole number from 0 to 1000",
                            name, row->line, v[10]);
    TlTime since;
    if (strlen(v[11]) >= TL_OBJECTIVE_MAX)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: requested_objective is too long (W6)", name,
                            row->line);
    if (v[12][0] && (!v[11][0] || !csvfile_time(v[12], false, &since)))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: requested_since '%s' needs a requested_objective and an RFC "
                            "3339 time (W6)",
                            name, row->line, v[12]);
    return TL_OK;
}

/* ---- import-usage -------------------------------------------------------- */

const char *const rows_usage_required[] = {"resource_id",     "day",
                                           "full_bytes",      "diff_bytes",
                                           "log_bytes",       "snapshot_bytes",
                                           "allocated_bytes", "max_size_bytes",
                                           "redundancy",      NULL};
const char *const rows_usage_optional[] = {"region", "elastic_pool_id", "tags", NULL};
const char *const rows_usage_columns[ROWS_USAGE_COLUMNS] = {"resource_id",     "day",
                                                            "full_bytes",      "diff_bytes",
                                                            "log_bytes",       "snapshot_bytes",
                                                            "allocated_bytes", "max_size_bytes",
                                                            "redundancy",      "region",
                                                            "elastic_pool_id", "tags"};

static bool is_bytes(const char *text, bool allow_minus_one)
{
    return (allow_minus_one && strcmp(text, "-1") == 0) ||
           csvfile_is_count(text, 999999999999999999LL); /* 18 digits at most */
}

/* A JSON object of string values, as ARM tags are. */
static bool is_tags(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    bool ok = cJSON_IsObject(json);
    for (cJSON *item = json ? json->child : NULL; ok && item; item = item->next)
        ok = cJSON_IsString(item);
    cJSON_Delete(json);
    return ok;
}

static bool mi_database_id(const char *id);

TlResult rows_usage(const CsvTable *tab, const CsvRow *row, const int *col, TlError *err)
{
    const char *name = tab->name;
    const char *v[ROWS_USAGE_COLUMNS];
    for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
        v[k] = col[k] >= 0 ? row->fields[col[k]] : "";
    ArmDatabaseId parts;
    TlTime day;
    bool mi = mi_instance_prefix(v[ROWS_USAGE_ID]) > 0;
    if (mi ? !mi_database_id(v[ROWS_USAGE_ID]) : !arm_database_id_parse(v[ROWS_USAGE_ID], &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not the resource id of an Azure SQL "
                            "database or Managed Instance database",
                            name, row->line, v[ROWS_USAGE_ID]);
    if (strlen(v[ROWS_USAGE_DAY]) != 10 || !csvfile_time(v[ROWS_USAGE_DAY], true, &day))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: day '%s' is not a date (YYYY-MM-DD, 1970 to 9999)", name,
                            row->line, v[ROWS_USAGE_DAY]);
    for (int k = ROWS_USAGE_FULL; k <= ROWS_USAGE_MAX; k++)
        if (v[k][0] && !is_bytes(v[k], k == ROWS_USAGE_MAX))
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s '%s' is not a whole number of bytes",
                                name, row->line, rows_usage_columns[k], v[k]);
    if (v[ROWS_USAGE_RED][0] && !billing_redundancy_arm(v[ROWS_USAGE_RED]))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: unknown redundancy '%s' (Local, Zone, Geo, GeoZone or LRS, "
                            "ZRS, RA-GRS, RA-GZRS)",
                            name, row->line, v[ROWS_USAGE_RED]);
    if (v[ROWS_USAGE_TAGS][0] && !is_tags(v[ROWS_USAGE_TAGS]))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: tags is not a JSON object of strings", name,
                            row->line);
    return TL_OK;
}

/* ---- import-costs ------------------------------------------------------------ */

const char *rows_costs_format_str(RowsCostsFormat f)
{
    static const char *const names[] = {"focus", "mca", "ea", "payg"};
    return names[f];
}

/* The first of names the header has, or -1. */
static int first_column(const CsvTable *tab, const char *const *names)
{
    for (; *names; names++)
        if (csvfile_column(tab, *names) >= 0)
            return csvfile_column(tab, *names);
    return -1;
}

#define COLS(...) ((const char *const[]){__VA_ARGS__, NULL})

TlResult rows_costs_columns(const CsvTable *tab, RowsCostColumns *c, TlError *err)
{
    *c = (RowsCostColumns){.period = -1, .effective = -1};
    if (csvfile_column(tab, "BilledCost") >= 0) {
        *c = (RowsCostColumns){ROWS_COSTS_FOCUS,
                               csvfile_column(tab, "ResourceId"),
                               first_column(tab, COLS("x_SkuMeterName", "SkuMeter")),
                               first_column(tab, COLS("ConsumedQuantity", "PricingQuantity")),
                               csvfile_column(tab, "BilledCost"),
                               csvfile_column(tab, "EffectiveCost"),
                               csvfile_column(tab, "BillingCurrency"),
                               csvfile_column(tab, "ChargePeriodStart"),
                               csvfile_column(tab, "BillingPeriodStart")};
    } else if (csvfile_column(tab, "costInBillingCurrency") >= 0) {
        *c = (RowsCostColumns){ROWS_COSTS_MCA,
                               first_column(tab, COLS("ResourceId", "resourceId")),
                               csvfile_column(tab, "meterName"),
                               csvfile_column(tab, "quantity"),
                               csvfile_column(tab, "costInBillingCurrency"),
                               -1,
                               csvfile_column(tab, "billingCurrency"),
                               csvfile_column(tab, "date"),
                               csvfile_column(tab, "billingPeriodStartDate")};
    } else if (csvfile_column(tab, "CostInBillingCurrency") >= 0) {
        *c = (RowsCostColumns){ROWS_COSTS_EA,
                               csvfile_column(tab, "ResourceId"),
                               csvfile_column(tab, "MeterName"),
                               csvfile_column(tab, "Quantity"),
                               csvfile_column(tab, "CostInBillingCurrency"),
                               -1,
                               first_column(tab, COLS("BillingCurrencyCode", "BillingCurrency")),
                               csvfile_column(tab, "Date"),
                               csvfile_column(tab, "BillingPeriodStartDate")};
    } else if (first_column(tab, COLS("PreTaxCost", "Cost")) >= 0) {
        *c = (RowsCostColumns){ROWS_COSTS_PAYG,
                               first_column(tab, COLS("ResourceId", "InstanceId")),
                               csvfile_column(tab, "MeterName"),
                               first_column(tab, COLS("UsageQuantity", "Quantity")),
                               first_column(tab, COLS("PreTaxCost", "Cost")),
                               -1,
                               first_column(tab, COLS("Currency", "BillingCurrency")),
                               first_column(tab, COLS("UsageDateTime", "Date")),
                               -1};
    } else {
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: not a Cost Management export: no BilledCost (FOCUS), "
                            "costInBillingCurrency (MCA), CostInBillingCurrency (EA) or "
                            "PreTaxCost (pay-as-you-go) column",
                            tab->name, tab->header.line);
    }
    const char *missing = c->resource < 0   ? "the resource id"
                          : c->meter < 0    ? "the meter name"
                          : c->currency < 0 ? "the currency"
                          : c->day < 0      ? "the charge date"
                                            : NULL;
    if (missing)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: a %s export without a column for %s",
                            tab->name, tab->header.line, rows_costs_format_str(c->format), missing);
    return TL_OK;
}

/* YYYY-MM-DD[Thh:mm...], or MM/DD/YYYY as the cost-details exports write it. */
static bool cost_day(const char *text, TlTime *out)
{
    unsigned m, d, y;
    char tail;
    if (sscanf(text, "%2u/%2u/%4u%c", &m, &d, &y, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 &&
        d <= 31 && y >= 1970) {
        char iso[32];
        snprintf(iso, sizeof iso, "%04u-%02u-%02u", y, m, d);
        return tl_time_parse(iso, true, out);
    }
    return tl_time_parse(text, true, out);
}

static bool cost_number(const char *text, double *out)
{
    char *end;
    if (!text[0])
        return false;
    *out = strtod(text, &end);
    return *end == '\0' && isfinite(*out);
}

TlResult rows_cost(const CsvTable *tab, const CsvRow *row, const RowsCostColumns *c, bool *keep,
                   RowsCost *out, TlError *err)
{
    const char *name = tab->name;
    memset(out, 0, sizeof *out);
    out->resource_id = csvfile_field(row, c->resource);
    out->meter = csvfile_field(row, c->meter);
    ArmDatabaseId parts;
    bool backup = false; /* "backup" in the meter name, any case */
    for (const char *p = out->meter; *p && !backup; p++)
        backup = strncasecmp(p, "backup", 6) == 0;
    *keep = backup && arm_database_id_parse(out->resource_id, &parts);
    if (!*keep)
        return TL_OK;
    out->currency = csvfile_field(row, c->currency);
    const char *q = csvfile_field(row, c->quantity), *cost = csvfile_field(row, c->cost);
    const char *eff = csvfile_field(row, c->effective);
    out->quantity = (double)NAN;
    if (q[0] && !cost_number(q, &out->quantity))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: quantity '%s' is not a number", name,
                            row->line, q);
    if (!cost_number(cost, &out->cost))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: cost '%s' is not a number", name, row->line,
                            cost);
    out->effective = out->cost;
    out->quantity_text = q[0] ? q : NULL;
    out->cost_text = cost;
    out->effective_text = eff[0] ? eff : cost;
    if (eff[0] && !cost_number(eff, &out->effective))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: effective cost '%s' is not a number", name,
                            row->line, eff);
    if (strlen(out->currency) != 3 || !isupper((unsigned char)out->currency[0]) ||
        !isupper((unsigned char)out->currency[1]) || !isupper((unsigned char)out->currency[2]))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: currency '%s' is not an ISO 4217 code", name,
                            row->line, out->currency);
    const char *day = csvfile_field(row, c->day), *period = csvfile_field(row, c->period);
    if (!cost_day(day, &out->day))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: date '%s' is not a date", name, row->line,
                            day);
    TlTime p = out->day;
    if (period[0] && !cost_day(period, &p))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: billing period start '%s' is not a date",
                            name, row->line, period);
    int64_t y;
    unsigned m, d;
    tl_civil_from_days(p / TL_SECONDS_PER_DAY, &y, &m, &d);
    out->period = tl_days_from_civil(y, m, 1) * TL_SECONDS_PER_DAY;
    return TL_OK;
}

/* ---- import-mi ----------------------------------------------------------- */

const char *const rows_mi_required[] = {"resource_id", "event", "at", NULL};
const char *const *const rows_mi_optional = rows_mi_columns + ROWS_MI_STATE;
const char *const rows_mi_columns[ROWS_MI_COLUMNS + 1] = {"resource_id",
                                                          "event",
                                                          "at",
                                                          "state",
                                                          "operation_id",
                                                          "initiated_by",
                                                          "origin",
                                                          "source_server",
                                                          "source_database",
                                                          "earliest_restore_point",
                                                          "retention_days",
                                                          "tier",
                                                          "vcores",
                                                          "storage_size_gb",
                                                          "redundancy",
                                                          "database_format",
                                                          "tde_protected",
                                                          "compatibility_level",
                                                          "detail",
                                                          "ltr_weekly",
                                                          "ltr_monthly",
                                                          "ltr_yearly",
                                                          "ltr_week_of_year",
                                                          "data_bytes",
                                                          "log_bytes_per_day",
                                                          NULL};

/* An MI database id: the instance prefix, then /databases/NAME and nothing more. */
static bool mi_database_id(const char *id)
{
    size_t len = mi_instance_prefix(id);
    const char *rest = id + len;
    return len && strncasecmp(rest, "/databases/", 11) == 0 && rest[11] && !strchr(rest + 11, '/');
}

static bool mi_instance_id(const char *id)
{
    size_t len = mi_instance_prefix(id);
    return len && id[len] == '\0';
}

static bool mi_origin_fits(TlMiEventKind k, TlMiOrigin o)
{
    if (k == TL_MI_EV_CREATED)
        return o != TL_MI_ORIGIN_MOVE && !mi_origin_is_migration(o);
    if (k == TL_MI_EV_MIGRATION_STARTED)
        return mi_origin_is_migration(o);
    return (k == TL_MI_EV_MOVE_STARTED || k == TL_MI_EV_MOVE_READY ||
            k == TL_MI_EV_MOVE_COMPLETED || k == TL_MI_EV_MOVE_CANCELLED) &&
           o == TL_MI_ORIGIN_COPY;
}

/* The event's own columns (retention, restore point, instance changes). */
static TlResult mi_needs(const char *name, const CsvRow *row, const char *const *v, TlMiEventKind k,
                         TlError *err)
{
    TlTime t;
    const char *ev = v[ROWS_MI_EVENT];
    if (k == TL_MI_EV_RESTORE_POINT_OBSERVED && !v[ROWS_MI_ERP][0])
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s needs earliest_restore_point", name,
                            row->line, ev);
    if (v[ROWS_MI_ERP][0] && !csvfile_time(v[ROWS_MI_ERP], false, &t))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: earliest_restore_point '%s' is not an RFC 3339 time", name,
                            row->line, v[ROWS_MI_ERP]);
    if (k == TL_MI_EV_RETENTION_CHANGED && !v[ROWS_MI_RETENTION][0])
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s needs retention_days", name, row->line,
                            ev);
    if (v[ROWS_MI_RETENTION][0] && !csvfile_is_count(v[ROWS_MI_RETENTION], 35))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: retention_days '%s' is not 0 to 35", name,
                            row->line, v[ROWS_MI_RETENTION]);
    static const int counts[] = {ROWS_MI_VCORES, ROWS_MI_STORAGE, ROWS_MI_COMPAT};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        const char *x = v[counts[i]];
        if (x[0] && (!csvfile_is_count(x, 1000000) || atol(x) == 0))
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s '%s' is not a positive whole number",
                                name, row->line, rows_mi_columns[counts[i]], x);
    }
    const char *red = v[ROWS_MI_REDUNDANCY], *tde = v[ROWS_MI_TDE];
    if (red[0] && strcmp(red, "Local") != 0 && strcmp(red, "Zone") != 0 &&
        strcmp(red, "Geo") != 0 && strcmp(red, "GeoZone") != 0)
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: redundancy '%s' is not Local, Zone, Geo or GeoZone", name,
                            row->line, red);
    if (tde[0] && strcmp(tde, "true") != 0 && strcmp(tde, "false") != 0)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: tde_protected '%s' is not true or false",
                            name, row->line, tde);
    if (k == TL_MI_EV_INSTANCE_CHANGED && !v[ROWS_MI_TIER][0] && !v[ROWS_MI_VCORES][0] &&
        !v[ROWS_MI_STORAGE][0] && !red[0] && !v[ROWS_MI_FORMAT][0])
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: instance_changed needs one of tier, vcores, storage_size_gb, "
                            "redundancy, database_format",
                            name, row->line);
    int days;
    for (int c = ROWS_MI_LTR_WEEKLY; c <= ROWS_MI_LTR_YEARLY; c++)
        if (v[c][0] && !mi_ltr_duration_parse(v[c], &days))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: %s '%s' is not an ISO 8601 duration such as P4W, P12M, "
                                "P5Y or PT0S",
                                name, row->line, rows_mi_columns[c], v[c]);
    const char *week = v[ROWS_MI_LTR_WEEK];
    if (week[0] && (!csvfile_is_count(week, 52) || atol(week) == 0))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: ltr_week_of_year '%s' is not 1 to 52", name,
                            row->line, week);
    if (k == TL_MI_EV_LTR_POLICY_CHANGED && !v[ROWS_MI_LTR_WEEKLY][0] &&
        !v[ROWS_MI_LTR_MONTHLY][0] && !v[ROWS_MI_LTR_YEARLY][0])
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: ltr_policy_changed needs ltr_weekly, ltr_monthly or ltr_yearly "
                            "(PT0S: none kept)",
                            name, row->line);
    bool sized =
        k == TL_MI_EV_SIZE_OBSERVED || k == TL_MI_EV_CREATED || k == TL_MI_EV_MIGRATION_STARTED;
    for (int c = ROWS_MI_DATA_BYTES; c <= ROWS_MI_LOG_BYTES; c++) {
        if (v[c][0] && !csvfile_is_count(v[c], 1LL << 53))
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s '%s' is not a whole number of bytes",
                                name, row->line, rows_mi_columns[c], v[c]);
        if (v[c][0] && !sized)
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: %s is for size_observed, created or migration_started, "
                                "not %s",
                                name, row->line, rows_mi_columns[c], ev);
    }
    if (k == TL_MI_EV_SIZE_OBSERVED && !v[ROWS_MI_DATA_BYTES][0] && !v[ROWS_MI_LOG_BYTES][0])
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: size_observed needs data_bytes or log_bytes_per_day", name,
                            row->line);
    if ((k == TL_MI_EV_LTR_BACKUP_TAKEN || k == TL_MI_EV_LTR_BACKUP_GONE) && !v[ROWS_MI_DETAIL][0])
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s needs the LTR backup's id in detail", name,
                            row->line, ev);
    if (k == TL_MI_EV_MOVE_COMPLETED && !mi_database_id(v[ROWS_MI_DETAIL]))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: move_completed needs the destination MI database in detail "
                            "(got '%s')",
                            name, row->line, v[ROWS_MI_DETAIL]);
    return TL_OK;
}

TlResult rows_mi(const CsvTable *tab, const CsvRow *row, const char *const *v, TlError *err)
{
    const char *name = tab->name, *id = v[ROWS_MI_ID], *ev = v[ROWS_MI_EVENT];
    TlMiEventKind k;
    TlMiOrigin o;
    TlTime t;
    if (!mi_event_parse(ev, &k))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: unknown event '%s' (created, migration_started, "
                            "migration_cutover, ... : see import-mi --help)",
                            name, row->line, ev);
    if (mi_event_is_instance(k) ? !mi_instance_id(id) : !mi_database_id(id))
        return tl_error_set(
            err, TL_ERR_DATA, "%s:%d: '%s' is not the ARM id of a managed %s", name, row->line, id,
            mi_event_is_instance(k) ? "instance (an instance event)" : "instance database");
    if (!csvfile_time(v[ROWS_MI_AT], false, &t))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: at '%s' is not an RFC 3339 time", name,
                            row->line, v[ROWS_MI_AT]);
    const char *origin = v[ROWS_MI_ORIGIN];
    bool needs = k == TL_MI_EV_CREATED || k == TL_MI_EV_MIGRATION_STARTED;
    if ((needs && !origin[0]) ||
        (origin[0] && (!mi_origin_parse(origin, &o) || !mi_origin_fits(k, o))))
        return tl_error_set(
            err, TL_ERR_DATA, "%s:%d: origin '%s' does not fit %s (%s)", name, row->line, origin,
            ev,
            k == TL_MI_EV_CREATED ? "new, pitr, geo_restore, ltr_restore, copy or unknown"
            : k == TL_MI_EV_MIGRATION_STARTED ? "lrs, dms, native_restore or mi_link"
                                              : "only copy, on a move event, marks a copy");
    return mi_needs(name, row, v, k, err);
}
