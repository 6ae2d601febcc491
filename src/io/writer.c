/* writer.c - writing image files without ever leaving a partial output.
 * Pages are encoded into a temporary file created (O_EXCL) in the target
 * folder, ".<name>.XXXXXX"; db_writer_commit closes it, checks every write
 * and the close, then moves it into place: link() when overwriting is not
 * allowed (atomic refusal if the name appeared meanwhile), rename() when it
 * is. Standard output ("-") is encoded into memory and written at commit.
 * The byte sink below serves every codec; TIFF also seeks and reads back. */
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SINK_BUF (1u << 16)

struct db_writer {
    char *path;  /* target */
    char *tmp;   /* temporary file (NULL for standard output) */
    db_file_format format;
    db_write_options opts;
    io_sink sink;
    io_tiff_writer *tiff;
    int npages;
    bool failed, committed;
    /* a page being written row by row (db_writer_begin_rows) */
    io_rows *rows; /* PNG, PBM */
    bool in_rows;
    int rows_width, rows_height, rows_next;
};

/* ---- sink ---- */

static int sink_flush_fd(io_sink *s)
{
    size_t done = 0;
    while (done < s->len) {
        ssize_t w = pwrite(s->fd, s->buf + done, s->len - done, (off_t)(s->bufpos + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!s->err_no)
                s->err_no = w < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)w;
    }
    s->len = 0;
    return 0;
}

int io_sink_flush(io_sink *s)
{
    if (s->fd < 0)
        return s->err_no ? -1 : 0;
    return sink_flush_fd(s);
}

static int sink_grow(io_sink *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : SINK_BUF;
    while (cap < need) {
        if (!db_mul_size(cap, 2, &cap)) {
            s->err_no = EFBIG;
            return -1;
        }
    }
    uint8_t *nb = db_realloc(s->ctx, s->buf, cap);
    if (!nb) {
        s->err_no = ENOMEM;
        return -1;
    }
    s->buf = nb;
    s->cap = cap;
    return 0;
}

int io_sink_write(io_sink *s, const void *data, size_t n)
{
    if (s->err_no)
        return -1;
    if (s->fd < 0) {
        size_t end;
        if (s->pos > SIZE_MAX || !db_add_size((size_t)s->pos, n, &end) || sink_grow(s, end))
            return s->err_no = s->err_no ? s->err_no : EFBIG, -1;
        if (s->pos > s->len) /* a seek past the end leaves a hole of zeros */
            memset(s->buf + s->len, 0, (size_t)s->pos - s->len);
        memcpy(s->buf + s->pos, data, n);
        s->pos = end;
        if (end > s->len)
            s->len = end;
        if (s->pos > s->end)
            s->end = s->pos;
        return 0;
    }
    /* fd: buffer contiguous writes; a write elsewhere flushes first */
    if (s->len && s->bufpos + s->len != s->pos && sink_flush_fd(s))
        return -1;
    if (!s->len)
        s->bufpos = s->pos;
    if (!s->buf && sink_grow(s, SINK_BUF))
        return -1;
    const uint8_t *p = data;
    while (n) {
        size_t room = s->cap - s->len, k = n < room ? n : room;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        s->pos += k;
        p += k;
        n -= k;
        if (s->len == s->cap && sink_flush_fd(s))
            return -1;
        if (!s->len)
            s->bufpos = s->pos;
    }
    if (s->pos > s->end)
        s->end = s->pos;
    return 0;
}

int io_sink_seek(io_sink *s, uint64_t pos)
{
    s->pos = pos;
    return 0;
}

long io_sink_read(io_sink *s, void *data, size_t n)
{
    if (s->err_no)
        return -1;
    if (s->fd < 0) {
        if (s->pos >= s->len)
            return 0;
        size_t k = s->len - (size_t)s->pos;
        if (k > n)
            k = n;
        memcpy(data, s->buf + s->pos, k);
        s->pos += k;
        return (long)k;
    }
    if (sink_flush_fd(s))
        return -1;
    ssize_t got;
    do
        got = pread(s->fd, data, n, (off_t)s->pos);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        s->err_no = errno;
        return -1;
    }
    s->pos += (uint64_t)got;
    return (long)got;
}

int io_sink_fail(io_sink *s)
{
    if (s->err_no == ENOMEM)
        return db_fail(s->ctx, DB_ENOMEM, "out of memory while writing");
    return db_fail(s->ctx, DB_EIO, "write failed (%s)", strerror(s->err_no ? s->err_no : EIO));
}

/* ---- writer ---- */

