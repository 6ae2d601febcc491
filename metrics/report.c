/* report.c - the mean over images and the three report formats of
 * `docbin eval`: an aligned table, CSV, JSON. Writes only to the stream the
 * caller passes; numbers use "%.4f" like the official tool (NRM, MPM "%.6f").
 */
#include "metrics_internal.h"

#include <string.h>

void db_metrics_mean(const db_metrics *items, int n, db_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (n <= 0)
        return;
    out->defined = ~0u;
    for (int k = 0; k < n; k++) {
        const db_metrics *m = &items[k];
        out->fm += m->fm;
        out->pfm += m->pfm;
        out->psnr += m->psnr;
        out->drd += m->drd;
        out->recall += m->recall;
        out->precision += m->precision;
        out->precall += m->precall;
        out->pprecision += m->pprecision;
        out->nrm += m->nrm;
        out->mpm += m->mpm;
        out->avg_score += m->avg_score;
        out->pfm_skel += m->pfm_skel;
        out->precall_skel += m->precall_skel;
        out->tp += m->tp;
        out->fp += m->fp;
        out->fn += m->fn;
        out->tn += m->tn;
        out->nubn += m->nubn;
        out->defined &= m->defined;
        out->weights_generated |= m->weights_generated;
    }
    double d = n;
    out->fm /= d;
    out->pfm /= d;
    out->psnr /= d;
    out->drd /= d;
    out->recall /= d;
    out->precision /= d;
    out->precall /= d;
    out->pprecision /= d;
    out->nrm /= d;
    out->mpm /= d;
    out->avg_score /= d;
    out->pfm_skel /= d;
    out->precall_skel /= d;
}

/* The columns, in report order. */
typedef struct column {
    const char *key;   /* CSV / JSON name */
    const char *title; /* table heading */
    size_t offset;
    bool six; /* "%.6f" */
} column;

#define COL(k, t, f, s) {k, t, offsetof(db_metrics, f), s}
static const column columns[] = {
    COL("fm", "FM", fm, false),
    COL("pfm", "pFM", pfm, false),
    COL("psnr", "PSNR", psnr, false),
    COL("drd", "DRD", drd, false),
    COL("avg_score", "AvgScore", avg_score, false),
    COL("recall", "Recall", recall, false),
    COL("precision", "Precision", precision, false),
    COL("precall", "pRecall", precall, false),
    COL("pprecision", "pPrecision", pprecision, false),
    COL("nrm", "NRM", nrm, true),
    COL("mpm", "MPM", mpm, true),
    COL("pfm_skel", "pFM2010", pfm_skel, false),
};
#define NCOLS (int)(sizeof columns / sizeof columns[0])

static double col_value(const db_metrics *m, int c)
{
    return *(const double *)(const void *)((const char *)m + columns[c].offset);
}

