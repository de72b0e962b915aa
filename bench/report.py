#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py: turn the guest's raw measurements (raw.jsonl, one JSON
object a line, written by benchd) into results.json, results.md and the
log-log scaling plot scaling.svg.  Only the standard library: the plot is
written as plain SVG.

The runc row (runc.jsonl, written by bench/runc.sh) goes to runc.md and
to a section of results.md.  Without --raw (only the runc row was run),
only runc.md is written, and the runc section of an existing results.md
becomes a link to it: the other rows' results stay."""

import argparse
import json
import math
import os
import statistics
import sys

# The rows of the main table, in order, with what they are
MAIN_ROWS = [
    ("trivial", "trivial process (16 KiB of state, a sleep loop)"),
    ("mem-1g", "1 GiB anonymous, all touched (random data)"),
    ("sparse-1g", "1 GiB anonymous mapped, 1% of pages touched"),
    ("tree-100", "tree of 100 processes"),
    ("threads-1000", "1,000 threads"),
    ("fds-10k", "10,000 open fds (10,000 tmpfs files)"),
    ("vmas-10k", "10,000 VMAs (alternating protections)"),
]

# Scaling series: (title, x label, [(row, x)])
SERIES = [
    ("Anonymous memory, all touched", "MiB",
     [("mem-64m", 64), ("mem-256m", 256), ("mem-1g", 1024), ("mem-2g", 2048)]),
    ("Open file descriptors", "fds",
     [("fds-1k", 1000), ("fds-10k", 10000), ("fds-100k", 100000)]),
    ("VMAs", "VMAs",
     [("vmas-1k", 1000), ("vmas-10k", 10000), ("vmas-100k", 100000)]),
    ("Processes (a tree)", "processes",
     [("tree-10", 10), ("tree-100", 100), ("tree-1000", 1000)]),
    ("Threads", "threads",
     [("threads-100", 100), ("threads-1000", 1000), ("threads-10000", 10000)]),
]

# Lazy restart (benchd --lazy, ours only): (row, the eager row of the same
# workload, MiB), and the target's first-instruction time for 1 GiB
LAZY_ROWS = [("lazy-64m", "mem-64m", 64), ("lazy-1g", "mem-1g", 1024)]
LAZY_TARGET_MS = 50

# Quick mode rows, so that the quick report has something to show
QUICK_SERIES_ROWS = {"mem-64m": 64, "fds-1k": 1000, "vmas-1k": 1000,
                     "tree-10": 10, "threads-100": 100}


# Fields of benchd's "tree-mem" records compared before checkpoint and after
# restart (prefork), in KiB
TREE_MEM = ["pss", "used", "anon", "anonhuge", "pagetables", "slab", "cached"]

# What the prefork target allows the image beyond the shared memory itself:
# each process's own pages and records (the trivial image is ~75 KiB)
PREFORK_META_PER_PROC = 128 << 10


def med(xs):
    xs = [x for x in xs if x is not None and x >= 0]
    return statistics.median(xs) if xs else None


def load(raw):
    recs = []
    with open(raw) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                recs.append(json.loads(line))
            except ValueError:
                print("report: skipping a bad line: %s" % line[:80], file=sys.stderr)
    return recs


def tree_mem_summary(rs, side):
    """before/after of the prefork memory, paired by run; medians"""
    before = {r.get("run"): r for r in rs if r.get("side") == side and r.get("op") == "tree-mem"
              and r.get("when") == "before"}
    after = {r.get("run"): r for r in rs if r.get("side") == side and r.get("op") == "tree-mem"
             and r.get("when") == "after"}
    if not before:
        return None
    out = {"runs": len([k for k in before if k in after]),
           "procs_after": med([r.get("procs") for r in after.values()])}
    for f in TREE_MEM:
        k = f + "_kib"
        out[f + "_before_kib"] = med([r.get(k) for r in before.values()])
        out[f + "_after_kib"] = med([r.get(k) for r in after.values()])
        out[f + "_ratio"] = med([after[n][k] / before[n][k] for n in before
                                 if n in after and before[n].get(k) and after[n].get(k) is not None])
    return out


