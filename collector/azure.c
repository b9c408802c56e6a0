/* azure.c - the ARM answer parsers of azure.h.
 *
 * Every member is optional unless the collector cannot do without it (ids,
 * names, creationDate, operation state and startTime): azure-api.md section
 * 3 warns that examples omit many. Numbers may exceed 32 bits (maxSizeBytes)
 * and are read as doubles; explicit nulls count as absent. */
#include "collector/azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

TlResult az_bad(TlError *err, const char *path, const char *member, const char *what)
{
    return tl_error_set(err, TL_ERR_DATA, "%s.%s: %s", path, member, what);
}

const cJSON *az_member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNull(v) ? NULL : v;
}

/* Copy an optional string member; wrong type is an error, absence is "". */
TlResult az_opt_str(const cJSON *obj, const char *name, const char *path, char *out, size_t size,
                    TlError *err)
{
    out[0] = '\0';
    const cJSON *v = az_member(obj, name);
    if (!v)
        return TL_OK;
    if (!cJSON_IsString(v))
        return az_bad(err, path, name, "expected a string");
    if (strlen(v->valuestring) >= size)
        return az_bad(err, path, name, "longer than expected");
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return TL_OK;
}

TlResult az_req_str(const cJSON *obj, const char *name, const char *path, char *out, size_t size,
                    TlError *err)
{
    TlResult rc = az_opt_str(obj, name, path, out, size, err);
    if (!rc && !out[0])
        rc = az_bad(err, path, name, "missing");
    return rc;
}

TlResult az_opt_time(const cJSON *obj, const char *name, const char *path, TlTime *out,
                     TlError *err)
{
    *out = TL_TIME_NONE;
    const cJSON *v = az_member(obj, name);
    if (!v)
        return TL_OK;
    if (!cJSON_IsString(v) || !tl_time_parse(v->valuestring, false, out))
        return az_bad(err, path, name, "expected a date-time string");
    return TL_OK;
}

TlResult az_req_time(const cJSON *obj, const char *name, const char *path, TlTime *out,
                     TlError *err)
{
    TlResult rc = az_opt_time(obj, name, path, out, err);
    if (!rc && *out == TL_TIME_NONE)
        rc = az_bad(err, path, name, "missing");
    return rc;
}

TlResult az_opt_int(const cJSON *obj, const char *name, const char *path, double lo, double hi,
                    bool *has, int64_t *out, TlError *err)
{
    *has = false;
    *out = 0;
    const cJSON *v = az_member(obj, name);
    if (!v)
        return TL_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return az_bad(err, path, name, "expected a number in range");
    *has = true;
    *out = (int64_t)v->valuedouble;
    return TL_OK;
}

const cJSON *az_opt_object(const cJSON *obj, const char *name, const char *path, TlResult *rc,
                           TlError *err)
{
    const cJSON *v = az_member(obj, name);
    if (v && !cJSON_IsObject(v)) {
        *rc = az_bad(err, path, name, "expected an object");
        return NULL;
    }
    return v;
}

/* The head every ARM resource item shares: an object with id (required),
 * name and a properties object (required); pp receives "<path>.properties". */
TlResult az_resource_head(const cJSON *item, const char *path, char *id, size_t id_size, char *name,
                          size_t name_size, bool name_required, const cJSON **props, char *pp,
                          size_t pp_size, TlError *err)
{
    *props = NULL;
    if (!cJSON_IsObject(item))
        return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", path);
    snprintf(pp, pp_size, "%s.properties", path);
    TlResult rc = az_req_str(item, "id", path, id, id_size, err);
    if (!rc)
        rc = (name_required ? az_req_str : az_opt_str)(item, "name", path, name, name_size, err);
    const cJSON *p = rc ? NULL : az_opt_object(item, "properties", path, &rc, err);
    if (!rc && !p)
        rc = az_bad(err, path, "properties", "missing");
    *props = p;
    return rc;
}

/* An answer body that must be a JSON object; *root is the caller's. */
TlResult az_parse_object(const char *text, cJSON **root, TlError *err)
{
    const char *end = NULL;
    cJSON *r = cJSON_ParseWithOpts(text ? text : "", &end, true);
    if (!r) {
        size_t at = end && text ? (size_t)(end - text) : 0;
        return tl_error_set(err, TL_ERR_DATA, "$: not JSON (byte %zu)", at);
    }
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return tl_error_set(err, TL_ERR_DATA, "$: expected an object");
    }
    *root = r;
    return TL_OK;
}

