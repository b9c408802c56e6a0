/* mi_warnings.h - what a DBA must act on for Managed Instance (domain-mi.md
 * section 4, W-MI-*): per database lineage (an LRS job near its 30-day
 * limit, no MI restore point yet, a drop before the first full backup,
 * retention lowered on a dropped database, a move awaiting completion, the
 * source facts a migration needs) and per instance (deleted, stopped,
 * geo-restore disabled, Always-up-to-date). The same alerts as
 * warnings.h, so the fleet report lists them alike. Pure. */
#ifndef TIERLEDGER_MODEL_MI_WARNINGS_H
#define TIERLEDGER_MODEL_MI_WARNINGS_H

#include "model/mi.h"
#include "model/warnings.h"

#define TL_MI_LRS_WARN_DAYS      25 /* W-MI-1: "T >= start + 25 days (configurable)" */
#define TL_MI_MOVE_COMPLETE_DAYS 1  /* W-MI-14: "within 24 hours" */

/* Alerts for the lineage lin, evaluated from ev[0..n) (its events and its
 * instances', as mi_lineage_evaluate took them) as of lin->as_of, LRS and DMS
 * jobs flagged from lrs_warn_days on. Appends to *out (release with
 * warnings_cleanup). */
TlResult mi_warnings_database(const TlMiEvent *ev, size_t n, const TlMiLineage *lin,
                              int lrs_warn_days, TlAlerts *out, TlError *err);

/* Alerts for one instance from its events ev[0..n) (time order) as of as_of. */
TlResult mi_warnings_instance(const TlMiEvent *ev, size_t n, TlTime as_of, TlAlerts *out,
                              TlError *err);

/* Sort alerts worst first, then soonest (no instant last), then by code. */
void mi_warnings_sort(TlAlerts *alerts);

#endif
