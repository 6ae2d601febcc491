/* ste.c - the trainer's seeded RNG and the sign() gradient estimators:
 * clipped STE (Bengio et al. 2013), ReSTE (Wu et al., ICCV 2023, power
 * function with annealed exponent) and BiPer (Vargas et al., CVPR 2024,
 * square-wave forward, sine surrogate backward). Formulas in train_internal.h. */
#include "nets/train/train_internal.h"

#include <math.h>

void tr_rng_seed(tr_rng *r, uint64_t seed)
{
    /* splitmix64 of the seed, never 0 (xorshift would stay 0) */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    r->s = z ? z : 0x2545f4914f6cdd1dull;
}

uint64_t tr_rng_next(tr_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

double tr_rng_uniform(tr_rng *r)
{
    return (double)(tr_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int tr_rng_below(tr_rng *r, int n)
{
    return (int)(tr_rng_uniform(r) * n);
}

double tr_rng_normal(tr_rng *r)
{
    double u1 = tr_rng_uniform(r), u2 = tr_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void tr_est_defaults(tr_est_params *p)
{
    p->kind = TR_EST_STE;
    p->reste_o = 1.0f;
    p->reste_t = 1.5f;
    p->reste_cap = 10.0f;
    p->biper_omega = 3.14159265f;
}

static float reste_grad(const tr_est_params *p, float v)
{
    float a = fabsf(v);
    if (a > p->reste_t)
        return 0.0f;
    float o = p->reste_o < 1.0f ? 1.0f : p->reste_o;
    if (o == 1.0f)
        return 1.0f;
    /* (1/o) |v|^(1/o - 1) grows without bound at 0: capped */
    if (a < 1e-12f)
        return p->reste_cap;
    float g = powf(a, 1.0f / o - 1.0f) / o;
    return g < p->reste_cap ? g : p->reste_cap;
}

float tr_est_act_grad(const tr_est_params *p, float v)
{
    if (p->kind == TR_EST_RESTE)
        return reste_grad(p, v);
    return fabsf(v) <= 1.0f ? 1.0f : 0.0f;
}

float tr_est_weight_sign(const tr_est_params *p, float w)
{
    if (p->kind == TR_EST_BIPER)
        return sinf(p->biper_omega * w) >= 0.0f ? 1.0f : -1.0f;
    return tr_sign(w);
}

float tr_est_weight_grad(const tr_est_params *p, float w)
{
    if (p->kind == TR_EST_BIPER)
        return p->biper_omega * cosf(p->biper_omega * w);
    if (p->kind == TR_EST_RESTE)
        return reste_grad(p, w);
    return fabsf(w) <= 1.0f ? 1.0f : 0.0f;
}
