/* fuzz_arm.c - the ARM answer parsers of collector/azure.h: every parser
 * reads the same input, as a list page, a Resource Graph answer, an error
 * body, replication links, metrics, a retention policy and the Managed
 * Instance answers (instances, databases, operations, links, moves, LTR
 * policies and backups, restore details, DMS, a dropped database's
 * retention). Seeds: the official examples in ../shared/fixtures/azure. */
#include "collector/azure.h"
#include "model/mi.h"
#include "tests/fuzz/fuzz.h"

/* The Managed Instance item parsers on one item. */
static void mi_item(const cJSON *item, const char *path)
{
    TlError err = {0};
    AzManagedInstance mi;
    AzManagedDatabase mdb;
    AzMiOperation mop;
    AzMiLinkDatabase links[4];
    AzMiMove move;
    AzMiLtrBackup ltr;
    size_t n_links = 0;
    az_managed_instance_from(item, path, &mi, &err);
    if (az_managed_database_from(item, path, &mdb, &err) == TL_OK)
        FUZZ_ASSERT(mdb.created_at != TL_TIME_NONE); /* required */
    az_mi_operation_from(item, path, &mop, &err);
    if (az_mi_link_from(item, path, links, 4, &n_links, &err) == TL_OK)
        FUZZ_ASSERT(n_links <= 4);
    az_mi_move_from(item, path, &move, &err);
    if (az_mi_ltr_backup_from(item, path, &ltr, &err) == TL_OK)
        FUZZ_ASSERT(ltr.taken_at != TL_TIME_NONE && ltr.database_name[0]);
}

/* The Managed Instance answers read whole. */
static void mi_text(const char *text)
{
    TlError err = {0};
    char type[32];
    AzMiDmsMigration dms;
    AzMiLtrPolicy policy;
    int days = 0, d;
    az_mi_restore_type_parse(text, type, sizeof type, &err);
    az_mi_dms_parse(text, &dms, &err);
    if (az_mi_ltr_policy_parse(text, &policy, &err) == TL_OK)
        FUZZ_ASSERT(mi_ltr_duration_parse(policy.weekly, &d) &&
                    mi_ltr_duration_parse(policy.monthly, &d) &&
                    mi_ltr_duration_parse(policy.yearly, &d) && policy.week_of_year >= 0 &&
                    policy.week_of_year <= 52);
    if (az_dropped_retention_parse(text, &days, &err) == TL_OK)
        FUZZ_ASSERT(days >= -1 && days <= 35);
}

static void each_item(const cJSON *items)
{
    int i = 0;
    for (const cJSON *item = items ? items->child : NULL; item; item = item->next, i++) {
        char path[64];
        snprintf(path, sizeof path, "$.value[%d]", i);
        TlError err = {0};
        AzSubscription sub;
        AzServer server;
        AzDatabase db = {0};
        AzOperation op;
        AzDroppedDatabase dropped;
        AzEvent event;
        az_subscription_from(item, path, &sub, &err);
        az_server_from(item, path, &server, &err);
        if (az_database_from(item, path, &db, &err) == TL_OK)
            FUZZ_ASSERT(db.created_at != TL_TIME_NONE); /* required */
        az_database_cleanup(&db);
        if (az_operation_from(item, path, &op, &err) == TL_OK)
            FUZZ_ASSERT(op.started_at != TL_TIME_NONE);
        az_dropped_from(item, path, &dropped, &err);
        az_event_from(item, path, &event, &err);
        mi_item(item, path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    TlError err = {0};
    cJSON *root = NULL;
    const cJSON *value = NULL;
    const char *next = NULL;
    if (az_page_parse(text, &root, &value, &next, &err) == TL_OK) {
        FUZZ_ASSERT(next == NULL || next[0] != '\0');
        each_item(value);
    }
    cJSON_Delete(root);
    root = NULL;
    bool truncated = false;
    if (az_graph_parse(text, &root, &value, &next, &truncated, &err) == TL_OK)
        each_item(value);
    cJSON_Delete(root);
    char code[64], message[256];
    az_error_parse(text, code, sizeof code, message, sizeof message);
    FUZZ_ASSERT(strlen(code) < sizeof code && strlen(message) < sizeof message);
    bool failed = false;
    int geo = 0, links = 0, days = 0;
    if (az_geo_links_parse(text, &geo, &links, &err) == TL_OK)
        FUZZ_ASSERT(links >= 0 && geo >= 0 && geo <= links);
    int64_t avg[8], peak[8];
    az_metric_days(text, "full_backup_size_bytes", 1735689600, 8, avg, peak, &failed, &err);
    az_retention_parse(text, &days, &err);
    mi_text(text);
    char from[AZ_OBJ_MAX], to[AZ_OBJ_MAX];
    if (az_description_objectives(text, from, to, sizeof from))
        FUZZ_ASSERT(strlen(from) < sizeof from && strlen(to) < sizeof to);
    free(text);
    return 0;
}
