/* cmd_batch.c - `docbin batch IN... -o OUT_DIR`: many files through the same
 * per-file pipeline as `docbin IN OUT` (process.c), pages on -j workers.
 * Listing (folders, @lists, stdin, -r mirroring) and naming, --shard
 * (shard.c), --resume, --report JSONL, progress (progress.c), signals (stop
 * handing out pages, cancel in-flight ones, re-raise), and --isolate (each
 * file in a forked child, so a crash costs one file). */
#include "batch.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int g_stop_signal; /* the one piece of process state: set by signals */

static void on_signal(int sig) { atomic_store(&g_stop_signal, sig); }

enum item_status { ITEM_PENDING = 0, ITEM_OK, ITEM_FAILED, ITEM_SKIPPED, ITEM_CANCELED };
static const char *const status_names[] = {"pending", "ok", "failed", "skipped", "canceled"};

typedef struct batch_item {
    char *in;  /* input path as listed */
    char *rel; /* path relative to its folder argument (basename for a file) */
    char *out; /* output path under -o */
    char *error;
    int status;
    double seconds;
} batch_item;

typedef struct batch_opts {
    cli_page_opts page; /* every option of the single-page command */
    const char *outdir, *ext, *suffix, *report, *shard_spec;
    db_method method;
    long jobs, shard_count;
    bool recursive, resume, isolate, dry_run;
} batch_opts;

typedef struct batch {
    batch_opts *o;
    batch_item *items;
    size_t n, cap;
    db_ctx **ctxs; /* one pool-less ctx per worker */
    cli_page_buffers *bufs; /* one per worker, reused from page to page */
    pthread_mutex_t lock;
    cli_progress progress;
    FILE *report;
    char *report_tmp;
    const char *crash_on; /* DOCBIN_BATCH_TEST_CRASH: see process_item */
} batch;

static void usage(FILE *f)
{
    fputs("usage: docbin batch [options] IN... -o OUT_DIR\n"
          "\n"
          "Binarize many files into OUT_DIR. IN is a file, a folder (its images:\n"
          ".png .jpg .jpeg .tif .tiff .pbm .pgm .ppm .pnm), @LIST (one path a line) or\n"
          "'-' (that list on standard input). A file in a folder keeps its path below\n"
          "the folder; a file named directly keeps its name. Outputs are atomic.\n"
          "\n"
          "batch options:\n"
          "  -o, --output-dir DIR   output folder (created when missing)\n"
          "  -r, --recursive        descend into subfolders, mirroring them under DIR\n"
          "      --ext EXT          output extension and format: png (default), tif, pbm\n"
          "      --suffix S         appended to each output name (a.png -> a_S.png)\n"
          "  -j, --jobs N           pages processed at once (default: all cores)\n"
          "      --resume           skip pages whose output is newer than the input and\n"
          "                         remove temporary files a killed run left behind\n"
          "      --report FILE      one JSON line per page (status, method, sizes,\n"
          "                         seconds, error), written atomically at the end\n"
          "      --shard K/N        only the K-th of N deterministic subsets (K from 1);\n"
          "                         'slurm' reads SLURM_ARRAY_TASK_ID/MIN/STEP/COUNT,\n"
          "                         'k8s' JOB_COMPLETION_INDEX with --shard-count N\n"
          "      --shard-count N    number of shards for k8s (overrides Slurm's)\n"
          "      --isolate          run each file in its own process: a crash fails\n"
          "                         that file only\n"
          "  -n, --dry-run          print 'IN<TAB>OUT' for the pages that would run\n"
          "\n"
          "options of the single-page command (docbin --help):\n"
          "  -m, --method SPEC, --list-methods, --model FILE, -f, --format FMT,\n"
          "  --compression C, --page N, -y, --overwrite, --max-pixels N, --isa ISA,\n"
          "  --strip-rows N,\n"
          "  --output MODE, --margin N, --normalize, --drop-color HUES,\n"
          "  -q, --quiet (failures and their summary only), -v, --verbose\n"
          "\n"
          "A progress bar is shown on a terminal, one line per page otherwise.\n"
          "exit status: 0 every page done, 1 some page failed (all are listed at the end),\n"
          "2 usage error; killed by SIGINT/SIGTERM after the running pages stop.\n",
          f);
}