def summarize(recs):
    """Per row: medians of every measurement over the timed runs."""
    rows = {}
    hw = {}
    for r in recs:
        if r.get("row") == "hw":
            key = (r["op"], r["mib"])
            hw.setdefault(key, []).append(r)
            continue
        name = r.get("row")
        if not name:
            continue
        rows.setdefault(name, []).append(r)

    out = {}
    for name, rs in rows.items():
        s = {"runs": 0}

        def pick(side, op, sink=None):
            return [r for r in rs if r.get("side") == side and r.get("op") == op
                    and (sink is None or r.get("sink") == sink)]

        starts = [r for r in rs if r.get("op") == "start"]
        s["setup_ms"] = med([r["setup_us"] / 1000 for r in starts])
        s["touched_pages"] = med([r.get("pages") for r in starts])
        s["procs"] = med([r.get("procs") for r in starts])
        s["tree_ready_ms"] = med([r.get("tree_wall_us", -1) / 1000 for r in starts])

        # ours
        ck_null = pick("ours", "ckpt", "null")
        ok_null = [r for r in ck_null if r.get("ok")]
        fail = [r for r in ck_null if not r.get("ok")]
        if fail and not ok_null:
            r = fail[0]
            reason = [l[len("error: "):] for l in r.get("log", "").splitlines()
                      if l.startswith("error: ") and "failed with errno" not in l]
            s["ours_unsupported"] = {
                "errno": r.get("errno"), "error": r.get("error"),
                "reason": reason[0] if reason else "",
            }
        ck_tmp = [r for r in pick("ours", "ckpt", "tmpfs") if r.get("ok")]
        rst = [r for r in pick("ours", "restart") if r.get("ok")]
        ver = pick("ours", "verify")
        s["runs"] = max(len(ok_null), len(pick("criu", "dump")))
        s["ours"] = {
            "ckpt_null_ms": med([r["wall_us"] / 1000 for r in ok_null]),
            "ckpt_tmpfs_ms": med([r["wall_us"] / 1000 for r in ck_tmp]),
            "frozen_null_ms": med([r.get("frozen_us", -1) / 1000 for r in ok_null]),
            "frozen_tmpfs_ms": med([r.get("frozen_us", -1) / 1000 for r in ck_tmp]),
            "wl_stall_ms": med([r.get("wl_stall_us", -1) / 1000 for r in ok_null]),
            "freeze_ms": med([r.get("t_froze_us", -1) / 1000 for r in ck_tmp + ok_null]),
            "mm_null_ms": med([(r["t_mm_us"] - r["t_froze_us"]) / 1000 for r in ok_null
                               if r.get("t_mm_us", -1) >= 0 and r.get("t_froze_us", -1) >= 0]),
            "mm_tmpfs_ms": med([(r["t_mm_us"] - r["t_froze_us"]) / 1000 for r in ck_tmp
                                if r.get("t_mm_us", -1) >= 0 and r.get("t_froze_us", -1) >= 0]),
            "rest_tmpfs_ms": med([(r["t_complete_us"] - r["t_mm_us"]) / 1000 for r in ck_tmp
                                  if r.get("t_complete_us", -1) >= 0 and r.get("t_mm_us", -1) >= 0]),
            "size": med([r.get("size") for r in ck_tmp]) or med([r.get("bytes") for r in ok_null]),
            "records": med([r.get("records") for r in ok_null]),
            "pages": med([r.get("pages") for r in ok_null]),
            "restart_ms": med([r["wall_us"] / 1000 for r in rst]),
            "restart_run_ms": med([r.get("run_us", -1) / 1000 for r in rst]),
            "restart_all_ms": med([r.get("all_run_us", -1) / 1000 for r in rst if "all_run_us" in r]),
            # the kernel's "stats:" line, where it has one
            "stats_ckpt": {k[5:]: med([r.get(k) for r in ck_tmp if k in r])
                           for k in sorted({k for r in ck_tmp for k in r if k.startswith("stat_")})},
            "stats_restart": {k[5:]: med([r.get(k) for r in rst if k in r])
                              for k in sorted({k for r in rst for k in r if k.startswith("stat_")})},
            "restart_mm_ms": med([(r["t_mm_us"] - r["t_image_us"]) / 1000 for r in rst
                                  if r.get("t_mm_us", -1) >= 0 and r.get("t_image_us", -1) >= 0]),
            "verified": "%d/%d" % (sum(1 for r in ver if r.get("ok")), len(ver)) if ver else None,
            "failures": [{"op": r.get("op"), "sink": r.get("sink"), "errno": r.get("errno"),
                          "log": r.get("log", "")}
                         for r in rs if r.get("side") == "ours" and r.get("op") in ("ckpt", "restart")
                         and not r.get("ok") and ok_null],
        }
        mem = pick("ours", "ckpt-mem", "null")
        memt = pick("ours", "ckpt-mem", "tmpfs")
        if mem:
            m = mem[0]
            s["ours"]["mem_null"] = {k: m.get(k) for k in m if k.startswith("mem_")}
        if memt:
            m = memt[0]
            s["ours"]["mem_tmpfs"] = {k: m.get(k) for k in m if k.startswith("mem_")}

        # CRIU
        dump = pick("criu", "dump")
        dok = [r for r in dump if r.get("ok")]
        rok = [r for r in pick("criu", "restore") if r.get("ok")]
        cver = pick("criu", "verify")
        s["criu"] = {
            "sink": dump[0].get("sink") if dump else None,
            "dump_ms": med([r["wall_us"] / 1000 for r in dok]),
            "frozen_ms": med([(r.get("freezing_us", 0) + r.get("frozen_us", 0)) / 1000
                              for r in dok if "frozen_us" in r]),
            "freezing_ms": med([r.get("freezing_us", -1) / 1000 for r in dok]),
            "memdump_ms": med([r.get("memdump_us", -1) / 1000 for r in dok]),
            "memwrite_ms": med([r.get("memwrite_us", -1) / 1000 for r in dok]),
            "size": med([r.get("size") for r in dok]) if dok and dok[0].get("sink") != "null" else None,
            "pages": med([r.get("pages") for r in dok]),
            "restore_ms": med([r["wall_us"] / 1000 for r in rok]),
            "restore_run_ms": med([r.get("run_us", -1) / 1000 for r in rok]),
            "restore_all_ms": med([r.get("all_run_us", -1) / 1000 for r in rok if "all_run_us" in r]),
            "pages_skipped_cow": med([r.get("pages_skipped_cow") for r in rok]),
            "pages_compared": med([r.get("pages_compared") for r in rok]),
            "restore_stat_ms": med([r.get("restore_us", -1) / 1000 for r in rok]),
            "verified": "%d/%d" % (sum(1 for r in cver if r.get("ok")), len(cver)) if cver else None,
            "failures": [{"op": r.get("op"), "status": r.get("status"), "log": r.get("log", "")}
                         for r in rs if r.get("side") == "criu" and not r.get("ok")
                         and r.get("op") in ("dump", "restore")],
        }
        if any(r.get("lazy") for r in rs):
            s["lazy"] = lazy_summary(rs, ck_tmp, rst, ver)
            s["runs"] = len(pick("ours", "ckpt", "tmpfs"))
            # No /dev/null checkpoint to be the reference: every failure counts
            s["ours"]["failures"] = [
                {"op": r.get("op"), "sink": r.get("sink"), "errno": r.get("errno"),
                 "log": r.get("log", "")}
                for r in rs if r.get("side") == "ours" and r.get("op") in ("ckpt", "restart")
                and not r.get("ok")]
        cm = pick("criu", "dump-mem")
        if cm:
            s["criu"]["mem"] = {k: cm[0].get(k) for k in cm[0] if k.startswith("mem_")}
        for side in ("ours", "criu"):
            tm = tree_mem_summary(rs, side)
            if tm:
                s[side]["tree_mem"] = tm
        out[name] = s

    hws = {}
    for (op, mib), rs in hw.items():
        hws.setdefault(str(mib), {})[op] = {
            "ms": med([r["wall_us"] / 1000 for r in rs]),
            "mib_per_s": med([r["mib_per_s"] for r in rs]),
            "runs": len(rs),
        }
    return out, hws


def lazy_summary(rs, ck_tmp, rst, ver):
    """A --lazy row: medians of its checkpoints (CHECKPOINT_LAZY) and lazy
    restarts, times from the call to restart(2)"""
    def ms(rows, k):
        return med([r.get(k, -1) / 1000 for r in rows])
    return {
        "ckpt_tmpfs_ms": ms(ck_tmp, "wall_us"),
        "size": med([r.get("size") for r in ck_tmp]),
        "restart_ms": ms(rst, "wall_us"),
        "first_beat_ms": ms(rst, "run_us"),
        "verified_ms": ms(rst, "verified_us"),
        "verify_ms": ms(rst, "verify_us"),
        "fetched_ms": ms(rst, "fetched_us"),
        "check_alone_ms": ms(rst, "verify_again_us"),
        "pages_lazy": med([r.get("pages_lazy") for r in rst]),
        "pages_restored": med([r.get("pages") for r in rst]),
        "first_beat_all_ms": [round(r["run_us"] / 1000, 1) for r in rst
                              if r.get("run_us", -1) >= 0],
        "restarts": len(rst),
        "verified": "%d/%d" % (sum(1 for r in ver if r.get("ok")), len(ver)) if ver else None,
    }


# --- formatting ----------------------------------------------------------------

def fms(v):
    if v is None:
        return "–"
    if v >= 10000:
        return "%.1f s" % (v / 1000)
    if v >= 1000:
        return "%.2f s" % (v / 1000)
    if v >= 10:
        return "%.0f ms" % v
    return "%.1f ms" % v


def fsize(v):
    if v is None:
        return "–"
    if v >= 1 << 30:
        return "%.2f GiB" % (v / (1 << 30))
    if v >= 1 << 20:
        return "%.1f MiB" % (v / (1 << 20))
    if v >= 1 << 10:
        return "%.0f KiB" % (v / (1 << 10))
    return "%d B" % v


def fkib(v):
    if v is None:
        return "–"
    if v >= 10240:
        return "%.1f MiB" % (v / 1024)
    return "%d KiB" % v


def fx(a, b):
    """How many times a is faster (smaller) than b"""
    if not a or not b:
        return "–"
    r = b / a
    return "%.1f×" % r if r < 100 else "%.0f×" % r


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


# --- the plot ------------------------------------------------------------------

COLORS = {
    "ours ckpt→tmpfs": "#1f77b4",
    "ours ckpt→/dev/null": "#17becf",
    "ours restart (running)": "#2ca02c",
    "CRIU dump→tmpfs": "#d62728",
    "CRIU dump→/dev/null": "#ff9896",
    "CRIU restore (running)": "#ff7f0e",
}


def series_points(summary, rows):
    pts = {k: [] for k in COLORS}
    for row, x in rows:
        s = summary.get(row)
        if not s:
            continue
        o, c = s["ours"], s["criu"]
        add = [
            ("ours ckpt→tmpfs", o.get("ckpt_tmpfs_ms")),
            ("ours ckpt→/dev/null", o.get("ckpt_null_ms")),
            ("ours restart (running)", o.get("restart_run_ms")),
            ("CRIU dump→tmpfs" if c.get("sink") == "tmpfs" else "CRIU dump→/dev/null",
             c.get("dump_ms")),
            ("CRIU restore (running)", c.get("restore_run_ms")),
        ]
        for k, v in add:
            if v is not None and v > 0:
                pts[k].append((x, v))
    return {k: v for k, v in pts.items() if v}


