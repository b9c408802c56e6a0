/* test_azure.c - the ARM parsers (collector/azure.h) on every official
 * example in ../shared/fixtures/azure: every file parses; the shapes the
 * collector reads are asserted field by field. Then made-up bad answers:
 * each fails with the JSON path of the first bad member.
 *
 * usage: test_azure [FIXTURE_DIR]  (default ../shared/fixtures/azure) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/azure.h"
#include "collector/collect.h"
#include "tests/harness.h"

static const char *root = "../shared/fixtures/azure";

static char *slurp(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The example's answer body (responses.<status>.body) as text, or the
 * whole file for the identity examples, which are bare bodies. */
static char *body_of(const char *rel, const char *status)
{
    char *text = slurp(rel);
    EXPECT(text != NULL, "%s: cannot read", rel);
    if (!text)
        return NULL;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    EXPECT(doc != NULL, "%s: not JSON", rel);
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(doc, "responses");
    const cJSON *body = resp ? cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(resp, status), "body")
                             : doc;
    char *out = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(doc);
    return out;
}

static void test_every_fixture_parses(void)
{
    const char *dirs[] = {"arm-resource-changes",
                          "arm-subscriptions",
                          "identity",
                          "monitor-activity-log",
                          "monitor-metrics",
                          "resourcegraph",
                          "sql-backup-retention",
                          "sql-database-operations",
                          "sql-databases",
                          "sql-restorable-dropped",
                          "sql-servers"};
    int files = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        DIR *d = opendir(path);
        EXPECT(d != NULL, "%s: missing", path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
                continue;
            char rel[600];
            snprintf(rel, sizeof rel, "%s/%s", dirs[i], e->d_name);
            char *text = slurp(rel);
            cJSON *doc = text ? cJSON_Parse(text) : NULL;
            EXPECT(doc != NULL, "%s: does not parse", rel);
            /* every list-shaped 200 body goes through the page parser */
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "responses"),
                                                 "200"),
                "body");
            if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b, "value"))) {
                char *bt = cJSON_PrintUnformatted(b);
                cJSON *root_page;
                const cJSON *value;
                const char *next;
                TlError err = {{0}, {0}};
                EXPECT(az_page_parse(bt, &root_page, &value, &next, &err) == TL_OK, "%s: page: %s",
                       rel, err.msg);
                cJSON_Delete(root_page);
                free(bt);
            }
            cJSON_Delete(doc);
            free(text);
            files++;
        }
        if (d)
            closedir(d);
    }
    EXPECT(files == 39, "fixture files: %d, expected 39 (PROVENANCE.md lists them)", files);
}

