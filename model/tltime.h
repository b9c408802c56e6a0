/* tltime.h - UTC instants as whole seconds since 1970, parsed from and
 * written as RFC 3339. Pure: no clock is ever read here ("now" is always an
 * argument, see docs/conventions.md). */
#ifndef TIERLEDGER_MODEL_TLTIME_H
#define TIERLEDGER_MODEL_TLTIME_H

#include <stdbool.h>
#include <stdint.h>

typedef int64_t TlTime;

#define TL_TIME_NONE       INT64_MIN /* "no instant": open end, unknown */
#define TL_SECONDS_PER_DAY INT64_C(86400)
#define TL_TIME_TEXT_MAX   32                    /* "YYYY-MM-DDTHH:MM:SSZ" and NUL, with room */
#define TL_TIME_LAST       INT64_C(253402300799) /* 9999-12-31T23:59:59Z: "all that is recorded" */

/* Parse an RFC 3339 timestamp: YYYY-MM-DD[Tt ]HH:MM[:SS[.f{1,9}]](Z|z|+hh:mm|-hh:mm).
 * Fractions are truncated to whole seconds. When allow_date_only is set, a
 * bare YYYY-MM-DD means 00:00:00Z of that day. Returns false on anything else
 * (including impossible dates such as 2025-02-30). */
bool tl_time_parse(const char *text, bool allow_date_only, TlTime *out);

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least TL_TIME_TEXT_MAX
 * bytes). Returns buf, for use in format arguments. */
char *tl_time_format(TlTime t, char *buf);

/* Days from 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t tl_days_from_civil(int64_t year, unsigned month, unsigned day);
void tl_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

#endif
