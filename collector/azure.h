/* azure.h - parsers for the ARM answers the collector reads
 * (../shared/azure-api.md): list pages, subscriptions, servers, databases,
 * database operations, short-term retention, restorable dropped databases,
 * Activity Log events and error envelopes. No I/O: text in, structs out.
 * A malformed answer fails with the JSON path of the first bad member,
 * e.g. "$.value[2].properties.creationDate: expected a date-time string". */
#ifndef TIERLEDGER_COLLECTOR_AZURE_H
#define TIERLEDGER_COLLECTOR_AZURE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/arm_id.h"
#include "model/lineage.h"
#include "model/result.h"
#include "model/tltime.h"

#define AZ_ID_MAX   512
#define AZ_NAME_MAX 160
#define AZ_OBJ_MAX  64

/* A page of a list: value[] and nextLink. *root owns both; the caller
 * cJSON_Deletes it. next_link is NULL when absent, null or empty. */
TlResult az_page_parse(const char *text, cJSON **root, const cJSON **value, const char **next_link,
                       TlError *err);

/* The code and message of an ARM error body, wrapped {"error":{...}} or flat
 * {"code","message"}; "" when absent. */
void az_error_parse(const char *text, char *code, size_t code_size, char *message,
                    size_t message_size);

typedef struct {
    char id[AZ_NAME_MAX]; /* subscriptionId */
    char name[AZ_NAME_MAX];
    char state[32];
} AzSubscription;

typedef struct {
    char id[AZ_ID_MAX];
    char name[AZ_NAME_MAX];
    char resource_group[AZ_NAME_MAX];
    char subscription[AZ_NAME_MAX];
    char location[64];
} AzServer;

typedef struct {
    char id[AZ_ID_MAX];
    char name[AZ_NAME_MAX];
    char kind[96];
    char location[64];
    bool system; /* kind contains "system" */
    char sku_name[AZ_OBJ_MAX], sku_tier[AZ_OBJ_MAX];
    int sku_capacity; /* 0 when absent */
    char current_sku_name[AZ_OBJ_MAX], current_sku_tier[AZ_OBJ_MAX];
    int current_sku_capacity;
    char current_objective[AZ_OBJ_MAX];   /* currentServiceObjectiveName, "" if absent */
    char requested_objective[AZ_OBJ_MAX]; /* requestedServiceObjectiveName, "" if absent */
    char status[40];
    TlTime created_at;          /* required */
    TlTime earliest_restore_at; /* TL_TIME_NONE when absent */
    char database_uid[40];
    int64_t max_size_bytes; /* -1 (Hyperscale) or 0 when absent */
    bool has_max_size;
    char elastic_pool_id[AZ_ID_MAX];
    char secondary_type[16];
    char source_database_id[AZ_ID_MAX];
    char redundancy[16]; /* currentBackupStorageRedundancy */
    char *tags_json;     /* owned: tags as compact JSON, or NULL */
    char *sku_json;      /* owned: sku as compact JSON, or NULL */
    char *facts_json;    /* owned: the AZ_FACT_PROPERTIES present, as a compact JSON object, or
                            NULL when none is */
} AzDatabase;

/* The ARM database properties kept as facts, NULL-terminated (stored in
 * database_facts.arm_properties, read by sql/store/facts_sql.h). Listing a
 * property here is the collector's whole part of a new fact. */
extern const char *const AZ_FACT_PROPERTIES[];

void az_database_cleanup(AzDatabase *d);

/* One database operation (O1). from/to are the objectives written in the
 * description, without the SQLDB_ prefix; "" when the description names
 * none (not a tier change). */
typedef struct {
    char id[AZ_ID_MAX]; /* the operation resource id */
    char name[AZ_NAME_MAX];
    char operation[64];
    TlOpState state;
    TlTime started_at;
    TlTime estimated_end; /* TL_TIME_NONE when absent */
    int percent;          /* -1 when absent */
    char phase[40];
    char from_objective[AZ_OBJ_MAX], to_objective[AZ_OBJ_MAX];
} AzOperation;

typedef struct {
    char database_name[AZ_NAME_MAX];
    TlTime created_at, deleted_at;
    char id[AZ_ID_MAX];
    char name[AZ_NAME_MAX];
} AzDroppedDatabase;

/* An Activity Log event (7a). */
typedef struct {
    char event_id[80];
    char correlation_id[80];
    char caller[AZ_NAME_MAX];
    char operation[128];
    char status[32];
    char resource_id[AZ_ID_MAX];
    TlTime at;
    /* a create's request body (properties.requestbody, a JSON string; not
     * verified by an official example: azure-api-mi.md "Gaps"), when the
     * event has one: its createMode and source (sourceDatabaseId,
     * restorableDroppedDatabaseId, recoverableDatabaseId or
     * longTermRetentionBackupResourceId); "" otherwise */
    char create_mode[40];
    char create_source[AZ_ID_MAX];
} AzEvent;

