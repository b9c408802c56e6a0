/* charges_mi.c - the Managed Instance rows of a month's chargeback (see
 * charges.h): a page of instances at a time, each billed whole (its
 * databases share its allowance, MI-$1). */
#include <stdio.h>

#include "cli/charges.h"
#include "sql/store/mi.h"

TlResult month_charges_mi(const MonthCharges *m, const ChargePrices *sheet, const char *cc_tag,
                          TlTime now, ChargeRowFn emit, void *ctx, TlError *err)
{
    char after[1024] = "";
    TlResult rc = TL_OK;
    for (bool end = false; !rc && !end;) {
        StoreMiMonth p;
        rc = store_mi_month_page(m->conn, after, cli_fleet_page(), m->start, m->end, &p, err);
        const StoreMiPage *e = &p.events;
        for (size_t g = 0; !rc && g < e->n_groups; g++)
            rc = report_mi_charges(e->ev + e->group[g], e->group[g + 1] - e->group[g],
                                   p.usage + p.usage_group[g],
                                   p.usage_group[g + 1] - p.usage_group[g], sheet, cc_tag, m->start,
                                   m->end, now, emit, ctx, err);
        end = rc || e->n_groups == 0;
        if (!end)
            snprintf(after, sizeof after, "%s", e->key[e->n_groups - 1]);
        store_mi_month_cleanup(&p);
    }
    return rc;
}
