/* test_azure_mi.c - the Managed Instance parsers (collector/azure.h,
 * azure_mi.c) on every official MI example in
 * ../shared/fixtures/azure/sql-managed-instances, field by field; then
 * made-up bad answers, each failing with the JSON path of the bad member.
 *
 * usage: test_azure_mi [FIXTURE_DIR]  (default ../shared/fixtures/azure) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/azure.h"
#include "tests/harness.h"

static const char *root = "../shared/fixtures/azure";

static TlTime at(const char *text)
{
    TlTime t = TL_TIME_NONE;
    tl_time_parse(text, false, &t);
    return t;
}

/* responses.200.body of an example, as text (the caller frees it) */
static char *body_of(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sql-managed-instances/%s", root, rel);
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL, "%s: cannot read", path);
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (text)
        text[got] = '\0';
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "responses"), "200"),
        "body");
    char *out = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(doc);
    EXPECT(out != NULL, "%s: no responses.200.body", rel);
    return out;
}

/* item k of a list example; *page is the caller's to cJSON_Delete */
static const cJSON *item_of(const char *rel, int k, cJSON **page)
{
    char *t = body_of(rel);
    const cJSON *value = NULL;
    const char *next;
    TlError err = {{0}, {0}};
    *page = NULL;
    EXPECT(t && az_page_parse(t, page, &value, &next, &err) == TL_OK, "%s: %s", rel, err.msg);
    free(t);
    return value ? cJSON_GetArrayItem(value, k) : NULL;
}

static void test_instances(void)
{
    cJSON *page;
    const cJSON *it = item_of("instances/ManagedInstanceList.json", 0, &page);
    AzManagedInstance mi;
    TlError err = {{0}, {0}};
    EXPECT(az_managed_instance_from(it, "$.value[0]", &mi, &err) == TL_OK, "%s", err.msg);
    EXPECT(strcmp(mi.name, "testinstance1") == 0 && strcmp(mi.resource_group, "Test1") == 0 &&
               strcmp(mi.subscription, "00000000-1111-2222-3333-444444444444") == 0,
           "ids: %s %s %s", mi.name, mi.resource_group, mi.subscription);
    EXPECT(strcmp(mi.tier, "GeneralPurpose") == 0 && mi.vcores == 8 && mi.storage_gb == 1024,
           "sku %s %d %d", mi.tier, mi.vcores, mi.storage_gb);
    EXPECT(strcmp(mi.redundancy, "Geo") == 0 && strcmp(mi.state, "Ready") == 0 &&
               strcmp(mi.database_format, "SQLServer2022") == 0,
           "%s %s %s", mi.redundancy, mi.state, mi.database_format);
    it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "value"), 1);
    EXPECT(az_managed_instance_from(it, "$.value[1]", &mi, &err) == TL_OK &&
               strcmp(mi.tier, "BusinessCritical") == 0 && mi.vcores == 16,
           "second: %s %d (%s)", mi.tier, mi.vcores, err.msg);
    cJSON_Delete(page);
    char *t = body_of("instances/ManagedInstanceGet.json");
    cJSON *one = cJSON_Parse(t);
    EXPECT(az_managed_instance_from(one, "$", &mi, &err) == TL_OK && mi.storage_gb > 0, "get: %s",
           err.msg);
    cJSON_Delete(one);
    free(t);
}

static void test_databases(void)
{
    cJSON *page;
    const cJSON *it = item_of("databases/ManagedDatabaseListByManagedInstance.json", 2, &page);
    AzManagedDatabase d;
    TlError err = {{0}, {0}};
    EXPECT(az_managed_database_from(it, "$.value[2]", &d, &err) == TL_OK, "%s", err.msg);
    EXPECT(strcmp(d.name, "testdb3") == 0 && strcmp(d.status, "Inaccessible") == 0, "%s %s", d.name,
           d.status);
    EXPECT(d.created_at == at("2017-08-04T15:00:17.73Z"), "creationDate");
    EXPECT(d.earliest_restore_at == TL_TIME_NONE, "no earliestRestorePoint in the example");
    cJSON_Delete(page);
}

