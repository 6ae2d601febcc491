/* pool.c - a fixed pthread pool running "parallel for" job batches.
 * Jobs are handed out by an atomic counter; the caller's thread works too, so
 * a pool of n runs on n threads (n-1 helpers + caller) and db_pool_run
 * returns only when every job is done. */
#include "db_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct db_pool {
    int nthreads; /* including the caller */
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    unsigned long generation; /* bumped per batch */
    int active;               /* helpers still in the current batch */
    bool quit;
    /* current batch */
    db_job_fn fn;
    void *arg;
    int njobs;
    atomic_int next;
};

static void run_jobs(db_pool *p, int worker)
{
    for (;;) {
        int j = atomic_fetch_add(&p->next, 1);
        if (j >= p->njobs)
            break;
        p->fn(p->arg, j, worker);
    }
}

struct helper_arg {
    db_pool *pool;
    int worker;
};

static void *helper_main(void *v)
{
    struct helper_arg a = *(struct helper_arg *)v;
    free(v);
    db_pool *p = a.pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->start, &p->lock);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_jobs(p, a.worker);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int db_pool_create(int nthreads, db_pool **out)
{
    *out = NULL;
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (int)n : 1;
    }
    if (nthreads > 1024)
        nthreads = 1024;
    db_pool *p = calloc(1, sizeof *p);
    if (!p)
        return DB_ENOMEM;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    if (!p->threads) {
        db_pool_free(p);
        return DB_ENOMEM;
    }
    for (int i = 1; i < nthreads; i++) {
        struct helper_arg *a = malloc(sizeof *a);
        if (a) {
            a->pool = p;
            a->worker = i;
        }
        if (!a || pthread_create(&p->threads[i], NULL, helper_main, a) != 0) {
            free(a);
            p->nthreads = i; /* only the started ones are joined */
            db_pool_free(p);
            return DB_ENOMEM;
        }
    }
    *out = p;
    return 0;
}

void db_pool_free(db_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int db_pool_size(const db_pool *p) { return p ? p->nthreads : 1; }

void db_pool_run(db_pool *p, int njobs, db_job_fn fn, void *arg)
{
    if (njobs <= 0)
        return;
    if (!p || p->nthreads == 1 || njobs == 1) {
        for (int j = 0; j < njobs; j++)
            fn(arg, j, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->njobs = njobs;
    atomic_store(&p->next, 0);
    p->active = p->nthreads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    run_jobs(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->active > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