/* A Resource Graph `resources` answer (7b, resultFormat objectArray):
 * *data the rows, *skip_token the next page's token (NULL: last page),
 * *truncated resultTruncated. *root as for az_page_parse. */
TlResult az_graph_parse(const char *text, cJSON **root, const cJSON **data, const char **skip_token,
                        bool *truncated, TlError *err);

/* Each fills *out from value[index] of a page; `path` prefixes error paths
 * (e.g. "$.value[3]"). */
TlResult az_subscription_from(const cJSON *item, const char *path, AzSubscription *out,
                              TlError *err);
TlResult az_server_from(const cJSON *item, const char *path, AzServer *out, TlError *err);
TlResult az_database_from(const cJSON *item, const char *path, AzDatabase *out, TlError *err);
TlResult az_operation_from(const cJSON *item, const char *path, AzOperation *out, TlError *err);
TlResult az_dropped_from(const cJSON *item, const char *path, AzDroppedDatabase *out, TlError *err);
TlResult az_event_from(const cJSON *item, const char *path, AzEvent *out, TlError *err);

/* How many links of a replicationLinks list are geo links (linkType GEO,
 * or no linkType: older answers) in *geo; *links counts all links. */
TlResult az_geo_links_parse(const char *text, int *geo, int *links, TlError *err);

/* Daily values of metric `name` in a P1D Metrics_List answer: avg[k] is the
 * point at day0 + k days (00:00:00Z), k < n: its average, else its maximum;
 * peak[k] (when peak is not NULL) its maximum, else its average. Split
 * series are summed, values rounded to whole bytes; -1 where there is none
 * (absent is unknown, never 0). *failed is true when the metric failed on
 * its own (errorCode). An answer whose `interval` is not P1D is refused (the
 * service adjusted the grain). */
TlResult az_metric_days(const char *text, const char *name, TlTime day0, int n, int64_t *avg,
                        int64_t *peak, bool *failed, TlError *err);

/* retentionDays of a short-term retention policy body. */
TlResult az_retention_parse(const char *text, int *days, TlError *err);
/* MI-A8: retentionDays (0-35) of a restorable dropped database's policy list
 * (its first item); *days -1 when the list is empty. */
TlResult az_dropped_retention_parse(const char *text, int *days, TlError *err);

/* The source and target objectives in an operation description:
 * "... Source ServiceLevelObjective 'SQLDB_GP_Gen5_2', target
 * ServiceLevelObjective 'SQLDB_HS_Gen5_2' ...". false if absent. */
bool az_description_objectives(const char *description, char *from, char *to, size_t size);

/* ---- Managed Instance (azure-api-mi.md; azure_mi.c) ---------------------- */

/* MI-A1: an instance. Numbers are 0 and strings "" when absent. */
typedef struct {
    char id[AZ_ID_MAX];
    char name[AZ_NAME_MAX];
    char resource_group[AZ_NAME_MAX];
    char subscription[AZ_NAME_MAX];
    char location[64];
    char tier[32];       /* sku.tier: GeneralPurpose, BusinessCritical */
    int vcores;          /* properties.vCores, else sku.capacity */
    int storage_gb;      /* properties.storageSizeInGB: the MI-$1 allowance */
    char redundancy[16]; /* currentBackupStorageRedundancy: the backups', not the request's */
    char state[32];      /* Ready, Stopped, ... */
    char database_format[40];
} AzManagedInstance;

/* MI-A3: a database of an instance. */
typedef struct {
    char id[AZ_ID_MAX];
    char name[AZ_NAME_MAX];
    char status[40];            /* Online, Restoring, ... (unknown values kept) */
    TlTime created_at;          /* creationDate: required (MI-B11) */
    TlTime earliest_restore_at; /* earliestRestorePoint; TL_TIME_NONE: not yet known */
} AzManagedDatabase;

/* MI-A4: an instance management operation; the requested parameters when
 * it carries them (MI-M6). */
typedef struct {
    char name[AZ_NAME_MAX]; /* the operation id */
    char operation[64];
    char state[32];
    TlTime started_at;
    TlTime ended_at; /* the latest stepEndTime (a Succeeded one's effective instant), else NONE */
    bool has_requested;
    char tier[32];
    int vcores, storage_gb; /* 0 when not requested */
} AzMiOperation;

/* MI-A12: one database of a distributed availability group (the link). */
typedef struct {
    char database_name[AZ_NAME_MAX];
    char replica_state[32];    /* Seeding, Catchup, ... */
    char instance_role[16];    /* instanceLinkRole: Primary, Secondary */
    char partner[AZ_NAME_MAX]; /* partnerEndpoint */
} AzMiLinkDatabase;

