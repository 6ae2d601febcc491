#!/bin/sh
# The installed library is usable by another program: its pkg-config file,
# header and shared library compile, link and run a small client.
# usage: link_installed.sh STAGE_PREFIX [EXTRA_CFLAGS]
set -eu
stage=$1
extra=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/client.c" <<'C'
#include <docbin.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    db_ctx *ctx;
    if (db_ctx_create(NULL, &ctx) != 0)
        return 1;
    db_image img = {0}, out = {0};
    db_method m;
    int rc = db_image_ensure(ctx, &img, 8, 2, DB_GRAY8);
    for (int i = 0; rc == 0 && i < 8; i++)
        img.data[i] = img.data[img.stride + i] = (unsigned char)(i < 4 ? 10 : 240);
    if (rc == 0)
        rc = db_method_parse(ctx, "otsu", &m);
    if (rc == 0)
        rc = db_method_run(ctx, &m, &img, &out);
    int ok = rc == 0 && db_bit_get(&out, 0, 0) == 1 && db_bit_get(&out, 7, 1) == 0;
    printf("docbin %s: %s\n", db_version(), ok ? "ok" : db_ctx_message(ctx));
    db_image_free(&img);
    db_image_free(&out);
    db_ctx_free(ctx);
    return ok ? 0 : 1;
}
C
pc="pkg-config --define-variable=prefix=$stage"
export PKG_CONFIG_PATH="$stage/lib/pkgconfig"
cc -std=c11 $extra $($pc --cflags docbin) "$tmp/client.c" -o "$tmp/client" $($pc --libs docbin)
LD_LIBRARY_PATH="$stage/lib" "$tmp/client"
