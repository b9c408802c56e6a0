/* subject.c - see subject.h. */
#include "cli/subject.h"

#include <string.h>

TlResult subject_load(const CliContext *ctx, TlTime as_of, Subject *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    TlTime created = TL_TIME_NONE;
    const char *created_text = cli_opt(ctx, "created");
    if (created_text && !tl_time_parse(created_text, true, &created))
        return tl_error_set(err, TL_ERR_USAGE, "--created: '%s' is not an RFC 3339 time",
                            created_text);
    TlResult rc = store_open_reader(cli_opt(ctx, "db"), &out->conn, err);
    if (!rc)
        rc = store_resolve(out->conn, ctx->args[0], created, as_of, &out->db, err);
    if (!rc)
        rc = store_history_load(out->conn, out->db.id, &out->history, err);
    if (!rc)
        rc = store_facts_load(out->conn, out->db.id, as_of, &out->facts, err);
    if (rc)
        return rc;
    size_t bad;
    TlError why;
    if (history_validate(out->history.tr, out->history.n, &bad, &why) != TL_OK) {
        char a[TL_TIME_TEXT_MAX];
        return tl_error_set(err, TL_ERR_DATA, "%s: the recorded history is inconsistent at %s: %s",
                            out->db.resource_id, tl_time_format(out->history.tr[bad].started_at, a),
                            why.msg);
    }
    if (as_of < out->db.created_at) {
        char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
        tl_error_set(err, TL_ERR_DATA, "%s did not exist at %s: it was created %s",
                     out->db.resource_id, tl_time_format(as_of, a),
                     tl_time_format(out->db.created_at, b));
        return TL_ERR_DATA;
    }
    ReportSubject *s = &out->subject;
    s->resource_id = out->db.resource_id;
    s->created_at = out->db.created_at;
    s->n_lineages = out->db.n_lineages;
    s->other_created = out->db.other_created;
    s->n_other = out->db.n_other;
    s->tr = out->history.tr;
    s->n_tr = out->history.n;
    s->retention_known = out->facts.facts.retention_known;
    s->facts_from_later = out->facts.from_later;
    s->facts_observed_at = out->facts.observed_at;
    return TL_OK;
}

void subject_cleanup(Subject *s)
{
    if (!s)
        return;
    store_history_cleanup(&s->history);
    store_close(s->conn);
    s->conn = NULL;
}
