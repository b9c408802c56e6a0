/* fuzz_arm.c - the ARM answer parsers of collector/azure.h: every parser
 * reads the same input, as a list page, a Resource Graph answer, an error
 * body, replication links, metrics and a retention policy. Seeds: the
 * official examples in ../shared/fixtures/azure. */
#include "collector/azure.h"
#include "tests/fuzz/fuzz.h"

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
    char from[AZ_OBJ_MAX], to[AZ_OBJ_MAX];
    if (az_description_objectives(text, from, to, sizeof from))
        FUZZ_ASSERT(strlen(from) < sizeof from && strlen(to) < sizeof to);
    free(text);
    return 0;
}
