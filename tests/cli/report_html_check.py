#!/usr/bin/env python3
"""Independent checks of `shardsim report --html / --png` output (used by
report_html.sh). Standard library only: the PNG decoder is written here
(zlib + the five PNG filters) so nothing of shardsim or gnuplot is trusted.

  report_html_check.py png FILE MIN_COLOURS MIN_INK     image not blank
  report_html_check.py dom DOMFILE ID...                 every plot in the DOM
  report_html_check.py cdf HTML DB RUN_ID LABEL          CDF = sorted latencies
  report_html_check.py sweep HTML DB SWEEP METRIC        sweep means and CIs
  report_html_check.py events HTML END                   heat map and KV series
Each prints what failed and exits 1, or exits 0.
"""
import json
import math
import re
import sqlite3
import struct
import sys
import zlib


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or interlace or ctype not in (0, 2, 4, 6):
        fail(f"{path}: unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path, min_colours, min_ink):
    w, h, bpp, rows = png_pixels(path)
    colours, ink = set(), 0
    for r in rows[::2]:  # every other row: plenty for the statistics, twice as fast
        for x in range(0, w * bpp, bpp):
            px = r[x:x + min(bpp, 3)]
            colours.add(px)
            if sum(px) < 3 * 235:
                ink += 1
    frac = ink / (w * ((h + 1) // 2))
    print(f"{path}: {w}x{h}, {len(colours)} distinct colours, {frac:.4f} of pixels not white")
    if len(colours) < min_colours:
        fail(f"{path}: only {len(colours)} distinct colours (blank?), expected >= {min_colours}")
    if frac < min_ink:
        fail(f"{path}: only {frac:.4f} of the pixels are drawn, expected >= {min_ink}")


def check_dom(dom_path, ids):
    dom = open(dom_path, encoding="utf-8").read()
    for pid in ids:
        m = re.search(r'<figure id="plot-%s" class="([^"]*)">(.*?)</figure>' % re.escape(pid), dom, re.S)
        if not m:
            fail(f"plot-{pid}: no <figure> in the rendered DOM")
        if "placeholder" in m.group(1) or "<svg" not in m.group(2):
            fail(f"plot-{pid}: no drawn SVG (a placeholder?)")
        if not re.search(r"<figcaption>[^<]+</figcaption>", m.group(2)):
            fail(f"plot-{pid}: no title")
        # gnuplot draws the axis labels as SVG text: both present, each with a unit "(...)"
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", m.group(2))
        if pid != "node-util" and sum(1 for t in texts if re.search(r"\(.+\)", t)) < 2:
            fail(f"plot-{pid}: fewer than two axis labels with units in {texts[:40]}")
    print(f"DOM: {len(ids)} plots present, each with a title, an SVG and labelled axes")


def plot_data(html_path, pid):
    html = open(html_path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" class="plot-data" id="data-%s">(.*?)</script>'
                  % re.escape(pid), html, re.S)
    if not m:
        fail(f"no data for plot {pid}")
    return json.loads(m.group(1))


def check_cdf(html_path, db_path, run_id, label):
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = con.execute("SELECT arrival_s, finish_s FROM requests WHERE run_id = ? AND status = 'ok'",
                       (int(run_id),)).fetchall()
    want = sorted(f - a for a, f in rows)
    series = [s for s in plot_data(html_path, "latency-cdf")["series"] if s["label"] == label]
    if len(series) != 1:
        fail(f"latency CDF: no single series labelled {label!r}")
    s = series[0]
    if s["x"] != want:
        fail(f"latency CDF points differ from the sorted latencies ({len(s['x'])} vs {len(want)})")
    n = len(want)
    if s["y"] != [(i + 1) / n for i in range(n)]:
        fail("latency CDF heights are not (i + 1) / n")
    print(f"CDF: {n} points equal the sorted latencies of run {run_id} from SQL")


def t_cdf(t, k):
    """Student's t CDF in closed form for k = 1..3 degrees of freedom."""
    if k == 1:
        return 0.5 + math.atan(t) / math.pi
    if k == 2:
        return 0.5 + t / (2 * math.sqrt(2 + t * t))
    if k == 3:
        u = t / math.sqrt(3)
        return 0.5 + (u / (1 + u * u) + math.atan(u)) / math.pi
    fail(f"no t table for {k} degrees of freedom")


def t975(k):
    """t(0.975, k) by bisection on the closed-form CDF (not GSL, which the code uses)."""
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, k) < 0.975:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def check_sweep(html_path, db_path, sweep, metric):
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    axes = json.loads(con.execute("SELECT axes_json FROM sweeps WHERE name = ?", (sweep,)).fetchone()[0])
    rows = con.execute("SELECT p.axes_json, m.value FROM sweep_points p JOIN sweeps s ON s.id = p.sweep_id"
                       " JOIN metrics m ON m.run_id = p.run_id AND m.name = ? WHERE s.name = ? AND"
                       " p.status = 'ok' AND m.value IS NOT NULL", (metric, sweep)).fetchall()
    groups = {}
    for ax, v in rows:
        a = json.loads(ax)
        x = a.pop(axes[0])
        groups.setdefault(json.dumps(a, separators=(",", ":")), {}).setdefault(x, []).append(v)
    series = plot_data(html_path, "sweep")["series"]
    lines = [s for s in series if s["label"] is not None]
    bands = [s for s in series if s["label"] is None]
    if len(lines) != len(groups) or len(bands) != len(groups):
        fail(f"sweep: {len(lines)} lines / {len(bands)} bands for {len(groups)} groups")
    checked = 0
    for line, band in zip(lines, bands):
        g = groups.get(line["label"])
        if g is None:
            fail(f"sweep: unexpected series {line['label']}")
        for i, x in enumerate(line["x"]):
            vals = g[x]
            n = len(vals)
            mean = sum(vals) / n
            sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
            h = t975(n - 1) * sd / math.sqrt(n) if n > 1 else 0.0
            for got, want, what in ((line["y"][i], mean, "mean"), (band["y"][i], mean - h, "CI low"),
                                    (band["z"][i], mean + h, "CI high")):
                if abs(got - want) > 1e-9 * max(1.0, abs(want)):
                    fail(f"sweep {line['label']} x={x}: {what} {got} != {want}")
            checked += 1
    print(f"sweep: {checked} means and 95 % CIs equal an independent computation")


def check_events(html_path, end):
    """The hand-made records of report_html.sh: node 0 computes [0, 10] and
    [5, 20] (busy [0, 20] once, the slices overlap), node 1 [30, 40]; KV:
    node 0 +1 MiB at 1, node 1 +2 MiB at 2, node 0 -1 MiB at 5."""
    end = float(end)
    w = end / 60
    busy = {0: [(0.0, 20.0)], 1: [(30.0, 40.0)]}
    u = plot_data(html_path, "node-util")["series"][0]
    for x, y, z in zip(u["x"], u["y"], u["z"]):
        k = int(x / w)
        lo, hi = k * w, (k + 1) * w
        want = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in busy.get(int(y), [])) / w
        if abs(z - want) > 1e-9:
            fail(f"node-util: node {y} bin {k}: {z} != {want}")
    kv = {s["label"]: s for s in plot_data(html_path, "kv-memory")["series"]}
    want_total = ([0, 1, 2, 5, end], [0, 1, 3, 2, 2])
    t = kv.get("all nodes")
    if not t or (t["x"], t["y"]) != (list(map(float, want_total[0])), list(map(float, want_total[1]))):
        fail(f"kv-memory total: {t and (t['x'], t['y'])} != {want_total}")
    for name, xs, ys in (("node 1", [0, 2, end], [0, 2, 2]), ("node 0", [0, 1, 5, end], [0, 1, 0, 0])):
        got = kv.get(name)
        if not got or (got["x"], got["y"]) != (list(map(float, xs)), list(map(float, ys))):
            fail(f"kv-memory {name}: {got and (got['x'], got['y'])} != {(xs, ys)}")
    print(f"events: {len(u['z'])} heat-map cells and the KV series equal hand computation")


def main(argv):
    cmd = argv[1]
    if cmd == "png":
        check_png(argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "dom":
        check_dom(argv[2], argv[3:])
    elif cmd == "cdf":
        check_cdf(argv[2], argv[3], argv[4], argv[5])
    elif cmd == "sweep":
        check_sweep(argv[2], argv[3], argv[4], argv[5])
    elif cmd == "events":
        check_events(argv[2], argv[3])
    else:
        fail(f"unknown check {cmd}")


if __name__ == "__main__":
    main(sys.argv)
