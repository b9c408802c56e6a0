/* lineage_svg.h - a database's lineage as a picture: a self-contained SVG
 * timeline of its segments (coloured by architecture), restore windows, loss
 * instants with their cause, the 45-day reverse-migration deadline and the
 * as-of instant. */
#ifndef TIERLEDGER_REPORTS_LINEAGE_SVG_H
#define TIERLEDGER_REPORTS_LINEAGE_SVG_H

#include <stdio.h>

#include "reports/report.h"

TlResult report_lineage_svg(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err);

#endif