def svg_panel(x0, y0, w, h, title, xlabel, pts):
    """One log-log panel; returns SVG elements."""
    el = []
    xs = [p[0] for v in pts.values() for p in v]
    ys = [p[1] for v in pts.values() for p in v]
    el.append('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>'
              % (x0, y0 - 8, esc(title)))
    if not xs:
        el.append('<text x="%d" y="%d" font-size="12">no data</text>' % (x0 + 10, y0 + 20))
        return el
    lx0, lx1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if lx1 == lx0:
        lx1 += 1
    if ly1 == ly0:
        ly1 += 1

    def px(x):
        return x0 + (math.log10(x) - lx0) / (lx1 - lx0) * w

    def py(y):
        return y0 + h - (math.log10(y) - ly0) / (ly1 - ly0) * h

    el.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>'
              % (x0, y0, w, h))
    for d in range(lx0, lx1 + 1):
        X = px(10 ** d)
        el.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (X, y0, X, y0 + h))
        el.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
                  % (X, y0 + h + 14, esc(tick(10 ** d))))
    for d in range(ly0, ly1 + 1):
        Y = py(10 ** d)
        el.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, Y, x0 + w, Y))
        el.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>'
                  % (x0 - 4, Y + 4, esc(fms(10 ** d))))
    el.append('<text x="%d" y="%d" font-size="12" text-anchor="middle">%s (log)</text>'
              % (x0 + w / 2, y0 + h + 30, esc(xlabel)))
    # a slope-1 guide: linear cost
    gx0, gx1 = 10 ** lx0, 10 ** lx1
    gy0 = min(ys)
    el.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4 4"/>'
              % (px(gx0), py(gy0), px(gx1), py(gy0 * gx1 / gx0)))
    for k, v in pts.items():
        v = sorted(v)
        c = COLORS[k]
        path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", px(x), py(y))
                        for i, (x, y) in enumerate(v))
        el.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"/>' % (path, c))
        for x, y in v:
            el.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s at %s</title></circle>'
                      % (px(x), py(y), c, esc(k), esc(fms(y)), esc(tick(x))))
    return el


def tick(v):
    if v >= 1e6 and v % 1e6 == 0:
        return "%dM" % (v / 1e6)
    if v >= 1e3 and v % 1e3 == 0:
        return "%dk" % (v / 1e3)
    if v >= 1:
        return "%g" % v
    return "%g" % v


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_svg(path, summary, series, subtitle):
    pw, ph, cols = 360, 240, 3
    n = len(series)
    rows_n = (n + cols - 1) // cols
    W = cols * (pw + 110) + 20
    H = rows_n * (ph + 90) + 110
    el = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
          'font-family="sans-serif">' % (W, H),
          '<rect width="100%" height="100%" fill="white"/>',
          '<text x="20" y="24" font-size="16" font-weight="bold">Checkpoint/restart cost '
          'vs size (log-log; dashed: linear)</text>',
          '<text x="20" y="42" font-size="11">%s</text>' % esc(subtitle)]
    for i, (title, xlabel, rows) in enumerate(series):
        cx = 20 + 70 + (i % cols) * (pw + 110)
        cy = 80 + (i // cols) * (ph + 90)
        el += svg_panel(cx, cy, pw, ph, title, xlabel, series_points(summary, rows))
    # legend
    lx, ly = 20, H - 20
    for k, c in COLORS.items():
        el.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, ly - 10, c))
        el.append('<text x="%d" y="%d" font-size="12">%s</text>' % (lx + 16, ly, esc(k)))
        lx += 16 + 8 * len(k) + 12
    el.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(el) + "\n")


# --- targets ---------------------------------------------------------------------

def slope(points):
    """log-log slope between the smallest and the largest point"""
    pts = sorted(p for p in points if p[1])
    if len(pts) < 2:
        return None
    (x0, y0), (x1, y1) = pts[0], pts[-1]
    return math.log(y1 / y0) / math.log(x1 / x0)


def targets(summary, hws):
    t = []

    def row(n):
        return summary.get(n, {"ours": {}, "criu": {}})

    # 1. trivial: checkpoint + restart >= 20x faster than CRIU
    r = row("trivial")
    o, c = r["ours"], r["criu"]
    ours = (o.get("ckpt_tmpfs_ms") or 0) + (o.get("restart_run_ms") or 0)
    criu = (c.get("dump_ms") or 0) + (c.get("restore_run_ms") or 0)
    criu_ret = (c.get("dump_ms") or 0) + (c.get("restore_ms") or 0)
    if ours and criu:
        t.append({"target": "trivial process: checkpoint+restart ≥ 20× faster than CRIU",
                  "met": criu / ours >= 20,
                  "value": "%.1f× (ours %s + %s = %s; CRIU %s + %s = %s until running, "
                           "%.0f× until criu restore returns)"
                  % (criu / ours, fms(o.get("ckpt_tmpfs_ms")), fms(o.get("restart_run_ms")),
                     fms(ours), fms(c.get("dump_ms")), fms(c.get("restore_run_ms")), fms(criu),
                     criu_ret / ours)})

    # 2. 1 GiB: checkpoint throughput >= 70% of tmpfs write, >= 2x CRIU
    r = row("mem-1g")
    o, c = r["ours"], r["criu"]
    w = hws.get("1024", {}).get("tmpfs-write")
    if o.get("ckpt_tmpfs_ms") and w:
        mibs = 1024 / (o["ckpt_tmpfs_ms"] / 1000)
        t.append({"target": "1 GiB: checkpoint throughput ≥ 70% of the same-boot tmpfs write",
                  "met": mibs >= 0.7 * w["mib_per_s"],
                  "value": "%.0f%% (%.0f MiB/s vs write() %.0f MiB/s)"
                  % (100 * mibs / w["mib_per_s"], mibs, w["mib_per_s"])})
    if o.get("ckpt_tmpfs_ms") and c.get("dump_ms"):
        t.append({"target": "1 GiB: checkpoint ≥ 2× CRIU",
                  "met": c["dump_ms"] / o["ckpt_tmpfs_ms"] >= 2,
                  "value": "%.2f× (ours %s, CRIU %s)"
                  % (c["dump_ms"] / o["ckpt_tmpfs_ms"], fms(o["ckpt_tmpfs_ms"]), fms(c["dump_ms"]))})
    if o.get("restart_run_ms") and c.get("restore_run_ms"):
        t.append({"target": "1 GiB: restart ≥ 2× CRIU",
                  "met": c["restore_run_ms"] / o["restart_run_ms"] >= 2,
                  "value": "%.2f× until running (ours %s, CRIU %s; %.2f× until criu returns, %s)"
                  % (c["restore_run_ms"] / o["restart_run_ms"], fms(o["restart_run_ms"]),
                     fms(c["restore_run_ms"]), (c.get("restore_ms") or 0) / o["restart_run_ms"],
                     fms(c.get("restore_ms")))})

    # 3. image size
    worst = None
    bigger = []
    for name, s in sorted(summary.items()):
        o, c = s["ours"], s["criu"]
        if not o.get("size"):
            continue
        if name.startswith("mem-") and s.get("touched_pages"):
            touched = s["touched_pages"] * 4096
            over = o["size"] / touched - 1
            if worst is None or over > worst[1]:
                worst = (name, over, o["size"], touched)
        if c.get("size") and o["size"] > c["size"]:
            bigger.append("%s (+%.1f%%: %s vs %s)" % (name, 100.0 * (o["size"] / c["size"] - 1),
                                                     fsize(o["size"]), fsize(c["size"])))
    if worst:
        t.append({"target": "image within 5% of touched memory plus metadata",
                  "met": worst[1] <= 0.05,
                  "value": "worst %s: %s for %s touched (+%.2f%%)"
                  % (worst[0], fsize(worst[2]), fsize(worst[3]), 100 * worst[1])})
    t.append({"target": "image never larger than CRIU's",
              "met": not bigger,
              "value": ("larger in " + ", ".join(bigger)) if bigger else
              "smaller or equal in every row measured by both"})

    # 4. kernel memory independent of process size
    pts = []
    for n, x in [("mem-64m", 64), ("mem-256m", 256), ("mem-1g", 1024), ("mem-2g", 2048)]:
        m = summary.get(n, {}).get("ours", {}).get("mem_null")
        if m:
            pts.append((x, m.get("mem_extra_kib"), m.get("mem_slab_kib")))
    if len(pts) >= 2:
        extra = [p[1] for p in pts]
        slab = [p[2] for p in pts]
        t.append({"target": "kernel memory used by checkpoint independent of process size",
                  "met": max(extra) - min(extra) <= 512 and max(slab) <= 1024,
                  "value": "peak extra (MemFree drop) %s, Slab growth %s for %s MiB"
                  % ("/".join(fkib(e) for e in extra), "/".join(fkib(s) for s in slab),
                     "/".join(str(p[0]) for p in pts))})

    # 5. linear cost
    lin = []
    ok = True
    for title, _, rows in SERIES[1:]:
        for key, label in [("ckpt_tmpfs_ms", "ckpt"), ("restart_run_ms", "restart")]:
            p = [(x, summary[n]["ours"].get(key)) for n, x in rows
                 if n in summary and summary[n]["ours"].get(key)]
            sl = slope(p)
            if sl is None:
                continue
            lin.append("%s %s %.2f" % (title.split()[0].lower(), label, sl))
            ok = ok and sl <= 1.15
    if lin:
        t.append({"target": "cost linear or better in processes, threads, fds, VMAs",
                  "met": ok,
                  "value": "log-log slopes (1 = linear): " + ", ".join(lin)})

    # 6. prefork: pages shared copy-on-write after fork are written once and
    # shared again after restart
    s = summary.get("prefork")
    if s:
        t.append(prefork_target(s))

    # 7. lazy restart: the first instruction of a 1 GiB process soon
    t += lazy_targets(summary)
    return t


