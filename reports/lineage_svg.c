/* lineage_svg.c - see lineage_svg.h. One row per segment: the segment's
 * life as a bar (blue standard, orange Hyperscale; faded when lost or
 * expired), its restore window as a green band, a red mark at the instant it
 * was lost with the rule and the operation that caused it. Dashed lines mark
 * the reverse-migration deadline (E2, purple) and the as-of instant (black).
 * Text is XML-escaped; nothing external is referenced. */
#include "reports/lineage_svg.h"

#include <string.h>

#define WIDTH 1200
#define LEFT  150
#define RIGHT 40
#define TOP   110
#define ROW   56

typedef struct {
    TlTime t0, t1;
} Scale;

static double x_of(const Scale *sc, TlTime t)
{
    return LEFT + (double)(t - sc->t0) * (WIDTH - LEFT - RIGHT) / (double)(sc->t1 - sc->t0);
}

/* Write text with & < > " ' escaped. */
static void esc(FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: fputc(*p, out);
        }
    }
}

static void day_text(TlTime t, char *buf)
{
    tl_time_format(t, buf);
    buf[10] = '\0';
}

static void month_ticks(FILE *out, const Scale *sc, int bottom)
{
    int64_t year;
    unsigned month, day;
    tl_civil_from_days(sc->t0 / TL_SECONDS_PER_DAY, &year, &month, &day);
    int64_t first = year * 12 + month; /* the month after t0's */
    int64_t span = (sc->t1 - sc->t0) / (30 * TL_SECONDS_PER_DAY) + 1;
    int step = span > 48 ? 12 : span > 24 ? 6 : span > 12 ? 3 : 1;
    for (int64_t m = first;; m++) {
        int64_t y = m / 12;
        unsigned mo = (unsigned)(m % 12) + 1;
        TlTime t = tl_days_from_civil(y, mo, 1) * TL_SECONDS_PER_DAY;
        if (t > sc->t1)
            break;
        if ((mo - 1) % (unsigned)step != 0)
            continue;
        double x = x_of(sc, t);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\" "
                "text-anchor=\"middle\">%04lld-%02u</text>\n",
                x, TOP - 10, x, bottom, x, bottom + 16, (long long)y, mo);
    }
}

static void marker_line(FILE *out, double x, int bottom, const char *colour, const char *label,
                        int label_y)
{
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\" "
            "stroke-dasharray=\"6 4\"/>\n"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"%s\" text-anchor=\"%s\">",
            x, TOP - 20, x, bottom, colour, x, label_y, colour,
            x > WIDTH - 180 ? "end" : "middle"); /* keep labels near the edge inside */
    esc(out, label);
    fputs("</text>\n", out);
}

/* The picture's start: the XML header, its title (the database name, the
 * suffix), a white page, the name in bold and the resource id under it. */
static void svg_head(FILE *out, const char *resource_id, const char *suffix, int height)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
            "%d\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
            "<title>",
            WIDTH, height, WIDTH, height);
    esc(out, report_database_name(resource_id));
    fprintf(out,
            " backup lineage%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
            suffix);
    fprintf(out, "<text x=\"20\" y=\"30\" font-size=\"20\" font-weight=\"bold\">");
    esc(out, report_database_name(resource_id));
    fprintf(out,
            " - backup lineage%s</text>\n<text x=\"20\" y=\"50\" font-size=\"11\" fill=\"#555\">",
            suffix);
    esc(out, resource_id);
    fputs("</text>\n", out);
}