static const char *row_name(const char *const *names, int k, char *buf, size_t size)
{
    if (names && names[k])
        return names[k];
    snprintf(buf, size, "image %d", k + 1);
    return buf;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void write_json_obj(FILE *f, const char *name, const db_metrics *m)
{
    fputs("{", f);
    if (name) {
        fputs("\"name\": ", f);
        json_string(f, name);
        fputs(", ", f);
    }
    for (int c = 0; c < NCOLS; c++)
        fprintf(f, "\"%s\": %.6f, ", columns[c].key, col_value(m, c));
    fprintf(f,
            "\"precall_skel\": %.6f, \"tp\": %llu, \"fp\": %llu, \"fn\": %llu, \"tn\": %llu, "
            "\"nubn\": %llu, \"defined\": %u, \"weights_generated\": %s}",
            m->precall_skel, (unsigned long long)m->tp, (unsigned long long)m->fp,
            (unsigned long long)m->fn, (unsigned long long)m->tn, (unsigned long long)m->nubn,
            m->defined, m->weights_generated ? "true" : "false");
}

int db_report_write(FILE *f, db_report_format fmt, const char *const *names,
                    const db_metrics *items, int n, bool with_mean)
{
    if (!f || (n > 0 && !items))
        return DB_EINVAL;
    char buf[32];
    db_metrics mean;
    bool mean_row = n > 1 || with_mean;
    if (mean_row)
        db_metrics_mean(items, n, &mean);
    if (fmt == DB_REPORT_CSV) {
        fputs("name", f);
        for (int c = 0; c < NCOLS; c++)
            fprintf(f, ",%s", columns[c].key);
        fputs(",tp,fp,fn,tn,nubn,weights\n", f);
        for (int k = 0; k <= n; k++) {
            if (k == n && !mean_row)
                break;
            const db_metrics *m = k < n ? &items[k] : &mean;
            const char *name = k < n ? row_name(names, k, buf, sizeof buf) : "mean";
            /* quote names holding separators */
            if (strpbrk(name, ",\"\n")) {
                fputc('"', f);
                for (const char *s = name; *s; s++) {
                    if (*s == '"')
                        fputc('"', f);
                    fputc(*s, f);
                }
                fputc('"', f);
            } else {
                fputs(name, f);
            }
            for (int c = 0; c < NCOLS; c++)
                fprintf(f, columns[c].six ? ",%.6f" : ",%.4f", col_value(m, c));
            fprintf(f, ",%llu,%llu,%llu,%llu,%llu,%s\n", (unsigned long long)m->tp,
                    (unsigned long long)m->fp, (unsigned long long)m->fn,
                    (unsigned long long)m->tn, (unsigned long long)m->nubn,
                    m->weights_generated ? "generated" : "loaded");
        }
    } else if (fmt == DB_REPORT_JSON) {
        fputs("{\"images\": [", f);
        for (int k = 0; k < n; k++) {
            fputs(k ? ",\n  " : "\n  ", f);
            write_json_obj(f, row_name(names, k, buf, sizeof buf), &items[k]);
        }
        fputs(n ? "\n]" : "]", f);
        if (mean_row) {
            fputs(", \"mean\": ", f);
            write_json_obj(f, NULL, &mean);
        }
        fputs("}\n", f);
    } else if (n == 1 && !mean_row) {
        const db_metrics *m = &items[0];
        fprintf(f, "%s\n", row_name(names, 0, buf, sizeof buf));
        for (int c = 0; c < NCOLS; c++)
            fprintf(f, columns[c].six ? "  %-11s %12.6f\n" : "  %-11s %12.4f\n", columns[c].title,
                    col_value(m, c));
        fprintf(f, "  %-11s %12llu %llu %llu %llu (tp fp fn tn)\n", "counts",
                (unsigned long long)m->tp, (unsigned long long)m->fp, (unsigned long long)m->fn,
                (unsigned long long)m->tn);
        fprintf(f, "  %-11s %12llu\n", "NUBN", (unsigned long long)m->nubn);
        fprintf(f, "  %-11s %12s\n", "weights", m->weights_generated ? "generated" : "loaded");
    } else {
        int wname = 4;
        for (int k = 0; k < n; k++) {
            int l = (int)strlen(row_name(names, k, buf, sizeof buf));
            if (l > wname)
                wname = l;
        }
        fprintf(f, "%-*s", wname, "name");
        for (int c = 0; c < NCOLS; c++)
            fprintf(f, " %10s", columns[c].title);
        fputc('\n', f);
        for (int k = 0; k <= n; k++) {
            if (k == n && !mean_row)
                break;
            const db_metrics *m = k < n ? &items[k] : &mean;
            fprintf(f, "%-*s", wname, k < n ? row_name(names, k, buf, sizeof buf) : "mean");
            for (int c = 0; c < NCOLS; c++)
                fprintf(f, columns[c].six ? " %10.6f" : " %10.4f", col_value(m, c));
            fputc('\n', f);
        }
    }
    return ferror(f) ? DB_EIO : 0;
}
