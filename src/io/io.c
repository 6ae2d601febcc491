/* io.c - reading image files: the whole file is read into memory (standard
 * input for "-"), the codec is chosen by magic bytes (never by name), and
 * every message is prefixed with the file name, plus the page for
 * multi-page files ("in.tif: page 2: ..."). Codecs: io_png.c, io_jpeg.c,
 * io_tiff.c, io_pnm.c; writing: writer.c. */
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *db_file_format_name(db_file_format fmt)
{
    switch (fmt) {
    case DB_FILE_AUTO: return "auto";
    case DB_FILE_PNG: return "png";
    case DB_FILE_JPEG: return "jpeg";
    case DB_FILE_TIFF: return "tiff";
    case DB_FILE_PNM: return "pnm";
    }
    return "unknown";
}

db_file_format db_file_format_from_name(const char *path)
{
    if (!path)
        return DB_FILE_AUTO;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot)
        return DB_FILE_AUTO;
    static const struct {
        const char *ext;
        db_file_format fmt;
    } table[] = {
        {".png", DB_FILE_PNG},  {".jpg", DB_FILE_JPEG}, {".jpeg", DB_FILE_JPEG},
        {".tif", DB_FILE_TIFF}, {".tiff", DB_FILE_TIFF}, {".pbm", DB_FILE_PNM},
        {".pgm", DB_FILE_PNM},  {".ppm", DB_FILE_PNM},  {".pnm", DB_FILE_PNM},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(dot, table[i].ext) == 0)
            return table[i].fmt;
    return DB_FILE_AUTO;
}

static db_file_format sniff(const uint8_t *p, size_t n)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 8 && memcmp(p, png, 8) == 0)
        return DB_FILE_PNG;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return DB_FILE_JPEG;
    if (n >= 4 && ((p[0] == 'I' && p[1] == 'I' && (p[2] == 42 || p[2] == 43) && p[3] == 0) ||
                   (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && (p[3] == 42 || p[3] == 43))))
        return DB_FILE_TIFF;
    if (n >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6' &&
        (p[2] == ' ' || p[2] == '\n' || p[2] == '\r' || p[2] == '\t' || p[2] == '#'))
        return DB_FILE_PNM;
    return DB_FILE_AUTO;
}

