/* fuzz_time.c - RFC 3339 parsing (model/tltime.h): whatever parses formats
 * back to text that parses to the same instant, and days round-trip through
 * the civil calendar. */
#include "model/tltime.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    for (int date_only = 0; date_only < 2; date_only++) {
        TlTime t, back;
        if (!tl_time_parse(text, date_only, &t))
            continue;
        char buf[TL_TIME_TEXT_MAX];
        tl_time_format(t, buf);
        FUZZ_ASSERT(strlen(buf) < TL_TIME_TEXT_MAX);
        FUZZ_ASSERT(tl_time_parse(buf, false, &back) && back == t);
        int64_t days =
            t >= 0 ? t / TL_SECONDS_PER_DAY : -((-t + TL_SECONDS_PER_DAY - 1) / TL_SECONDS_PER_DAY);
        int64_t y;
        unsigned m, d;
        tl_civil_from_days(days, &y, &m, &d);
        FUZZ_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        FUZZ_ASSERT(tl_days_from_civil(y, m, d) == days);
    }
    free(text);
    return 0;
}