static char *dup_str(db_ctx *ctx, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = db_malloc(ctx, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Creates "<dir>/.<base>.XXXXXX" with O_EXCL; mode 0666 so the umask applies
 * as for any new file. The suffix mixes the clock, pid and attempt number:
 * no global state, and O_EXCL makes collisions harmless. */
static int create_temp(db_ctx *ctx, db_writer *w)
{
    const char *slash = strrchr(w->path, '/');
    size_t dirlen = slash ? (size_t)(slash - w->path) + 1 : 0;
    const char *base = slash ? slash + 1 : w->path;
    size_t n = dirlen + 1 + strlen(base) + 8;
    w->tmp = db_malloc(ctx, n);
    if (!w->tmp)
        return DB_ENOMEM;
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t v = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)getpid() << 20 ^
                     (uint64_t)ts.tv_sec ^ (uint64_t)attempt * 0xBF58476D1CE4E5B9u ^
                     (uint64_t)(uintptr_t)w;
        char suffix[7];
        for (int i = 0; i < 6; i++, v /= 36)
            suffix[i] = digits[v % 36];
        suffix[6] = '\0';
        snprintf(w->tmp, n, "%.*s.%s.%s", (int)dirlen, w->path, base, suffix);
        int fd = open(w->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            w->sink.fd = fd;
            return 0;
        }
        if (errno != EEXIST) {
            int e = errno;
            db_free(w->tmp);
            w->tmp = NULL;
            return db_fail(ctx, DB_EIO, "cannot create a temporary file in the output folder (%s)",
                           strerror(e));
        }
    }
    db_free(w->tmp);
    w->tmp = NULL;
    return db_fail(ctx, DB_EIO, "cannot create a temporary file in the output folder");
}