TlResult az_page_parse(const char *text, cJSON **root, const cJSON **value, const char **next_link,
                       TlError *err)
{
    *root = NULL;
    *value = NULL;
    *next_link = NULL;
    cJSON *r;
    TlResult rc = az_parse_object(text, &r, err);
    if (rc)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
    if (!cJSON_IsArray(v)) {
        cJSON_Delete(r);
        return tl_error_set(err, TL_ERR_DATA, "$.value: %s", v ? "expected an array" : "missing");
    }
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(r, "nextLink");
    if (next && !cJSON_IsNull(next) && !cJSON_IsString(next)) {
        cJSON_Delete(r);
        return tl_error_set(err, TL_ERR_DATA, "$.nextLink: expected a string");
    }
    if (cJSON_IsString(next) && next->valuestring[0])
        *next_link = next->valuestring;
    *root = r;
    *value = v;
    return TL_OK;
}

TlResult az_graph_parse(const char *text, cJSON **root, const cJSON **data, const char **skip_token,
                        bool *truncated, TlError *err)
{
    *root = NULL;
    *data = NULL;
    *skip_token = NULL;
    *truncated = false;
    cJSON *r;
    TlResult rc = az_parse_object(text, &r, err);
    if (rc)
        return rc;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "data");
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(r, "$skipToken");
    const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(r, "resultTruncated");
    if (!cJSON_IsArray(d)) /* resultFormat objectArray */
        rc = tl_error_set(err, TL_ERR_DATA, "$.data: %s", d ? "expected an array" : "missing");
    else if (skip && !cJSON_IsNull(skip) && !cJSON_IsString(skip))
        rc = tl_error_set(err, TL_ERR_DATA, "$.$skipToken: expected a string");
    else if (trunc && !cJSON_IsString(trunc) && !cJSON_IsBool(trunc))
        rc = tl_error_set(err, TL_ERR_DATA, "$.resultTruncated: expected \"true\" or \"false\"");
    if (rc) {
        cJSON_Delete(r);
        return rc;
    }
    /* the spec makes it a string enum ("true"/"false"); accept a boolean too */
    *truncated = cJSON_IsTrue(trunc) ||
                 (cJSON_IsString(trunc) && strcasecmp(trunc->valuestring, "true") == 0);
    if (cJSON_IsString(skip) && skip->valuestring[0])
        *skip_token = skip->valuestring;
    *root = r;
    *data = d;
    return TL_OK;
}

static void copy_trunc(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void az_error_parse(const char *text, char *code, size_t code_size, char *message,
                    size_t message_size)
{
    code[0] = message[0] = '\0';
    cJSON *r = text ? cJSON_Parse(text) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (!cJSON_IsObject(e))
        e = r; /* flat form (Activity Log, metrics) */
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(c))
        copy_trunc(code, code_size, c->valuestring);
    if (cJSON_IsString(m)) {
        copy_trunc(message, message_size, m->valuestring);
        for (char *p = message; *p; p++) /* one line */
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    cJSON_Delete(r);
}

TlResult az_subscription_from(const cJSON *item, const char *path, AzSubscription *out,
                              TlError *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(item))
        return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", path);
    TlResult rc = az_req_str(item, "subscriptionId", path, out->id, sizeof out->id, err);
    if (!rc)
        rc = az_opt_str(item, "displayName", path, out->name, sizeof out->name, err);
    if (!rc)
        rc = az_opt_str(item, "state", path, out->state, sizeof out->state, err);
    return rc;
}

TlResult az_server_from(const cJSON *item, const char *path, AzServer *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(item))
        return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", path);
    TlResult rc = az_req_str(item, "id", path, out->id, sizeof out->id, err);
    if (!rc)
        rc = az_req_str(item, "name", path, out->name, sizeof out->name, err);
    if (!rc)
        rc = az_opt_str(item, "location", path, out->location, sizeof out->location, err);
    if (!rc &&
        (!arm_id_part(out->id, "resourceGroups", out->resource_group, sizeof out->resource_group) ||
         !arm_id_part(out->id, "subscriptions", out->subscription, sizeof out->subscription)))
        rc = az_bad(err, path, "id", "not a server resource id");
    return rc;
}