/* ---- listing ---- */

static char *str_dup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    return d;
}

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    memcpy(p, a, la);
    size_t n = la;
    if (la && a[la - 1] != '/')
        p[n++] = '/';
    memcpy(p + n, b, lb + 1);
    return p;
}

static batch_item *add_item(batch *b, const char *in, const char *rel)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        batch_item *items = realloc(b->items, cap * sizeof *items);
        if (!items) {
            cli_error("out of memory");
            exit(CLI_EXIT_DATA);
        }
        b->items = items;
        b->cap = cap;
    }
    batch_item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    it->in = str_dup(in);
    it->rel = str_dup(rel);
    return it;
}

static void fail_item(batch_item *it, const char *fmt, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, detail);
    free(it->error);
    it->error = str_dup(msg);
    it->status = ITEM_FAILED;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The images of folder dir (rel = its path below the argument), sorted by
 * name; hidden entries (our own temporary files among them) are left out. */
static void list_folder(batch *b, const char *dir, const char *rel, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        batch_item *it = add_item(b, dir, rel[0] ? rel : ".");
        fail_item(it, "cannot open the folder (%s)", strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                cli_error("out of memory");
                exit(CLI_EXIT_DATA);
            }
            names = nn;
        }
        names[n++] = str_dup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        char *path = path_join(dir, names[i]);
        char *sub = rel[0] ? path_join(rel, names[i]) : str_dup(names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (b->o->recursive && depth < 64) /* 64 also ends symlink loops */
                list_folder(b, path, sub, depth + 1);
        } else if (db_file_format_from_name(names[i]) != DB_FILE_AUTO) {
            add_item(b, path, sub);
        }
        free(path);
        free(sub);
        free(names[i]);
    }
    free(names);
}

static void list_arg(batch *b, const char *arg);

/* One path a line; empty lines are ignored, "\r\n" endings accepted. */
static int list_stream(batch *b, FILE *f, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len)
            list_arg(b, line);
    }
    free(line);
    if (ferror(f)) {
        cli_error("%s: read error (%s)", name, strerror(errno));
        return CLI_EXIT_DATA;
    }
    return 0;
}

static void list_arg(batch *b, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        batch_item *it = add_item(b, arg, arg);
        fail_item(it, "cannot read (%s)", strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        list_folder(b, arg, "", 0);
        return;
    }
    const char *slash = strrchr(arg, '/');
    add_item(b, arg, slash ? slash + 1 : arg);
}

