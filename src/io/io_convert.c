/* io_convert.c - sample conversions shared by the codecs: bit order and
 * polarity of 1-bit rows (our BIT1 is LSB-first with 1 = ink; PNG, TIFF and
 * PBM are MSB-first with codec-specific polarity), CMYK to RGB, and the
 * resolution units (pixels per metre, per centimetre) to DPI. */
#include "io_internal.h"

#include <math.h>
#include <string.h>

#define R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define R4(n) R2(n), R2(n + 2 * 16), R2(n + 1 * 16), R2(n + 3 * 16)
#define R6(n) R4(n), R4(n + 2 * 4), R4(n + 1 * 4), R4(n + 3 * 4)
const uint8_t io_bitrev[256] = {R6(0), R6(2), R6(1), R6(3)};

void io_expand_bits(const uint8_t *src, uint8_t *dst, int n, bool invert)
{
    uint8_t on = invert ? 0 : 255, off = invert ? 255 : 0;
    int x = 0;
    for (; x + 8 <= n; x += 8) {
        unsigned b = src[x >> 3];
        for (int k = 0; k < 8; k++)
            dst[x + k] = (b >> (7 - k)) & 1u ? on : off;
    }
    for (; x < n; x++)
        dst[x] = (src[x >> 3] >> (7 - (x & 7))) & 1u ? on : off;
}

void io_pack_bits(const db_image *img, int y, uint8_t *dst, int ink_bit)
{
    const uint8_t *row = db_image_row(img, y);
    size_t nbytes = ((size_t)img->width + 7) / 8;
    /* BIT1 words are little-endian, so byte k of a row holds pixels 8k..8k+7
     * with pixel 8k in bit 0: reversing each byte gives MSB-first order. */
    if (ink_bit) {
        for (size_t i = 0; i < nbytes; i++)
            dst[i] = io_bitrev[row[i]];
    } else {
        for (size_t i = 0; i < nbytes; i++)
            dst[i] = (uint8_t)~io_bitrev[row[i]];
    }
    int tail = img->width & 7;
    if (tail) {
        uint8_t keep = (uint8_t)(0xFFu << (8 - tail)); /* pixel bits of the last byte */
        uint8_t paper = ink_bit ? 0 : (uint8_t)~keep;
        dst[nbytes - 1] = (uint8_t)((dst[nbytes - 1] & keep) | paper);
    }
}

void io_cmyk_to_rgb(const uint8_t *src, uint8_t *dst, int n, bool inverted)
{
    /* Naive conversion without a colour profile: R = (1-C)(1-K). Adobe
     * (Photoshop) JPEGs store the values inverted, 255 = no ink. */
    for (int x = 0; x < n; x++, src += 4, dst += 3) {
        unsigned c = src[0], m = src[1], yy = src[2], k = src[3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            yy = 255 - yy;
            k = 255 - k;
        }
        dst[0] = (uint8_t)((c * k + 127) / 255);
        dst[1] = (uint8_t)((m * k + 127) / 255);
        dst[2] = (uint8_t)((yy * k + 127) / 255);
    }
}

double io_dpi_round(double dpi)
{
    if (!(dpi > 0) || !isfinite(dpi))
        return 0;
    /* Files store resolution per metre (PNG) or as rationals: 300 dpi comes
     * back as 299.9994. One unit per metre is 0.0254 dpi, so a value within
     * 0.03 of a whole number is that number; otherwise keep two decimals. */
    double r = round(dpi);
    if (fabs(dpi - r) < 0.03)
        return r;
    return round(dpi * 100.0) / 100.0;
}

double io_dpi_from_ppm(double ppm)
{
    return io_dpi_round(ppm * 0.0254);
}

void io_one_line(char *s)
{
    size_t n = 0;
    for (char *p = s; *p; p++, n++)
        if ((unsigned char)*p < 32 || *p == 127)
            *p = ' ';
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

/* Writes decoded row y (w pixels of ch bytes) where orientation o puts it:
 * the stored image W x H is shown turned/mirrored (EXIF 2.3, tag 0x0112). */
void io_place_row(const uint8_t *src, int y, int w, int h, int ch, int o, db_image *out)
{
    if (o == 1 || o == 2 || o == 3 || o == 4) {
        int dy = o == 3 || o == 4 ? h - 1 - y : y;
        uint8_t *d = db_image_row(out, dy);
        if (o == 1 || o == 4) {
            memcpy(d, src, (size_t)w * (size_t)ch);
        } else {
            for (int x = 0; x < w; x++)
                memcpy(d + (size_t)(w - 1 - x) * (size_t)ch, src + (size_t)x * (size_t)ch,
                       (size_t)ch);
        }
        return;
    }
    /* 5-8 transpose: stored row y becomes output column dx */
    int dx = o == 5 || o == 8 ? y : h - 1 - y;
    for (int x = 0; x < w; x++) {
        int dy = o == 5 || o == 6 ? x : w - 1 - x;
        memcpy(db_image_row(out, dy) + (size_t)dx * (size_t)ch, src + (size_t)x * (size_t)ch,
               (size_t)ch);
    }
}