static TlResult sku_from(const cJSON *sku, const char *path, const char *name, char *sku_name,
                         char *sku_tier, int *capacity, TlError *err)
{
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, name);
    bool has;
    int64_t cap = 0;
    TlResult rc = az_opt_str(sku, "name", p, sku_name, AZ_OBJ_MAX, err);
    if (!rc)
        rc = az_opt_str(sku, "tier", p, sku_tier, AZ_OBJ_MAX, err);
    if (!rc)
        rc = az_opt_int(sku, "capacity", p, 0, 1e6, &has, &cap, err);
    *capacity = rc ? 0 : (int)cap; /* cap is set only on success */
    return rc;
}

void az_database_cleanup(AzDatabase *d)
{
    if (!d)
        return;
    free(d->tags_json);
    free(d->sku_json);
    free(d->facts_json);
    d->tags_json = d->sku_json = d->facts_json = NULL;
}

const char *const AZ_FACT_PROPERTIES[] = {
    "zoneRedundant", /* the database's replicas spread over availability zones */
    NULL,
};

/* The AZ_FACT_PROPERTIES present in props, as a compact JSON object in
 * *out (NULL when none is); non-zero when out of memory. */
static int fact_properties(const cJSON *props, char **out)
{
    cJSON *facts = NULL;
    *out = NULL;
    for (int i = 0; AZ_FACT_PROPERTIES[i]; i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(props, AZ_FACT_PROPERTIES[i]);
        if (!p || cJSON_IsNull(p))
            continue;
        if (!facts && !(facts = cJSON_CreateObject()))
            return -1;
        cJSON *copy = cJSON_Duplicate(p, 1);
        if (!copy || !cJSON_AddItemToObject(facts, AZ_FACT_PROPERTIES[i], copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(facts);
            return -1;
        }
    }
    if (facts && !(*out = cJSON_PrintUnformatted(facts))) {
        cJSON_Delete(facts);
        return -1;
    }
    cJSON_Delete(facts);
    return 0;
}

TlResult az_database_from(const cJSON *item, const char *path, AzDatabase *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    out->earliest_restore_at = TL_TIME_NONE;
    out->created_at = TL_TIME_NONE;
    char pp[256];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, out->name, sizeof out->name,
                                   true, &props, pp, sizeof pp, err);
    if (!rc)
        rc = az_opt_str(item, "kind", path, out->kind, sizeof out->kind, err);
    if (!rc)
        rc = az_opt_str(item, "location", path, out->location, sizeof out->location, err);
    if (rc)
        return rc;
    out->system = strstr(out->kind, "system") != NULL;
    const cJSON *sku = az_opt_object(item, "sku", path, &rc, err);
    if (!rc && sku)
        rc = sku_from(sku, path, "sku", out->sku_name, out->sku_tier, &out->sku_capacity, err);
    const cJSON *tags = rc ? NULL : az_opt_object(item, "tags", path, &rc, err);
    if (rc)
        return rc;
    const cJSON *cur = az_opt_object(props, "currentSku", pp, &rc, err);
    if (!rc && cur)
        rc = sku_from(cur, pp, "currentSku", out->current_sku_name, out->current_sku_tier,
                      &out->current_sku_capacity, err);
    if (!rc)
        rc = az_opt_str(props, "currentServiceObjectiveName", pp, out->current_objective,
                        sizeof out->current_objective, err);
    if (!rc)
        rc = az_opt_str(props, "requestedServiceObjectiveName", pp, out->requested_objective,
                        sizeof out->requested_objective, err);
    if (!rc)
        rc = az_opt_str(props, "status", pp, out->status, sizeof out->status, err);
    if (!rc)
        rc = az_req_time(props, "creationDate", pp, &out->created_at, err);
    if (!rc)
        rc = az_opt_time(props, "earliestRestoreDate", pp, &out->earliest_restore_at, err);
    if (!rc)
        rc = az_opt_str(props, "databaseId", pp, out->database_uid, sizeof out->database_uid, err);
    if (!rc)
        rc = az_opt_int(props, "maxSizeBytes", pp, -1, 9.0e15, &out->has_max_size,
                        &out->max_size_bytes, err);
    if (!rc)
        rc = az_opt_str(props, "elasticPoolId", pp, out->elastic_pool_id,
                        sizeof out->elastic_pool_id, err);
    if (!rc)
        rc = az_opt_str(props, "secondaryType", pp, out->secondary_type, sizeof out->secondary_type,
                        err);
    if (!rc)
        rc = az_opt_str(props, "sourceDatabaseId", pp, out->source_database_id,
                        sizeof out->source_database_id, err);
    if (!rc)
        rc = az_opt_str(props, "currentBackupStorageRedundancy", pp, out->redundancy,
                        sizeof out->redundancy, err);
    if (rc)
        return rc;
    /* the current objective is what a tier change is measured by (T1-T4);
     * a database that does not say it is not usable */
    if (!out->current_objective[0] && !out->system)
        return az_bad(err, pp, "currentServiceObjectiveName", "missing");
    if (tags && !(out->tags_json = cJSON_PrintUnformatted(tags)))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (sku && !(out->sku_json = cJSON_PrintUnformatted(sku))) {
        az_database_cleanup(out);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    if (fact_properties(props, &out->facts_json)) {
        az_database_cleanup(out);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    return TL_OK;
}

static void strip_sqldb(char *s)
{
    if (strncasecmp(s, "SQLDB_", 6) == 0)
        memmove(s, s + 6, strlen(s + 6) + 1);
}

/* The quoted value after `label` (case-insensitive), e.g. label
 * "Source ServiceLevelObjective" in "... Source ServiceLevelObjective 'X' ...". */
static bool quoted_after(const char *text, const char *label, char *out, size_t size)
{
    size_t ll = strlen(label);
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, label, ll) != 0)
            continue;
        const char *q = p + ll;
        while (*q == ' ')
            q++;
        if (*q != '\'')
            continue;
        q++;
        size_t n = strcspn(q, "'");
        if (q[n] != '\'' || n == 0 || n >= size)
            return false;
        memcpy(out, q, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

bool az_description_objectives(const char *description, char *from, char *to, size_t size)
{
    from[0] = to[0] = '\0';
    if (!description || !quoted_after(description, "Source ServiceLevelObjective", from, size) ||
        !quoted_after(description, "target ServiceLevelObjective", to, size)) {
        from[0] = to[0] = '\0';
        return false;
    }
    strip_sqldb(from);
    strip_sqldb(to);
    return true;
}

TlResult az_operation_from(const cJSON *item, const char *path, AzOperation *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    out->percent = -1;
    char pp[256], state[40], desc[1024];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, out->name, sizeof out->name,
                                   false, &props, pp, sizeof pp, err);
    if (rc)
        return rc;
    rc = az_opt_str(props, "operation", pp, out->operation, sizeof out->operation, err);
    if (!rc)
        rc = az_req_str(props, "state", pp, state, sizeof state, err);
    if (!rc && !history_state_parse(state, &out->state))
        rc = az_bad(err, pp, "state", "unknown operation state");
    if (!rc)
        rc = az_req_time(props, "startTime", pp, &out->started_at, err);
    if (!rc)
        rc = az_opt_time(props, "estimatedCompletionTime", pp, &out->estimated_end, err);
    bool has;
    int64_t pct;
    if (!rc)
        rc = az_opt_int(props, "percentComplete", pp, 0, 100, &has, &pct, err);
    if (!rc && has)
        out->percent = (int)pct;
    const cJSON *phase = rc ? NULL : az_opt_object(props, "operationPhaseDetails", pp, &rc, err);
    if (!rc && phase) {
        char ph[300];
        snprintf(ph, sizeof ph, "%s.operationPhaseDetails", pp);
        rc = az_opt_str(phase, "phase", ph, out->phase, sizeof out->phase, err);
    }
    /* descriptions longer than the buffer are cut, not refused */
    const cJSON *d = az_member(props, "description");
    if (!rc && d && !cJSON_IsString(d))
        rc = az_bad(err, pp, "description", "expected a string");
    if (!rc && d) {
        snprintf(desc, sizeof desc, "%s", d->valuestring);
        az_description_objectives(desc, out->from_objective, out->to_objective,
                                  sizeof out->from_objective);
    }
    return rc;
}

TlResult az_dropped_from(const cJSON *item, const char *path, AzDroppedDatabase *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    char pp[256];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, out->name, sizeof out->name,
                                   false, &props, pp, sizeof pp, err);
    if (rc)
        return rc;
    rc = az_req_str(props, "databaseName", pp, out->database_name, sizeof out->database_name, err);
    if (!rc)
        rc = az_req_time(props, "creationDate", pp, &out->created_at, err);
    if (!rc)
        rc = az_req_time(props, "deletionDate", pp, &out->deleted_at, err);
    return rc;
}

