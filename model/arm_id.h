/* arm_id.h - Azure Resource Manager resource ids: their parts, and the L7
 * identity key a lineage is recorded under. Pure: text in, parts out.
 * Keywords (subscriptions, resourceGroups, providers, ...) compare
 * case-insensitively, as ARM does. */
#ifndef TIERLEDGER_MODEL_ARM_ID_H
#define TIERLEDGER_MODEL_ARM_ID_H

#include <stdbool.h>
#include <stddef.h>

#define ARM_PART_MAX 128
#define ARM_ID_MAX   1024

/* The parts of /subscriptions/S/resourceGroups/G/providers/Microsoft.Sql/
 * servers/V/databases/D. */
typedef struct {
    char subscription[ARM_PART_MAX];
    char resource_group[ARM_PART_MAX];
    char server[ARM_PART_MAX];
    char database[ARM_PART_MAX];
} ArmDatabaseId;

/* Parse the ARM resource id of an Azure SQL database; false if it is not one
 * (or a part is longer than ARM_PART_MAX - 1). */
bool arm_database_id_parse(const char *id, ArmDatabaseId *out);

/* The segment after "/KEY/" (KEY in any case) anywhere in id, into out;
 * false (out = "") when absent, empty or too long. */
bool arm_id_part(const char *id, const char *key, char *out, size_t size);

/* The L7 identity key of a resource id: the id in lower case (ARM ids are
 * case-insensitive; a lineage is one (key, creation time) pair). False when
 * it does not fit in size. */
bool arm_id_key(const char *id, char *out, size_t size);

#endif
