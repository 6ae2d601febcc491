/* test_maxflow.c - the grid max-flow (classic/maxflow.c) against brute force:
 * on small random grids every cut is enumerated; the flow must equal the
 * minimum cut, the returned side must be the smallest sink side of all
 * minimum cuts, and tree reuse after raising capacities must agree with a
 * fresh solve. Plus a hand-checkable grid with one bottleneck per row. */
#include "test_util.h"
#include "classic/maxflow.h"
#include "db_internal.h"

#include <string.h>

#define MAXN 12

typedef struct small_graph {
    int w, h;
    float src[MAXN], snk[MAXN];
    float cap[MAXN][4]; /* arc i -> neighbour d (0 right, 1 left, 2 down, 3 up) */
} small_graph;

static int nbr(const small_graph *s, int i, int d)
{
    int x = i % s->w, y = i / s->w;
    switch (d) {
    case 0: return x + 1 < s->w ? i + 1 : -1;
    case 1: return x > 0 ? i - 1 : -1;
    case 2: return y + 1 < s->h ? i + s->w : -1;
    default: return y > 0 ? i - s->w : -1;
    }
}

static double cut_cost(const small_graph *s, unsigned sinkmask)
{
    int n = s->w * s->h;
    double c = 0;
    for (int i = 0; i < n; i++) {
        int in_t = (sinkmask >> i) & 1;
        c += in_t ? s->src[i] : s->snk[i];
        if (in_t)
            continue;
        for (int d = 0; d < 4; d++) {
            int j = nbr(s, i, d);
            if (j >= 0 && ((sinkmask >> j) & 1))
                c += s->cap[i][d];
        }
    }
    return c;
}

/* Minimum cut by enumeration; *minimal = intersection of all minimum sink sides. */
static double brute_min_cut(const small_graph *s, unsigned *minimal)
{
    int n = s->w * s->h;
    double best = 1e300;
    unsigned inter = 0;
    for (unsigned m = 0; m < (1u << n); m++) {
        double c = cut_cost(s, m);
        if (c < best) {
            best = c;
            inter = m;
        } else if (c == best) {
            inter &= m;
        }
    }
    *minimal = inter;
    return best;
}

static int rand_cap(uint64_t *st)
{
    return tu_rand_range(st, 0, 9) < 3 ? 0 : tu_rand_range(st, 1, 20);
}

static void random_small(small_graph *s, uint64_t *st)
{
    memset(s, 0, sizeof *s);
    do {
        s->w = tu_rand_range(st, 1, MAXN);
        s->h = tu_rand_range(st, 1, MAXN / s->w);
    } while (s->w * s->h < 2);
    int n = s->w * s->h;
    for (int i = 0; i < n; i++) {
        s->src[i] = (float)rand_cap(st);
        s->snk[i] = (float)rand_cap(st);
        for (int d = 0; d < 4; d++)
            if (nbr(s, i, d) >= 0)
                s->cap[i][d] = (float)rand_cap(st);
    }
}

static void load(db_maxflow *g, const small_graph *s)
{
    db_maxflow_reset(g);
    for (int i = 0; i < s->w * s->h; i++) {
        int x = i % s->w, y = i / s->w;
        db_maxflow_add_tweights(g, x, y, s->src[i], s->snk[i]);
        if (nbr(s, i, 0) >= 0)
            db_maxflow_set_edge(g, x, y, DB_MF_RIGHT, s->cap[i][0], s->cap[i + 1][1]);
        if (nbr(s, i, 2) >= 0)
            db_maxflow_set_edge(g, x, y, DB_MF_DOWN, s->cap[i][2], s->cap[i + s->w][3]);
    }
}

static unsigned sink_mask(const db_maxflow *g, const small_graph *s)
{
    unsigned m = 0;
    for (int i = 0; i < s->w * s->h; i++)
        if (db_maxflow_in_sink(g, i % s->w, i / s->w))
            m |= 1u << i;
    return m;
}

static void check_against_brute(db_maxflow *g, const small_graph *s, double flow, int trial)
{
    unsigned minimal;
    double best = brute_min_cut(s, &minimal);
    unsigned ours = sink_mask(g, s);
    if (flow != best || cut_cost(s, ours) != best || ours != minimal)
        fail_msg("trial %d (%dx%d): flow %g, our cut %g (side %#x), brute min %g (side %#x)", trial,
                 s->w, s->h, flow, cut_cost(s, ours), ours, best, minimal);
}