/* The create fields of an event's properties.requestbody: optional, and
 * anything unreadable in it is left out (a body Azure cut short, another
 * shape), never an error. */
static void request_body(const cJSON *item, AzEvent *out)
{
    const cJSON *props = az_member(item, "properties");
    const cJSON *text = cJSON_IsObject(props) ? az_member(props, "requestbody") : NULL;
    cJSON *body = cJSON_IsString(text) ? cJSON_Parse(text->valuestring) : NULL;
    const cJSON *p = cJSON_IsObject(body) ? az_member(body, "properties") : NULL;
    const cJSON *mode = cJSON_IsObject(p) ? az_member(p, "createMode") : NULL;
    if (cJSON_IsString(mode))
        copy_trunc(out->create_mode, sizeof out->create_mode, mode->valuestring);
    static const char *const sources[] = {"sourceDatabaseId", "restorableDroppedDatabaseId",
                                          "recoverableDatabaseId",
                                          "longTermRetentionBackupResourceId"};
    for (size_t k = 0; cJSON_IsObject(p) && k < sizeof sources / sizeof *sources; k++) {
        const cJSON *s = az_member(p, sources[k]);
        if (cJSON_IsString(s) && !out->create_source[0])
            copy_trunc(out->create_source, sizeof out->create_source, s->valuestring);
    }
    cJSON_Delete(body);
}