def lazy_targets(summary):
    lz = summary.get("lazy-1g", {}).get("lazy") or {}
    if lz.get("first_beat_ms") is None:
        return []
    eager = summary.get("mem-1g", {}).get("ours", {})
    return [{"target": "lazy restart of 1 GiB runs its first instruction in ≤ %d ms"
                       % LAZY_TARGET_MS,
             "met": lz["first_beat_ms"] <= LAZY_TARGET_MS,
             "value": "%s from the call to restart(2) to the first beat (restart(2) returns "
                      "in %s; every page checked at %s); eager restart: %s to the first beat"
                      % (fms(lz["first_beat_ms"]), fms(lz.get("restart_ms")),
                         fms(lz.get("verified_ms")), fms(eager.get("restart_run_ms")))}]


def fratio(v):
    return "×%.2f" % v if v is not None else "–"


def prefork_target(s):
    """Met if the summed Pss and the used memory after restart are within
    10% of before and the image is within 10% of the shared memory plus
    PREFORK_META_PER_PROC a process"""
    o, c = s["ours"], s["criu"]
    region = int(s.get("touched_pages") or 0) * 4096
    procs = int(s.get("procs") or 1)
    limit = 1.10 * region + PREFORK_META_PER_PROC * procs
    target = ("prefork: memory after restart within 10%% of before; image holds the %d MiB once"
              % (region >> 20))
    tm = o.get("tree_mem") or {}
    if s.get("ours_unsupported") or not tm.get("pss_ratio") or not o.get("size"):
        why = ["%s%s failed with errno %s" % (f["op"], " →" + f["sink"] if f.get("sink") else "",
                                              f["errno"]) for f in o.get("failures", [])]
        if s.get("ours_unsupported"):
            why = ["checkpoint fails with %s" % s["ours_unsupported"]["error"]]
        return {"target": target, "met": False,
                "value": "not measured (%d processes): %s" % (procs, ", ".join(why) or "no restart")}
    ok = tm["pss_ratio"] <= 1.10 and (tm.get("used_ratio") or 9) <= 1.10 and o["size"] <= limit
    ct = c.get("tree_mem") or {}
    return {"target": target, "met": ok,
            "value": "%d processes: summed Pss %s → %s (%s), used %s → %s (%s); image %s "
                     "(limit %s: %s × 1.10 + %s a process); CRIU: Pss %s, used %s, image %s"
            % (procs, fkib(tm.get("pss_before_kib")), fkib(tm.get("pss_after_kib")),
               fratio(tm.get("pss_ratio")), fkib(tm.get("used_before_kib")),
               fkib(tm.get("used_after_kib")), fratio(tm.get("used_ratio")), fsize(o["size"]),
               fsize(limit), fsize(region), fsize(PREFORK_META_PER_PROC),
               fratio(ct.get("pss_ratio")), fratio(ct.get("used_ratio")), fsize(c.get("size")))}


# --- profiles ----------------------------------------------------------------------

def load_system_map(path):
    syms = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3 and p[1] in "tTwW":
                    syms.append((int(p[0], 16), p[2]))
    except OSError:
        return None
    syms.sort()
    return syms


def profiles(profile_dir, system_map):
    """Per profiled operation: its top symbols over all CPUs, idle left out."""
    import bisect
    import re
    pj = os.path.join(profile_dir or "", "profile.jsonl")
    if not profile_dir or not os.path.exists(pj):
        return None
    syms = load_system_map(system_map) if system_map else None
    addrs = [a for a, _ in syms] if syms else []
    ops = [r for r in load(pj) if r.get("t0_ns") and r.get("side")]
    rx = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+([0-9a-f]+)")
    out = {}
    for name in sorted({r["row"] for r in ops}):
        prof = name[len("prof-"):]
        path = os.path.join(profile_dir, "perf-%s.txt" % prof)
        samples = []
        try:
            with open(path) as f:
                for line in f:
                    m = rx.match(line)
                    if m:
                        samples.append((float(m.group(3)), m.group(1), int(m.group(4), 16)))
        except OSError:
            continue
        res = []
        for r in [r for r in ops if r["row"] == name]:
            t0, t1 = r["t0_ns"] / 1e9, r["t1_ns"] / 1e9
            counts = {}
            n = idle = 0
            for t, comm, ip in samples:
                if not t0 <= t <= t1:
                    continue
                if comm.startswith("swapper"):
                    idle += 1
                    continue
                n += 1
                if ip >= 0xffffffff80000000 and addrs:
                    i = bisect.bisect_right(addrs, ip) - 1
                    sym = syms[i][1] if i >= 0 else hex(ip)
                elif ip >= 0xffff800000000000:
                    sym = "[kernel]"
                else:
                    sym = "[user: %s]" % comm
                counts[sym] = counts.get(sym, 0) + 1
            top = sorted(counts.items(), key=lambda kv: -kv[1])[:10]
            label = "%s %s%s" % (r["side"], r["op"], "→" + r["sink"] if r.get("sink") else "")
            res.append({"op": label, "ms": (r["t1_ns"] - r["t0_ns"]) / 1e6, "samples": n,
                        "idle": idle,
                        "top": [(k, round(100.0 * v / n, 1)) for k, v in top] if n else []})
        out[prof] = res
    return out


# --- the runc row ------------------------------------------------------------------

RUNC_TITLE = "## runc checkpoint / restore, ours vs CRIU"
RUNC_NETS = [("netns", "runc's default namespaces (a network namespace of its own)"),
             ("hostnet", "without a network namespace (the host's network)")]