static void test_maxflow_equals_brute_force_min_cut(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t st = tu_seed();
    for (int trial = 0; trial < 300; trial++) {
        small_graph s;
        random_small(&s, &st);
        db_maxflow *g;
        assert_int_equal(db_maxflow_create(ctx, s.w, s.h, &g), 0);
        load(g, &s);
        double flow = db_maxflow_solve(g);
        check_against_brute(g, &s, flow, trial);
        db_maxflow_free(g);
    }
    db_ctx_free(ctx);
}

static void test_maxflow_reuse_after_raising_edges_matches_brute_force(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t st = tu_seed() ^ 0x5151;
    for (int trial = 0; trial < 150; trial++) {
        small_graph s;
        random_small(&s, &st);
        db_maxflow *g;
        assert_int_equal(db_maxflow_create(ctx, s.w, s.h, &g), 0);
        load(g, &s);
        db_maxflow_solve(g);
        for (int round = 0; round < 3; round++) {
            int n = s.w * s.h;
            for (int k = 0; k < n; k++) {
                int i = tu_rand_range(&st, 0, n - 1), d = tu_rand_range(&st, 0, 1) * 2;
                int j = nbr(&s, i, d);
                if (j < 0)
                    continue;
                float delta = (float)tu_rand_range(&st, 0, 8);
                db_maxflow_add_edge(g, i % s.w, i / s.w, d, delta);
                s.cap[i][d] += delta;
                s.cap[j][d ^ 1] += delta;
            }
            double flow = db_maxflow_solve(g);
            check_against_brute(g, &s, flow, trial * 10 + round);
        }
        db_maxflow_free(g);
    }
    db_ctx_free(ctx);
}

/* Symmetric edges changed up and down (to 0 too) after a solve, mixed with
 * raises, on a copy of the solved graph: each re-solve must match brute force
 * and the original graph must be untouched by work on its copy. */
static void test_maxflow_changed_edges_on_copy_match_brute_force(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    uint64_t st = tu_seed() ^ 0xc0c0;
    for (int trial = 0; trial < 200; trial++) {
        small_graph s;
        random_small(&s, &st);
        int n = s.w * s.h;
        for (int i = 0; i < n; i++) /* make every edge symmetric */
            for (int d = 0; d < 4; d += 2) {
                int j = nbr(&s, i, d);
                if (j >= 0)
                    s.cap[j][d ^ 1] = s.cap[i][d];
            }
        db_maxflow *g, *copy;
        assert_int_equal(db_maxflow_create(ctx, s.w, s.h, &g), 0);
        assert_int_equal(db_maxflow_create(ctx, s.w, s.h, &copy), 0);
        load(g, &s);
        double flow0 = db_maxflow_solve(g);
        unsigned side0 = sink_mask(g, &s);
        small_graph t = s;
        db_maxflow_copy(g, copy);
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < n; k++) {
                int i = tu_rand_range(&st, 0, n - 1), d = tu_rand_range(&st, 0, 1) * 2;
                int j = nbr(&t, i, d);
                if (j < 0)
                    continue;
                if (tu_rand_range(&st, 0, 2) == 0) {
                    float delta = (float)tu_rand_range(&st, 0, 6);
                    db_maxflow_add_edge(copy, i % t.w, i / t.w, d, delta);
                    t.cap[i][d] += delta;
                    t.cap[j][d ^ 1] += delta;
                } else {
                    float c = (float)rand_cap(&st);
                    db_maxflow_change_edge(copy, i % t.w, i / t.w, d, c);
                    t.cap[i][d] = t.cap[j][d ^ 1] = c;
                }
            }
            double flow = db_maxflow_solve(copy);
            check_against_brute(copy, &t, flow, trial * 10 + round);
        }
        assert_int_equal(sink_mask(g, &s), side0);
        assert_true(db_maxflow_solve(g) == flow0);
        db_maxflow_free(g);
        db_maxflow_free(copy);
    }
    db_ctx_free(ctx);
}

/* Rows are chains from a source column to a sink column with no vertical
 * edges; row y has one arc of capacity 1 at column b(y), the others 3. The
 * flow is h and the smallest sink side is every x > b(y). */
