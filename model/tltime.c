/* tltime.c - RFC 3339 parsing and formatting on whole UTC seconds.
 * The civil-date arithmetic is Howard Hinnant's days_from_civil algorithm,
 * which needs neither timegm() nor the process time zone. */
#include "model/tltime.h"

#include <stdio.h>
#include <string.h>

int64_t tl_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const int64_t yoe = year - era * 400;
    const int64_t mp = (month + 9) % 12;
    const int64_t doy = (153 * mp + 2) / 5 + day - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tl_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = (unsigned)m;
    *day = (unsigned)d;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Read exactly n digits at *p into *out; advance *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool tl_time_parse(const char *text, bool allow_date_only, TlTime *out)
{
    const char *p = text;
    int year, month, day, hour, minute, second = 0;
    if (!text)
        return false;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
        !digits(&p, 2, &day))
        return false;
    if (month < 1 || month > 12 || day < 1 || (unsigned)day > month_days(year, (unsigned)month))
        return false;
    int64_t days = tl_days_from_civil(year, (unsigned)month, (unsigned)day);
    if (*p == '\0') {
        if (!allow_date_only)
            return false;
        *out = days * TL_SECONDS_PER_DAY;
        return true;
    }
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &minute))
        return false;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &second))
            return false;
        if (*p == '.') {
            p++;
            int nfrac = 0;
            while (*p >= '0' && *p <= '9') {
                p++;
                nfrac++;
            }
            if (nfrac < 1 || nfrac > 9)
                return false;
        }
    }
    if (hour > 23 || minute > 59 || second > 59) /* leap seconds are not used by Azure */
        return false;
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    TlTime t = days * TL_SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    /* an offset must not carry the instant out of years 0000-9999, which
     * tl_time_format writes back (0000-01-01T00:00+01:00 is in year -1) */
    if (t < tl_days_from_civil(0, 1, 1) * TL_SECONDS_PER_DAY ||
        t >= tl_days_from_civil(10000, 1, 1) * TL_SECONDS_PER_DAY)
        return false;
    *out = t;
    return true;
}

char *tl_time_format(TlTime t, char *buf)
{
    int64_t days = t / TL_SECONDS_PER_DAY, secs = t % TL_SECONDS_PER_DAY;
    if (secs < 0) {
        secs += TL_SECONDS_PER_DAY;
        days--;
    }
    int64_t year;
    unsigned month, day;
    tl_civil_from_days(days, &year, &month, &day);
    snprintf(buf, TL_TIME_TEXT_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)year, month, day,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    return buf;
}
