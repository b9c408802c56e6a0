/* lineage_svg.h - a database's lineage as a picture: a self-contained SVG
 * timeline of its segments (coloured by architecture), restore windows, loss
 * instants with their cause, the 45-day reverse-migration deadline and the
 * as-of instant. */
#ifndef TIERLEDGER_REPORTS_LINEAGE_SVG_H
#define TIERLEDGER_REPORTS_LINEAGE_SVG_H

#include <stdio.h>

#include "model/mi.h"
#include "reports/report.h"

TlResult report_lineage_svg(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err);

/* A Managed Instance database's lineage (domain-mi.md): one row per segment,
 * grey while pending (a migration restoring, no MI chain yet), then its
 * life from the open (purple) with the first restore point (a tick, hollow
 * when estimated), the restore window (green), the drop, the expiry or the
 * loss and its cause, and the instance changes as ticks (AMB-MI-1). */
TlResult report_mi_lineage_svg(FILE *out, const char *resource_id, const TlMiLineage *lin,
                               TlError *err);

#endif