static int writer_open(db_ctx *ctx, const char *path, const db_write_options *opts,
                       db_writer **out)
{
    db_write_options o = opts ? *opts : (db_write_options){0};
    bool to_stdout = strcmp(path, "-") == 0;
    if (o.format == DB_FILE_AUTO) {
        if (to_stdout)
            return db_fail(ctx, DB_EINVAL, "the output format must be given for standard output");
        o.format = db_file_format_from_name(path);
        if (o.format == DB_FILE_AUTO)
            return db_fail(ctx, DB_EINVAL,
                           "unknown output format (use .png .tif .tiff .jpg .jpeg .pbm .pgm "
                           ".ppm .pnm)");
    }
    if (o.format < DB_FILE_PNG || o.format > DB_FILE_PNM)
        return db_fail(ctx, DB_EINVAL, "unknown output format %d", (int)o.format);
    if (o.compression < DB_TIFF_AUTO || o.compression > DB_TIFF_NONE)
        return db_fail(ctx, DB_EINVAL, "unknown tiff compression %d", (int)o.compression);
    if (o.jpeg_quality < 0 || o.jpeg_quality > 100)
        return db_fail(ctx, DB_EINVAL, "jpeg quality %d out of range 1..100", o.jpeg_quality);
    struct stat st;
    if (!to_stdout && !(o.flags & DB_WRITE_OVERWRITE) && lstat(path, &st) == 0)
        return db_fail(ctx, DB_EEXIST, "exists (not overwritten)");
    if (!to_stdout && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return db_fail(ctx, DB_EIO, "is a directory");

    db_writer *w = db_calloc(ctx, 1, sizeof *w);
    if (!w)
        return DB_ENOMEM;
    w->opts = o;
    w->format = o.format;
    w->sink.fd = -1;
    w->sink.ctx = ctx;
    *out = w;
    if (!(w->path = dup_str(ctx, path)))
        return DB_ENOMEM;
    if (!to_stdout)
        DB_TRY(create_temp(ctx, w));
    if (w->format == DB_FILE_TIFF)
        DB_TRY(io_tiff_writer_open(ctx, &w->sink, to_stdout ? "<stdout>" : path, &w->tiff));
    return 0;
}

int db_writer_open(db_ctx *ctx, const char *path, const db_write_options *opts,
                   db_writer **out)
{
    *out = NULL;
    if (!path || !*path)
        return db_fail(ctx, DB_EINVAL, "writer: no file name");
    db_writer *w = NULL;
    int rc = writer_open(ctx, path, opts, &w);
    if (rc < 0) {
        db_ctx_prefix_message(ctx, strcmp(path, "-") == 0 ? "<stdout>" : path);
        db_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static const char *writer_name(const db_writer *w)
{
    return w->tmp ? w->path : "<stdout>";
}

static int writer_add(db_ctx *ctx, db_writer *w, const db_image *img)
{
    if (w->committed)
        return db_fail(ctx, DB_EINVAL, "writer already committed");
    if (w->failed)
        return db_fail(ctx, DB_EINVAL, "an earlier page failed");
    if (w->in_rows)
        return db_fail(ctx, DB_EINVAL, "a page is being written row by row");
    if (img->format != DB_GRAY8 && img->format != DB_RGB8 && img->format != DB_BIT1)
        return db_fail(ctx, DB_EINVAL, "cannot write image format %d (only 1-bit, gray, rgb)",
                       (int)img->format);
    if (img->width <= 0 || img->height <= 0 || !img->data)
        return db_fail(ctx, DB_EINVAL, "empty image %dx%d", img->width, img->height);
    if (w->npages > 0 && w->format != DB_FILE_TIFF)
        return db_fail(ctx, DB_EINVAL, "%s holds one page only (use tiff for several)",
                       db_file_format_name(w->format));
    w->sink.ctx = ctx;
    switch (w->format) {
    case DB_FILE_PNG: return io_png_write(ctx, &w->sink, img);
    case DB_FILE_JPEG:
        return io_jpeg_write(ctx, &w->sink, img, w->opts.jpeg_quality ? w->opts.jpeg_quality : 90);
    case DB_FILE_PNM: return io_pnm_write(ctx, &w->sink, img);
    case DB_FILE_TIFF: return io_tiff_writer_add(ctx, w->tiff, img, w->opts.compression);
    default: return db_fail(ctx, DB_EINVAL, "unknown output format");
    }
}

int db_writer_add(db_ctx *ctx, db_writer *w, const db_image *page)
{
    if (!w || !page)
        return db_fail(ctx, DB_EINVAL, "writer: no writer or image");
    int rc = writer_add(ctx, w, page);
    if (rc < 0) {
        w->failed = true;
        char who[300];
        if (w->format == DB_FILE_TIFF && w->npages > 0)
            snprintf(who, sizeof who, "%s: page %d", writer_name(w), w->npages + 1);
        else
            snprintf(who, sizeof who, "%s", writer_name(w));
        db_ctx_prefix_message(ctx, who);
        return rc;
    }
    w->npages++;
    return 0;
}

/* ---- one 1-bit page row by row (strip mode) ---- */

static int rows_fail(db_ctx *ctx, db_writer *w, int rc)
{
    w->failed = true;
    db_ctx_prefix_message(ctx, writer_name(w));
    return rc;
}

int db_writer_begin_rows(db_ctx *ctx, db_writer *w, int width, int height, double xdpi,
                         double ydpi)
{
    if (!w)
        return db_fail(ctx, DB_EINVAL, "writer: no writer");
    int rc = 0;
    if (w->committed || w->failed || w->in_rows)
        rc = db_fail(ctx, DB_EINVAL, "writer not ready for a page");
    else if (width <= 0 || height <= 0)
        rc = db_fail(ctx, DB_EINVAL, "empty image %dx%d", width, height);
    else if (w->format == DB_FILE_JPEG)
        rc = db_fail(ctx, DB_EUNSUPPORTED, "jpeg cannot be written row by row");
    else if (w->npages > 0 && w->format != DB_FILE_TIFF)
        rc = db_fail(ctx, DB_EINVAL, "%s holds one page only (use tiff for several)",
                     db_file_format_name(w->format));
    if (rc < 0)
        return rows_fail(ctx, w, rc);
    w->sink.ctx = ctx;
    if (w->format == DB_FILE_TIFF) {
        db_image shape = {.width = width, .height = height, .format = DB_BIT1,
                          .xdpi = xdpi, .ydpi = ydpi};
        rc = io_tiff_writer_begin(ctx, w->tiff, &shape, w->opts.compression);
    } else {
        rc = io_rows_begin(ctx, &w->sink, w->format, width, height, xdpi, ydpi, &w->rows);
    }
    if (rc < 0)
        return rows_fail(ctx, w, rc);
    w->in_rows = true;
    w->rows_width = width;
    w->rows_height = height;
    w->rows_next = 0;
    return 0;
}

int db_writer_add_rows(db_ctx *ctx, db_writer *w, const db_image *rows, int y0, int n)
{
    if (!w || !rows)
        return db_fail(ctx, DB_EINVAL, "writer: no writer or rows");
    int rc = 0;
    if (!w->in_rows || w->failed)
        rc = db_fail(ctx, DB_EINVAL, "writer: no page begun (db_writer_begin_rows)");
    else if (rows->format != DB_BIT1 || rows->width != w->rows_width || y0 < 0 || n < 0 ||
             n > rows->height - y0 || n > w->rows_height - w->rows_next)
        rc = db_fail(ctx, DB_EINVAL, "rows do not fit the page (%dx%d)", w->rows_width,
                     w->rows_height);
    if (rc == 0) {
        w->sink.ctx = ctx;
        rc = w->format == DB_FILE_TIFF ? io_tiff_writer_rows(ctx, w->tiff, rows, y0, n)
                                       : io_rows_add(ctx, w->rows, rows, y0, n);
    }
    if (rc < 0)
        return rows_fail(ctx, w, rc);
    w->rows_next += n;
    return 0;
}

int db_writer_end_rows(db_ctx *ctx, db_writer *w)
{
    if (!w)
        return db_fail(ctx, DB_EINVAL, "writer: no writer");
    int rc = 0;
    if (!w->in_rows || w->failed)
        rc = db_fail(ctx, DB_EINVAL, "writer: no page begun (db_writer_begin_rows)");
    else if (w->rows_next != w->rows_height)
        rc = db_fail(ctx, DB_EINVAL, "page ended after %d of %d rows", w->rows_next,
                     w->rows_height);
    if (rc == 0) {
        w->sink.ctx = ctx;
        rc = w->format == DB_FILE_TIFF ? io_tiff_writer_end(ctx, w->tiff)
                                       : io_rows_end(ctx, w->rows);
    }
    io_rows_free(w->rows);
    w->rows = NULL;
    w->in_rows = false;
    if (rc < 0)
        return rows_fail(ctx, w, rc);
    w->npages++;
    return 0;
}

static int write_stdout(db_ctx *ctx, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(STDOUT_FILENO, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return db_fail(ctx, DB_EIO, "write failed (%s)",
                           k < 0 ? strerror(errno) : "no progress");
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int writer_commit(db_ctx *ctx, db_writer *w)
{
    if (w->committed)
        return db_fail(ctx, DB_EINVAL, "writer already committed");
    if (w->failed)
        return db_fail(ctx, DB_EINVAL, "not committed: a page failed");
    if (w->in_rows)
        return db_fail(ctx, DB_EINVAL, "not committed: a page is still being written");
    if (w->npages == 0)
        return db_fail(ctx, DB_EINVAL, "no page written");
    w->sink.ctx = ctx;
    if (w->tiff) {
        int rc = io_tiff_writer_finish(ctx, w->tiff);
        io_tiff_writer_free(w->tiff);
        w->tiff = NULL;
        DB_TRY(rc);
    }
    if (io_sink_flush(&w->sink))
        return io_sink_fail(&w->sink);
    if (!w->tmp) {
        DB_TRY(write_stdout(ctx, w->sink.buf, w->sink.len));
        w->committed = true;
        return 0;
    }
    int fd = w->sink.fd;
    w->sink.fd = -1;
    if (close(fd) != 0)
        return db_fail(ctx, DB_EIO, "close failed (%s)", strerror(errno));
    if (w->opts.flags & DB_WRITE_OVERWRITE) {
        if (rename(w->tmp, w->path) != 0)
            return db_fail(ctx, DB_EIO, "cannot rename the temporary file (%s)", strerror(errno));
    } else {
        /* link() fails with EEXIST if the name appeared since open: no race */
        if (link(w->tmp, w->path) != 0) {
            int e = errno;
            if (e == EEXIST)
                return db_fail(ctx, DB_EEXIST, "exists (not overwritten)");
            struct stat st;
            if (lstat(w->path, &st) == 0)
                return db_fail(ctx, DB_EEXIST, "exists (not overwritten)");
            /* file systems without hard links */
            if (rename(w->tmp, w->path) != 0)
                return db_fail(ctx, DB_EIO, "cannot rename the temporary file (%s)",
                               strerror(errno));
        } else {
            unlink(w->tmp);
        }
    }
    db_free(w->tmp);
    w->tmp = NULL;
    w->committed = true;
    return 0;
}

int db_writer_commit(db_ctx *ctx, db_writer *w)
{
    if (!w)
        return db_fail(ctx, DB_EINVAL, "writer: no writer");
    int rc = writer_commit(ctx, w);
    if (rc < 0) {
        w->failed = true;
        db_ctx_prefix_message(ctx, writer_name(w));
    }
    return rc;
}

void db_writer_free(db_writer *w)
{
    if (!w)
        return;
    io_tiff_writer_free(w->tiff);
    io_rows_free(w->rows);
    if (w->sink.fd >= 0)
        close(w->sink.fd);
    if (w->tmp && !w->committed)
        unlink(w->tmp);
    db_free(w->tmp);
    db_free(w->sink.buf);
    db_free(w->path);
    db_free(w);
}

int db_image_save(db_ctx *ctx, const char *path, const db_write_options *opts,
                  const db_image *img)
{
    db_writer *w;
    DB_TRY(db_writer_open(ctx, path, opts, &w));
    int rc = db_writer_add(ctx, w, img);
    if (rc == 0)
        rc = db_writer_commit(ctx, w);
    db_writer_free(w);
    return rc;
}
