/* azure_mi.c - the Managed Instance answer parsers of azure.h
 * (azure-api-mi.md). As in azure.c every member is optional unless the
 * collector cannot do without it (ids, names, creationDate, operation state
 * and startTime); unknown enum values are kept as given. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "collector/azure.h"
#include "model/mi.h"

TlResult az_managed_instance_from(const cJSON *item, const char *path, AzManagedInstance *out,
                                  TlError *err)
{
    memset(out, 0, sizeof *out);
    char pp[256];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, out->name, sizeof out->name,
                                   true, &props, pp, sizeof pp, err);
    if (!rc &&
        (!arm_id_part(out->id, "resourceGroups", out->resource_group, sizeof out->resource_group) ||
         !arm_id_part(out->id, "subscriptions", out->subscription, sizeof out->subscription)))
        rc = az_bad(err, path, "id", "not a managed instance resource id");
    if (!rc)
        rc = az_opt_str(item, "location", path, out->location, sizeof out->location, err);
    const cJSON *sku = rc ? NULL : az_opt_object(item, "sku", path, &rc, err);
    bool has;
    int64_t v;
    char sp[256];
    snprintf(sp, sizeof sp, "%s.sku", path);
    if (!rc && sku)
        rc = az_opt_str(sku, "tier", sp, out->tier, sizeof out->tier, err);
    if (!rc && sku && !(rc = az_opt_int(sku, "capacity", sp, 1, 1e4, &has, &v, err)) && has)
        out->vcores = (int)v;
    if (!rc && !(rc = az_opt_int(props, "vCores", pp, 1, 1e4, &has, &v, err)) && has)
        out->vcores = (int)v;
    if (!rc && !(rc = az_opt_int(props, "storageSizeInGB", pp, 1, 1e7, &has, &v, err)) && has)
        out->storage_gb = (int)v;
    if (!rc)
        rc = az_opt_str(props, "currentBackupStorageRedundancy", pp, out->redundancy,
                        sizeof out->redundancy, err);
    if (!rc)
        rc = az_opt_str(props, "state", pp, out->state, sizeof out->state, err);
    if (!rc)
        rc = az_opt_str(props, "databaseFormat", pp, out->database_format,
                        sizeof out->database_format, err);
    return rc;
}

TlResult az_managed_database_from(const cJSON *item, const char *path, AzManagedDatabase *out,
                                  TlError *err)
{
    memset(out, 0, sizeof *out);
    char pp[256];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, out->name, sizeof out->name,
                                   true, &props, pp, sizeof pp, err);
    if (!rc)
        rc = az_opt_str(props, "status", pp, out->status, sizeof out->status, err);
    if (!rc)
        rc = az_req_time(props, "creationDate", pp, &out->created_at, err);
    if (!rc)
        rc = az_opt_time(props, "earliestRestorePoint", pp, &out->earliest_restore_at, err);
    return rc;
}

/* The latest stepEndTime of operationSteps.stepsList[]. */
static TlResult steps_end(const cJSON *props, const char *pp, TlTime *end, TlError *err)
{
    *end = TL_TIME_NONE;
    TlResult rc = TL_OK;
    const cJSON *steps = az_opt_object(props, "operationSteps", pp, &rc, err);
    const cJSON *list = steps ? az_member(steps, "stepsList") : NULL;
    if (rc || !list)
        return rc;
    if (!cJSON_IsArray(list))
        return az_bad(err, pp, "operationSteps.stepsList", "expected an array");
    int i = 0;
    for (const cJSON *s = list->child; s && !rc; s = s->next, i++) {
        char p[300];
        snprintf(p, sizeof p, "%s.operationSteps.stepsList[%d]", pp, i);
        TlTime t;
        if (!cJSON_IsObject(s))
            return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", p);
        rc = az_opt_time(s, "stepEndTime", p, &t, err);
        if (!rc && t != TL_TIME_NONE && (*end == TL_TIME_NONE || t > *end))
            *end = t;
    }
    return rc;
}

TlResult az_mi_operation_from(const cJSON *item, const char *path, AzMiOperation *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    char pp[256], id[AZ_ID_MAX];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, id, sizeof id, out->name, sizeof out->name, true,
                                   &props, pp, sizeof pp, err);
    if (!rc)
        rc = az_opt_str(props, "operation", pp, out->operation, sizeof out->operation, err);
    if (!rc)
        rc = az_req_str(props, "state", pp, out->state, sizeof out->state, err);
    if (!rc)
        rc = az_req_time(props, "startTime", pp, &out->started_at, err);
    if (!rc)
        rc = steps_end(props, pp, &out->ended_at, err);
    const cJSON *op = rc ? NULL : az_opt_object(props, "operationParameters", pp, &rc, err);
    char rp[300];
    snprintf(rp, sizeof rp, "%s.operationParameters", pp);
    const cJSON *req = op ? az_opt_object(op, "requestedParameters", rp, &rc, err) : NULL;
    if (!rc && req) {
        bool has;
        int64_t v;
        snprintf(rp, sizeof rp, "%s.operationParameters.requestedParameters", pp);
        out->has_requested = true;
        rc = az_opt_str(req, "tier", rp, out->tier, sizeof out->tier, err);
        if (!rc && !(rc = az_opt_int(req, "vCores", rp, 1, 1e4, &has, &v, err)) && has)
            out->vcores = (int)v;
        if (!rc && !(rc = az_opt_int(req, "storageSizeInGB", rp, 1, 1e7, &has, &v, err)) && has)
            out->storage_gb = (int)v;
    }
    return rc;
}

