/* test_parse.c - table tests for model/objective.c (T1-T4, E8 sizes) and
 * model/tltime.c (RFC 3339), from tests/model/tables/NAME.txt:
 *   objective NAME [tier=TIER] key=value...   keys: edition arch known tracked
 *                                              dtu serverless pool vcores family maxgb
 *   time TEXT RFC3339|invalid [date]           `date`: bare dates allowed
 *   state TEXT CANONICAL|invalid [final]       O1 operation states */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/lineage.h"
#include "model/objective.h"
#include "model/tltime.h"
#include "tests/harness.h"

static const char *yn(bool b)
{
    return b ? "yes" : "no";
}

static void objective_row(const char *file, int line, char **w, int nw)
{
    const char *tier = NULL;
    for (int i = 2; i < nw; i++)
        if (strncmp(w[i], "tier=", 5) == 0)
            tier = w[i] + 5;
    TlObjective o;
    objective_parse(w[1], tier, &o);
    for (int i = 2; i < nw; i++) {
        char key[32], got[64];
        const char *eq = strchr(w[i], '=');
        if (!eq || (size_t)(eq - w[i]) >= sizeof key)
            continue;
        memcpy(key, w[i], (size_t)(eq - w[i]));
        key[eq - w[i]] = '\0';
        const char *want = eq + 1;
        if (strcmp(key, "tier") == 0)
            continue;
        else if (strcmp(key, "edition") == 0)
            snprintf(got, sizeof got, "%s", objective_edition_str(o.edition));
        else if (strcmp(key, "arch") == 0)
            snprintf(got, sizeof got, "%s", objective_architecture_str(o.arch));
        else if (strcmp(key, "known") == 0)
            snprintf(got, sizeof got, "%s", yn(o.known));
        else if (strcmp(key, "tracked") == 0)
            snprintf(got, sizeof got, "%s", yn(o.tracked));
        else if (strcmp(key, "dtu") == 0)
            snprintf(got, sizeof got, "%s", yn(o.dtu));
        else if (strcmp(key, "serverless") == 0)
            snprintf(got, sizeof got, "%s", yn(o.serverless));
        else if (strcmp(key, "pool") == 0)
            snprintf(got, sizeof got, "%s", yn(o.elastic_pool));
        else if (strcmp(key, "vcores") == 0)
            snprintf(got, sizeof got, "%d", o.vcores);
        else if (strcmp(key, "family") == 0)
            snprintf(got, sizeof got, "%s", o.family[0] ? o.family : "-");
        else if (strcmp(key, "name") == 0)
            snprintf(got, sizeof got, "%s", o.name);
        else if (strcmp(key, "maxgb") == 0)
            snprintf(got, sizeof got, "%lld", (long long)objective_max_data_gb(&o));
        else {
            fprintf(stderr, "%s:%d: unknown key %s\n", file, line, key);
            exit(2);
        }
        EXPECT_AT(file, line, strcmp(got, want) == 0, "objective %s: expected %s=%s got %s", w[1],
                  key, want, got);
    }
}

static void time_row(const char *file, int line, char **w, int nw)
{
    TlTime t;
    bool date = nw > 3 && strcmp(w[3], "date") == 0;
    bool ok = tl_time_parse(w[1], date, &t);
    if (strcmp(w[2], "invalid") == 0) {
        EXPECT_AT(file, line, !ok, "time %s: expected invalid, parsed", w[1]);
        return;
    }
    char buf[TL_TIME_TEXT_MAX];
    EXPECT_AT(file, line, ok && strcmp(tl_time_format(t, buf), w[2]) == 0,
              "time %s: expected %s got %s", w[1], w[2], ok ? buf : "invalid");
    if (ok) { /* and back again */
        TlTime again;
        EXPECT_AT(file, line, tl_time_parse(buf, false, &again) && again == t,
                  "time %s: %s does not parse back", w[1], buf);
    }
}