/* One segment's row: its bar, objectives, restore window, expiry or loss. */
static void segment_row(FILE *out, const Scale *sc, const ReportSubject *s, const TlLineage *lin,
                        const TlSegment *seg, int y)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], label[256];
    bool alive = seg->status == TL_SEG_CURRENT || seg->status == TL_SEG_RESTORABLE;
    const char *colour = seg->arch == TL_ARCH_HYPERSCALE ? "#f28e2b" : "#4e79a7";
    double x1 = x_of(sc, seg->start);
    double x2 = x_of(sc, seg->end == TL_TIME_NONE ? lin->as_of : seg->end);
    if (x2 - x1 < 2)
        x2 = x1 + 2;
    fprintf(out, "<text x=\"20\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">S%d</text>\n",
            y + 22, seg->seq);
    fprintf(out, "<text x=\"52\" y=\"%d\" font-size=\"11\" fill=\"#333\">%s, %s</text>\n", y + 22,
            objective_architecture_str(seg->arch), lineage_status_str(seg->status));
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" rx=\"3\" fill=\"%s\" "
            "opacity=\"%s\"><title>",
            x1, y + 6, x2 - x1, colour, alive ? "0.9" : "0.3");
    snprintf(label, sizeof label, "S%d %s %s: %s to %s", seg->seq,
             objective_architecture_str(seg->arch), lineage_status_str(seg->status),
             tl_time_format(seg->start, a),
             seg->end == TL_TIME_NONE ? "now" : tl_time_format(seg->end, b));
    esc(out, label);
    fputs("</title></rect>\n", out);
    /* objectives, inside or after the bar */
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#222\">", x1 + 4, y + 51);
    for (size_t k = 0; k < seg->n_objectives; k++) {
        if (k)
            fputs(" \xe2\x86\x92 ", out);
        esc(out, seg->objectives[k]);
    }
    fputs("</text>\n", out);
    if (alive) { /* L5 restore window */
        double w1 = x_of(sc, seg->restore_from), w2 = x_of(sc, seg->restore_to);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"#59a14f\">"
                "<title>restore window %s to %s</title></rect>\n",
                w1, y + 30, w2 - w1 < 2 ? 2 : w2 - w1, tl_time_format(seg->restore_from, a),
                tl_time_format(seg->restore_to, b));
    }
    if (seg->status == TL_SEG_RESTORABLE) { /* restorable until end + R */
        double xe = x_of(sc, seg->expires_at);
        day_text(seg->expires_at, a);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"2\" stroke-dasharray=\"3 3\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\">expires %s</text>\n",
                x2, y + 17, xe, y + 17, colour, xe + 4, y + 21, a);
    }
    if (seg->status == TL_SEG_LOST) {
        double xl = x_of(sc, seg->lost_at);
        const TlTransition *t = seg->lost_by < s->n_tr ? &s->tr[seg->lost_by] : NULL;
        day_text(seg->lost_at, a);
        snprintf(label, sizeof label, "lost %s (%s: %s to %s %s)", a, seg->lost_rule,
                 t ? history_kind_str(history_kind_of(t->from_objective, t->to_objective)) : "?",
                 t ? t->to_objective : "?", t ? history_state_str(t->state) : "");
        fprintf(out,
                "<path d=\"M%.1f %d l10 10 m0 -10 l-10 10\" transform=\"translate(-5 0)\" "
                "stroke=\"#e15759\" stroke-width=\"3\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#e15759\">",
                xl, y + 12, xl + 8, y + 4);
        esc(out, label);
        fputs("</text>\n", out);
    }
}

TlResult report_lineage_svg(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], label[256];
    TlTime deadline = lin->reverse_deadline;
    Scale sc = {lin->segments[0].start, lin->as_of};
    if (deadline != TL_TIME_NONE && deadline > sc.t1)
        sc.t1 = deadline;
    for (size_t i = 0; i < lin->n_segments; i++)
        if (lin->segments[i].expires_at != TL_TIME_NONE && lin->segments[i].status != TL_SEG_LOST &&
            lin->segments[i].expires_at > sc.t1 && lin->segments[i].status != TL_SEG_EXPIRED)
            sc.t1 = lin->segments[i].expires_at;
    TlTime pad = (sc.t1 - sc.t0) / 25 + TL_SECONDS_PER_DAY;
    sc.t0 -= pad;
    sc.t1 += pad;
    int bottom = TOP + (int)lin->n_segments * ROW;
    int height = bottom + 90;

    svg_head(out, s->resource_id, "", height);
    fprintf(out,
            "<text x=\"20\" y=\"70\" font-size=\"13\">as of %s, retention %d days%s, "
            "objective ",
            tl_time_format(lin->as_of, a), lin->retention_days,
            s->retention_known ? "" : " (assumed)");
    esc(out, lin->objective_now);
    fputs("</text>\n", out);

    month_ticks(out, &sc, bottom);
    for (size_t i = 0; i < lin->n_segments; i++)
        segment_row(out, &sc, s, lin, &lin->segments[i], TOP + (int)i * ROW);
    if (deadline != TL_TIME_NONE) {
        day_text(deadline, a);
        snprintf(label, sizeof label, "reverse-migration deadline %s", a);
        marker_line(out, x_of(&sc, deadline), bottom, "#8e44ad", label, TOP - 26);
    }
    day_text(lin->as_of, a);
    snprintf(label, sizeof label, "as of %s", a);
    marker_line(out, x_of(&sc, lin->as_of), bottom, "#000", label, TOP - 44);

    int ly = bottom + 48;
    fprintf(out,
            "<g font-size=\"12\">\n"
            "<rect x=\"20\" y=\"%d\" width=\"18\" height=\"12\" fill=\"#4e79a7\"/>"
            "<text x=\"44\" y=\"%d\">standard</text>\n"
            "<rect x=\"130\" y=\"%d\" width=\"18\" height=\"12\" fill=\"#f28e2b\"/>"
            "<text x=\"154\" y=\"%d\">Hyperscale</text>\n"
            "<rect x=\"250\" y=\"%d\" width=\"18\" height=\"8\" fill=\"#59a14f\"/>"
            "<text x=\"274\" y=\"%d\">restore window</text>\n"
            "<text x=\"400\" y=\"%d\" fill=\"#e15759\">\xc3\x97 lost (L3: at a reverse migration's "
            "start, even if cancelled; L4: at a conversion's cutover)</text>\n"
            "<text x=\"20\" y=\"%d\" fill=\"#555\">faded: lost or expired, not restorable and not "
            "billed (B4). tierledger, domain.md L1-L11.</text>\n</g>\n</svg>\n",
            ly, ly + 11, ly, ly + 11, ly + 2, ly + 11, ly + 11, ly + 30);
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the picture") : TL_OK;
}