/* Reads all of fd into a db_malloc'd buffer. */
static int read_all(db_ctx *ctx, int fd, size_t hint, uint8_t **out, size_t *size)
{
    size_t cap = hint ? hint + 1 : 1 << 16, len = 0;
    uint8_t *buf = db_malloc(ctx, cap);
    if (!buf)
        return DB_ENOMEM;
    for (;;) {
        if (len == cap) {
            size_t ncap;
            if (!db_mul_size(cap, 2, &ncap)) {
                db_free(buf);
                return db_fail(ctx, DB_ETOOBIG, "file too large");
            }
            uint8_t *nb = db_realloc(ctx, buf, ncap);
            if (!nb) {
                db_free(buf);
                return DB_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            db_free(buf);
            return db_fail(ctx, DB_EIO, "read failed (%s)", strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    *out = buf;
    *size = len;
    return 0;
}

static int reader_new(db_ctx *ctx, const char *name, db_reader **out)
{
    db_reader *r = db_calloc(ctx, 1, sizeof *r);
    if (!r)
        return DB_ENOMEM;
    size_t n = strlen(name) + 1;
    r->name = db_malloc(ctx, n);
    if (!r->name) {
        db_free(r);
        return DB_ENOMEM;
    }
    memcpy(r->name, name, n);
    r->ctx = ctx;
    r->npages = 1;
    *out = r;
    return 0;
}

static int reader_start(db_ctx *ctx, db_reader *r)
{
    if (r->size == 0)
        return db_fail(ctx, DB_EFORMAT, "empty file");
    r->format = sniff(r->data, r->size);
    switch (r->format) {
    case DB_FILE_AUTO:
        return db_fail(ctx, DB_EFORMAT, "not a png, jpeg, tiff or pnm file (unknown magic bytes)");
    case DB_FILE_TIFF: return io_tiff_open(ctx, r);
    default: return 0;
    }
}

int db_reader_open_memory(db_ctx *ctx, const void *data, size_t size, const char *name,
                          db_reader **out)
{
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (!data && size)
        return db_fail(ctx, DB_EINVAL, "%s: no data", name);
    db_reader *r;
    DB_TRY(reader_new(ctx, name, &r));
    r->data = data;
    r->size = size;
    int rc = reader_start(ctx, r);
    if (rc < 0) {
        db_ctx_prefix_message(ctx, name);
        db_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int db_reader_open(db_ctx *ctx, const char *path, db_reader **out)
{
    *out = NULL;
    if (!path || !*path)
        return db_fail(ctx, DB_EINVAL, "reader: no file name");
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    db_reader *r;
    DB_TRY(reader_new(ctx, name, &r));
    int rc = 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = db_fail(ctx, DB_EIO, "cannot open (%s)", strerror(errno));
    } else {
        struct stat st;
        size_t hint = 0;
        bool have_stat = fstat(fd, &st) == 0;
        if (have_stat && S_ISDIR(st.st_mode))
            rc = db_fail(ctx, DB_EIO, "is a directory");
        else if (have_stat && S_ISREG(st.st_mode) && st.st_size > 0)
            hint = (size_t)st.st_size; /* read in one go, no regrowth */
        if (rc == 0)
            rc = read_all(ctx, fd, hint, &r->owned, &r->size);
        if (!is_stdin)
            close(fd);
    }
    r->data = r->owned;
    if (rc == 0)
        rc = reader_start(ctx, r);
    if (rc < 0) {
        db_ctx_prefix_message(ctx, name);
        db_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void db_reader_close(db_reader *r)
{
    if (!r)
        return;
    io_tiff_close(r);
    db_free(r->owned);
    db_free(r->name);
    db_free(r);
}

int db_reader_page_count(const db_reader *r) { return r ? r->npages : 0; }
db_file_format db_reader_format(const db_reader *r) { return r ? r->format : DB_FILE_AUTO; }

int db_reader_read(db_ctx *ctx, db_reader *r, int page, db_image *out)
{
    if (!r || !out)
        return db_fail(ctx, DB_EINVAL, "reader: no reader or image");
    char who[300];
    if (r->npages > 1)
        snprintf(who, sizeof who, "%s: page %d", r->name, page + 1);
    else
        snprintf(who, sizeof who, "%s", r->name);
    if (page < 0 || page >= r->npages) {
        int rc = db_fail(ctx, DB_EINVAL, "page %d out of range (the file has %d)", page + 1,
                         r->npages);
        db_ctx_prefix_message(ctx, r->name);
        return rc;
    }
    r->ctx = ctx;
    int rc;
    switch (r->format) {
    case DB_FILE_PNG: rc = io_png_read(ctx, r, out); break;
    case DB_FILE_JPEG: rc = io_jpeg_read(ctx, r, out); break;
    case DB_FILE_TIFF: rc = io_tiff_read(ctx, r, page, out); break;
    case DB_FILE_PNM: rc = io_pnm_read(ctx, r, out); break;
    default: rc = db_fail(ctx, DB_EFORMAT, "unknown format");
    }
    if (rc < 0)
        db_ctx_prefix_message(ctx, who);
    return rc;
}

int db_image_load(db_ctx *ctx, const char *path, db_image *out)
{
    db_reader *r;
    DB_TRY(db_reader_open(ctx, path, &r));
    int rc = db_reader_read(ctx, r, 0, out);
    db_reader_close(r);
    return rc;
}

int db_path_same_file(const char *a, const char *b)
{
    if (!a || !b || strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
