/* test_money.c - model/money.c: exact decimal amounts read, written and
 * shared out (the billed chargeback's BilledCost must sum to the invoice to
 * the last digit the export wrote). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/money.h"
#include "tests/harness.h"

static void roundtrip(const char *text, const char *want)
{
    TlMoney m;
    char buf[TL_MONEY_TEXT_MAX];
    bool ok = money_parse(text, &m);
    EXPECT(want ? ok && strcmp(money_format(m, buf), want) == 0 : !ok,
           "money_parse('%s'): expected %s, got %s", text, want ? want : "an error",
           ok ? money_format(m, buf) : "an error");
}

static TlMoney parse(const char *text)
{
    TlMoney m = 0;
    EXPECT(money_parse(text, &m), "money_parse('%s') failed", text);
    return m;
}

static void allocate(const char *total, const double *w, size_t n, const char *const *want)
{
    TlMoney parts[8], sum = 0, t = parse(total);
    char a[TL_MONEY_TEXT_MAX], b[TL_MONEY_TEXT_MAX];
    money_allocate(t, w, n, 6, parts);
    for (size_t i = 0; i < n; i++) {
        sum += parts[i];
        EXPECT(strcmp(money_format(parts[i], a), want[i]) == 0,
               "allocate %s part %zu: expected %s, got %s", total, i, want[i], a);
    }
    EXPECT(sum == t, "allocate %s: parts sum to %s", total, money_format(sum, b));
}

int main(void)
{
    roundtrip("1.25", "1.25");
    roundtrip("1.2500", "1.25");
    roundtrip("+7", "7");
    roundtrip("-0", "0");
    roundtrip("-0.000000000000000001", "-0.000000000000000001");
    roundtrip("0.0298064516129032", "0.0298064516129032");
    roundtrip("123456789012345678.123456789012345678", "123456789012345678.123456789012345678");
    roundtrip("0.1234567890123456785", "0.123456789012345679"); /* 19th decimal rounds */
    roundtrip("-0.1234567890123456785", "-0.123456789012345679");
    roundtrip("1.", "1");
    roundtrip(".5", "0.5");
    roundtrip("", NULL);
    roundtrip("-", NULL);
    roundtrip("1e5", NULL);
    roundtrip("1.2.3", NULL);
    roundtrip("12,5", NULL);
    roundtrip("999999999999999999999999", NULL); /* beyond 1.7e20 */

    char buf[TL_MONEY_TEXT_MAX];
    EXPECT(strcmp(money_format(money_from_double(50.8840645001, 6), buf), "50.884065") == 0,
           "money_from_double: got %s", buf);
    EXPECT(strcmp(money_format(money_from_double(-0.0000001, 6), buf), "0") == 0,
           "money_from_double(-1e-7): got %s", buf);
    EXPECT(money_places(parse("0.0298064516129032")) == 16, "money_places: 16 decimals");
    EXPECT(money_places(parse("12")) == 0, "money_places: none");
    EXPECT(money_to_double(parse("-2.5")) == -2.5, "money_to_double(-2.5)");

    allocate("1.45", (const double[]){1, 1, 1}, 3,
             (const char *const[]){"0.483334", "0.483333", "0.483333"});
    allocate("1.45", (const double[]){1, 3}, 2, (const char *const[]){"0.3625", "1.0875"});
    allocate("10", (const double[]){0, 0}, 2, (const char *const[]){"5", "5"});
    allocate("0.0298064516129032", (const double[]){2, 1}, 2,
             (const char *const[]){"0.0198709677419355", "0.0099354838709677"});
    allocate("-3", (const double[]){1, 2}, 2, (const char *const[]){"-1", "-2"});
    allocate("7.5", (const double[]){4}, 1, (const char *const[]){"7.5"});

    /* random splits always sum exactly */
    uint64_t seed = 42;
    int exact = 0;
    for (int round = 0; round < 2000; round++) {
        double w[8];
        TlMoney parts[8], sum = 0;
        size_t n = 1 + (size_t)(round % 8);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            w[i] = (double)(seed >> 40) / 1024.0;
        }
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        TlMoney total = (TlMoney)(seed >> 8) * 1000000 * ((round % 3) ? 1 : -1);
        money_allocate(total, w, n, 6, parts);
        for (size_t i = 0; i < n; i++)
            sum += parts[i];
        exact += sum == total;
    }
    EXPECT(exact == 2000, "random allocations: %d of 2000 sum exactly", exact);
    return harness_finish("test_money");
}