/* ---- Managed Instance ---------------------------------------------------------- */

static void mi_row(FILE *out, const Scale *sc, const TlMiLineage *lin, const TlMiSegment *seg,
                   int y)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], label[300];
    bool alive = seg->status == TL_MI_CURRENT || seg->status == TL_MI_RESTORABLE;
    TlTime end = seg->ended_at != TL_TIME_NONE ? seg->ended_at : lin->as_of;
    fprintf(out, "<text x=\"20\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">S%d</text>\n",
            y + 22, seg->seq);
    fprintf(out, "<text x=\"52\" y=\"%d\" font-size=\"11\" fill=\"#333\">%s, %s</text>\n", y + 22,
            mi_origin_str(seg->origin), mi_status_str(seg->status));
    if (seg->started_at != TL_TIME_NONE &&
        (seg->opened_at == TL_TIME_NONE || seg->started_at < seg->opened_at)) {
        double p1 = x_of(sc, seg->started_at);
        double p2 = x_of(sc, seg->opened_at != TL_TIME_NONE ? seg->opened_at : lin->as_of);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" fill=\"#bab0ac\" "
                "opacity=\"0.7\"><title>pending since %s: no MI backup chain yet</title></rect>\n",
                p1, y + 6, p2 - p1 < 2 ? 2 : p2 - p1, tl_time_format(seg->started_at, a));
    }
    if (seg->opened_at != TL_TIME_NONE) {
        double x1 = x_of(sc, seg->opened_at), x2 = x_of(sc, end);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" rx=\"3\" fill=\"#7b61a8\" "
                "opacity=\"%s\"><title>",
                x1, y + 6, x2 - x1 < 2 ? 2 : x2 - x1, alive ? "0.9" : "0.3");
        snprintf(label, sizeof label, "S%d on %s: opened %s", seg->seq,
                 report_database_name(seg->resource_id), tl_time_format(seg->opened_at, a));
        esc(out, label);
        fputs("</title></rect>\n", out);
        double xf = x_of(sc, seg->first_restore_point);
        day_text(seg->first_restore_point, a);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"%s\" stroke=\"#222\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#222\">F %s%s</text>\n",
                xf, y + 17, seg->first_restore_point_estimated ? "#fff" : "#222", xf + 8, y + 51, a,
                seg->first_restore_point_estimated ? " (estimated)" : "");
    }
    if (seg->window_from != TL_TIME_NONE) {
        double w1 = x_of(sc, seg->window_from), w2 = x_of(sc, seg->window_to);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"#59a14f\">"
                "<title>restore window %s to %s</title></rect>\n",
                w1, y + 30, w2 - w1 < 2 ? 2 : w2 - w1, tl_time_format(seg->window_from, a),
                tl_time_format(seg->window_to, b));
    }
    for (size_t k = 0; k < seg->n_changes; k++) {
        double xc = x_of(sc, seg->changes[k].at);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#f28e2b\" "
                "stroke-width=\"2\"><title>",
                xc, y + 2, xc, y + 32);
        esc(out, seg->changes[k].what ? seg->changes[k].what : "instance changed");
        fputs(" (an attribute, not a break: AMB-MI-1)</title></line>\n", out);
    }
    if (seg->status == TL_MI_RESTORABLE && seg->expires_at != TL_TIME_NONE) {
        double xe = x_of(sc, seg->expires_at);
        day_text(seg->dropped_at, a);
        day_text(seg->expires_at, b);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#7b61a8\" "
                "stroke-width=\"2\" stroke-dasharray=\"3 3\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\">dropped %s, restorable "
                "until %s</text>\n",
                x_of(sc, end), y + 17, xe, y + 17, xe + 4, y + 21, a, b);
    }
    if (seg->status == TL_MI_LOST || seg->status == TL_MI_EXPIRED) {
        double xl = x_of(sc, seg->status_at);
        day_text(seg->status_at, a);
        snprintf(label, sizeof label, "%s %s%s%s%s", mi_status_str(seg->status), a,
                 seg->status == TL_MI_LOST ? " (" : "", mi_lost_cause_str(seg->lost_cause),
                 seg->status == TL_MI_LOST ? ")" : "");
        fprintf(out,
                "<path d=\"M%.1f %d l10 10 m0 -10 l-10 10\" transform=\"translate(-5 0)\" "
                "stroke=\"#e15759\" stroke-width=\"3\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#e15759\">",
                xl, y + 12, xl + 8, y + 4);
        esc(out, label);
        fputs("</text>\n", out);
    }
}

