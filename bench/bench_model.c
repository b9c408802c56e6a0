/* bench_model.c - how fast the model evaluates: lineage_evaluate and
 * check_evaluate on histories of growing length, printed as microseconds
 * per evaluation (wall clock, best of 5 rounds). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/check.h"
#include "model/lineage.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(void)
{
    static const char *const cycle[] = {"GP_Gen5_4", "HS_Gen5_4", "GP_Gen5_4", "BC_Gen5_4"};
    static const size_t lengths[] = {10, 100, 1000, 10000};
    printf("%-12s %16s %16s\n", "transitions", "lineage us/op", "check us/op");
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        size_t n = lengths[l] + 1;
        TlTransition *tr = calloc(n, sizeof *tr);
        if (!tr)
            return 1;
        tr[0] = (TlTransition){.started_at = 0,
                               .ended_at = 0,
                               .state = TL_OP_SUCCEEDED,
                               .from_objective = "",
                               .to_objective = "GP_Gen5_4"};
        for (size_t i = 1; i < n; i++)
            tr[i] = (TlTransition){.started_at = (TlTime)i * 86400,
                                   .ended_at = (TlTime)i * 86400 + 3600,
                                   .state = TL_OP_SUCCEEDED,
                                   .from_objective = cycle[(i - 1) % 4],
                                   .to_objective = cycle[i % 4]};
        TlTime as_of = (TlTime)n * 86400;
        int reps = (int)(200000 / n) + 1;
        double best_l = 1e18, best_c = 1e18;
        TlFacts facts = {.retention_known = true,
                         .pool_known = true,
                         .geo_known = true,
                         .geo_secondaries = -1,
                         .replicas_known = true,
                         .allocated_known = true,
                         .allocated_bytes = 1 << 30};
        TlProposal p = {.target = "HS_Gen5_4"};
        for (int round = 0; round < 5; round++) {
            double t0 = now_us();
            for (int r = 0; r < reps; r++) {
                TlLineage lin;
                if (lineage_evaluate(tr, n, as_of, 35, TL_READING_SEGMENT, &lin, NULL) != TL_OK)
                    return 1;
                lineage_cleanup(&lin);
            }
            double t1 = now_us();
            for (int r = 0; r < reps; r++) {
                TlCheck c;
                if (check_evaluate(tr, n, as_of, 35, &facts, &p, &c, NULL) != TL_OK)
                    return 1;
                check_cleanup(&c);
            }
            double t2 = now_us();
            if ((t1 - t0) / reps < best_l)
                best_l = (t1 - t0) / reps;
            if ((t2 - t1) / reps < best_c)
                best_c = (t2 - t1) / reps;
        }
        printf("%-12zu %16.2f %16.2f\n", n - 1, best_l, best_c);
        free(tr);
    }
    return 0;
}
