#!/usr/bin/env python3
"""ocr_bench.py - the Tesseract benchmark of docbin's outputs (bench/ocr/README.md).

  ocr_bench.py --build BUILD_DIR --work DIR [--pages-per-degradation N]
               [--methods otsu,sauvola,...] [--degradations clean,illum,...]

1. Renders pages from the known text in text.txt (ImageMagick `convert
   caption:`, fonts-dejavu / fonts-liberation, 300 dpi; four layouts: fonts,
   sizes, one or two columns) and degrades each in one seeded way with
   BUILD/bench/ocr_pages (see ocr_pages.c for the model).
2. Runs Tesseract (OMP_THREAD_LIMIT=1, nice -n 10) on the raw page, with its
   own Sauvola (-c thresholding_method=2), and on docbin's output for each
   method in each mode (mask, clean-gray), plus sauvola clean-gray with
   --normalize and with --drop-color red.
3. Scores every transcript with BUILD/bench/ocr_score (CER, word accuracy)
   and prints a Markdown table: CER % per degradation and overall, word
   accuracy %, seconds per page (docbin, Tesseract). Raw rows in results.csv.
Only the Python standard library is used.
"""
import argparse
import concurrent.futures
import csv
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEGRADATIONS = ["clean", "illum", "yellow", "stains", "bleed", "blur", "noise", "jpeg",
                "seal", "mix"]
# font, point size, columns
LAYOUTS = [("DejaVu-Serif", 10, 1), ("Liberation-Sans", 9, 2), ("Liberation-Serif", 11, 1),
           ("DejaVu-Sans", 8, 2)]
PAGE_W, MARGIN, GUTTER = 1275, 100, 55  # 4.25 in at 300 dpi


def sentences():
    text = open(os.path.join(HERE, "text.txt"), encoding="utf-8").read()
    return [s for s in re.split(r"(?<=[.;?])\s+", " ".join(text.split())) if s]


def chunk(sents, start, nchars):
    out, n, i = [], 0, start
    while n < nchars:
        s = sents[i % len(sents)]
        out.append(s)
        n += len(s) + 1
        i += 1
    return " ".join(out)


def split_half(text):
    words = text.split(" ")
    total, acc = len(text), 0
    for i, w in enumerate(words):
        acc += len(w) + 1
        if acc >= total / 2:
            return " ".join(words[:i + 1]), " ".join(words[i + 1:])
    return text, ""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def render(text, layout, path, tmp):
    """Renders text in a layout to a gray 300 dpi PNG; returns the text as read."""
    font, size, cols = layout
    inner = PAGE_W - 2 * MARGIN
    parts = [text] if cols == 1 else list(split_half(text))
    colw = inner if cols == 1 else (inner - GUTTER) // 2
    files = []
    for i, t in enumerate(parts):
        f = "%s.col%d.png" % (tmp, i)
        run(["convert", "-density", "300", "-units", "PixelsPerInch", "-background", "white",
             "-fill", "black", "-font", font, "-pointsize", str(size), "-size", "%dx" % colw,
             "caption:" + t, "-colorspace", "Gray", f])
        files.append(f)
    heights = [int(run(["identify", "-format", "%h", f]).stdout) for f in files]
    page_h = max(heights) + 2 * MARGIN
    cmd = ["convert", "-size", "%dx%d" % (PAGE_W, page_h), "xc:white"]
    for i, f in enumerate(files):
        cmd += [f, "-geometry", "+%d+%d" % (MARGIN + i * (colw + GUTTER), MARGIN), "-composite"]
    cmd += ["-colorspace", "Gray", "-depth", "8", "-density", "300", "-units", "PixelsPerInch",
            "-define", "png:color-type=0", path]
    run(cmd)
    for f in files:
        os.remove(f)
    return " ".join(parts)


def make_pages(args, build):
    sents = sentences()
    pages = []
    os.makedirs(args.work, exist_ok=True)
    idx = 0
    for d in args.degradations:
        for k in range(args.pages_per_degradation):
            layout = LAYOUTS[idx % len(LAYOUTS)]
            name = "%s-%d" % (d, k)
            clean = os.path.join(args.work, name + ".clean.png")
            verso = os.path.join(args.work, name + ".verso.png")
            ext = "jpg" if d in ("jpeg", "mix") else "png"
            page = os.path.join(args.work, "%s.%s" % (name, ext))
            gt = os.path.join(args.work, name + ".gt.txt")
            if not (os.path.exists(page) and os.path.exists(gt)):  # pages are deterministic
                text = render(chunk(sents, 7 * idx + 3, 800), layout, clean,
                              os.path.join(args.work, name))
                render(chunk(sents, 7 * idx + 30, 800), layout, verso,
                       os.path.join(args.work, name + "v"))
                run([os.path.join(build, "bench", "ocr_pages"), d, str(1000 + idx), clean, verso,
                     page])
                with open(gt, "w", encoding="utf-8") as f:
                    f.write(text + "\n")
            pages.append((name, d, page, layout))
            idx += 1
    return pages