TlResult az_mi_link_from(const cJSON *item, const char *path, AzMiLinkDatabase *out, size_t max,
                         size_t *n, TlError *err)
{
    *n = 0;
    char pp[256], id[AZ_ID_MAX], name[AZ_NAME_MAX], role[16] = "", partner[AZ_NAME_MAX] = "";
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, id, sizeof id, name, sizeof name, false, &props, pp,
                                   sizeof pp, err);
    if (!rc)
        rc = az_opt_str(props, "instanceLinkRole", pp, role, sizeof role, err);
    if (!rc)
        rc = az_opt_str(props, "partnerEndpoint", pp, partner, sizeof partner, err);
    const cJSON *dbs = rc ? NULL : az_member(props, "databases");
    if (rc || !dbs)
        return rc;
    if (!cJSON_IsArray(dbs))
        return az_bad(err, pp, "databases", "expected an array");
    int i = 0;
    for (const cJSON *d = dbs->child; d && !rc && *n < max; d = d->next, i++) {
        char p[300];
        snprintf(p, sizeof p, "%s.databases[%d]", pp, i);
        if (!cJSON_IsObject(d))
            return tl_error_set(err, TL_ERR_DATA, "%s: expected an object", p);
        AzMiLinkDatabase *o = &out[*n];
        memset(o, 0, sizeof *o);
        rc = az_req_str(d, "databaseName", p, o->database_name, sizeof o->database_name, err);
        if (!rc)
            rc = az_opt_str(d, "replicaState", p, o->replica_state, sizeof o->replica_state, err);
        snprintf(o->instance_role, sizeof o->instance_role, "%s", role);
        snprintf(o->partner, sizeof o->partner, "%s", partner);
        if (!rc)
            (*n)++;
    }
    return rc;
}

/* "subscriptions/..." (MI-A13 writes ids without the leading '/') + the database */
static TlResult move_db(const cJSON *props, const char *pp, const char *instance,
                        const char *database, char *out, size_t size, TlError *err)
{
    char id[AZ_ID_MAX], name[AZ_NAME_MAX];
    TlResult rc = az_req_str(props, instance, pp, id, sizeof id, err);
    if (!rc)
        rc = az_req_str(props, database, pp, name, sizeof name, err);
    if (!rc &&
        (size_t)snprintf(out, size, "%s%s/databases/%s", id[0] == '/' ? "" : "/", id, name) >= size)
        rc = az_bad(err, pp, instance, "longer than expected");
    return rc;
}

TlResult az_mi_move_from(const cJSON *item, const char *path, AzMiMove *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    char pp[256], id[AZ_ID_MAX], op[64] = "", mode[16] = "";
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, id, sizeof id, out->name, sizeof out->name, true,
                                   &props, pp, sizeof pp, err);
    if (!rc)
        rc = az_req_str(props, "operation", pp, op, sizeof op, err);
    if (!rc)
        rc = az_opt_str(props, "operationMode", pp, mode, sizeof mode, err);
    if (!rc)
        rc = az_req_str(props, "state", pp, out->state, sizeof out->state, err);
    if (!rc)
        rc = az_req_time(props, "startTime", pp, &out->started_at, err);
    if (!rc)
        rc = move_db(props, pp, "sourceManagedInstanceId", "sourceDatabaseName", out->source_db,
                     sizeof out->source_db, err);
    if (!rc)
        rc = move_db(props, pp, "targetManagedInstanceId", "targetDatabaseName", out->target_db,
                     sizeof out->target_db, err);
    /* spelled startManagedInstanceDatabaseMove too: case-insensitive */
    out->complete = strcasecmp(op, "ContinueManagedInstanceDatabaseMove") == 0;
    if (!rc && !out->complete && strcasecmp(op, "StartManagedInstanceDatabaseMove") != 0)
        rc = az_bad(err, pp, "operation", "not a database move operation");
    out->copy = strcasecmp(mode, "Copy") == 0;
    return rc;
}

TlResult az_mi_restore_type_parse(const char *text, char *type, size_t size, TlError *err)
{
    type[0] = '\0';
    cJSON *r;
    TlResult rc = az_parse_object(text, &r, err);
    if (rc)
        return rc;
    const cJSON *props = az_opt_object(r, "properties", "$", &rc, err);
    if (!rc && !props)
        rc = az_bad(err, "$", "properties", "missing");
    if (!rc)
        rc = az_opt_str(props, "type", "$.properties", type, size, err);
    cJSON_Delete(r);
    return rc;
}