TlResult az_event_from(const cJSON *item, const char *path, AzEvent *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(item))
        return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", path);
    TlResult rc = az_opt_str(item, "eventDataId", path, out->event_id, sizeof out->event_id, err);
    if (!rc)
        rc = az_opt_str(item, "correlationId", path, out->correlation_id,
                        sizeof out->correlation_id, err);
    const cJSON *caller = az_member(item, "caller");
    if (!rc && caller && cJSON_IsString(caller)) /* may be long (an SPN URI): cut, not refused */
        copy_trunc(out->caller, sizeof out->caller, caller->valuestring);
    if (!rc)
        rc = az_opt_str(item, "resourceId", path, out->resource_id, sizeof out->resource_id, err);
    if (!rc)
        rc = az_req_time(item, "eventTimestamp", path, &out->at, err);
    const cJSON *op = rc ? NULL : az_opt_object(item, "operationName", path, &rc, err);
    if (!rc && op) {
        char p[256];
        snprintf(p, sizeof p, "%s.operationName", path);
        rc = az_opt_str(op, "value", p, out->operation, sizeof out->operation, err);
    }
    const cJSON *st = rc ? NULL : az_opt_object(item, "status", path, &rc, err);
    if (!rc && st) {
        char p[256];
        snprintf(p, sizeof p, "%s.status", path);
        rc = az_opt_str(st, "value", p, out->status, sizeof out->status, err);
    }
    if (!rc)
        request_body(item, out);
    return rc;
}

TlResult az_retention_parse(const char *text, int *days, TlError *err)
{
    *days = 0;
    cJSON *r = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return tl_error_set(err, TL_ERR_DATA, "$: not a JSON object");
    }
    TlResult rc = TL_OK;
    const cJSON *props = az_opt_object(r, "properties", "$", &rc, err);
    bool has = false;
    int64_t v = 0;
    if (!rc && !props)
        rc = az_bad(err, "$", "properties", "missing");
    if (!rc)
        rc = az_opt_int(props, "retentionDays", "$.properties", 1, 35, &has, &v, err);
    if (!rc && !has)
        rc = az_bad(err, "$.properties", "retentionDays", "missing");
    *days = (int)v;
    cJSON_Delete(r);
    return rc;
}

TlResult az_geo_links_parse(const char *text, int *geo, int *links, TlError *err)
{
    *geo = 0;
    *links = 0;
    cJSON *root;
    const cJSON *value;
    const char *next;
    TlResult rc = az_page_parse(text, &root, &value, &next, err);
    if (rc)
        return rc;
    int i = 0;
    for (const cJSON *it = value->child; it && !rc; it = it->next, i++) {
        char path[48], type[32];
        snprintf(path, sizeof path, "$.value[%d].properties", i);
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(it, "properties");
        if (!cJSON_IsObject(props)) {
            rc = tl_error_set(err, TL_ERR_DATA, "%s: missing", path);
            break;
        }
        rc = az_opt_str(props, "linkType", path, type, sizeof type, err);
        (*links)++;
        if (!rc && (type[0] == '\0' || strcasecmp(type, "GEO") == 0))
            (*geo)++;
    }
    cJSON_Delete(root);
    return rc;
}

