/* ocr_score.c - scores an OCR transcript against the known text of a
 * benchmark page (bench/ocr/): character error rate and word accuracy, both
 * from the Levenshtein distance (insertions, deletions, substitutions cost 1).
 *
 *   ocr_score truth.txt hyp.txt   ->  "ref_chars char_edits ref_words word_edits"
 *
 * Both texts are normalised first: typographic quotes, dashes and the fi/fl
 * ligatures become ASCII, every run of white space (line breaks, the form
 * feed Tesseract ends with) one space, and leading/trailing space goes. CER
 * = char_edits / ref_chars; word accuracy = 1 - word_edits / ref_words.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            s = realloc(s, cap *= 2);
    }
    fclose(f);
    s[n] = 0;
    return s;
}

/* In place; returns the new length. */
static size_t normalise(char *s)
{
    static const struct {
        const char *from, *to;
    } map[] = {{"\xe2\x80\x98", "'"}, {"\xe2\x80\x99", "'"}, {"\xe2\x80\x9c", "\""},
               {"\xe2\x80\x9d", "\""}, {"\xe2\x80\x94", "-"}, {"\xe2\x80\x93", "-"},
               {"\xef\xac\x81", "fi"}, {"\xef\xac\x82", "fl"}, {"\xe2\x80\x94", "-"}};
    size_t o = 0;
    bool space = true; /* drops leading space */
    for (size_t i = 0; s[i];) {
        size_t k = 0;
        for (; k < sizeof map / sizeof map[0]; k++)
            if (strncmp(s + i, map[k].from, strlen(map[k].from)) == 0)
                break;
        if (k < sizeof map / sizeof map[0]) {
            for (const char *t = map[k].to; *t; t++)
                s[o++] = *t;
            i += strlen(map[k].from);
            space = false;
            continue;
        }
        unsigned char c = (unsigned char)s[i++];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v') {
            if (!space)
                s[o++] = ' ';
            space = true;
        } else {
            s[o++] = (char)c;
            space = false;
        }
    }
    if (o && s[o - 1] == ' ')
        o--;
    s[o] = 0;
    return o;
}

/* Levenshtein distance of two sequences of n and m ints, two rows. */
static long edits(const int *a, size_t n, const int *b, size_t m)
{
    long *prev = malloc(sizeof *prev * (m + 1)), *cur = malloc(sizeof *cur * (m + 1));
    for (size_t j = 0; j <= m; j++)
        prev[j] = (long)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (long)i;
        for (size_t j = 1; j <= m; j++) {
            long best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            cur[j] = best;
        }
        long *t = prev;
        prev = cur;
        cur = t;
    }
    long d = prev[m];
    free(prev);
    free(cur);
    return d;
}

static int *chars(const char *s, size_t n)
{
    int *v = malloc(sizeof *v * (n + 1));
    for (size_t i = 0; i < n; i++)
        v[i] = (unsigned char)s[i];
    return v;
}

/* Words as ids: FNV-1a hashes (64-bit collisions are negligible here). */
static int *words(const char *s, size_t *count)
{
    size_t cap = 16, n = 0;
    int *v = malloc(sizeof *v * cap);
    for (const char *p = s; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        unsigned long long h = 1469598103934665603ull;
        while (*p && *p != ' ')
            h = (h ^ (unsigned char)*p++) * 1099511628211ull;
        if (n == cap)
            v = realloc(v, sizeof *v * (cap *= 2));
        v[n++] = (int)(h ^ (h >> 32));
    }
    *count = n;
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: ocr_score truth.txt hyp.txt\n", stderr);
        return 2;
    }
    char *ref = read_all(argv[1]), *hyp = read_all(argv[2]);
    if (!ref || !hyp) {
        fprintf(stderr, "ocr_score: cannot read %s\n", ref ? argv[2] : argv[1]);
        return 1;
    }
    size_t nr = normalise(ref), nh = normalise(hyp);
    int *cr = chars(ref, nr), *ch = chars(hyp, nh);
    size_t wr, wh;
    int *vr = words(ref, &wr), *vh = words(hyp, &wh);
    printf("%zu %ld %zu %ld\n", nr, edits(cr, nr, ch, nh), wr, edits(vr, wr, vh, wh));
    free(ref);
    free(hyp);
    free(cr);
    free(ch);
    free(vr);
    free(vh);
    return 0;
}