def summarize_runc(recs):
    """Per container (net) and side (ours, criu): medians of the runc operations."""
    out = {}
    for net, _ in RUNC_NETS:
        for side in ("ours", "criu"):
            rs = [r for r in recs if r.get("row") == "runc" and r.get("net") == net
                  and r.get("side") == side]
            if not rs:
                continue
            ck = [r for r in rs if r.get("op") == "checkpoint"]
            rt = [r for r in rs if r.get("op") == "restore"]
            ck_ok = [r for r in ck if r.get("ok")]
            rt_ok = [r for r in rt if r.get("ok")]
            out.setdefault(net, {})[side] = {
                "runs": len({r.get("run") for r in rs}),
                "checkpoint_ms": med([r["wall_us"] / 1000 for r in ck_ok]),
                "restore_ms": med([r["wall_us"] / 1000 for r in rt_ok]),
                "image_kib": med([r.get("image_kib") for r in ck_ok]),
                "checkpoints_ok": "%d/%d" % (len(ck_ok), len(ck)),
                "gone": "%d/%d" % (sum(1 for r in ck_ok if r.get("gone")), len(ck_ok)),
                "restores_ok": "%d/%d" % (len(rt_ok), len(rt)),
                "goes_on": "%d/%d" % (sum(1 for r in rt_ok if r.get("goes_on")), len(rt_ok)),
                "failures": [{"run": r.get("run"), "op": r.get("op"), "error": r.get("error", ""),
                              "what": "failed" if not r.get("ok") else
                              "left the container running" if r.get("op") == "checkpoint" else
                              "did not count on (last %s, first %s)"
                              % (r.get("last"), r.get("first"))}
                             for r in rs if not r.get("ok") or r.get("gone") is False
                             or r.get("goes_on") is False],
            }
    return out


def runc_lines(rs, meta):
    criu = "CRIU " + (meta.get("criu") or "").replace("Version: ", "")
    L = [RUNC_TITLE, ""]
    L.append("Debian's %s checkpoints and restores a busybox container that counts "
             "(`runc run -d` with pipes as stdio) through our front end (`ckpt criu`, found "
             "as `criu` in PATH: checkpoint(2)/restart(2)) and through Debian's %s "
             "(`/usr/sbin/criu`), in the same boot (bench/runc.sh): `runc checkpoint "
             "--image-path I --work-path W` (which stops the container) and `runc restore -d`, "
             "wall-clock from the shell, medians. A restore counts only if the container's "
             "count goes on from the last number it printed, on the pipe runc gave the "
             "restore. Image: `du -sk` of the image directory. The container without a "
             "network namespace is there because CRIU saves the conntrack table of every "
             "network namespace it saves (also of one runc has it leave empty) through "
             "ctnetlink: in a kernel without `CONFIG_NF_CT_NETLINK`, such as the plain one, "
             "its dump of a container with its own network namespace fails with EINVAL from "
             "netlink."
             % (meta.get("runc") or "runc", criu))
    L.append("")
    L.append("| container | | ours (`ckpt criu`) | %s | speed-up (CRIU / ours) |" % criu)
    L.append("|---|---|---|---|---|")
    empty = {"runs": 0, "checkpoint_ms": None, "restore_ms": None, "image_kib": None,
             "checkpoints_ok": "–", "gone": "–", "restores_ok": "–", "goes_on": "–",
             "failures": []}
    fails = []
    for net, desc in RUNC_NETS:
        if net not in rs:
            continue
        o, c = rs[net].get("ours", empty), rs[net].get("criu", empty)
        L.append("| %s | `runc checkpoint` | %s | %s | %s |"
                 % (desc, fms(o["checkpoint_ms"]), fms(c["checkpoint_ms"]),
                    fx(o["checkpoint_ms"], c["checkpoint_ms"])))
        L.append("| | `runc restore -d` | %s | %s | %s |"
                 % (fms(o["restore_ms"]), fms(c["restore_ms"]), fx(o["restore_ms"], c["restore_ms"])))
        L.append("| | image | %s | %s | |" % (fkib(o["image_kib"]), fkib(c["image_kib"])))
        L.append("| | checkpoints ok, container gone; restores ok, counting on | "
                 "%s, %s; %s, %s | %s, %s; %s, %s | |"
                 % tuple(x[k] for x in (o, c) for k in ("checkpoints_ok", "gone",
                                                          "restores_ok", "goes_on")))
        fails += [(net, side, f) for side, x in (("ours", o), ("CRIU", c)) for f in x["failures"]]
    L.append("")
    for net, side, f in fails:
        L.append("- %s, %s, run %s: %s %s%s" % (net, side, f["run"], f["op"], f["what"],
                                               ": `%s`" % esc_md(f["error"]) if f["error"] else ""))
    if fails:
        L.append("")
    return L


def write_runc(out, recs, meta, link_only):
    """runc.md, and the runc section of results.md: the table, or a link"""
    rs = summarize_runc(recs)
    head = ["# runc checkpoint / restore: ours vs CRIU", "", "| | |", "|---|---|"]
    head += ["| %s | %s |" % (k, meta[k]) for k in ["date", "commit", "tree", "kernel",
                                                    "bzimage_sha256", "criu", "runc", "guest"]
             if meta.get(k) is not None]
    head += ["", "Made by `make bench` (`BENCH_ROWS=runc` for this row only); under QEMU TCG "
             "with 2 vCPUs, on a host that may have been running other work.", ""]
    with open(os.path.join(out, "runc.md"), "w") as f:
        f.write("\n".join(head + runc_lines(rs, meta)[2:]))
    md = os.path.join(out, "results.md")
    if link_only:
        if not os.path.exists(md):
            return rs
        sec = [RUNC_TITLE, "", "Measured in a run of its own (%s, commit %s): [runc.md](runc.md)."
               % (meta.get("date"), (meta.get("commit") or "?")[:12]), ""]
    else:
        sec = runc_lines(rs, meta) + ["Also in [runc.md](runc.md).", ""]
    with open(md) as f:
        L = f.read().split("\n")
    if RUNC_TITLE in L:
        i = L.index(RUNC_TITLE)
        j = next((k for k in range(i + 1, len(L)) if L[k].startswith("## ")), len(L))
        L[i:j] = []
    while L and not L[-1]:
        L.pop()
    with open(md, "w") as f:
        f.write("\n".join(L + [""] + sec))
    return rs


# --- markdown ------------------------------------------------------------------------