static int list_inputs(batch *b, int nargs, char **args)
{
    for (int i = 0; i < nargs; i++) {
        int rc = 0;
        if (strcmp(args[i], "-") == 0) {
            rc = list_stream(b, stdin, "standard input");
        } else if (args[i][0] == '@') {
            FILE *f = fopen(args[i] + 1, "r");
            if (!f) {
                cli_error("%s: cannot open the list (%s)", args[i] + 1, strerror(errno));
                return CLI_EXIT_USAGE;
            }
            rc = list_stream(b, f, args[i] + 1);
            fclose(f);
        } else {
            list_arg(b, args[i]);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_items(const void *a, const void *b)
{
    const batch_item *x = a, *y = b;
    int c = strcmp(x->rel, y->rel);
    return c ? c : strcmp(x->in, y->in);
}

static int cmp_item_ptr_out(const void *a, const void *b)
{
    const batch_item *x = *(batch_item *const *)a, *y = *(batch_item *const *)b;
    int c = strcmp(x->out, y->out);
    return c ? c : strcmp(x->in, y->in);
}

/* out = OUT_DIR / rel without its extension + suffix + "." + ext */
static void name_output(const batch_opts *o, batch_item *it)
{
    const char *base = strrchr(it->rel, '/');
    base = base ? base + 1 : it->rel;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - it->rel) : strlen(it->rel);
    size_t n = stem + strlen(o->suffix) + strlen(o->ext) + 2;
    char *rel = malloc(n);
    if (!rel) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    snprintf(rel, n, "%.*s%s.%s", (int)stem, it->rel, o->suffix, o->ext);
    it->out = path_join(o->outdir, rel);
    free(rel);
}

/* Two inputs that would write one output (a.png and a.tif): the first in
 * order keeps it, the others fail with a message naming it. */
static void mark_collisions(batch *b)
{
    batch_item **by_out = malloc((b->n ? b->n : 1) * sizeof *by_out);
    if (!by_out) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    for (size_t i = 0; i < b->n; i++)
        by_out[i] = &b->items[i];
    qsort(by_out, b->n, sizeof *by_out, cmp_item_ptr_out);
    for (size_t i = 1; i < b->n; i++)
        if (strcmp(by_out[i]->out, by_out[i - 1]->out) == 0 && by_out[i]->status == ITEM_PENDING) {
            size_t first = i - 1;
            while (first > 0 && strcmp(by_out[first - 1]->out, by_out[i]->out) == 0)
                first--;
            fail_item(by_out[i], "same output as %s (rename one or use --suffix)",
                      by_out[first]->in);
        }
    free(by_out);
}

/* ---- output folders and leftovers ---- */

/* mkdir -p of the folder that will hold path. */
static int make_parent_dirs(const char *path)
{
    char *p = str_dup(path);
    int rc = 0;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = '/';
    }
    free(p);
    return rc;
}

/* Removes "<dir>/.<base>.XXXXXX", the temporary files db_writer makes for
 * out, left by a run that was killed (or a child that crashed). */
static void remove_leftovers(const char *out)
{
    const char *slash = strrchr(out, '/');
    char *dir = slash ? strndup(out, (size_t)(slash - out) + (slash == out)) : str_dup(".");
    const char *base = slash ? slash + 1 : out;
    size_t lb = strlen(base);
    DIR *d = dir ? opendir(dir) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            const char *nm = e->d_name;
            size_t ln = strlen(nm);
            if (nm[0] != '.' || ln != lb + 8 || strncmp(nm + 1, base, lb) || nm[lb + 1] != '.')
                continue;
            char *tmp = path_join(dir, nm);
            unlink(tmp);
            free(tmp);
        }
        closedir(d);
    }
    free(dir);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --resume: remove_leftovers for every output at once, reading each output
 * folder once (a per-file scan would be quadratic in a folder of 10^5 pages). */
static void remove_all_leftovers(batch *b)
{
    char **outs = malloc((b->n ? b->n : 1) * sizeof *outs);
    char **dirs = malloc((b->n ? b->n : 1) * sizeof *dirs);
    if (!outs || !dirs) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].status == ITEM_PENDING) {
            char *out = b->items[i].out;
            const char *slash = strrchr(out, '/');
            outs[n] = out;
            dirs[n++] = strndup(out, slash ? (size_t)(slash - out) : 0);
        }
    qsort(outs, n, sizeof *outs, cmp_str_ptr);
    qsort(dirs, n, sizeof *dirs, cmp_str_ptr);
    for (size_t i = 0; i < n; i++) {
        if (!dirs[i] || (i && dirs[i - 1] && strcmp(dirs[i], dirs[i - 1]) == 0))
            continue;
        DIR *d = opendir(dirs[i][0] ? dirs[i] : "/");
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            const char *nm = e->d_name;
            size_t ln = strlen(nm);
            if (nm[0] != '.' || ln < 9 || nm[ln - 7] != '.')
                continue;
            /* ".<base>.XXXXXX" belongs to "<dir>/<base>" */
            size_t ld = strlen(dirs[i]);
            char *cand = malloc(ld + ln);
            if (!cand)
                break;
            snprintf(cand, ld + ln, "%s/%.*s", dirs[i], (int)(ln - 8), nm + 1);
            if (bsearch(&cand, outs, n, sizeof *outs, cmp_str_ptr)) {
                char *tmp = path_join(dirs[i][0] ? dirs[i] : "/", nm);
                unlink(tmp);
                free(tmp);
            }
            free(cand);
        }
        closedir(d);
    }
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
    free(outs);
}

