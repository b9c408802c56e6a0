/* mi_warnings.h - what a DBA must act on for Managed Instance (domain-mi.md
 * section 4, W-MI-*): per database lineage (an LRS job near its 30-day
 * limit, no MI restore point yet, a drop before the first full backup,
 * retention lowered on a dropped database, a move awaiting completion, LTR
 * kept at its old redundancy, the source facts a migration needs) and per instance (deleted,
 * stopped, geo-restore disabled, Always-up-to-date). The same alerts as warnings.h, so the fleet
 * report lists them alike. Pure. */
#ifndef TIERLEDGER_MODEL_MI_WARNINGS_H
#define TIERLEDGER_MODEL_MI_WARNINGS_H

#include "model/check.h"
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

/* `check` for an MI database (the item 3): may the source go
 * (--drop-source), and what an instance tier change does (--to TIER). */
typedef struct {
    TlVerdict verdict;     /* ok warn blocked unknown: check's exit statuses */
    const char *question;  /* "drop_source" or "instance_tier_change" */
    TlFinding findings[8]; /* severest first */
    size_t n_findings;
} TlMiCheck;

/* --drop-source: blocked while MI has no observed restore point (W-MI-10),
 * while the migration is pending or was cancelled, or when MI's copy is
 * gone; else warn: the points before F live only in the source's backups. */
void mi_check_drop_source(const TlMiLineage *lin, TlMiCheck *out);

/* --to TIER (GeneralPurpose or BusinessCritical, GP or BC, any case): an
 * attribute change, lossless under AMB-MI-1, said so; what the instance's
 * redundancy (W-MI-9) and update policy (W-MI-16) mean for its backups;
 * warn while a migration restores onto the instance (MI-M1: updates
 * suspend or restart LRS restores). ev: the lineage's events (for the
 * instance's state). An unknown tier: unknown. */
void mi_check_tier(const TlMiEvent *ev, size_t n, const TlMiLineage *lin, const char *tier,
                   TlMiCheck *out);

/* Sort alerts worst first, then soonest (no instant last), then by code. */
void mi_warnings_sort(TlAlerts *alerts);

#endif