static void test_maxflow_known_answer_one_bottleneck_per_row(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    const int w = 97, h = 61;
    db_maxflow *g;
    assert_int_equal(db_maxflow_create(ctx, w, h, &g), 0);
    uint64_t st = 7;
    int b[61];
    for (int y = 0; y < h; y++) {
        b[y] = tu_rand_range(&st, 0, w - 2);
        db_maxflow_add_tweights(g, 0, y, 100, 0);
        db_maxflow_add_tweights(g, w - 1, y, 0, 100);
        for (int x = 0; x + 1 < w; x++)
            db_maxflow_set_edge(g, x, y, DB_MF_RIGHT, x == b[y] ? 1.0f : 3.0f, 3.0f);
    }
    assert_true(db_maxflow_solve(g) == h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            assert_int_equal(db_maxflow_in_sink(g, x, y), x > b[y]);
    db_maxflow_free(g);
    db_ctx_free(ctx);
}

/* A larger random grid: solving with edges raised in steps (tree reuse) and
 * solving from scratch with the final capacities give the same flow and side. */
static void test_maxflow_reuse_equals_fresh_solve_on_large_grid(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    const int w = 83, h = 57;
    db_maxflow *inc, *fresh;
    assert_int_equal(db_maxflow_create(ctx, w, h, &inc), 0);
    assert_int_equal(db_maxflow_create(ctx, w, h, &fresh), 0);
    uint64_t st = tu_seed() ^ 0x77;
    static float hw[57][83], vw[57][83];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int t = tu_rand_range(&st, -40, 40);
            db_maxflow_add_tweights(inc, x, y, (float)(t > 0 ? t : 0), (float)(t < 0 ? -t : 0));
            db_maxflow_add_tweights(fresh, x, y, (float)(t > 0 ? t : 0), (float)(t < 0 ? -t : 0));
            hw[y][x] = (float)tu_rand_range(&st, 0, 1);
            vw[y][x] = (float)tu_rand_range(&st, 0, 1);
        }
    const float steps[] = {1, 3, 8, 20};
    float prev = 0;
    double flow = 0;
    for (int k = 0; k < 4; k++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (x + 1 < w)
                    db_maxflow_add_edge(inc, x, y, DB_MF_RIGHT, hw[y][x] * (steps[k] - prev));
                if (y + 1 < h)
                    db_maxflow_add_edge(inc, x, y, DB_MF_DOWN, vw[y][x] * (steps[k] - prev));
            }
        prev = steps[k];
        flow = db_maxflow_solve(inc);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (x + 1 < w)
                db_maxflow_set_edge(fresh, x, y, DB_MF_RIGHT, hw[y][x] * 20, hw[y][x] * 20);
            if (y + 1 < h)
                db_maxflow_set_edge(fresh, x, y, DB_MF_DOWN, vw[y][x] * 20, vw[y][x] * 20);
        }
    assert_true(db_maxflow_solve(fresh) == flow);
    int differ = 0, ink = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            differ += db_maxflow_in_sink(inc, x, y) != db_maxflow_in_sink(fresh, x, y);
            ink += db_maxflow_in_sink(fresh, x, y);
        }
    assert_int_equal(differ, 0);
    assert_true(ink > 0 && ink < w * h); /* the test means something */
    db_maxflow_free(inc);
    db_maxflow_free(fresh);
    db_ctx_free(ctx);
}

static void test_maxflow_refuses_empty_grid_and_survives_alloc_failure(void **state)
{
    db_ctx *ctx;
    assert_int_equal(db_ctx_create(NULL, &ctx), 0);
    db_maxflow *g = (db_maxflow *)1;
    assert_int_equal(db_maxflow_create(ctx, 0, 5, &g), DB_EINVAL);
    assert_null(g);
    db_ctx_clear_error(ctx);
    for (long n = 1;; n++) {
        db_ctx_fail_alloc_after(ctx, n);
        int rc = db_maxflow_create(ctx, 10, 10, &g);
        db_ctx_fail_alloc_after(ctx, 0);
        db_ctx_clear_error(ctx);
        if (rc == 0)
            break;
        assert_int_equal(rc, DB_ENOMEM);
        assert_null(g);
    }
    db_maxflow_free(g);
    db_maxflow_free(NULL);
    db_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxflow_equals_brute_force_min_cut),
        cmocka_unit_test(test_maxflow_reuse_after_raising_edges_matches_brute_force),
        cmocka_unit_test(test_maxflow_changed_edges_on_copy_match_brute_force),
        cmocka_unit_test(test_maxflow_known_answer_one_bottleneck_per_row),
        cmocka_unit_test(test_maxflow_reuse_equals_fresh_solve_on_large_grid),
        cmocka_unit_test(test_maxflow_refuses_empty_grid_and_survives_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
