/* heads.h - reading a file of kept heads (the output of `verify --heads`,
 * text or CSV) for `verify --against`, a batch at a time, so that memory
 * stays bounded whatever its size. Lines are "LINEAGE_ID VERSIONS
 * HEAD_HASH [RESOURCE_ID CREATED_AT]"; blank lines, # comments and the CSV
 * header are skipped; anything else is FILE:LINE, TL_ERR_DATA. */
#ifndef TIERLEDGER_CLI_HEADS_H
#define TIERLEDGER_CLI_HEADS_H

#include <stddef.h>

#include "model/result.h"
#include "sql/store/verify.h"

#define HEADS_BATCH 5000 /* claims handed over per call */

/* claims[0..n), each with its line in the file */
typedef TlResult (*HeadsBatchFn)(void *arg, const StoreHeadClaim *claims, size_t n, TlError *err);

/* Read path ("-": stdin), calling fn per batch; *heads counts the claims.
 * A missing file is TL_ERR_NOINPUT. */
TlResult heads_read(const char *path, HeadsBatchFn fn, void *arg, long long *heads, TlError *err);

#endif