/* The metric `name` of a Metrics_List answer (case-insensitive on its REST
 * name), its index in value[] and whether it succeeded on its own; NULL
 * when the answer does not hold it. */
static const cJSON *metric_find(const cJSON *metrics, const char *name, int *index, bool *ok)
{
    int i = 0;
    for (const cJSON *m = metrics->child; m; m = m->next, i++) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "name");
        const cJSON *nv = cJSON_GetObjectItemCaseSensitive(n, "value");
        if (!cJSON_IsString(nv) || strcasecmp(nv->valuestring, name) != 0)
            continue;
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(m, "errorCode");
        *ok = !cJSON_IsString(code) || strcasecmp(code->valuestring, "Success") == 0;
        *index = i;
        return m;
    }
    return NULL;
}

/* Calls each(t, value) for every data point of `m` that has a time and a
 * value (the preferred aggregation, else the other). */
typedef void (*MetricPoint)(void *user, TlTime at, double value);
static TlResult metric_points(const cJSON *m, int index, bool prefer_max, MetricPoint each,
                              void *user, TlError *err)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(m, "timeseries");
    if (series && !cJSON_IsArray(series))
        return tl_error_set(err, TL_ERR_DATA, "$.value[%d].timeseries: expected an array", index);
    const char *first = prefer_max ? "maximum" : "average";
    const char *second = prefer_max ? "average" : "maximum";
    for (const cJSON *s = series ? series->child : NULL; s; s = s->next) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(s, "data");
        for (const cJSON *d = cJSON_IsArray(data) ? data->child : NULL; d; d = d->next) {
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(d, "timeStamp");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, first);
            if (!cJSON_IsNumber(v))
                v = cJSON_GetObjectItemCaseSensitive(d, second);
            TlTime t;
            if (cJSON_IsString(at) && tl_time_parse(at->valuestring, false, &t) &&
                cJSON_IsNumber(v))
                each(user, t, v->valuedouble);
        }
    }
    return TL_OK;
}

typedef struct {
    TlTime day0;
    int n;
    int64_t *out;
} Days;

static void day_add(void *user, TlTime at, double v)
{
    Days *d = user;
    if (at < d->day0 || (at - d->day0) % 86400 != 0 || v < 0 || v >= 9.0e15)
        return; /* not a UTC day's point, or not a size */
    long k = (long)((at - d->day0) / 86400);
    if (k >= d->n)
        return;
    d->out[k] = (d->out[k] < 0 ? 0 : d->out[k]) + (int64_t)(v + 0.5);
}

TlResult az_metric_days(const char *text, const char *name, TlTime day0, int n, int64_t *avg,
                        int64_t *peak, bool *failed, TlError *err)
{
    for (int k = 0; k < n; k++)
        avg[k] = peak ? (peak[k] = -1) : -1;
    *failed = false;
    cJSON *root;
    const cJSON *metrics;
    const char *next;
    TlResult rc = az_page_parse(text, &root, &metrics, &next, err);
    if (rc)
        return rc;
    const cJSON *interval = cJSON_GetObjectItemCaseSensitive(root, "interval");
    if (interval && (!cJSON_IsString(interval) || strcmp(interval->valuestring, "P1D") != 0)) {
        rc = tl_error_set(err, TL_ERR_DATA, "$.interval: expected P1D, got %.40s",
                          cJSON_IsString(interval) ? interval->valuestring : "a non-string");
        cJSON_Delete(root);
        return rc;
    }
    int index;
    bool ok = true;
    const cJSON *m = metric_find(metrics, name, &index, &ok);
    *failed = m && !ok;
    Days a = {day0, n, avg}, p = {day0, n, peak};
    if (m && ok)
        rc = metric_points(m, index, false, day_add, &a, err);
    if (m && ok && peak && !rc)
        rc = metric_points(m, index, true, day_add, &p, err);
    cJSON_Delete(root);
    return rc;
}