def write_md(path, meta, summary, hws, tg, profs=None):
    L = []
    a = L.append
    a("# Checkpoint/restart benchmark results")
    a("")
    a("Made by `make bench` (bench/README.md says how and what is measured).")
    a("")
    a("| | |")
    a("|---|---|")
    for k in ["date", "commit", "tree", "config_sha256", "kernel", "bzimage_sha256", "criu",
              "guest", "thp", "mode", "guest_seconds"]:
        if meta.get(k) is not None:
            a("| %s | %s |" % (k, meta[k]))
    a("")
    a("Medians of %s runs per row (scaling rows with many processes or threads: "
      "fewer, see `runs`). Times are wall-clock in the guest (QEMU TCG, 2 vCPUs, "
      "4 GiB). *ours* is checkpoint(2)/restart(2) called directly; *CRIU* is "
      "`criu dump -t PID -D DIR --shell-job` and `criu restore -D DIR --shell-job -d`. "
      "Restart times are until the restored process runs again (its first heartbeat); "
      "\"returns\" is until restart(2) / `criu restore -d` returns."
      % meta.get("runs"))
    a("")

    a("## Main table")
    a("")
    a("| workload | ours ckpt→tmpfs | ours ckpt→/dev/null | CRIU dump→tmpfs | ours frozen | "
      "CRIU frozen | ours restart | CRIU restore (returns) | ours image | CRIU image | runs |")
    a("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, desc in MAIN_ROWS:
        s = summary.get(name)
        if not s:
            continue
        o, c = s["ours"], s["criu"]
        if s.get("ours_unsupported"):
            u = s["ours_unsupported"]
            ours = ["not yet supported (%s, %s)" % (esc_md(u["error"]), esc_md(u["reason"])),
                    "", "", "", "", ""]
            a("| %s | %s | – | %s | – | %s | – | %s (%s) | – | %s | %d |"
              % (desc, ours[0], fms(c.get("dump_ms")), fms(c.get("frozen_ms")),
                 fms(c.get("restore_run_ms")), fms(c.get("restore_ms")), fsize(c.get("size")),
                 s["runs"]))
            continue
        a("| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %d |"
          % (desc, fms(o.get("ckpt_tmpfs_ms")), fms(o.get("ckpt_null_ms")), fms(c.get("dump_ms")),
             fms(o.get("frozen_tmpfs_ms")), fms(c.get("frozen_ms")), fms(o.get("restart_run_ms")),
             fms(c.get("restore_run_ms")), fms(c.get("restore_ms")), fsize(o.get("size")),
             fsize(c.get("size")), s["runs"]))
    a("")
    a("Speed-ups (CRIU time / our time; > 1: ours is faster):")
    a("")
    a("| workload | checkpoint (tmpfs) | restart (until running) | checkpoint+restart |")
    a("|---|---|---|---|")
    for name, desc in MAIN_ROWS:
        s = summary.get(name)
        if not s or s.get("ours_unsupported"):
            continue
        o, c = s["ours"], s["criu"]
        tot_o = (o.get("ckpt_tmpfs_ms") or 0) + (o.get("restart_run_ms") or 0)
        tot_c = (c.get("dump_ms") or 0) + (c.get("restore_run_ms") or 0)
        a("| %s | %s | %s | %s |" % (desc, fx(o.get("ckpt_tmpfs_ms"), c.get("dump_ms")),
                                     fx(o.get("restart_run_ms"), c.get("restore_run_ms")),
                                     fx(tot_o, tot_c)))
    a("")

    if summary.get("prefork"):
        L += prefork_lines(summary["prefork"])

    if any(summary.get(n, {}).get("lazy") for n, _, _ in LAZY_ROWS):
        L += lazy_lines(summary)

    a("## Targets")
    a("")
    a("Measured, not asserted: the bench never fails on a missed target.")
    a("")
    a("| target | met | measured |")
    a("|---|---|---|")
    for x in tg:
        a("| %s | %s | %s |" % (x["target"], "yes" if x["met"] else "**no**", esc_md(x["value"])))
    a("")

    a("## Hardware limit (same boot)")
    a("")
    a("A user process with the same bytes (random data): `memcpy()` between two populated "
      "buffers; `write()` of them to a new tmpfs file in 1 MiB chunks; `read()` of that file "
      "into fresh (never touched) anonymous memory; CRC-32C over them in software "
      "(slice-by-8, as the kernel's generic crc32c, which this kernel uses: "
      "`CONFIG_CRYPTO_CRC32C_INTEL` is off) and with the SSE4.2 `crc32` instruction.")
    a("")
    a("| MiB | memcpy | tmpfs write | tmpfs read into fresh memory | crc32c (sw) | crc32c (sse4.2) |")
    a("|---|---|---|---|---|---|")
    for mib in sorted(hws, key=int):
        h = hws[mib]

        def cell(op):
            v = h.get(op)
            return "%s (%.0f MiB/s)" % (fms(v["ms"]), v["mib_per_s"]) if v else "–"
        a("| %s | %s | %s | %s | %s | %s |" % (mib, cell("memcpy"), cell("tmpfs-write"),
                                               cell("tmpfs-read-fresh"), cell("crc32c-sw"),
                                               cell("crc32c-hw")))
    a("")
    a("Checkpoint and restart throughput against it (touched bytes / time):")
    a("")
    a("| row | ours ckpt→tmpfs | vs tmpfs write | ours ckpt→null | vs memcpy | ours restart | "
      "vs tmpfs read | CRIU dump | CRIU restore |")
    a("|---|---|---|---|---|---|---|---|---|")
    for name, mib in [("mem-64m", 64), ("mem-256m", 256), ("mem-1g", 1024), ("mem-2g", 2048)]:
        s = summary.get(name)
        if not s:
            continue
        o, c = s["ours"], s["criu"]
        h = hws.get(str(mib)) or hws.get("1024") or {}

        def tput(ms):
            return mib / (ms / 1000) if ms else None

        def pct(v, op):
            base = h.get(op, {}).get("mib_per_s")
            return "%.0f%%" % (100 * v / base) if v and base else "–"

        def fm(v):
            return "%.0f MiB/s" % v if v else "–"
        a("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
          % (name, fm(tput(o.get("ckpt_tmpfs_ms"))), pct(tput(o.get("ckpt_tmpfs_ms")), "tmpfs-write"),
             fm(tput(o.get("ckpt_null_ms"))), pct(tput(o.get("ckpt_null_ms")), "memcpy"),
             fm(tput(o.get("restart_run_ms"))), pct(tput(o.get("restart_run_ms")), "tmpfs-read-fresh"),
             fm(tput(c.get("dump_ms"))) + ("" if c.get("sink") == "tmpfs" else " (→null)"),
             fm(tput(c.get("restore_run_ms")))))
    a("")
    a("(The 2 GiB row is compared with the 1 GiB limit: two copies of 2 GiB do not fit in "
      "the 4 GiB guest.)")
    a("")

    a("## Where our time goes")
    a("")
    a("From the kernel's log lines, timestamped by benchd as they arrive on the log pipe "
      "(so each is an upper bound): *freeze* is from the call to \"froze N task(s)\"; "
      "*memory* from there to \"mm: N pages saved\" (VMAs, page walk, checksum and write, "
      "interleaved); *rest* from there to \"checkpoint ... complete\" (files, signals, "
      "registers, trailer). *write* is ckpt→tmpfs minus ckpt→/dev/null: what writing "
      "to tmpfs adds. CRIU: its stats-dump (freezing, frozen, memdump, memwrite) and "
      "stats-restore (restore_time).")
    a("")
    a("| row | ours freeze | ours memory (null) | ours memory (tmpfs) | ours rest | ours write | "
      "ours restart: memory | CRIU freezing | CRIU memdump | CRIU memwrite | CRIU restore_time |")
    a("|---|---|---|---|---|---|---|---|---|---|---|")
    order = [n for n, _ in MAIN_ROWS] + sorted(n for n in summary if n not in dict(MAIN_ROWS)
                                               and not summary[n].get("lazy"))
    for name in order:
        s = summary.get(name)
        if not s:
            continue
        o, c = s["ours"], s["criu"]
        wr = (o["ckpt_tmpfs_ms"] - o["ckpt_null_ms"]) if o.get("ckpt_tmpfs_ms") and o.get("ckpt_null_ms") else None
        a("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
          % (name, fms(o.get("freeze_ms")), fms(o.get("mm_null_ms")), fms(o.get("mm_tmpfs_ms")),
             fms(o.get("rest_tmpfs_ms")), fms(wr) if wr is None or wr >= 0 else "≈0",
             fms(o.get("restart_mm_ms")), fms(c.get("freezing_ms")), fms(c.get("memdump_ms")),
             fms(c.get("memwrite_ms")), fms(c.get("restore_stat_ms"))))
    a("")

    a("## Memory used by checkpoint")
    a("")
    a("An extra, untimed checkpoint per row with a sampler thread reading /proc/meminfo "
      "every millisecond: the peak of (MemFree drop − Shmem growth), i.e. memory taken by "
      "anything but the image file itself; for ours that is kernel memory (benchd waits "
      "in the syscall), for CRIU it includes criu's own process. MemFree moves in steps of "
      "the per-CPU free lists, so differences under ~256 KiB are noise; Slab, KernelStack "
      "and PageTables growth are given too.")
    a("")
    a("| row | ours →null: extra / slab | ours →tmpfs: extra / slab | CRIU dump: extra / slab / its anon |")
    a("|---|---|---|---|")
    for name in order:
        s = summary.get(name)
        if not s:
            continue
        o, c = s["ours"], s["criu"]

        def m2(m):
            return "%s / %s" % (fkib(m.get("mem_extra_kib")), fkib(m.get("mem_slab_kib"))) if m else "–"
        cm = c.get("mem")
        a("| %s | %s | %s | %s |" % (name, m2(o.get("mem_null")), m2(o.get("mem_tmpfs")),
                                     "%s / %s / %s" % (fkib(cm.get("mem_extra_kib")),
                                                       fkib(cm.get("mem_slab_kib")),
                                                       fkib(cm.get("mem_anon_kib"))) if cm else "–"))
    a("")

    a("## Scaling")
    a("")
    a("![scaling](scaling.svg)")
    a("")
    a("| series | size | ours ckpt→tmpfs | ours ckpt→null | ours restart | CRIU dump | "
      "CRIU restore | ours image | CRIU image | runs |")
    a("|---|---|---|---|---|---|---|---|---|---|")
    for title, xl, rows in SERIES:
        for n, x in rows:
            s = summary.get(n)
            if not s:
                continue
            o, c = s["ours"], s["criu"]
            if s.get("ours_unsupported"):
                u = s["ours_unsupported"]
                a("| %s | %s %s | not yet supported (%s) | | | %s | %s | | %s | %d |"
                  % (title, tick(x), xl, esc_md(u["error"]), fms(c.get("dump_ms")),
                     fms(c.get("restore_run_ms")), fsize(c.get("size")), s["runs"]))
                continue
            a("| %s | %s %s | %s | %s | %s | %s%s | %s | %s | %s | %d |"
              % (title, tick(x), xl, fms(o.get("ckpt_tmpfs_ms")), fms(o.get("ckpt_null_ms")),
                 fms(o.get("restart_run_ms")), fms(c.get("dump_ms")),
                 "" if c.get("sink") in ("tmpfs", None) else " (→null)",
                 fms(c.get("restore_run_ms")), fsize(o.get("size")), fsize(c.get("size")), s["runs"]))
    a("")

    if profs:
        a("## Profiles")
        a("")
        a("`perf record -a -e cpu-clock -F 997 -k mono` (Debian's %s) in the guest around one "
          "round of a row; samples of both CPUs falling in each operation's time window, idle "
          "left out, kernel addresses named with the kernel's System.map (the guest kernel has "
          "no kallsyms). Percent of the non-idle samples; `[user: X]` is user-space time of X."
          % meta.get("perf", ""))
        a("")
        for prof, res in profs.items():
            a("### %s" % prof)
            a("")
            a("| operation | time | samples | top symbols |")
            a("|---|---|---|---|")
            for r in res:
                a("| %s | %s | %d | %s |" % (r["op"], fms(r["ms"]), r["samples"],
                                             ", ".join("%s %.0f%%" % (esc_md(k), v)
                                                       for k, v in r["top"][:8])))
            a("")

    unsup = [(n, s["ours_unsupported"]) for n, s in summary.items() if s.get("ours_unsupported")]
    fails = [(n, f) for n, s in summary.items() for f in s["ours"].get("failures", [])]
    cfails = [(n, f) for n, s in summary.items() for f in s["criu"].get("failures", [])]
    bad = [(n, side, s[side]["verified"]) for n, s in summary.items() for side in ("ours", "criu")
           if s[side].get("verified") and s[side]["verified"].split("/")[0] != s[side]["verified"].split("/")[1]]
    a("## Failures and unsupported rows")
    a("")
    if not (unsup or fails or cfails or bad):
        a("None.")
    for n, u in sorted(unsup):
        a("- %s: ours: checkpoint fails with %s (errno %s): \"%s\" — not yet supported."
          % (n, u["error"], u["errno"], esc_md(u["reason"])))
    for n, f in fails:
        a("- %s: ours: %s (%s) failed with errno %s: `%s`"
          % (n, f["op"], f.get("sink") or "", f["errno"], esc_md(f["log"].strip().replace("\n", " | "))))
    for n, f in cfails:
        a("- %s: CRIU %s exited with %s: `%s`"
          % (n, f["op"], f["status"], esc_md(f["log"].strip().splitlines()[-1] if f["log"].strip() else "")))
    for n, side, v in bad:
        a("- %s: %s: the restored state checked good in %s runs only" % (n, side, v))
    a("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def prefork_lines(s):
    """The prefork section of results.md"""
    o, c = s["ours"], s["criu"]
    mib = (int(s.get("touched_pages") or 0) * 4096) >> 20
    procs = int(s.get("procs") or 1)
    L = ["## Pages shared after fork (prefork)", ""]
    L.append(
        "A process with %d MiB of private anonymous memory written with random data "
        "(transparent huge pages as the kernel gives them) forks %d children that each read "
        "all of it once and then beat every 10 ms (`wl prefork %d %d`): %d processes sharing "
        "the pages copy-on-write. Memory is measured one second after every process is ready "
        "(*before*) and one second after every process of the restored tree beats again "
        "(*after*), with the image deleted first (ours: the file in `/tmp`, a tmpfs; CRIU: its "
        "image directory), so that the image's pages are not counted. *Summed Pss*: `Pss` of "
        "`/proc/PID/smaps_rollup`, summed over the tree. *Used*: the system's MemTotal − "
        "MemAvailable (free memory and page cache that can be dropped, such as CRIU's "
        "libraries, do not count; tmpfs files and kernel memory do). Restart: until the root "
        "beats / until all %d beat (polled every 10 ms). CRIU writes every process's pages and "
        "on restore keeps a child's page shared with its parent's when they are equal "
        "(`pages_skipped_cow` of its stats-restore); its image, %d × %d MiB, goes to the "
        "shared directory (9p, on the host's disk) when it does not fit in `/tmp` (a tmpfs "
        "of half the guest's memory), mounted for this row with a page cache "
        "(`cache=mmap,msize=512000`: ~100 MB/s written, ~190 MB/s read under TCG, ten times "
        "the mount without a cache), so its dump and restore times there are those of 9p, "
        "not comparable with ours to tmpfs."
        % (mib, procs - 1, mib, procs - 1, procs, procs, procs, mib))
    L.append("")
    L.append("| | checkpoint | restart: root / all running | image | summed Pss before → after "
             "| used before → after | AnonPages | AnonHugePages | PageTables | state checked |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")

    def ba(tm, f):
        return "%s → %s" % (fkib(tm.get(f + "_before_kib")), fkib(tm.get(f + "_after_kib")))

    def line(label, ck, rs, al, size, tm, ver):
        tm = tm or {}
        L.append("| %s | %s | %s / %s | %s | %s (%s) | %s (%s) | %s | %s | %s | %s |"
                 % (label, fms(ck), fms(rs), fms(al), fsize(size), ba(tm, "pss"),
                    fratio(tm.get("pss_ratio")), ba(tm, "used"), fratio(tm.get("used_ratio")),
                    ba(tm, "anon"), ba(tm, "anonhuge"), ba(tm, "pagetables"), ver or "–"))
    if s.get("ours_unsupported"):
        L.append("| ours | not yet supported (%s) | | | | | | | | |"
                 % esc_md(s["ours_unsupported"]["error"]))
    else:
        line("ours (→tmpfs)", o.get("ckpt_tmpfs_ms"), o.get("restart_run_ms"),
             o.get("restart_all_ms"), o.get("size"), o.get("tree_mem"), o.get("verified"))
    line("CRIU (→%s)" % (c.get("sink") or "?"), c.get("dump_ms"), c.get("restore_run_ms"),
         c.get("restore_all_ms"), c.get("size"), c.get("tree_mem"), c.get("verified"))
    L.append("")
    extra = []
    if o.get("ckpt_null_ms"):
        extra.append("ours to /dev/null: %s" % fms(o["ckpt_null_ms"]))
    sc, sr = o.get("stats_ckpt") or {}, o.get("stats_restart") or {}
    if sc.get("pages_written") is not None:
        extra.append("our checkpoint wrote %d pages and %d as shared with a process written "
                     "before (the kernel's stats line: pages_written, pages_cow)"
                     % (sc["pages_written"], sc.get("pages_cow") or 0))
    if sr.get("pages_restored") is not None:
        extra.append("our restart read %d pages and mapped %d shared (%d copied)"
                     % (sr["pages_restored"], sr.get("pages_cow") or 0,
                        sr.get("pages_cow_copied") or 0))
    if c.get("pages_compared") is not None:
        extra.append("CRIU's restore compared %d pages with the parent's and kept %d shared"
                     % (c["pages_compared"], c.get("pages_skipped_cow") or 0))
    if c.get("memwrite_ms") is not None:
        extra.append("CRIU's memwrite (writing its pages) %s of its dump" % fms(c["memwrite_ms"]))
    if s.get("tree_ready_ms"):
        extra.append("the tree takes %s to set up (fill and %d reads)"
                     % (fms(s["tree_ready_ms"]), procs - 1))
    extra.append("medians of %s run(s) of ours and %s of CRIU"
                 % ((o.get("tree_mem") or {}).get("runs", 0), (c.get("tree_mem") or {}).get("runs", 0)))
    L.append("Also: " + "; ".join(extra) + ".")
    L.append("")
    return L


def lazy_lines(summary):
    """The lazy restart section of results.md"""
    L = ["## Lazy restart (post-copy)", ""]
    L.append(
        "`benchd row NAME RUNS --lazy` (ours only: CRIU's lazy pages need its page server and "
        "a userfaultfd daemon): the workload is checkpointed with "
        "`CHECKPOINT_LAZY|CHECKPOINT_KILL` to a tmpfs file and restarted with `RESTART_LAZY`, "
        "which reads everything but the private anonymous pages and returns; each run of up "
        "to 256 pages is then read from the image, checked against its CRC and mapped on "
        "first touch, and a kernel worker fetches the rest. Times from the call to "
        "restart(2): *returns*; *first beat*, the workload's first heartbeat after the "
        "restore (its first instruction, within the 1 ms it beats at); *all checked*: asked "
        "at the first beat, the workload has checked its state, which reads every page it "
        "wrote (the faults racing the worker); *all fetched*: the image can be opened for "
        "writing again (the kernel denies writes until every page is in; polled every 2 ms). "
        "*The check alone*: the same check again, everything in. The eager restart is the "
        "row of the same workload (until restart(2) returns / its first beat).")
    L.append("")
    L.append("| row | ckpt→tmpfs | image | pages lazy / read at restart | restart(2) returns "
             "| first beat | all checked | all fetched | the check alone | eager restart: "
             "returns / first beat | state checked | runs |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, eager, mib in LAZY_ROWS:
        s = summary.get(name)
        if not s or not s.get("lazy"):
            continue
        lz = s["lazy"]
        e = summary.get(eager, {}).get("ours", {})
        pl, pr = lz.get("pages_lazy"), lz.get("pages_restored")
        L.append("| %s (%d MiB) | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s / %s | %s | %d |"
                 % (name, mib, fms(lz.get("ckpt_tmpfs_ms")), fsize(lz.get("size")),
                    "%d" % pl if pl is not None else "–", "%d" % pr if pr is not None else "–",
                    fms(lz.get("restart_ms")), fms(lz.get("first_beat_ms")),
                    fms(lz.get("verified_ms")), fms(lz.get("fetched_ms")),
                    fms(lz.get("check_alone_ms")), fms(e.get("restart_ms")),
                    fms(e.get("restart_run_ms")), lz.get("verified") or "–", lz["restarts"]))
    L.append("")
    tg = lazy_targets(summary)
    if tg:
        L.append("Target: %s: **%s** (%s)." % (tg[0]["target"], "met" if tg[0]["met"] else "missed",
                                             tg[0]["value"]))
    else:
        L.append("Target: lazy restart of 1 GiB runs its first instruction in ≤ %d ms: not "
                 "measured here (row lazy-1g not run)." % LAZY_TARGET_MS)
    L.append("")
    return L


def esc_md(s):
    return str(s).replace("|", "\\|")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", help="benchd's raw.jsonl; without it, only the runc row")
    ap.add_argument("--runc", help="bench/runc.sh's runc.jsonl")
    ap.add_argument("--env")
    ap.add_argument("--criu-check")
    ap.add_argument("--config-sha")
    ap.add_argument("--kernel-sha")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--dirty", default="", help="files that differed from the commit")
    ap.add_argument("--quick", default="0")
    ap.add_argument("--runs", default="?")
    ap.add_argument("--guest-status", default="?")
    ap.add_argument("--seconds", default=None)
    ap.add_argument("--date", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile-dir")
    ap.add_argument("--system-map")
    ap.add_argument("--uts", help="UTS_VERSION of the kernel booted")
    a = ap.parse_args()

    env = {}
    if a.env and os.path.exists(a.env):
        for line in open(a.env):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    tree = "clean"
    if a.dirty.strip():
        tree = "with uncommitted changes to: " + ", ".join(a.dirty.split())
    meta = {
        "date": a.date,
        "commit": a.commit,
        "tree": tree,
        "config_sha256": a.config_sha,
        "kernel": env.get("uname"),
        "bzimage_sha256": a.kernel_sha,
        "criu": env.get("criu"),
        "runc": env.get("runc"),
        "perf": env.get("perf"),
        "guest": "%s CPUs (%s), %s KiB" % (env.get("cpus"), env.get("cpu"), env.get("memtotal_kib")),
        "thp": env.get("thp"),
        "mode": "BENCH_QUICK=1 (reduced set, 1 run)" if a.quick == "1" else "full",
        "runs": a.runs,
        "guest_status": a.guest_status,
        "guest_seconds": a.seconds,
    }
    os.makedirs(a.out, exist_ok=True)
    runc = load(a.runc) if a.runc else []
    if not a.raw:
        if runc:
            write_runc(a.out, runc, meta, link_only=True)
        print("report: the runc row only: %s" % os.path.join(a.out, "runc.md"))
        return
    recs = load(a.raw)
    summary, hws = summarize(recs)
    tg = targets(summary, hws)
    uname = env.get("uname", "")
    if a.uts and a.uts not in uname:
        # Not the kernel whose System.map we have: its names would be wrong
        print("report: the guest ran '%s', not '%s': no profile symbols" % (uname, a.uts),
              file=sys.stderr)
        a.system_map = None
    profs = profiles(a.profile_dir, a.system_map)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "hw": hws, "rows": summary, "targets": tg,
                   "profiles": profs, "runc": summarize_runc(runc) if runc else None},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    series = SERIES
    if a.quick == "1":
        series = [(t, xl, [(n, x) for n, x in rows if n in summary]) for t, xl, rows in SERIES]
    write_svg(os.path.join(a.out, "scaling.svg"), summary, series,
              "%s, config %s, %s" % (a.commit[:12], (meta["config_sha256"] or "?")[:12],
                                     meta["mode"]))
    write_md(os.path.join(a.out, "results.md"), meta, summary, hws, tg, profs)
    if runc:
        write_runc(a.out, runc, meta, link_only=False)
    print("report: %d rows, %d targets (%d met)" % (len(summary), len(tg),
                                                    sum(1 for x in tg if x["met"])))


if __name__ == "__main__":
    main()