/* --resume: the output exists and is strictly newer than the input. */
static bool output_is_fresh(const batch_item *it)
{
    struct stat si, so;
    if (stat(it->in, &si) != 0 || stat(it->out, &so) != 0)
        return false;
    if (so.st_mtim.tv_sec != si.st_mtim.tv_sec)
        return so.st_mtim.tv_sec > si.st_mtim.tv_sec;
    return so.st_mtim.tv_nsec > si.st_mtim.tv_nsec;
}

/* ---- report ---- */

static void json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f); /* UTF-8 bytes pass through; other bytes too (file names) */
    }
    fputc('"', f);
}

static long long file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void report_item(batch *b, const batch_item *it)
{
    FILE *f = b->report;
    if (!f)
        return;
    fputs("{\"input\":", f);
    json_string(f, it->in);
    fputs(",\"output\":", f);
    json_string(f, it->out);
    fprintf(f, ",\"status\":\"%s\",\"method\":", status_names[it->status]);
    json_string(f, b->o->page.method_spec);
    long long ib = file_bytes(it->in), ob = it->status == ITEM_OK || it->status == ITEM_SKIPPED
                                               ? file_bytes(it->out) : -1;
    fputs(",\"input_bytes\":", f);
    ib >= 0 ? fprintf(f, "%lld", ib) : fputs("null", f);
    fputs(",\"output_bytes\":", f);
    ob >= 0 ? fprintf(f, "%lld", ob) : fputs("null", f);
    fprintf(f, ",\"seconds\":%.6f,\"error\":", it->seconds);
    json_string(f, it->error);
    fputs("}\n", f);
}