static void test_operations(void)
{
    cJSON *page;
    const cJSON *it = item_of("operations/ListManagedInstanceOperations.json", 1, &page);
    AzMiOperation op;
    TlError err = {{0}, {0}};
    EXPECT(az_mi_operation_from(it, "$.value[1]", &op, &err) == TL_OK, "%s", err.msg);
    EXPECT(strcmp(op.state, "InProgress") == 0 && op.has_requested &&
               strcmp(op.tier, "BusinessCritical") == 0 && op.vcores == 8 && op.storage_gb == 128,
           "%s %d %s %d %d", op.state, op.has_requested, op.tier, op.vcores, op.storage_gb);
    EXPECT(op.started_at == at("2019-12-06T11:08:44.49Z"), "startTime");
    it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "value"), 0);
    EXPECT(az_mi_operation_from(it, "$.value[0]", &op, &err) == TL_OK && !op.has_requested &&
               op.ended_at == TL_TIME_NONE,
           "without parameters or steps: %s", err.msg);
    cJSON_Delete(page);
    char *t = body_of("operations/GetManagedInstanceOperation.json");
    cJSON *one = cJSON_Parse(t);
    EXPECT(az_mi_operation_from(one, "$", &op, &err) == TL_OK, "get: %s", err.msg);
    /* the latest stepEndTime, also of a Canceled step */
    EXPECT(op.ended_at == at("2019-12-06T11:23:11.51Z"), "steps' end");
    cJSON_Delete(one);
    free(t);
}

static void test_migration(void)
{
    char *t = body_of("migration/ManagedDatabaseRestoreDetails.json");
    char type[32];
    TlError err = {{0}, {0}};
    EXPECT(az_mi_restore_type_parse(t, type, sizeof type, &err) == TL_OK &&
               strcmp(type, "LRSRestore") == 0,
           "restore type %s (%s)", type, err.msg);
    free(t);
    t = body_of("migration/SqlMiGetDatabaseMigrationExpanded.json");
    AzMiDmsMigration m;
    EXPECT(az_mi_dms_parse(t, &m, &err) == TL_OK, "dms: %s", err.msg);
    EXPECT(strcmp(m.status, "InProgress") == 0 && strcmp(m.source_server, "sourceserver") == 0 &&
               strcmp(m.source_database, "sourcename") == 0,
           "%s %s %s", m.status, m.source_server, m.source_database);
    EXPECT(m.started_at == TL_TIME_NONE && m.ended_at == TL_TIME_NONE, "year 1 is not set");
    free(t);
    cJSON *page;
    const cJSON *it =
        item_of("migration/DistributedAvailabilityGroupsListByInstance.json", 0, &page);
    AzMiLinkDatabase l[4];
    size_t n = 0;
    EXPECT(az_mi_link_from(it, "$.value[0]", l, 4, &n, &err) == TL_OK && n == 1, "dag: %zu %s", n,
           err.msg);
    EXPECT(n == 1 && strcmp(l[0].database_name, "testdb") == 0 &&
               strcmp(l[0].replica_state, "Catchup") == 0 &&
               strcmp(l[0].instance_role, "Primary") == 0,
           "link database");
    cJSON_Delete(page);
    it = item_of("restorable-dropped/RestorableDroppedManagedDatabaseListByManagedInstance.json", 1,
                 &page);
    AzDroppedDatabase d;
    EXPECT(az_dropped_from(it, "$.value[1]", &d, &err) == TL_OK &&
               strcmp(d.database_name, "testdb2") == 0 &&
               d.deleted_at == at("2017-05-27T02:49:47.69Z"),
           "dropped: %s", err.msg);
    cJSON_Delete(page);
    it = item_of("migration/ManagedDatabaseMoveOperationResultList.json", 0, &page);
    AzMiMove mv;
    EXPECT(az_mi_move_from(it, "$.value[0]", &mv, &err) == TL_OK, "move: %s", err.msg);
    /* "startManagedInstanceDatabaseMove" in lower camel case; ids without the leading / */
    EXPECT(!mv.complete && !mv.copy && strcmp(mv.state, "Succeeded") == 0, "move 0 kind");
    EXPECT(strcmp(mv.source_db, "/subscriptions/00000000-1111-2222-3333-444444444444/"
                                "resourceGroups/rg1/providers/Microsoft.Sql/managedInstances/mi1/"
                                "databases/db1") == 0,
           "source %s", mv.source_db);
    it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "value"), 1);
    EXPECT(az_mi_move_from(it, "$.value[1]", &mv, &err) == TL_OK && mv.complete &&
               strstr(mv.target_db, "/managedInstances/mi2/databases/db1"),
           "move 1: %s %s", err.msg, mv.target_db);
    it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "value"), 2);
    EXPECT(az_mi_move_from(it, "$.value[2]", &mv, &err) == TL_OK && mv.copy && !mv.complete,
           "move 2 is a copy: %s", err.msg);
    cJSON_Delete(page);
    t = body_of("backup-retention/GetManagedShortTermRetentionPolicy.json");
    int days = 0;
    EXPECT(az_retention_parse(t, &days, &err) == TL_OK && days == 14, "retention %d", days);
    free(t);
}