static void state_row(const char *file, int line, char **w, int nw)
{
    TlOpState st;
    bool ok = history_state_parse(w[1], &st);
    if (strcmp(w[2], "invalid") == 0) {
        EXPECT_AT(file, line, !ok, "state %s: expected invalid, parsed", w[1]);
        return;
    }
    EXPECT_AT(file, line, ok && strcmp(history_state_str(st), w[2]) == 0,
              "state %s: expected %s got %s", w[1], w[2], ok ? history_state_str(st) : "invalid");
    bool final = nw > 3 && strcmp(w[3], "final") == 0;
    EXPECT_AT(file, line, ok && history_state_terminal(st) == final, "state %s: expected %s", w[1],
              final ? "final" : "not final");
}

int main(int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        FILE *fp = fopen(argv[a], "r");
        if (!fp) {
            perror(argv[a]);
            return 2;
        }
        char buf[512];
        int line = 0;
        while (fgets(buf, sizeof buf, fp)) {
            line++;
            char *hash = strchr(buf, '#');
            if (hash)
                *hash = '\0';
            char *w[16];
            int nw = 0;
            for (char *tok = strtok(buf, " \t\r\n"); tok && nw < 16; tok = strtok(NULL, " \t\r\n"))
                w[nw++] = tok;
            if (nw == 0)
                continue;
            if (strcmp(w[0], "objective") == 0 && nw >= 2)
                objective_row(argv[a], line, w, nw);
            else if (strcmp(w[0], "time") == 0 && nw >= 3)
                time_row(argv[a], line, w, nw);
            else if (strcmp(w[0], "state") == 0 && nw >= 3)
                state_row(argv[a], line, w, nw);
            else {
                fprintf(stderr, "%s:%d: bad row\n", argv[a], line);
                return 2;
            }
        }
        fclose(fp);
    }
    /* the civil-date conversion round-trips over four centuries, day by day */
    int bad = 0;
    for (int64_t d = -40000; d <= 110000; d++) {
        int64_t y;
        unsigned m, day;
        tl_civil_from_days(d, &y, &m, &day);
        if (tl_days_from_civil(y, m, day) != d)
            bad++;
    }
    EXPECT(bad == 0, "civil date round trip failed on %d days", bad);
    /* objective_parse's memo: it answers what a fresh parse answers, for the
     * same name under another hint and for thousands of names sharing its
     * slots, parsed twice over */
    TlObjective pool_std, pool_hs;
    objective_parse("ElasticPool", "Standard", &pool_std);
    objective_parse("ElasticPool", "Hyperscale", &pool_hs);
    EXPECT(pool_std.edition == TL_EDITION_STANDARD && pool_hs.edition == TL_EDITION_HYPERSCALE,
           "memo: ElasticPool parsed with two hints gave editions %d and %d", pool_std.edition,
           pool_hs.edition);
    static const char *const editions[] = {"GP", "BC", "HS", "GP_S", "HS_S", "Basic", "S0"};
    static const char *const families[] = {"Gen5", "Fsv2", "DC", "Gen9", "PRMS"};
    static const char *const hints[] = {NULL, "GeneralPurpose", "Hyperscale"};
    int differ = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 4000; i++) {
            char name[64];
            if (i % 7 < 5)
                snprintf(name, sizeof name, "%s%s_%s_%d", i % 11 ? "" : "SQLDB_", editions[i % 5],
                         families[(i / 7) % 5], 1 + i % 97);
            else
                snprintf(name, sizeof name, "%s", editions[i % 7]);
            TlObjective memo, fresh;
            objective_parse(name, hints[i % 3], &memo);
            objective_parse_fresh(name, hints[i % 3], &fresh);
            differ += memcmp(&memo, &fresh, sizeof memo) != 0;
        }
    /* names the hint decides (T4): each under two hints that give two editions,
     * so a memo that confused the two would show */
    for (int i = 0; i < 4000; i++) {
        char name[32];
        snprintf(name, sizeof name, "Custom_%d", i);
        for (int h = 1; h <= 2; h++) {
            TlObjective memo, fresh;
            objective_parse(name, hints[h], &memo);
            objective_parse_fresh(name, hints[h], &fresh);
            differ += memcmp(&memo, &fresh, sizeof memo) != 0;
        }
    }
    EXPECT(differ == 0, "memo: %d of 16000 parses differ from a fresh parse", differ);
    return harness_finish("model/objective+time");
}