/* The report goes to ".<name>.XXXXXX" beside it, renamed at the end. */
static int report_open(batch *b, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path) + 9;
    b->report_tmp = malloc(n);
    if (!b->report_tmp)
        return -1;
    snprintf(b->report_tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkstemp(b->report_tmp);
    if (fd < 0 || !(b->report = fdopen(fd, "w"))) {
        cli_error("%s: cannot create the report (%s)", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(b->report_tmp);
        b->report_tmp = NULL;
        return -1;
    }
    mode_t mask = umask(0); /* mkstemp made it 0600: give it a new file's mode */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return 0;
}

static int report_close(batch *b, const char *path)
{
    if (!b->report)
        return 0;
    bool ok = fflush(b->report) == 0 && !ferror(b->report) && fsync(fileno(b->report)) == 0;
    ok = fclose(b->report) == 0 && ok;
    b->report = NULL;
    if (!ok || rename(b->report_tmp, path) != 0) {
        cli_error("%s: cannot write the report (%s)", path, strerror(errno));
        unlink(b->report_tmp);
        return -1;
    }
    return 0;
}

/* ---- processing ---- */

static void log_warning(void *user, const char *msg)
{
    batch *b = user;
    if (b->o->page.quiet)
        return;
    pthread_mutex_lock(&b->lock);
    cli_progress_clear(&b->progress);
    fprintf(stderr, "docbin: warning: %s\n", msg);
    pthread_mutex_unlock(&b->lock);
}

/* One file with a worker's ctx: the status and message land in the item. */
static void process_item(batch *b, db_ctx *ctx, cli_page_buffers *bufs, batch_item *it)
{
    double t0 = cli_now_seconds();
    cli_process_opts po = b->o->page.po;
    if (b->o->resume && access(it->out, F_OK) == 0)
        po.wopts.flags |= DB_WRITE_OVERWRITE; /* stale: older than the input */
    if (b->crash_on && strstr(it->in, b->crash_on))
        raise(SIGSEGV); /* test hook: what a bug in a decoder would do */
    if (make_parent_dirs(it->out) != 0) {
        fail_item(it, "cannot create the output folder (%s)", strerror(errno));
    } else if (db_path_same_file(it->in, it->out)) {
        fail_item(it, "%s: output would overwrite the input", it->out);
    } else if (cli_process_file(ctx, &po, it->in, it->out, bufs) != 0) {
        if (db_ctx_code(ctx) == DB_ECANCELED) {
            it->status = ITEM_CANCELED;
        } else {
            /* process.c names the file; the progress line names it too */
            const char *msg = db_ctx_message(ctx);
            size_t lin = strlen(it->in);
            if (strncmp(msg, it->in, lin) == 0 && strncmp(msg + lin, ": ", 2) == 0)
                msg += lin + 2;
            fail_item(it, "%s", msg[0] ? msg : db_strerror(db_ctx_code(ctx)));
        }
        db_ctx_clear_error(ctx);
    } else {
        it->status = ITEM_OK;
    }
    it->seconds = cli_now_seconds() - t0;
}

static void finish_item(batch *b, batch_item *it)
{
    pthread_mutex_lock(&b->lock);
    if (it->status != ITEM_CANCELED)
        cli_progress_page(&b->progress, status_names[it->status], it->in, it->error, it->seconds);
    report_item(b, it);
    pthread_mutex_unlock(&b->lock);
}

static void page_job(void *arg, int job, int worker)
{
    batch *b = arg;
    batch_item *it = &b->items[job];
    if (it->status != ITEM_PENDING)
        return;
    if (atomic_load(&g_stop_signal)) { /* stop handing out pages */
        it->status = ITEM_CANCELED;
        finish_item(b, it);
        return;
    }
    process_item(b, b->ctxs[worker], &b->bufs[worker], it);
    finish_item(b, it);
}

/* --isolate: up to jobs children, one per file. The child sends its status
 * byte and message through a pipe; a child killed by a signal is a failed
 * file whose temporary output is removed here. */
static void run_isolated(batch *b, db_ctx *ctx, long jobs)
{
    typedef struct slot { pid_t pid; int fd; size_t item; } slot;
    slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots) {
        cli_error("out of memory");
        exit(CLI_EXIT_DATA);
    }
    size_t next = 0;
    long running = 0;
    for (;;) {
        int sig = atomic_load(&g_stop_signal);
        while (!sig && running < jobs && next < b->n) {
            batch_item *it = &b->items[next];
            if (it->status != ITEM_PENDING) {
                next++;
                continue;
            }
            int fds[2];
            fflush(NULL); /* the child must not write our buffers again */
            if (pipe(fds) != 0) {
                fail_item(it, "cannot start a worker process (%s)", strerror(errno));
                finish_item(b, it);
                next++;
                continue;
            }
            pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                process_item(b, ctx, NULL, it); /* a child: nothing to reuse */
                char msg[1024];
                int len = snprintf(msg, sizeof msg, "%c%s", '0' + it->status,
                                   it->error ? it->error : "");
                if (len >= (int)sizeof msg)
                    len = (int)sizeof msg - 1;
                ssize_t w = write(fds[1], msg, (size_t)len);
                _exit(w == len ? 0 : 1);
            }
            close(fds[1]);
            if (pid < 0) {
                close(fds[0]);
                fail_item(it, "cannot start a worker process (%s)", strerror(errno));
                finish_item(b, it);
                next++;
                continue;
            }
            long s = 0;
            while (slots[s].pid)
                s++;
            slots[s] = (slot){pid, fds[0], next++};
            running++;
        }
        if (!running)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR && (sig = atomic_load(&g_stop_signal)))
                for (long s = 0; s < jobs; s++)
                    if (slots[s].pid)
                        kill(slots[s].pid, SIGTERM); /* they cancel and clean up */
            continue;
        }
        long s = 0;
        while (s < jobs && slots[s].pid != pid)
            s++;
        if (s == jobs)
            continue;
        batch_item *it = &b->items[slots[s].item];
        char msg[1024];
        ssize_t len = read(slots[s].fd, msg, sizeof msg - 1);
        close(slots[s].fd);
        slots[s].pid = 0;
        running--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && len > 0) {
            msg[len] = '\0';
            it->status = msg[0] - '0';
            if (msg[1])
                it->error = str_dup(msg + 1);
        } else {
            char why[64];
            if (WIFSIGNALED(status))
                snprintf(why, sizeof why, "signal %d, %s", WTERMSIG(status),
                         strsignal(WTERMSIG(status)));
            else
                snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
            fail_item(it, "the worker processing this file crashed (%s)", why);
            remove_leftovers(it->out);
        }
        finish_item(b, it);
    }
    for (size_t i = next; i < b->n; i++)
        if (b->items[i].status == ITEM_PENDING)
            b->items[i].status = ITEM_CANCELED;
    free(slots);
}