static void test_subscriptions(void)
{
    char *t = body_of("arm-subscriptions/GetSubscriptions.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "subscriptions: %s", err.msg);
    EXPECT(next && strcmp(next, "http://nextlink") == 0, "nextLink: %s", next ? next : "(none)");
    EXPECT(cJSON_GetArraySize(v) == 2, "2 subscriptions");
    AzSubscription s;
    EXPECT(az_subscription_from(cJSON_GetArrayItem(v, 0), "$.value[0]", &s, &err) == TL_OK, "%s",
           err.msg);
    EXPECT(strcmp(s.id, "291bba3f-e0a5-47bc-a099-3bdcb2a50a05") == 0, "id %s", s.id);
    EXPECT(strcmp(s.name, "Example Subscription") == 0, "name %s", s.name);
    EXPECT(strcmp(s.state, "Enabled") == 0, "state %s", s.state);
    EXPECT(az_subscription_from(cJSON_GetArrayItem(v, 1), "$.value[1]", &s, &err) == TL_OK, "%s",
           err.msg);
    EXPECT(strcmp(s.id, "72ac930a-f34e-42d8-b06d-dc2a9e12ed71") == 0, "id %s", s.id);
    cJSON_Delete(r);
    free(t);
}

static void test_servers(void)
{
    const char *files[] = {"sql-servers/ServerList.json",
                           "sql-servers/ServerListByResourceGroup.json"};
    for (int f = 0; f < 2; f++) {
        char *t = body_of(files[f], "200");
        cJSON *r;
        const cJSON *v;
        const char *next;
        TlError err = {{0}, {0}};
        EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s: %s", files[f], err.msg);
        EXPECT(next == NULL, "%s: no nextLink", files[f]);
        EXPECT(cJSON_GetArraySize(v) == 2, "%s: 2 servers", files[f]);
        AzServer s;
        EXPECT(az_server_from(cJSON_GetArrayItem(v, 0), "$.value[0]", &s, &err) == TL_OK, "%s",
               err.msg);
        EXPECT(strcmp(s.name, "sqlcrudtest-4645") == 0, "name %s", s.name);
        EXPECT(strcmp(s.resource_group, "sqlcrudtest-7398") == 0, "rg %s", s.resource_group);
        EXPECT(strcmp(s.subscription, "00000000-1111-2222-3333-444444444444") == 0, "sub %s",
               s.subscription);
        EXPECT(strcmp(s.location, "japaneast") == 0, "location %s", s.location);
        EXPECT(az_server_from(cJSON_GetArrayItem(v, 1), "$.value[1]", &s, &err) == TL_OK, "%s",
               err.msg);
        EXPECT(strcmp(s.name, "sqlcrudtest-6661") == 0, "name %s", s.name);
        cJSON_Delete(r);
        free(t);
    }
}

static TlTime at(const char *text)
{
    TlTime t = TL_TIME_NONE;
    tl_time_parse(text, false, &t);
    return t;
}

static void test_database_list(void)
{
    char *t = body_of("sql-databases/ListVCoreDatabasesByServer.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    int n = cJSON_GetArraySize(v), users = 0, systems = 0;
    EXPECT(n >= 2, "databases: %d", n);
    for (int i = 0; i < n; i++) {
        AzDatabase d;
        char path[32];
        snprintf(path, sizeof path, "$.value[%d]", i);
        TlResult rc = az_database_from(cJSON_GetArrayItem(v, i), path, &d, &err);
        EXPECT(rc == TL_OK, "%s: %s", path, err.msg);
        if (rc)
            continue;
        if (d.system) {
            systems++;
            EXPECT(strcmp(d.name, "master") == 0, "system database %s", d.name);
            EXPECT(strcmp(d.current_objective, "System0") == 0, "master objective %s",
                   d.current_objective);
        } else if (strcmp(d.name, "testdb") == 0) {
            users++;
            EXPECT(strcmp(d.kind, "v12.0,user,vcore") == 0, "kind %s", d.kind);
            EXPECT(strcmp(d.current_objective, "BC_Gen4_2") == 0, "objective %s",
                   d.current_objective);
            EXPECT(strcmp(d.requested_objective, "BC_Gen4_2") == 0, "requested %s",
                   d.requested_objective);
            EXPECT(strcmp(d.current_sku_name, "BC_Gen4") == 0 && d.current_sku_capacity == 2 &&
                       strcmp(d.current_sku_tier, "BusinessCritical") == 0,
                   "currentSku %s %d %s", d.current_sku_name, d.current_sku_capacity,
                   d.current_sku_tier);
            EXPECT(d.created_at == at("2017-06-07T04:41:33Z"), "creationDate");
            EXPECT(d.earliest_restore_at == at("2017-06-07T04:51:33Z"), "earliestRestoreDate");
            EXPECT(strcmp(d.database_uid, "6c764297-577b-470f-9af4-96d3d41e2ba3") == 0, "uid %s",
                   d.database_uid);
            EXPECT(d.has_max_size && d.max_size_bytes == 268435456000LL, "maxSizeBytes %lld",
                   (long long)d.max_size_bytes);
            EXPECT(strcmp(d.redundancy, "Zone") == 0, "redundancy %s", d.redundancy);
            EXPECT(strcmp(d.status, "Online") == 0, "status %s", d.status);
            EXPECT(d.elastic_pool_id[0] == '\0', "no pool");
        } else {
            users++;
        }
        az_database_cleanup(&d);
    }
    EXPECT(systems == 1, "one system database (master), got %d", systems);
    EXPECT(users >= 1, "user databases %d", users);
    cJSON_Delete(r);
    free(t);
}

/* A single database answer (Get/Create/Patch) through the item parser. */
static void one_database(const char *rel, const char *status, const char *name,
                         const char *objective, int64_t max, const char *secondary)
{
    char *t = body_of(rel, status);
    cJSON *item = t ? cJSON_Parse(t) : NULL;
    AzDatabase d;
    TlError err = {{0}, {0}};
    TlResult rc = az_database_from(item, "$", &d, &err);
    EXPECT(rc == TL_OK, "%s: %s", rel, err.msg);
    if (!rc) {
        EXPECT(strcmp(d.name, name) == 0, "%s: name %s", rel, d.name);
        EXPECT(strcmp(d.current_objective, objective) == 0, "%s: objective %s", rel,
               d.current_objective);
        EXPECT(d.max_size_bytes == max, "%s: maxSizeBytes %lld", rel, (long long)d.max_size_bytes);
        EXPECT(strcmp(d.secondary_type, secondary) == 0, "%s: secondaryType %s", rel,
               d.secondary_type);
        EXPECT(d.created_at != TL_TIME_NONE, "%s: creationDate", rel);
        /* the properties kept as facts: each fixture says zoneRedundant false */
        EXPECT(d.facts_json && strcmp(d.facts_json, "{\"zoneRedundant\":false}") == 0,
               "%s: fact properties %s", rel, d.facts_json ? d.facts_json : "(none)");
    }
    az_database_cleanup(&d);
    cJSON_Delete(item);
    free(t);
}

static void test_single_databases(void)
{
    one_database("sql-databases/GetVCoreDatabase.json", "200", "testdb", "BC_Gen5_2",
                 268435456000LL, "");
    one_database("sql-databases/PatchVCoreDatabase.json", "200", "testdb", "BC_Gen4_2",
                 1073741824LL, "");
    one_database("sql-databases/CreateDatabaseMin.json", "200", "testdb", "S0", 268435456000LL, "");
    one_database("sql-databases/CreateDatabaseNamedReplica.json", "200", "testdb", "HS_Gen4_2", -1,
                 "Named");
}

static void test_pool_list(void)
{
    char *t = body_of("sql-databases/ListDatabasesByElasticPool.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    int i = 0;
    for (const cJSON *it = v ? v->child : NULL; it; it = it->next, i++) {
        AzDatabase d;
        char path[32];
        snprintf(path, sizeof path, "$.value[%d]", i);
        TlResult rc = az_database_from(it, path, &d, &err);
        EXPECT(rc == TL_OK, "pool %s: %s", path, err.msg);
        if (!rc) {
            EXPECT(strcmp(d.current_objective, "ElasticPool") == 0, "pool objective %s",
                   d.current_objective);
            EXPECT(strstr(d.elastic_pool_id, "/elasticPools/") != NULL, "elasticPoolId %s",
                   d.elastic_pool_id);
            EXPECT(d.current_sku_name[0] == '\0', "no currentSku in this example");
            EXPECT(d.requested_objective[0] == '\0', "no requested objective in this example");
        }
        az_database_cleanup(&d);
    }
    EXPECT(i >= 1, "pooled databases %d", i);
    cJSON_Delete(r);
    free(t);
}

static void test_operations(void)
{
    char *t = body_of("sql-database-operations/ListDatabaseOperations.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    int n = cJSON_GetArraySize(v), in_progress = 0, phased = 0;
    AzOperation op;
    for (int i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "$.value[%d]", i);
        TlResult rc = az_operation_from(cJSON_GetArrayItem(v, i), path, &op, &err);
        EXPECT(rc == TL_OK, "%s: %s", path, err.msg);
        if (rc)
            continue;
        EXPECT(strcmp(op.operation, "UpdateLogicalDatabase") == 0, "%s operation %s", path,
               op.operation);
        EXPECT(op.started_at != TL_TIME_NONE, "%s startTime", path);
        if (op.state == TL_OP_IN_PROGRESS)
            in_progress++;
        if (op.phase[0])
            phased++;
        if (i == 0) {
            EXPECT(op.state == TL_OP_SUCCEEDED, "first op Succeeded");
            EXPECT(strcmp(op.from_objective, "GP_Gen5_2") == 0, "from %s (SQLDB_ stripped)",
                   op.from_objective);
            EXPECT(strcmp(op.to_objective, "HS_Gen5_2") == 0, "to %s", op.to_objective);
            EXPECT(op.started_at == at("2023-02-13T06:25:23Z"), "startTime");
            EXPECT(op.estimated_end == at("2023-02-17T14:30:30Z"), "estimatedCompletionTime");
            EXPECT(op.percent == 100, "percentComplete %d", op.percent);
            EXPECT(strcmp(op.name, "11111111-1111-1111-1111-111111111111") == 0, "name %s",
                   op.name);
        }
        if (i == 1) {
            EXPECT(strcmp(op.from_objective, "BC_Gen5_6") == 0 &&
                       strcmp(op.to_objective, "HS_Gen5_6") == 0,
                   "op 2: %s -> %s", op.from_objective, op.to_objective);
            EXPECT(strcmp(op.phase, "LogTransitionInProgress") == 0, "phase %s", op.phase);
        }
    }
    EXPECT(n >= 4, "operations: %d", n);
    EXPECT(in_progress >= 1, "an InProgress operation");
    EXPECT(phased >= 1, "a phased operation");
    cJSON_Delete(r);
    free(t);
}

static void test_retention_and_drops(void)
{
    char *t = body_of("sql-backup-retention/GetShortTermRetentionPolicy.json", "200");
    int days = 0;
    TlError err = {{0}, {0}};
    EXPECT(az_retention_parse(t, &days, &err) == TL_OK && days == 7, "retentionDays %d (%s)", days,
           err.msg);
    free(t);
    t = body_of("sql-backup-retention/ListShortTermRetentionPoliciesByDatabase.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    char *item = cJSON_PrintUnformatted(cJSON_GetArrayItem(v, 0));
    EXPECT(az_retention_parse(item, &days, &err) == TL_OK && days >= 1, "list retention %d", days);
    free(item);
    cJSON_Delete(r);
    free(t);

    t = body_of("sql-restorable-dropped/ListRestorableDroppedDatabasesByServer.json", "200");
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    AzDroppedDatabase d;
    EXPECT(az_dropped_from(cJSON_GetArrayItem(v, 0), "$.value[0]", &d, &err) == TL_OK, "%s",
           err.msg);
    EXPECT(strcmp(d.database_name, "testdb") == 0, "databaseName %s", d.database_name);
    EXPECT(d.created_at == at("2017-06-07T04:41:33Z"), "creationDate");
    EXPECT(d.deleted_at == at("2017-05-27T02:49:47Z"), "deletionDate");
    EXPECT(strcmp(d.name, "testdb,131403269876900000") == 0, "name %s", d.name);
    cJSON_Delete(r);
    free(t);
    t = body_of("sql-restorable-dropped/GetRestorableDroppedDatabase.json", "200");
    cJSON *one = cJSON_Parse(t);
    EXPECT(az_dropped_from(one, "$", &d, &err) == TL_OK, "get dropped: %s", err.msg);
    cJSON_Delete(one);
    free(t);
}

static void test_activity_log(void)
{
    char *t = body_of("monitor-activity-log/GetActivityLogsFiltered.json", "200");
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse(t, &r, &v, &next, &err) == TL_OK, "%s", err.msg);
    EXPECT(next && strncmp(next, "https://management.azure.com/", 29) == 0, "nextLink %s",
           next ? next : "(none)");
    AzEvent e;
    EXPECT(az_event_from(cJSON_GetArrayItem(v, 0), "$.value[0]", &e, &err) == TL_OK, "%s", err.msg);
    EXPECT(strcmp(e.caller, "admin@contoso.com") == 0, "caller %s", e.caller);
    EXPECT(strcmp(e.operation, "microsoft.support/supporttickets/write") == 0, "operation %s",
           e.operation);
    EXPECT(e.correlation_id[0] && e.event_id[0], "correlationId and eventDataId");
    EXPECT(strcmp(e.status, "Succeeded") == 0, "status %s", e.status);
    EXPECT(e.at != TL_TIME_NONE, "eventTimestamp");
    EXPECT(!e.create_mode[0] && !e.create_source[0], "no request body: no create fields");
    cJSON_Delete(r);
    free(t);
    /* a create's request body (AMB-MI-7); one cut short or of another shape says nothing */
    static const struct {
        const char *body, *mode, *source;
    } bodies[] = {
        {"{\\\"properties\\\":{\\\"createMode\\\":\\\"Recovery\\\","
         "\\\"recoverableDatabaseId\\\":\\\"/r/db\\\"}}",
         "Recovery", "/r/db"},
        {"{\\\"properties\\\":{\\\"createMode\\\":", "", ""},
        {"[1,2]", "", ""},
    };
    for (size_t k = 0; k < sizeof bodies / sizeof *bodies; k++) {
        char json[512];
        snprintf(
            json, sizeof json,
            "{\"eventTimestamp\":\"2026-01-01T00:00:00Z\",\"properties\":{\"requestbody\":\"%s\"}}",
            bodies[k].body);
        cJSON *item = cJSON_Parse(json);
        EXPECT(item && az_event_from(item, "$.value[0]", &e, &err) == TL_OK, "body %zu: %s", k,
               err.msg);
        EXPECT(strcmp(e.create_mode, bodies[k].mode) == 0 &&
                   strcmp(e.create_source, bodies[k].source) == 0,
               "body %zu: '%s' '%s'", k, e.create_mode, e.create_source);
        cJSON_Delete(item);
    }
}

static void test_errors(void)
{
    char code[64], msg[256];
    az_error_parse("{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\\nreally\"}}",
                   code, sizeof code, msg, sizeof msg);
    EXPECT(strcmp(code, "ResourceNotFound") == 0 && strcmp(msg, "gone really") == 0,
           "wrapped: %s / %s", code, msg);
    char *t = body_of("monitor-metrics/GetMetricDefinitions.json", "default");
    az_error_parse(t, code, sizeof code, msg, sizeof msg);
    EXPECT(strcmp(code, "BadRequest") == 0 && strstr(msg, "ApiVersion") != NULL, "flat: %s / %s",
           code, msg);
    free(t);
    az_error_parse("<html>502</html>", code, sizeof code, msg, sizeof msg);
    EXPECT(code[0] == '\0' && msg[0] == '\0', "not JSON: empty");

    /* SYNTHETIC bad answers: the message names the JSON path */
    struct {
        const char *text, *want;
    } bad[] = {
        {"{\"value\":[{\"id\":\"/x\",\"name\":\"d\",\"properties\":{\"creationDate\":20260801,"
         "\"currentServiceObjectiveName\":\"S0\"}}]}",
         "$.value[0].properties.creationDate: expected a date-time string"},
        {"{\"value\":[{\"id\":\"/x\",\"name\":\"d\",\"properties\":{\"creationDate\":"
         "\"2026-01-01T00:00:00Z\"}}]}",
         "$.value[0].properties.currentServiceObjectiveName: missing"},
        {"{\"value\":[{\"name\":\"d\"}]}", "$.value[0].id: missing"},
        {"{\"value\":[{\"id\":\"/x\",\"name\":\"d\",\"sku\":\"GP\",\"properties\":{}}]}",
         "$.value[0].sku: expected an object"},
        {"{\"value\":[{\"id\":\"/x\",\"name\":\"d\",\"properties\":{\"creationDate\":"
         "\"2026-01-01T00:00:00Z\",\"currentServiceObjectiveName\":\"S0\",\"maxSizeBytes\":"
         "\"big\"}}]}",
         "$.value[0].properties.maxSizeBytes: expected a number in range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *r;
        const cJSON *v;
        const char *next;
        TlError err = {{0}, {0}};
        TlResult rc = az_page_parse(bad[i].text, &r, &v, &next, &err);
        EXPECT(rc == TL_OK, "bad[%zu] page: %s", i, err.msg);
        AzDatabase d;
        if (!rc) {
            rc = az_database_from(cJSON_GetArrayItem(v, 0), "$.value[0]", &d, &err);
            EXPECT(rc == TL_ERR_DATA && strcmp(err.msg, bad[i].want) == 0,
                   "bad[%zu]: got '%s', want '%s'", i, err.msg, bad[i].want);
            if (!rc)
                az_database_cleanup(&d);
            cJSON_Delete(r);
        }
    }
    struct {
        const char *text, *want;
    } pages[] = {
        {"{\"value\":[{\"id\":", "$: not JSON (byte 16)"},
        {"", "$: not JSON (byte 0)"},
        {"[]", "$: expected an object"},
        {"{\"values\":[]}", "$.value: missing"},
        {"{\"value\":{}}", "$.value: expected an array"},
        {"{\"value\":[],\"nextLink\":7}", "$.nextLink: expected a string"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        cJSON *r;
        const cJSON *v;
        const char *next;
        TlError err = {{0}, {0}};
        TlResult rc = az_page_parse(pages[i].text, &r, &v, &next, &err);
        EXPECT(rc == TL_ERR_DATA && strcmp(err.msg, pages[i].want) == 0,
               "page[%zu]: got '%s', want '%s'", i, err.msg, pages[i].want);
        if (!rc)
            cJSON_Delete(r);
    }
    cJSON *r;
    const cJSON *v;
    const char *next;
    TlError err = {{0}, {0}};
    EXPECT(az_page_parse("{\"value\":[],\"nextLink\":null}", &r, &v, &next, &err) == TL_OK &&
               next == NULL,
           "null nextLink ends paging");
    cJSON_Delete(r);
    EXPECT(az_page_parse("{\"value\":[],\"nextLink\":\"\"}", &r, &v, &next, &err) == TL_OK &&
               next == NULL,
           "empty nextLink ends paging");
    cJSON_Delete(r);
}

/* The fixture with its interval set to P1D: its hourly points then count as
 * "days" from any of their hours (day0 need not be midnight). */
static char *with_p1d(char *text)
{
    cJSON *r = cJSON_Parse(text);
    free(text);
    cJSON_ReplaceItemInObjectCaseSensitive(r, "interval", cJSON_CreateString("P1D"));
    char *out = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return out;
}

static void test_metrics_and_links(void)
{
    char *t = with_p1d(body_of("monitor-metrics/GetMetric.json", "200"));
    TlTime at;
    tl_time_parse("2021-04-20T13:00:00Z", false, &at);
    int64_t v[1] = {0}, top[1] = {0};
    bool failed = true;
    TlError err = {{0}, {0}};
    EXPECT(az_metric_days(t, "BlobCapacity", at, 1, v, top, &failed, &err) == TL_OK && !failed &&
               top[0] == 626225, /* five "tier" series at 13:00, summed */
           "BlobCapacity maximum at 13:00: %lld (%s)", (long long)top[0], err.msg);
    EXPECT(az_metric_days(t, "blobcount", at, 1, v, top, &failed, &err) == TL_OK && top[0] == 9,
           "names compared case-insensitively: %lld", (long long)top[0]);
    EXPECT(az_metric_days(t, "allocated_data_storage", at, 1, v, top, &failed, &err) == TL_OK &&
               v[0] == -1 && top[0] == -1 && !failed,
           "a metric not in the answer is unknown");
    free(t);
    t = with_p1d(body_of("monitor-metrics/GetMetricError.json", "200"));
    tl_time_parse("2021-06-07T21:51:00Z", false, &at);
    EXPECT(az_metric_days(t, "MongoRequestsCount", at, 1, v, top, &failed, &err) == TL_OK &&
               failed && v[0] == -1,
           "a metric that failed on its own (errorCode) is unknown, and said");
    EXPECT(az_metric_days(t, "MongoRequests", at, 1, v, top, &failed, &err) == TL_OK && !failed &&
               v[0] == 0 && top[0] == 0,
           "a point with only average: %lld %lld", (long long)v[0], (long long)top[0]);
    free(t);
    const char *none = "{\"value\":[{\"name\":{\"value\":\"storage\"},\"timeseries\":[{\"data\":"
                       "[{\"timeStamp\":\"2025-03-01T00:00:00Z\"},{\"timeStamp\":"
                       "\"2025-03-02T00:00:00Z\",\"maximum\":null}]}]}]}";
    tl_time_parse("2025-03-01T00:00:00Z", false, &at);
    int64_t two[2], two_top[2];
    EXPECT(az_metric_days(none, "storage", at, 2, two, two_top, &failed, &err) == TL_OK &&
               two[0] == -1 && two[1] == -1 && two_top[1] == -1,
           "points without values are unknown, never 0 (SYNTHETIC)");

    /* daily values (the backup metrics): P1D only, one slot per UTC day */
    t = body_of("monitor-metrics/GetMetric.json", "200");
    int64_t day[3] = {0, 0, 0}, peak[3] = {0, 0, 0};
    EXPECT(az_metric_days(t, "BlobCapacity", 0, 3, day, NULL, &failed, &err) == TL_ERR_DATA &&
               strcmp(err.msg, "$.interval: expected P1D, got PT1H") == 0,
           "an adjusted grain is refused: %s", err.msg);
    free(t);
    TlTime d0;
    tl_time_parse("2025-03-01T00:00:00Z", false, &d0);
    const char *daily =
        "{\"interval\":\"P1D\",\"value\":[{\"name\":{\"value\":\"full_backup_size_bytes\"},"
        "\"errorCode\":\"Success\",\"timeseries\":[{\"data\":["
        "{\"timeStamp\":\"2025-03-01T00:00:00Z\",\"average\":1000.4,\"maximum\":2000.0},"
        "{\"timeStamp\":\"2025-03-02T00:00:00Z\",\"average\":null},"
        "{\"timeStamp\":\"2025-03-03T12:00:00Z\",\"average\":7.0},"
        "{\"timeStamp\":\"2025-03-03T00:00:00Z\",\"maximum\":3000.0}]},"
        "{\"data\":[{\"timeStamp\":\"2025-03-01T00:00:00Z\",\"average\":1.0}]}]},"
        "{\"name\":{\"value\":\"log_backup_size_bytes\"},\"errorCode\":\"InvalidSamplingType\","
        "\"timeseries\":[]}]}";
    EXPECT(az_metric_days(daily, "FULL_backup_size_bytes", d0, 3, day, peak, &failed, &err) ==
                   TL_OK &&
               !failed && day[0] == 1001 && day[1] == -1 && day[2] == 3000,
           "average by day, split series summed, no value is unknown, maximum when no average, "
           "points off midnight ignored (SYNTHETIC): %lld %lld %lld",
           (long long)day[0], (long long)day[1], (long long)day[2]);
    EXPECT(peak[0] == 2001 && peak[1] == -1 && peak[2] == 3000,
           "the peak from the same call: maximum, else average, summed: %lld", (long long)peak[0]);
    EXPECT(az_metric_days(daily, "log_backup_size_bytes", d0, 3, day, peak, &failed, &err) ==
                   TL_OK &&
               failed && day[0] == -1 && day[1] == -1 && day[2] == -1 && peak[0] == -1,
           "a metric failed on its own: all unknown, and said");
    EXPECT(az_metric_days(daily, "full_backup_size_bytes", d0 + 86400, 1, day, NULL, &failed,
                          &err) == TL_OK &&
               day[0] == -1,
           "days outside the window are left out");

    int geo = -1;
    int links = -1;
    EXPECT(az_geo_links_parse("{\"value\":[]}", &geo, &links, &err) == TL_OK && geo == 0 &&
               links == 0,
           "no links");
    EXPECT(az_geo_links_parse("{\"value\":[{\"properties\":{\"linkType\":\"NAMED\"}},"
                              "{\"properties\":{\"linkType\":\"GEO\",\"role\":\"Primary\"}}]}",
                              &geo, &links, &err) == TL_OK &&
               geo == 1 && links == 2,
           "a GEO link among others (SYNTHETIC)");
    EXPECT(az_geo_links_parse("{\"value\":[{\"properties\":{\"linkType\":\"GEO\"}},"
                              "{\"properties\":{}},{\"properties\":{\"linkType\":\"NAMED\"}}]}",
                              &geo, &links, &err) == TL_OK &&
               geo == 2 && links == 3,
           "two geo links (one without linkType: older answers) are counted (SYNTHETIC)");
    EXPECT(az_geo_links_parse("{\"value\":[{\"properties\":{\"linkType\":\"STANDBY\"}}]}", &geo,
                              &links, &err) == TL_OK &&
               geo == 0,
           "a standby link is not geo-replication");
    EXPECT(az_geo_links_parse("{\"value\":[{\"id\":\"x\"}]}", &geo, &links, &err) == TL_ERR_DATA &&
               strcmp(err.msg, "$.value[0].properties: missing") == 0,
           "links: %s", err.msg);
}

static void test_descriptions(void)
{
    char f[64], t[64];
    EXPECT(az_description_objectives("'UpdateLogicalDatabase' on database 'x', Source "
                                     "ServiceLevelObjective 'SQLDB_HS_Gen5_2', target "
                                     "ServiceLevelObjective 'SQLDB_GP_Gen5_2', target database "
                                     "MaxSize '32'GB",
                                     f, t, sizeof f) &&
               strcmp(f, "HS_Gen5_2") == 0 && strcmp(t, "GP_Gen5_2") == 0,
           "description: %s -> %s", f, t);
    EXPECT(!az_description_objectives("'CreateLogicalDatabase' on database 'x'", f, t, sizeof f) &&
               f[0] == '\0' && t[0] == '\0',
           "a description without objectives");
    EXPECT(!az_description_objectives("Source ServiceLevelObjective 'unterminated", f, t, sizeof f),
           "an unterminated quote");
    char part[64];
    EXPECT(arm_id_part("/subscriptions/S/resourceGroups/RG-1/providers/Microsoft.Sql/servers/v",
                       "resourcegroups", part, sizeof part) &&
               strcmp(part, "RG-1") == 0,
           "id part (case-insensitive key): %s", part);
}

/* Resource Graph answers (7b): the three official pages, then SYNTHETIC bad ones */
static void test_resource_graph(void)
{
    cJSON *r;
    const cJSON *data;
    const char *skip;
    bool truncated = true;
    TlError err = {{0}, {0}};
    char *t = body_of("resourcegraph/ResourcesBasicQuery.json", "200");
    EXPECT(az_graph_parse(t, &r, &data, &skip, &truncated, &err) == TL_OK &&
               cJSON_GetArraySize(data) == 3 && !skip && !truncated,
           "basic query: 3 rows, last page (%s)", err.msg);
    cJSON_Delete(r);
    free(t);
    t = body_of("resourcegraph/ResourcesNextPageQuery.json", "200");
    EXPECT(az_graph_parse(t, &r, &data, &skip, &truncated, &err) == TL_OK && skip &&
               strcmp(skip, "eyAibm8yIjogImx1Y2syIiwgImJ1dDIiOiAibmljZTIiLCAidHJ5MiI6ICIhIiB9") ==
                   0,
           "next page query: its $skipToken (%s)", err.msg);
    cJSON_Delete(r);
    free(t);
    t = body_of("resourcegraph/ResourcesPropertiesQuery.json", "200");
    EXPECT(az_graph_parse(t, &r, &data, &skip, &truncated, &err) == TL_OK &&
               cJSON_GetArraySize(data) > 0,
           "properties query parses (%s)", err.msg);
    cJSON_Delete(r);
    free(t);
    EXPECT(az_graph_parse("{\"count\":0}", &r, &data, &skip, &truncated, &err) == TL_ERR_DATA &&
               strcmp(err.msg, "$.data: missing") == 0,
           "no data: %s", err.msg);
    EXPECT(az_graph_parse("{\"data\":{\"columns\":[]}}", &r, &data, &skip, &truncated, &err) ==
                   TL_ERR_DATA &&
               strcmp(err.msg, "$.data: expected an array") == 0,
           "table format refused: %s", err.msg);
    EXPECT(az_graph_parse("{\"data\":[],\"resultTruncated\":\"true\"}", &r, &data, &skip,
                          &truncated, &err) == TL_OK &&
               truncated && !skip,
           "resultTruncated read");
    cJSON_Delete(r);
    EXPECT(az_graph_parse("{\"data\":[],\"$skipToken\":7}", &r, &data, &skip, &truncated, &err) ==
                   TL_ERR_DATA &&
               strcmp(err.msg, "$.$skipToken: expected a string") == 0,
           "bad token: %s", err.msg);
    EXPECT(az_graph_parse("{\"data\":[", &r, &data, &skip, &truncated, &err) == TL_ERR_DATA &&
               strncmp(err.msg, "$: not JSON", 11) == 0,
           "truncated: %s", err.msg);
}

/* E11: the geo role the collector records from what ARM said */
static void test_geo_role(void)
{
    CollectDb d;
    memset(&d, 0, sizeof d);
    int secs = 7;
    d.geo_links = -1;
    EXPECT(collect_geo_role(&d, &secs) == NULL && secs == -1, "links not read: unknown");
    d.geo_links = 0;
    const char *role = collect_geo_role(&d, &secs);
    EXPECT(role && strcmp(role, "none") == 0 && secs == 0, "no geo link: none");
    d.geo_links = 2;
    role = collect_geo_role(&d, &secs);
    EXPECT(role && strcmp(role, "primary") == 0 && secs == 2, "two geo links: a primary of two");
    snprintf(d.db.secondary_type, sizeof d.db.secondary_type, "Geo");
    role = collect_geo_role(&d, &secs);
    EXPECT(role && strcmp(role, "secondary") == 0 && secs == -1,
           "secondaryType Geo: a secondary, its own secondaries unknown");
    d.geo_links = -1;
    role = collect_geo_role(&d, &secs);
    EXPECT(role && strcmp(role, "secondary") == 0, "a secondary even before its links are read");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        root = argv[1];
    test_every_fixture_parses();
    test_subscriptions();
    test_servers();
    test_database_list();
    test_single_databases();
    test_pool_list();
    test_operations();
    test_retention_and_drops();
    test_activity_log();
    test_errors();
    test_descriptions();
    test_metrics_and_links();
    test_resource_graph();
    test_geo_role();
    return harness_finish("test_azure");
}
