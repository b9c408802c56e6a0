/* money.c - see money.h. */
#include "model/money.h"

#include <math.h>
#include <stdio.h>

__extension__ typedef unsigned __int128 MoneyU;

static const TlMoney ONE = (TlMoney)1000000000 * 1000000000; /* 10^18 */
#define MONEY_DIGITS_MAX 38                                  /* digits an __int128 holds in full */

bool money_parse(const char *text, TlMoney *out)
{
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    TlMoney v = 0;
    int digits = 0, places = -1, round_digit = -1;
    for (; *p; p++) {
        if (*p == '.' && places < 0) {
            places = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            return false;
        digits++;
        if (places >= TL_MONEY_PLACES) { /* past the 18th decimal: rounding only */
            if (round_digit < 0)
                round_digit = *p - '0';
            continue;
        }
        if (v > (((TlMoney)1 << 126) / 10))
            return false;
        v = v * 10 + (*p - '0');
        if (places >= 0)
            places++;
    }
    if (!digits)
        return false;
    for (int k = places < 0 ? 0 : places; k < TL_MONEY_PLACES; k++) {
        if (v > (((TlMoney)1 << 126) / 10))
            return false;
        v *= 10;
    }
    if (round_digit >= 5)
        v++;
    *out = neg ? -v : v;
    return true;
}

const char *money_format(TlMoney v, char buf[TL_MONEY_TEXT_MAX])
{
    char digits[MONEY_DIGITS_MAX + 2];
    int n = 0;
    bool neg = v < 0;
    MoneyU u = neg ? (MoneyU)0 - (MoneyU)v : (MoneyU)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= TL_MONEY_PLACES)
        digits[n++] = '0'; /* at least one digit before the point */
    int last = 0;          /* the lowest decimal kept */
    while (last < TL_MONEY_PLACES && digits[last] == '0')
        last++;
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    for (int i = n - 1; i >= TL_MONEY_PLACES; i--)
        buf[o++] = digits[i];
    if (last < TL_MONEY_PLACES) {
        buf[o++] = '.';
        for (int i = TL_MONEY_PLACES - 1; i >= last; i--)
            buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

TlMoney money_from_double(double v, int places)
{
    char text[400];
    TlMoney m = 0;
    if (!isfinite(v))
        return 0;
    snprintf(text, sizeof text, "%.*f", places < 0 ? 0 : places > 9 ? 9 : places, v);
    return money_parse(text, &m) ? m : 0;
}

double money_to_double(TlMoney v)
{
    TlMoney whole = v / ONE, frac = v % ONE;
    return (double)whole + (double)frac / 1e18;
}

int money_places(TlMoney v)
{
    int places = TL_MONEY_PLACES;
    while (places > 0 && v % 10 == 0) {
        v /= 10;
        places--;
    }
    return places;
}

void money_allocate(TlMoney total, const double *weights, size_t n, int places, TlMoney *out)
{
    if (!n)
        return;
    double sum = 0;
    size_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        sum += weights[i] > 0 ? weights[i] : 0;
        if (weights[i] > weights[largest])
            largest = i;
    }
    int keep = money_places(total) > places ? money_places(total) : places;
    TlMoney step = 1;
    for (int k = keep; k < TL_MONEY_PLACES; k++)
        step *= 10;
    TlMoney rest = total;
    for (size_t i = 0; i < n; i++) {
        if (i == largest)
            continue;
        double share = sum > 0 ? (weights[i] > 0 ? weights[i] : 0) / sum : 1.0 / (double)n;
        double units = (double)(total / step) * share +
                       (double)(total % step) / (double)step * share; /* in steps */
        out[i] = (TlMoney)(units + (units < 0 ? -0.5 : 0.5)) * step;
        rest -= out[i];
    }
    out[largest] = rest;
}