/* The properties of a policy list's first item (its "default"): *props
 * NULL when the list is empty; *root the caller's (NULL on failure). */
static TlResult first_policy(const char *text, cJSON **root, const cJSON **props, TlError *err)
{
    const cJSON *value;
    const char *next;
    *props = NULL;
    TlResult rc = az_page_parse(text, root, &value, &next, err);
    const cJSON *item = rc ? NULL : cJSON_GetArrayItem(value, 0);
    if (item && !(*props = az_opt_object(item, "properties", "$.value[0]", &rc, err)) && !rc)
        rc = az_bad(err, "$.value[0]", "properties", "missing");
    return rc;
}

TlResult az_dropped_retention_parse(const char *text, int *days, TlError *err)
{
    *days = -1;
    cJSON *root;
    const cJSON *props;
    bool has = false;
    int64_t v = 0;
    TlResult rc = first_policy(text, &root, &props, err);
    if (!rc && props)
        rc = az_opt_int(props, "retentionDays", "$.value[0].properties", 0, 35, &has, &v, err);
    if (!rc && props && !has)
        rc = az_bad(err, "$.value[0].properties", "retentionDays", "missing");
    if (!rc && has)
        *days = (int)v;
    cJSON_Delete(root);
    return rc;
}

TlResult az_mi_ltr_policy_parse(const char *text, AzMiLtrPolicy *out, TlError *err)
{
    *out = (AzMiLtrPolicy){"PT0S", "PT0S", "PT0S", 0};
    cJSON *root;
    const cJSON *props;
    const char *pp = "$.value[0].properties";
    TlResult rc = first_policy(text, &root, &props, err);
    static const char *const names[] = {"weeklyRetention", "monthlyRetention", "yearlyRetention"};
    char *into[] = {out->weekly, out->monthly, out->yearly};
    for (size_t k = 0; k < 3 && !rc && props; k++) {
        char v[sizeof out->weekly];
        int days;
        rc = az_opt_str(props, names[k], pp, v, sizeof v, err);
        if (!rc && v[0] && !mi_ltr_duration_parse(v, &days))
            rc = az_bad(err, pp, names[k], "not an ISO 8601 duration such as P4W");
        if (!rc && v[0])
            snprintf(into[k], sizeof out->weekly, "%s", v);
    }
    bool has;
    int64_t week;
    if (!rc && props && !(rc = az_opt_int(props, "weekOfYear", pp, 0, 52, &has, &week, err)) && has)
        out->week_of_year = (int)week;
    cJSON_Delete(root);
    return rc;
}

TlResult az_mi_ltr_backup_from(const cJSON *item, const char *path, AzMiLtrBackup *out,
                               TlError *err)
{
    memset(out, 0, sizeof *out);
    char name[AZ_NAME_MAX], pp[256];
    const cJSON *props;
    TlResult rc = az_resource_head(item, path, out->id, sizeof out->id, name, sizeof name, false,
                                   &props, pp, sizeof pp, err);
    if (!rc)
        rc = az_req_time(props, "backupTime", pp, &out->taken_at, err);
    if (!rc)
        rc = az_opt_str(props, "databaseName", pp, out->database_name, sizeof out->database_name,
                        err);
    if (!rc && !out->database_name[0])
        rc = az_bad(err, pp, "databaseName", "missing");
    if (!rc)
        rc = az_opt_str(props, "backupStorageRedundancy", pp, out->redundancy,
                        sizeof out->redundancy, err);
    return rc;
}

/* DMS's "not set" is year 1 (azure-api-mi.md MI-A15): any instant before
 * 1900 is taken as not set. */
static void unset_year_one(TlTime *t)
{
    if (*t != TL_TIME_NONE && *t < tl_days_from_civil(1900, 1, 1) * TL_SECONDS_PER_DAY)
        *t = TL_TIME_NONE;
}

TlResult az_mi_dms_parse(const char *text, AzMiDmsMigration *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    cJSON *r;
    TlResult rc = az_parse_object(text, &r, err);
    if (rc)
        return rc;
    const cJSON *p = az_opt_object(r, "properties", "$", &rc, err);
    const char *pp = "$.properties";
    if (!rc && !p)
        rc = az_bad(err, "$", "properties", "missing");
    if (!rc)
        rc = az_opt_str(p, "migrationStatus", pp, out->status, sizeof out->status, err);
    if (!rc)
        rc = az_opt_time(p, "startedOn", pp, &out->started_at, err);
    if (!rc)
        rc = az_opt_time(p, "endedOn", pp, &out->ended_at, err);
    if (!rc)
        rc = az_opt_str(p, "sourceServerName", pp, out->source_server, sizeof out->source_server,
                        err);
    if (!rc)
        rc = az_opt_str(p, "sourceDatabaseName", pp, out->source_database,
                        sizeof out->source_database, err);
    if (!rc)
        rc = az_opt_str(p, "migrationOperationId", pp, out->operation_id, sizeof out->operation_id,
                        err);
    unset_year_one(&out->started_at);
    unset_year_one(&out->ended_at);
    cJSON_Delete(r);
    return rc;
}
