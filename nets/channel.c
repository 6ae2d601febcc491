/* channel.c - the channel tag of per-channel networks and the page rows fed
 * to them (channel.h). */
#include "db_internal.h"
#include "nets/channel.h"

#include <stdio.h>
#include <string.h>

static const char *const channel_names[DB_CHANNEL_COUNT] = {"r", "g", "b", "gray"};

int db_channel_parse(const char *name)
{
    for (int c = 0; name && c < DB_CHANNEL_COUNT; c++)
        if (strcmp(name, channel_names[c]) == 0)
            return c;
    return name && strcmp(name, "all") == 0 ? DB_CHANNEL_ALL : -2;
}

const char *db_channel_name(int channel)
{
    return channel >= 0 && channel < DB_CHANNEL_COUNT ? channel_names[channel] : "all";
}

int db_graph_input_channel(const db_graph *g)
{
    const char *p = strstr(g->name, "channel=");
    if (!p)
        return DB_CHANNEL_ALL;
    char tag[8]; /* the word after "channel=" */
    size_t len = strcspn(p + 8, " ");
    if (len >= sizeof tag)
        return DB_CHANNEL_ALL;
    memcpy(tag, p + 8, len);
    tag[len] = '\0';
    int c = db_channel_parse(tag);
    return c >= 0 ? c : DB_CHANNEL_ALL;
}

void db_graph_model_name(const char *base, int global, int channel, char *name, size_t size)
{
    char g[32] = "", c[32] = "";
    if (global > 0)
        snprintf(g, sizeof g, " global=%d", global);
    if (channel >= 0 && channel < DB_CHANNEL_COUNT)
        snprintf(c, sizeof c, " channel=%s", channel_names[channel]);
    snprintf(name, size, "%s%s%s", base, g, c);
}

void db_channel_rows(const uint8_t *src, bool gray_in, size_t n, int channel, uint8_t *dst)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t r, g, b;
        if (gray_in) {
            r = g = b = src[i];
        } else {
            r = src[3 * i];
            g = src[3 * i + 1];
            b = src[3 * i + 2];
        }
        uint8_t v = channel == DB_CHANNEL_R   ? r
                    : channel == DB_CHANNEL_G ? g
                    : channel == DB_CHANNEL_B ? b
                                              : db_gray601(r, g, b);
        if (channel == DB_CHANNEL_ALL) {
            dst[3 * i] = r;
            dst[3 * i + 1] = g;
            dst[3 * i + 2] = b;
        } else {
            dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = v;
        }
    }
}
