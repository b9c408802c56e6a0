/* fuzz_objective.c - objective names (model/objective.h): parsing never
 * fails or overruns, and comparison is reflexive, symmetric and blind to
 * case and an "SQLDB_" prefix. The input is "NAME" or "NAME\nTIER\nOTHER". */
#include <ctype.h>

#include "model/objective.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *tier = strchr(text, '\n'), *other = NULL;
    if (tier) {
        *tier++ = '\0';
        other = strchr(tier, '\n');
        if (other)
            *other++ = '\0';
    }
    TlObjective obj;
    objective_parse(text, tier, &obj);
    FUZZ_ASSERT(strlen(obj.name) < TL_OBJECTIVE_MAX && strlen(obj.family) < sizeof obj.family);
    FUZZ_ASSERT(obj.vcores >= 0 && objective_max_data_gb(&obj) >= 0);
    FUZZ_ASSERT(obj.arch ==
                (obj.edition == TL_EDITION_HYPERSCALE ? TL_ARCH_HYPERSCALE : TL_ARCH_STANDARD));
    FUZZ_ASSERT(objective_edition_str(obj.edition) && objective_edition_label(obj.edition));
    FUZZ_ASSERT(objective_equal(text, text));
    if (other)
        FUZZ_ASSERT(objective_equal(text, other) == objective_equal(other, text));
    if (strlen(text) + 7 < 256) {
        char prefixed[256], upper[256];
        snprintf(prefixed, sizeof prefixed, "SQLDB_%s", text);
        size_t n = 0;
        for (; text[n]; n++)
            upper[n] = (char)toupper((unsigned char)text[n]);
        upper[n] = '\0';
        FUZZ_ASSERT(objective_equal(upper, text));
        if (strncmp(upper, "SQLDB_", 6) != 0) /* only one prefix is ignored */
            FUZZ_ASSERT(objective_equal(text, prefixed));
    }
    if (tier)
        (void)objective_edition_parse(tier);
    free(text);
    return 0;
}