/* ---- options ---- */

static int parse_args(int argc, char **argv, batch_opts *o, int *first_in)
{
    enum {
        OPT_EXT = CLI_OPT_FIRST_FREE, OPT_SUFFIX, OPT_RESUME, OPT_REPORT, OPT_SHARD,
        OPT_SHARD_COUNT, OPT_ISOLATE
    };
    static const struct option longopts[] = {
        CLI_PAGE_LONGOPTS,
        {"jobs", required_argument, 0, 'j'},
        {"threads", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {"output-dir", required_argument, 0, 'o'},
        {"recursive", no_argument, 0, 'r'},
        {"ext", required_argument, 0, OPT_EXT},
        {"suffix", required_argument, 0, OPT_SUFFIX},
        {"resume", no_argument, 0, OPT_RESUME},
        {"report", required_argument, 0, OPT_REPORT},
        {"shard", required_argument, 0, OPT_SHARD},
        {"shard-count", required_argument, 0, OPT_SHARD_COUNT},
        {"isolate", no_argument, 0, OPT_ISOLATE},
        {"dry-run", no_argument, 0, 'n'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    cli_page_opts_init(&o->page);
    o->suffix = "";
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":" CLI_PAGE_SHORTOPTS "j:ho:rn", longopts, NULL)) !=
           -1) {
        if (cli_page_option(c, optarg, &o->page, &rc)) {
            if (rc >= 0)
                return rc;
            continue;
        }
        switch (c) {
        case 'j':
            if (cli_parse_int("--jobs", optarg, 1, 1024, &o->jobs))
                return CLI_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'o': o->outdir = optarg; break;
        case 'r': o->recursive = true; break;
        case OPT_EXT: o->ext = optarg[0] == '.' ? optarg + 1 : optarg; break;
        case OPT_SUFFIX:
            if (strchr(optarg, '/')) {
                cli_error("--suffix: '%s' must not contain '/'", optarg);
                return CLI_EXIT_USAGE;
            }
            o->suffix = optarg;
            break;
        case OPT_RESUME: o->resume = true; break;
        case OPT_REPORT: o->report = optarg; break;
        case OPT_SHARD: o->shard_spec = optarg; break;
        case OPT_SHARD_COUNT:
            if (cli_parse_int("--shard-count", optarg, 1, 1L << 30, &o->shard_count))
                return CLI_EXIT_USAGE;
            break;
        case OPT_ISOLATE: o->isolate = true; break;
        case 'n': o->dry_run = true; break;
        case ':': cli_error("option %s needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default:
            cli_error("unknown option %s (see docbin batch --help)", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("batch: no input (files, folders, @LIST or '-'; see docbin batch --help)");
        return CLI_EXIT_USAGE;
    }
    if (!o->outdir || !o->outdir[0]) {
        cli_error("batch: -o OUT_DIR is required");
        return CLI_EXIT_USAGE;
    }
    if (o->page.po.save_maps) {
        cli_error("batch: --save-maps writes one page's maps: use it with docbin IN OUT");
        return CLI_EXIT_USAGE;
    }
    db_write_options *w = &o->page.po.wopts;
    if (o->ext && w->format == DB_FILE_AUTO) {
        char probe[64];
        snprintf(probe, sizeof probe, "x.%s", o->ext);
        w->format = db_file_format_from_name(probe);
        if (w->format == DB_FILE_AUTO) {
            cli_error("--ext: unknown extension '%s' (png, tif, pbm, or give --format)", o->ext);
            return CLI_EXIT_USAGE;
        }
    }
    if (w->format == DB_FILE_AUTO)
        w->format = DB_FILE_PNG;
    if (w->format == DB_FILE_JPEG && o->page.po.output == DB_OUTPUT_MASK) {
        cli_error("batch: JPEG cannot hold a 1-bit page: use png, tif or pbm");
        return CLI_EXIT_USAGE;
    }
    if (!o->ext)
        o->ext = w->format == DB_FILE_TIFF   ? "tif"
                 : w->format == DB_FILE_JPEG ? "jpg"
                 : w->format != DB_FILE_PNM  ? "png"
                 : o->page.po.output == DB_OUTPUT_MASK      ? "pbm"
                 : o->page.po.output == DB_OUTPUT_CLEAN_GRAY ? "pgm"
                                                             : "ppm";
    if (o->shard_count && !o->shard_spec) {
        cli_error("--shard-count needs --shard k8s or --shard slurm");
        return CLI_EXIT_USAGE;
    }
    *first_in = optind;
    return -1;
}

/* ---- the command ---- */

static int make_worker_ctx(batch *b, db_ctx **out)
{
    if (db_ctx_create(NULL, out) != 0) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    db_ctx *ctx = *out;
    db_ctx_set_log(ctx, log_warning, b);
    db_ctx_set_cancel_flag(ctx, &g_stop_signal);
    return cli_page_ctx_setup(ctx, &b->o->page);
}

static void summarise(batch *b, double seconds)
{
    long count[5] = {0};
    for (size_t i = 0; i < b->n; i++)
        count[b->items[i].status]++;
    cli_progress_clear(&b->progress);
    if (count[ITEM_FAILED]) {
        fprintf(stderr, "docbin: batch: %ld of %zu pages failed:\n", count[ITEM_FAILED], b->n);
        for (size_t i = 0; i < b->n; i++)
            if (b->items[i].status == ITEM_FAILED)
                fprintf(stderr, "  %s: %s\n", b->items[i].in, b->items[i].error);
    }
    if (!b->o->page.quiet) {
        long worked = count[ITEM_OK] + count[ITEM_FAILED];
        fprintf(stderr,
                "docbin: batch: %ld ok, %ld failed, %ld skipped, %ld canceled in %.2f s"
                " (%.2f pages/s)\n",
                count[ITEM_OK], count[ITEM_FAILED], count[ITEM_SKIPPED],
                count[ITEM_CANCELED] + count[ITEM_PENDING], seconds,
                seconds > 0 ? (double)worked / seconds : 0.0);
        if (b->o->page.po.verbose) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            fprintf(stderr, "docbin: batch: peak memory %.1f MiB\n", (double)ru.ru_maxrss / 1024);
        }
    }
}

static void free_batch(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->items[i].in);
        free(b->items[i].rel);
        free(b->items[i].out);
        free(b->items[i].error);
    }
    free(b->items);
    free(b->report_tmp);
}

