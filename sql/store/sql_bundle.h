/* sql_bundle.h - the SQL files of sql/migrations and sql/views, embedded in
 * the binary at build time by sql/embed-sql.sh, in name order. */
#ifndef TIERLEDGER_SQL_STORE_SQL_BUNDLE_H
#define TIERLEDGER_SQL_STORE_SQL_BUNDLE_H

#include <stddef.h>

typedef struct {
    const char *path; /* "sql/migrations/0001_schema.sql" */
    const char *text;
} TlSqlFile;

extern const TlSqlFile tl_sql_files[];
extern const size_t tl_sql_file_count;

#endif
