/* mi_report.h - a Managed Instance database's lineage for people (text)
 * and pipelines (JSON; the fields are a contract: add, never rename): its
 * segments with origin, first restore point (observed or estimated), status,
 * restore window, loss cause and the instance changes inside the window
 * (AMB-MI-1), and what to act on (W-MI-*). */
#ifndef TIERLEDGER_REPORTS_MI_REPORT_H
#define TIERLEDGER_REPORTS_MI_REPORT_H

#include <stdio.h>

#include "model/mi.h"
#include "model/mi_warnings.h"
#include "model/warnings.h"

TlResult report_mi_lineage_json(FILE *out, const char *resource_id, const TlMiLineage *lin,
                                const TlAlerts *alerts, TlError *err);
TlResult report_mi_lineage_text(FILE *out, const char *resource_id, const TlMiLineage *lin,
                                const TlAlerts *alerts, TlError *err);

/* `check` of an MI database: its question, verdict and findings. */
TlResult report_mi_check_json(FILE *out, const char *resource_id, const TlMiLineage *lin,
                              const char *target, const TlMiCheck *check, TlError *err);
TlResult report_mi_check_text(FILE *out, const char *resource_id, const TlMiLineage *lin,
                              const char *target, const TlMiCheck *check, TlError *err);

#endif