int cmd_batch(int argc, char **argv)
{
    batch_opts o;
    int first_in;
    int rc = parse_args(argc, argv, &o, &first_in);
    if (rc >= 0)
        return rc;
    cli_shard shard = {0, 1};
    if (o.shard_spec && cli_shard_parse(o.shard_spec, o.shard_count, &shard) != 0)
        return CLI_EXIT_USAGE;
    batch b = {.o = &o, .crash_on = getenv("DOCBIN_BATCH_TEST_CRASH")};
    if (b.crash_on && !b.crash_on[0])
        b.crash_on = NULL;
    pthread_mutex_init(&b.lock, NULL);

    db_ctx *ctx0 = NULL;
    rc = make_worker_ctx(&b, &ctx0);
    db_model *model = NULL; /* shared by every worker, freed at the end */
    if (rc == 0)
        rc = cli_page_method(ctx0, &o.page, &o.method, &model);
    o.page.po.method = &o.method;
    if (rc == 0)
        rc = list_inputs(&b, argc - first_in, argv + first_in);
    if (rc) {
        db_model_free(model);
        db_ctx_free(ctx0);
        free_batch(&b);
        return rc;
    }

    /* Order, name, shard, resume: all decided before any page runs. */
    qsort(b.items, b.n, sizeof *b.items, cmp_items);
    size_t kept = 0;
    for (size_t i = 0; i < b.n; i++) {
        batch_item *it = &b.items[i];
        bool repeated = kept && strcmp(b.items[kept - 1].in, it->in) == 0 &&
                        strcmp(b.items[kept - 1].rel, it->rel) == 0; /* listed twice */
        if (repeated || !cli_shard_take(&shard, it->rel)) {
            free(it->in);
            free(it->rel);
            free(it->error);
            continue;
        }
        b.items[kept++] = *it;
    }
    b.n = kept;
    for (size_t i = 0; i < b.n; i++)
        name_output(&o, &b.items[i]);
    mark_collisions(&b);
    if (o.resume && !o.dry_run)
        remove_all_leftovers(&b);
    for (size_t i = 0; o.resume && i < b.n; i++)
        if (b.items[i].status == ITEM_PENDING && output_is_fresh(&b.items[i]))
            b.items[i].status = ITEM_SKIPPED;
    if (o.dry_run) {
        for (size_t i = 0; i < b.n; i++)
            if (b.items[i].status == ITEM_PENDING)
                printf("%s\t%s\n", b.items[i].in, b.items[i].out);
        db_model_free(model);
        db_ctx_free(ctx0);
        free_batch(&b);
        return fflush(stdout) == 0 && !ferror(stdout) ? CLI_EXIT_OK : CLI_EXIT_DATA;
    }
    if (o.report && report_open(&b, o.report) != 0) {
        db_model_free(model);
        db_ctx_free(ctx0);
        free_batch(&b);
        return CLI_EXIT_DATA;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid must see EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    long jobs = o.jobs > 0 ? o.jobs : sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    double t0 = cli_now_seconds();
    cli_progress_start(&b.progress, stderr, (long)b.n, o.page.quiet);
    /* Pages found already failed (unreadable, collisions) or skipped are
     * reported first, in order. */
    for (size_t i = 0; i < b.n; i++)
        if (b.items[i].status != ITEM_PENDING)
            finish_item(&b, &b.items[i]);
    b.progress.done_at_start = b.progress.done;

    if (o.isolate) {
        run_isolated(&b, ctx0, jobs);
    } else {
        /* One level of parallelism: pages on the pool, each worker with its
         * own pool-less ctx (its reader, images and error). */
        db_pool *pool = NULL;
        if ((size_t)jobs > b.n)
            jobs = b.n ? (long)b.n : 1;
        b.ctxs = calloc((size_t)jobs, sizeof *b.ctxs);
        b.bufs = calloc((size_t)jobs, sizeof *b.bufs);
        if (!b.ctxs || !b.bufs || db_pool_create((int)jobs, &pool) != 0) {
            cli_error("out of memory");
            rc = CLI_EXIT_DATA;
        }
        if (b.ctxs)
            b.ctxs[0] = ctx0;
        for (long w = 1; rc == 0 && w < db_pool_size(pool); w++)
            rc = make_worker_ctx(&b, &b.ctxs[w]);
        if (rc == 0)
            db_pool_run(pool, (int)b.n, page_job, &b);
        db_pool_free(pool);
        for (long w = 1; b.ctxs && w < jobs; w++)
            db_ctx_free(b.ctxs[w]);
        for (long w = 0; b.bufs && w < jobs; w++)
            cli_page_buffers_free(&b.bufs[w]);
        free(b.ctxs);
        free(b.bufs);
    }
    db_model_free(model);
    db_ctx_free(ctx0);

    if (rc == 0) {
        summarise(&b, cli_now_seconds() - t0);
        for (size_t i = 0; i < b.n; i++)
            if (b.items[i].status == ITEM_FAILED)
                rc = CLI_EXIT_DATA;
    }
    if (o.report && report_close(&b, o.report) != 0)
        rc = CLI_EXIT_DATA;
    free_batch(&b);
    pthread_mutex_destroy(&b.lock);
    int sig = atomic_load(&g_stop_signal);
    if (sig) { /* no temporary output is left: die of the signal as expected */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    return rc;
}