TlResult report_mi_lineage_svg(FILE *out, const char *resource_id, const TlMiLineage *lin,
                               TlError *err)
{
    char a[TL_TIME_TEXT_MAX], label[256];
    Scale sc = {lin->as_of, lin->as_of};
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlMiSegment *s = &lin->segments[i];
        if (s->started_at != TL_TIME_NONE && s->started_at < sc.t0)
            sc.t0 = s->started_at;
        if (s->status == TL_MI_RESTORABLE && s->expires_at > sc.t1)
            sc.t1 = s->expires_at;
    }
    if (lin->migration_started != TL_TIME_NONE && lin->migration_started < sc.t0)
        sc.t0 = lin->migration_started;
    if (lin->migration_deadline != TL_TIME_NONE && lin->migration_deadline > sc.t1)
        sc.t1 = lin->migration_deadline;
    TlTime pad = (sc.t1 - sc.t0) / 25 + TL_SECONDS_PER_DAY;
    sc.t0 -= pad;
    sc.t1 += pad;
    int rows = lin->n_segments ? (int)lin->n_segments : 1;
    int bottom = TOP + rows * ROW, height = bottom + 90;
    svg_head(out, resource_id, " (Azure SQL Managed Instance)", height);
    fprintf(out, "<text x=\"20\" y=\"70\" font-size=\"13\">as of %s, origin %s",
            tl_time_format(lin->as_of, a), mi_origin_str(lin->origin));
    if (lin->cancelled_at != TL_TIME_NONE) {
        day_text(lin->cancelled_at, a);
        fprintf(out, "; the migration was %s %s: no MI backups",
                lin->cancelled_by_limit ? "cancelled by the 30-day limit" : "stopped", a);
    }
    fputs("</text>\n", out);
    month_ticks(out, &sc, bottom);
    for (size_t i = 0; i < lin->n_segments; i++)
        mi_row(out, &sc, lin, &lin->segments[i], TOP + (int)i * ROW);
    if (lin->migration_deadline != TL_TIME_NONE) {
        day_text(lin->migration_deadline, a);
        snprintf(label, sizeof label, "LRS 30-day limit %s", a);
        marker_line(out, x_of(&sc, lin->migration_deadline), bottom, "#8e44ad", label, TOP - 26);
    }
    day_text(lin->as_of, a);
    snprintf(label, sizeof label, "as of %s", a);
    marker_line(out, x_of(&sc, lin->as_of), bottom, "#000", label, TOP - 44);
    int ly = bottom + 48;
    fprintf(out,
            "<g font-size=\"12\">\n"
            "<rect x=\"20\" y=\"%d\" width=\"18\" height=\"12\" fill=\"#bab0ac\"/>"
            "<text x=\"44\" y=\"%d\">pending (restoring)</text>\n"
            "<rect x=\"190\" y=\"%d\" width=\"18\" height=\"12\" fill=\"#7b61a8\"/>"
            "<text x=\"214\" y=\"%d\">MI backup chain</text>\n"
            "<rect x=\"350\" y=\"%d\" width=\"18\" height=\"8\" fill=\"#59a14f\"/>"
            "<text x=\"374\" y=\"%d\">restore window</text>\n"
            "<text x=\"500\" y=\"%d\">\xe2\x97\x8f F, the first restore point (hollow: "
            "estimated, MI-B6); orange ticks: instance changes</text>\n"
            "<text x=\"20\" y=\"%d\" fill=\"#555\">faded: lost or expired. tierledger, "
            "domain-mi.md MI-B1-B16.</text>\n</g>\n</svg>\n",
            ly, ly + 11, ly, ly + 11, ly + 2, ly + 11, ly + 11, ly + 30);
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the picture") : TL_OK;
}