/* made-up bad answers: each error names the member */
static void test_bad(void)
{
    static const struct {
        const char *json, *path;
    } instances[] = {
        {"{\"id\":\"/x\",\"name\":\"a\",\"properties\":{}}", "$.id: not a managed instance"},
        {"{\"id\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Sql/managedInstances/a\","
         "\"name\":\"a\",\"properties\":{\"storageSizeInGB\":\"1024\"}}",
         "$.properties.storageSizeInGB: expected a number"},
        {"{\"id\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Sql/managedInstances/a\","
         "\"name\":\"a\",\"sku\":[],\"properties\":{}}",
         "$.sku: expected an object"},
    };
    TlError err = {{0}, {0}};
    for (size_t i = 0; i < sizeof instances / sizeof *instances; i++) {
        cJSON *j = cJSON_Parse(instances[i].json);
        AzManagedInstance mi;
        EXPECT(az_managed_instance_from(j, "$", &mi, &err) == TL_ERR_DATA &&
                   strstr(err.msg, instances[i].path),
               "instance %zu: %s", i, err.msg);
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse("{\"id\":\"/d\",\"name\":\"d\",\"properties\":{\"status\":\"Online\"}}");
    AzManagedDatabase d;
    EXPECT(az_managed_database_from(j, "$.value[0]", &d, &err) == TL_ERR_DATA &&
               strstr(err.msg, "$.value[0].properties.creationDate: missing"),
           "database: %s", err.msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"id\":\"/o\",\"name\":\"o\",\"properties\":{\"state\":\"Succeeded\","
                    "\"startTime\":\"2026-01-01T00:00:00Z\",\"operationSteps\":{\"stepsList\":"
                    "[{\"stepEndTime\":42}]}}}");
    AzMiOperation op;
    EXPECT(az_mi_operation_from(j, "$", &op, &err) == TL_ERR_DATA &&
               strstr(err.msg, "stepsList[0].stepEndTime: expected a date-time"),
           "operation: %s", err.msg);
    cJSON_Delete(j);
    char type[32];
    EXPECT(az_mi_restore_type_parse("{\"properties\":", type, sizeof type, &err) == TL_ERR_DATA &&
               strstr(err.msg, "$: not JSON"),
           "truncated restore details: %s", err.msg);
    AzMiDmsMigration m;
    EXPECT(az_mi_dms_parse("{\"properties\":{\"startedOn\":\"yesterday\"}}", &m, &err) ==
                   TL_ERR_DATA &&
               strstr(err.msg, "$.properties.startedOn"),
           "dms: %s", err.msg);
    j = cJSON_Parse("{\"id\":\"/m\",\"name\":\"m\",\"properties\":{\"operation\":\"DropDatabase\","
                    "\"state\":\"Succeeded\",\"startTime\":\"2026-01-01T00:00:00Z\","
                    "\"sourceManagedInstanceId\":\"a\",\"sourceDatabaseName\":\"d\","
                    "\"targetManagedInstanceId\":\"b\",\"targetDatabaseName\":\"d\"}}");
    AzMiMove mv;
    EXPECT(az_mi_move_from(j, "$", &mv, &err) == TL_ERR_DATA &&
               strstr(err.msg, "$.properties.operation: not a database move"),
           "move: %s", err.msg);
    cJSON_Delete(j);
    j = cJSON_Parse(
        "{\"id\":\"/g\",\"properties\":{\"databases\":[{\"replicaState\":\"Seeding\"}]}}");
    AzMiLinkDatabase l[2];
    size_t n;
    EXPECT(az_mi_link_from(j, "$", l, 2, &n, &err) == TL_ERR_DATA &&
               strstr(err.msg, "databases[0].databaseName: missing"),
           "link: %s", err.msg);
    cJSON_Delete(j);
}

/* MI-A10: the example's LTR policy; an empty list keeps nothing; a bad duration is refused */
static void test_ltr_policy(void)
{
    char *t = body_of("backup-retention/ManagedInstanceLongTermRetentionPolicyListByDatabase.json");
    AzMiLtrPolicy p;
    TlError err = {{0}, {0}};
    EXPECT(az_mi_ltr_policy_parse(t, &p, &err) == TL_OK, "ltr: %s", err.msg);
    EXPECT(strcmp(p.weekly, "P1M") == 0 && strcmp(p.monthly, "P1Y") == 0 &&
               strcmp(p.yearly, "P5Y") == 0 && p.week_of_year == 5,
           "ltr: %s %s %s %d", p.weekly, p.monthly, p.yearly, p.week_of_year);
    free(t);
    EXPECT(az_mi_ltr_policy_parse("{\"value\":[]}", &p, &err) == TL_OK &&
               strcmp(p.weekly, "PT0S") == 0 && strcmp(p.yearly, "PT0S") == 0 &&
               p.week_of_year == 0,
           "no policy: %s %s", p.weekly, err.msg);
    EXPECT(az_mi_ltr_policy_parse("{\"value\":[{\"properties\":{\"weeklyRetention\":\"P1Q\"}}]}",
                                  &p, &err) == TL_ERR_DATA &&
               strstr(err.msg, "$.value[0].properties.weeklyRetention: not an ISO 8601 duration"),
           "bad duration: %s", err.msg);
    EXPECT(az_mi_ltr_policy_parse("{\"value\":[{\"properties\":{\"weekOfYear\":60}}]}", &p, &err) ==
                   TL_ERR_DATA &&
               strstr(err.msg, "weekOfYear"),
           "bad week: %s", err.msg);
    EXPECT(az_mi_ltr_policy_parse("{\"value\":[", &p, &err) == TL_ERR_DATA, "truncated: %s",
           err.msg);
}

/* MI-A11: the example's backups; the id kept as given (the third's name differs from it) */
static void test_ltr_backups(void)
{
    cJSON *page;
    const cJSON *it = item_of(
        "backup-retention/ManagedInstanceLongTermRetentionBackupListByInstance.json", 2, &page);
    AzMiLtrBackup b;
    TlError err = {{0}, {0}};
    EXPECT(az_mi_ltr_backup_from(it, "$.value[2]", &b, &err) == TL_OK, "ltr backup: %s", err.msg);
    EXPECT(strcmp(b.database_name, "testDatabase3") == 0 && strcmp(b.redundancy, "Geo") == 0 &&
               b.taken_at == at("2017-09-06T08:00:00Z") &&
               strstr(b.id, "/longTermRetentionManagedInstanceBackups/"
                            "43214321-4321-4321-4321-321321321321;131677960820000000;Archive"),
           "ltr backup: %s %s %s", b.database_name, b.redundancy, b.id);
    cJSON_Delete(page);
    cJSON *j = cJSON_Parse("{\"id\":\"/x\",\"properties\":{\"databaseName\":\"d\"}}");
    EXPECT(az_mi_ltr_backup_from(j, "$.value[0]", &b, &err) == TL_ERR_DATA &&
               strstr(err.msg, "$.value[0].properties.backupTime: missing"),
           "no backupTime: %s", err.msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"id\":\"/x\",\"properties\":{\"backupTime\":\"2026-01-01T00:00:00Z\"}}");
    EXPECT(az_mi_ltr_backup_from(j, "$.value[0]", &b, &err) == TL_ERR_DATA &&
               strstr(err.msg, "databaseName: missing"),
           "no database: %s", err.msg);
    cJSON_Delete(j);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        root = argv[1];
    test_instances();
    test_databases();
    test_operations();
    test_migration();
    test_bad();
    test_ltr_policy();
    test_ltr_backups();
    int days;
    TlError err = {{0}, {0}};
    EXPECT(az_dropped_retention_parse("{\"value\":[{\"properties\":{\"retentionDays\":0}}]}", &days,
                                      &err) == TL_OK &&
               days == 0,
           "dropped retention 0: %d %s", days, err.msg);
    EXPECT(az_dropped_retention_parse("{\"value\":[]}", &days, &err) == TL_OK && days == -1,
           "none listed: %d", days);
    EXPECT(az_dropped_retention_parse("{\"value\":[{\"properties\":{\"retentionDays\":36}}]}",
                                      &days, &err) == TL_ERR_DATA &&
               strstr(err.msg, "retentionDays"),
           "36 days: %s", err.msg);
    return harness_finish("test_azure_mi");
}