/* MI-A15: a DMS database migration. Year 1 (the example's "not set") is
 * TL_TIME_NONE. */
typedef struct {
    char status[32]; /* migrationStatus */
    TlTime started_at, ended_at;
    char source_server[AZ_NAME_MAX], source_database[AZ_NAME_MAX];
    char operation_id[80];
} AzMiDmsMigration;

/* MI-A13: a database move or copy operation (managedDatabaseMoveOperationResults).
 * Ids are normalised to a leading '/'. */
typedef struct {
    char name[AZ_NAME_MAX]; /* the operation id */
    bool complete;          /* ContinueManagedInstanceDatabaseMove; else the start */
    bool copy;              /* operationMode Copy */
    char state[32];
    TlTime started_at;
    char source_db[AZ_ID_MAX], target_db[AZ_ID_MAX]; /* instance id + /databases/ + name */
    bool hold; /* set by the run (collector/mi.h): its source instance was not written */
} AzMiMove;

TlResult az_mi_move_from(const cJSON *item, const char *path, AzMiMove *out, TlError *err);

/* MI-A10: a database's LTR policy (backupLongTermRetentionPolicies), its
 * retentions as ISO 8601 durations; a retention not given, or no policy
 * listed, is PT0S (none kept). */
typedef struct {
    char weekly[16], monthly[16], yearly[16];
    int week_of_year; /* 1..52, 0: not given */
} AzMiLtrPolicy;

/* The policy list of one database (its "default" item). */
TlResult az_mi_ltr_policy_parse(const char *text, AzMiLtrPolicy *out, TlError *err);

/* MI-A11: one LTR backup of an instance (its id as given: never rebuilt
 * from the name, azure-api-mi.md). */
typedef struct {
    char id[AZ_ID_MAX];
    char database_name[AZ_NAME_MAX];
    TlTime taken_at;     /* backupTime */
    char redundancy[16]; /* backupStorageRedundancy, or "" */
} AzMiLtrBackup;

TlResult az_mi_ltr_backup_from(const cJSON *item, const char *path, AzMiLtrBackup *out,
                               TlError *err);

TlResult az_managed_instance_from(const cJSON *item, const char *path, AzManagedInstance *out,
                                  TlError *err);
TlResult az_managed_database_from(const cJSON *item, const char *path, AzManagedDatabase *out,
                                  TlError *err);
TlResult az_mi_operation_from(const cJSON *item, const char *path, AzMiOperation *out,
                              TlError *err);
/* The databases of one DAG item into out[0 .. *n) (at most max). */
TlResult az_mi_link_from(const cJSON *item, const char *path, AzMiLinkDatabase *out, size_t max,
                         size_t *n, TlError *err);
/* MI-A5: properties.type of a restore details body ("LRSRestore", ...). */
TlResult az_mi_restore_type_parse(const char *text, char *type, size_t size, TlError *err);
TlResult az_mi_dms_parse(const char *text, AzMiDmsMigration *out, TlError *err);

/* ---- the member readers the parsers share (azure.c, azure_mi.c) ----------
 * Each reads member `name` of obj (explicit null = absent); `path` names obj
 * in errors ("$.value[2].properties"). opt_*: absent gives ""/TL_TIME_NONE/
 * *has false; req_*: absent is an error; a wrong type always is. */
TlResult az_bad(TlError *err, const char *path, const char *member, const char *what);
const cJSON *az_member(const cJSON *obj, const char *name);
TlResult az_opt_str(const cJSON *obj, const char *name, const char *path, char *out, size_t size,
                    TlError *err);
TlResult az_req_str(const cJSON *obj, const char *name, const char *path, char *out, size_t size,
                    TlError *err);
TlResult az_opt_time(const cJSON *obj, const char *name, const char *path, TlTime *out,
                     TlError *err);
TlResult az_req_time(const cJSON *obj, const char *name, const char *path, TlTime *out,
                     TlError *err);
TlResult az_opt_int(const cJSON *obj, const char *name, const char *path, double lo, double hi,
                    bool *has, int64_t *out, TlError *err);
const cJSON *az_opt_object(const cJSON *obj, const char *name, const char *path, TlResult *rc,
                           TlError *err);
/* An ARM resource item: an object with id (required), name and a properties
 * object (required); pp receives "<path>.properties". */
TlResult az_resource_head(const cJSON *item, const char *path, char *id, size_t id_size, char *name,
                          size_t name_size, bool name_required, const cJSON **props, char *pp,
                          size_t pp_size, TlError *err);
/* An answer body that must be a JSON object; *root is the caller's. */
TlResult az_parse_object(const char *text, cJSON **root, TlError *err);

#endif