def configs(methods):
    cs = [("raw", None, []), ("tesseract-sauvola", None, ["-c", "thresholding_method=2"])]
    for m in methods:
        cs.append(("%s mask" % m, ["-m", m], []))
        cs.append(("%s clean-gray" % m, ["-m", m, "--output", "clean-gray"], []))
    cs.append(("sauvola clean-gray norm",
               ["-m", "sauvola", "--output", "clean-gray", "--normalize"], []))
    cs.append(("sauvola mask drop-red", ["-m", "sauvola", "--drop-color", "red"], []))
    cs.append(("sauvola clean-gray drop-red",
               ["-m", "sauvola", "--output", "clean-gray", "--drop-color", "red"], []))
    return cs


def run_one(args, build, docbin, env, pg, cfg):
    """docbin (when the config has arguments), then Tesseract, then the scorer."""
    name, deg, page, layout = pg
    cname, dargs, targs = cfg
    gt = os.path.join(args.work, name + ".gt.txt")
    src, t_db = page, 0.0
    tag = re.sub(r"[^a-z0-9]+", "_", cname)
    if dargs is not None:
        src = os.path.join(args.work, "%s.%s.png" % (name, tag))
        t0 = time.monotonic()
        run(["nice", "-n", "10", docbin, "-y", "-j", "1"] + dargs + [page, src])
        t_db = time.monotonic() - t0
    hyp = os.path.join(args.work, "%s.%s" % (name, tag))
    t0 = time.monotonic()
    run(["nice", "-n", "10", "tesseract", src, hyp, "-l", "eng", "--psm", "3"] + targs, env=env)
    t_ocr = time.monotonic() - t0
    nr, ce, nw, we = map(int, run([os.path.join(build, "bench", "ocr_score"), gt,
                                   hyp + ".txt"]).stdout.split())
    print("%-10s %-32s CER %6.2f%%  words %6.2f%%  %.2fs + %.2fs" %
          (name, cname, 100.0 * ce / nr, 100.0 * (1 - we / nw), t_db, t_ocr),
          file=sys.stderr, flush=True)
    return dict(page=name, degradation=deg, font="%s %dpt %dcol" % layout, config=cname,
                ref_chars=nr, char_edits=ce, ref_words=nw, word_edits=we,
                docbin_s="%.3f" % t_db, tesseract_s="%.3f" % t_ocr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="docbin build folder")
    ap.add_argument("--work", required=True, help="scratch folder for pages and transcripts")
    ap.add_argument("--pages-per-degradation", type=int, default=1)
    ap.add_argument("--methods", default="otsu,sauvola,wolf,su")
    ap.add_argument("--configs", default="",
                    help="comma list of config names to run (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="pages x configs run concurrently")
    ap.add_argument("--degradations", default=",".join(DEGRADATIONS))
    args = ap.parse_args()
    args.methods = args.methods.split(",")
    args.degradations = args.degradations.split(",")
    build = os.path.abspath(args.build)
    docbin = os.path.join(build, "docbin")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    pages = make_pages(args, build)
    wanted = [c for c in args.configs.split(",") if c]
    tasks = [(p, c) for p in pages for c in configs(args.methods)
             if not wanted or c[0] in wanted]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        rows = list(ex.map(lambda t: run_one(args, build, docbin, env, t[0], t[1]), tasks))
    with open(os.path.join(args.work, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    table(rows, args.degradations)


def table(rows, degs):
    cfgs = []
    for r in rows:
        if r["config"] not in cfgs:
            cfgs.append(r["config"])
    print("| config | " + " | ".join(degs) + " | all CER | all word acc | s/page docbin | s/page tess |")
    print("|---" * (len(degs) + 5) + "|")
    for c in cfgs:
        cells = []
        for d in degs:
            rs = [r for r in rows if r["config"] == c and r["degradation"] == d]
            cells.append("%.2f" % (100.0 * sum(r["char_edits"] for r in rs) /
                                   max(1, sum(r["ref_chars"] for r in rs))))
        rs = [r for r in rows if r["config"] == c]
        cer = 100.0 * sum(r["char_edits"] for r in rs) / sum(r["ref_chars"] for r in rs)
        wacc = 100.0 * (1 - sum(r["word_edits"] for r in rs) / sum(r["ref_words"] for r in rs))
        tdb = sum(float(r["docbin_s"]) for r in rs) / len(rs)
        tt = sum(float(r["tesseract_s"]) for r in rs) / len(rs)
        print("| %s | %s | %.2f | %.2f | %.2f | %.2f |" % (c, " | ".join(cells), cer, wacc, tdb, tt))


if __name__ == "__main__":
    main()
