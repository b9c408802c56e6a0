/* money.h - exact amounts of money, for what an invoice says: a signed count
 * of 10^-18 currency units (18 decimals, magnitudes up to about 1.7e20), so
 * sums and allocations of invoice lines come out to the last digit the export
 * wrote. Estimates (doubles) enter rounded to a stated number of decimals. */
#ifndef TIERLEDGER_MODEL_MONEY_H
#define TIERLEDGER_MODEL_MONEY_H

#include <stdbool.h>
#include <stddef.h>

__extension__ typedef __int128 TlMoney;

#define TL_MONEY_PLACES   18
#define TL_MONEY_TEXT_MAX 48

/* A plain decimal, [-+]digits[.digits] (PostgreSQL numeric text, or a CSV
 * cell). Digits past the 18th decimal round half away from zero. false when
 * malformed or out of range. */
bool money_parse(const char *text, TlMoney *out);

/* The plain decimal text: no exponent, no trailing zeros, "0" for zero. */
const char *money_format(TlMoney v, char buf[TL_MONEY_TEXT_MAX]);

/* v rounded to `places` decimals (0..9) as the C library prints it. */
TlMoney money_from_double(double v, int places);
double money_to_double(TlMoney v);

/* The decimals v needs (0..18). */
int money_places(TlMoney v);

/* Split total into n parts in proportion to weights[0..n) (all >= 0; all
 * zero splits evenly): every part but the one of the largest weight is
 * rounded to max(places, money_places(total)) decimals, that one takes the
 * rest, so the parts sum to total exactly. */
void money_allocate(TlMoney total, const double *weights, size_t n, int places, TlMoney *out);

#endif
