#!/usr/bin/env python3
"""Writes one benchmark's figures into docs/BENCHMARKS.md (between its markers) and its chart
as an SVG beside it. Usage: bench-report.py feedback DATE SERVER_RATE PG_RATE RATIO P50 P99
CONNECTIONS DURATION ACCEPTED NON2XX"""
import pathlib
import platform
import subprocess
import sys

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def bar_chart(title, bars, unit, digits=0):
    """A small horizontal bar chart; bars are (label, value, colour)."""
    width, left, bar_h, gap = 640, 230, 28, 14
    top = 44
    height = top + len(bars) * (bar_h + gap) + 20
    peak = max(v for _, v, _ in bars) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{title}">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="16" y="26" font-family="sans-serif" font-size="16" font-weight="bold" fill="#1f2933">{title}</text>',
    ]
    for i, (label, value, colour) in enumerate(bars):
        y = top + i * (bar_h + gap)
        w = (width - left - 110) * value / peak
        out.append(f'<text x="16" y="{y + 19}" font-family="sans-serif" font-size="13" fill="#1f2933">{label}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
        out.append(f'<text x="{left + w + 8:.1f}" y="{y + 19}" font-family="sans-serif" font-size="13" fill="#1f2933">{value:,.{digits}f} {unit}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def replace_section(name, body):
    path = DOCS / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else (
        "# Benchmarks\n\nFigures measured on the development machine (2 cores, 24 GiB, Debian 12) by the\n"
        "bench commands in the Makefile. Each section is rewritten by its command.\n"
    )
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body}{end}"
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def search(date, stories, latency, distinct, zipf, before_latency="", before_distinct="", before_name=""):
    import json
    r = json.loads(latency)
    rps, errors = (float(x) for x in distinct.split())
    zipf_rps, zipf_errors = (float(x) for x in zipf.split())
    b = json.loads(before_latency) if before_latency else None
    b_rps = float(before_distinct.split()[0]) if before_distinct else None
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    bars = [("p50", r["p50"], "#0b5cad"), ("p95", r["p95"], "#0b5cad"), ("p99", r["p99"], "#0b5cad")]
    if b:
        bars += [("p95 before", b["p95"], "#7b8794")]
    bars += [("goal for p95", 20, "#7b8794")]
    (DOCS / "bench-search.svg").write_text(bar_chart(
        f"Search latency, uncached, over {int(stories):,} stories ({date})", bars, "ms"))
    rate_bars = [("distinct uncached", rps, "#0b5cad")]
    if b_rps:
        rate_bars += [("distinct uncached, before", b_rps, "#7b8794"), ("goal: 2 × before", 2 * b_rps, "#c7ccd1")]
    rate_bars += [("Zipf mix, cache on", zipf_rps, "#0b5cad"), ("goal for the mix", 10000, "#c7ccd1")]
    (DOCS / "bench-search-rate.svg").write_text(bar_chart(
        f"Searches a second at 64 connections ({date})", rate_bars, "/s"))
    met = lambda ok: "met" if ok else "not met"
    rows = f"| this code | {r['p50']} ms | {r['p95']} ms | {r['p99']} ms | {r['mean']} ms | {rps:,.0f} /s |\n"
    if b:
        rows += f"| before ({before_name}) | {b['p50']} ms | {b['p95']} ms | {b['p99']} ms | {b['mean']} ms | {b_rps:,.0f} /s |\n"
    ab = ""
    if b_rps:
        ab = (f"Distinct uncached queries: {rps:,.0f} a second against {b_rps:,.0f} before, "
              f"{rps / b_rps:.2f} × (goal ≥ 2 ×: {met(rps >= 2 * b_rps)}).\n")
    body = f"""## Search

`make bench-search`, {date}, {cpu} cores: {int(stories):,} generated stories (`dateline generate`)
plus the demo's, with the demo's {54} starter synonym sets; server, PostgreSQL and the load
generator on one machine. The queries (`bench/search_queries.py`): 1,000 realistic ones, most
popular first — conditions, drugs, brand names found through synonyms, conditions with
treatments or outcomes, journals and 24 common misspellings found through spelling correction.
{"The earlier code was measured on a copy of the same data, right before this code, by the same script." if b else ""}

- **Latency**: {r["n"]} sequential `GET /search?q=…` over one kept-alive loopback connection,
  the queries in turn, page cache off (every search reaches PostgreSQL), from a Python client
  (its own overhead included), after a warm-up. Synonyms and spelling correction on.
- **Distinct uncached queries**: wrk, {64} connections, the 1,000 queries in turn, page cache off.
- **Zipf mix**: wrk, 64 connections, each request a query drawn by a Zipf law (s = 1) over the
  1,000, page cache on (as in production; pages without results are not kept), after a warm-up
  run; the search limit set out of the way (its counting still runs on every request).

| code | p50 | p95 | p99 | mean | distinct uncached, 64 conn. |
|---|---:|---:|---:|---:|---:|
{rows}
Goal: p95 ≤ 20 ms ({met(r["p95"] <= 20)}).
{ab}Zipf mix of 1,000 queries: {zipf_rps:,.0f} a second (goal ≥ 10,000: {met(zipf_rps >= 10000)}), {zipf_errors:.0f} answers other than 2xx.

![Search latency](bench-search.svg)

![Searches a second](bench-search-rate.svg)

"""
    replace_section("search", body)


def latency_ms(text):
    """wrk's latency ("812.00us", "1.20ms", "1.01s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def pages(date, stories, conns, duration, rounds, startup_ms, rss_kb, rss_after_kb, results):
    import collections
    import statistics
    rows = collections.OrderedDict()
    for line in pathlib.Path(results).read_text().splitlines():
        name, rps, p50, p99, errors, cpu_us = line.split("\t")
        rows.setdefault(name, []).append(
            (float(rps), latency_ms(p50), latency_ms(p99), int(errors), float(cpu_us)))
    summary = {
        name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
               statistics.median(r[2] for r in runs), sum(r[3] for r in runs),
               statistics.median(r[4] for r in runs))
        for name, runs in rows.items()
    }
    plain = summary["nginx: story page"][0]
    plain_304 = summary["nginx: 304"][0]
    same = summary["nginx, same headers: story page"][0]
    same_304 = summary["nginx, same headers: 304"][0]
    identity = "story page, no Accept-Encoding"
    plain_identity = summary[f"nginx: {identity}"][0]
    same_identity = summary[f"nginx, same headers: {identity}"][0]
    goals = {
        "Dateline: cached story page": ("≥ 1.0 × nginx", 1.0),
        f"Dateline: cached {identity}": ("≥ 1.0 × nginx, both without compression", 1.0),
        "Dateline: 304": ("≥ 1.0 × nginx's 304", 1.0),
        "Dateline: uncached story page": ("≥ 0.25 × nginx", 0.25),
    }
    table = [
        "| case | requests/s | p50 | p99 | server CPU an answer | × nginx, same headers | × nginx, its own headers | goal (against nginx with the same headers) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    bars = []
    for name, (rps, p50, p99, errors, cpu_us) in summary.items():
        if "304" in name:
            base_same, base_plain = same_304, plain_304
        elif identity in name:
            base_same, base_plain = same_identity, plain_identity
        else:
            base_same, base_plain = same, plain
        ratio, ratio_plain = rps / base_same, rps / base_plain
        goal = ""
        if name in goals:
            text, want = goals[name]
            goal = f"{text}: {'met' if ratio >= want else 'not met'}"
        if name == "Dateline: cached story page":
            goal += f"; p99 ≤ 10 ms: {'met' if p99 <= 10 else 'not met'}"
        note = f" ({errors:,} non-2xx)" if errors and "304" not in name else ""
        table.append(
            f"| {name}{note} | {rps:,.0f} | {p50:.2f} ms | {p99:.2f} ms | {cpu_us:.1f} µs | {ratio:.2f} | {ratio_plain:.2f} | {goal} |")
        if not name.startswith("nginx"):
            label = name.replace("Dateline: ", "")
            bars.append((label, ratio * 100, "#0b5cad" if ratio >= 1 else "#7b8794"))
            bars.append((f"  against bare nginx", ratio_plain * 100, "#9fc3e8" if ratio_plain >= 1 else "#c5cbd3"))
    (DOCS / "bench-pages.svg").write_text(bar_chart(
        f"Requests per second as % of nginx with the same headers, and of bare nginx ({date})", bars, "%"))
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    rss, rss_after = int(rss_kb) / 1024, int(rss_after_kb) / 1024
    body = f"""## Serving pages, against nginx

`make bench`, {date}, {cpu} cores, {platform.machine()}: {int(stories):,} generated stories;
wrk on loopback, {conns} connections, 2 threads, {duration} s per case and round, {rounds}
rounds with the cases interleaved (medians shown). Every request sends `Accept-Encoding: gzip`,
as browsers and CDNs do, but for the "no Accept-Encoding" cases (scripts, monitors, some bots),
which get the page uncompressed from both servers and are compared with each other. nginx serves the very same story page from a file (its gzip as
`gzip_static`) with `sendfile`, `open_file_cache`, no access log and one worker per core, twice:
once with the same response headers Dateline sends (`Cache-Control`, `Vary`, `Surrogate-Key`,
the security headers and a request id, copied from Dateline's answer by the script), as a static
server in front of these pages would have to, and once with only its own headers ("bare
nginx", about 550 bytes less per answer). Dateline answers with its whole stack's headers
(request id, security headers, cache headers); cache hits are answered by the cache front
before the router (docs/DESIGN.md). The uncached case is a second Dateline with
`DATELINE_CACHE_MB=0`, asked for one story by every connection, and then for a story picked at
random among all {int(stories):,} on each request (story reads are batched under load, and
concurrent reads of one story share a row: the random case shows the cost without that); 304s
are conditional requests with each server's own ETag; ratios of 304s are to nginx's 304s.
"Server CPU an answer" is the user and system time of the server's processes (nginx's workers,
or Dateline's whole process with every thread) during the case, divided by the answers wrk
counted: what the server itself spends, without wrk's share of the two cores (or
PostgreSQL's, for the uncached pages).

{chr(10).join(table)}

- Start to first `200` (migrations applied): **{startup_ms} ms** (goal ≤ 1 s: {'met' if int(startup_ms) <= 1000 else 'not met'}).
- Resident memory of the caching server with all {int(stories):,} story pages cached: **{rss:.0f} MB**
  (goal ≤ 100 MB: {'met' if rss <= 100 else 'not met'}); {rss_after:.0f} MB after the whole run.

![Requests per second as % of nginx](bench-pages.svg)

"""
    replace_section("pages", body)


def media(date, conns, duration, rounds, ms_24, files_24, peak_50, ms_50, upload_24, size, rss_kb, results):
    rows = {}
    for line in open(results):
        name, rps, p50, p99, errors = line.rstrip("\n").split("\t")
        rows.setdefault(name, []).append((float(rps), p50, p99, int(errors)))
    med = {}
    for name, runs in rows.items():
        runs.sort(key=lambda r: r[0])
        med[name] = runs[len(runs) // 2]
    nginx = med["nginx: image file"][0]
    same = med["nginx, same headers: image file"][0]
    ours = med["Dateline: cached rendition"]
    ratio_same, ratio_bare = ours[0] / same, ours[0] / nginx
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    met = lambda ok: "met" if ok else "not met"
    (DOCS / "bench-media.svg").write_text(bar_chart(
        f"A cached 1200-pixel rendition, requests per second ({date})",
        [("nginx: the same file", nginx, "#7b8794"),
         ("nginx, same headers", same, "#9aa5b1"),
         ("Dateline: cached rendition", ours[0], "#0b5cad")],
        "/s",
    ))
    table = "\n".join(
        f"| {name} | {r[0]:,.0f} | {r[1]} | {r[2]} | {r[3]} |" for name, r in med.items()
    )
    body = f"""## Images

`make bench-media`, {date}, {cpu} cores, {platform.machine()}. Photo-like JPEGs are drawn by
`dateline media-bench make` (3:2, gradients with fine noise, quality 85); each measurement runs
in a process of its own (`dateline media-bench process`), which does what an upload does:
read the header, decode under limits, turn upright, resize every width with
`fast_image_resize` (Lanczos 3), encode JPEG and PNG with `image` and WebP with libwebp, the
encodes on two threads.

| figure | measured | goal |
|---|---:|---|
| renditions of a 24-megapixel JPEG ({files_24} files), median of 5 | **{float(ms_24) / 1000:.2f} s** | ≤ 2 s: {met(float(ms_24) <= 2000)} |
| peak memory while processing a 50-megapixel JPEG (the highest of 3; {float(ms_50) / 1000:.1f} s) | **{float(peak_50):.0f} MB** | < 400 MB: {met(float(peak_50) < 400)} |
| the whole upload of the 24-megapixel JPEG through the API (curl, median of 3; the renditions stored in PostgreSQL) | {float(upload_24):.2f} s | |
| a cached 1200-pixel rendition ({int(size):,} bytes) × nginx serving the same file with the same headers | **{ratio_same:.2f} ×** | ≥ 1.0 ×: {met(ratio_same >= 1.0)} |
| the same × nginx with its own headers only | {ratio_bare:.2f} × | |

![A cached rendition against nginx](bench-media.svg)

wrk on loopback, {conns} connections, 2 threads, {duration} s per case and round, {rounds}
rounds interleaved (medians shown); the server's resident memory afterwards: {int(rss_kb) // 1024} MB.
Renditions are kept in memory apart from pages (`DATELINE_MEDIA_CACHE_MB`) and answered before
the router, as cached pages are.

| case | requests/s | p50 | p99 | non-2xx |
|---|---:|---:|---:|---:|
{table}

"""
    replace_section("media", body)


def overhead(date, *rows):
    """The chart of scripts/bench-overhead.sh: server CPU a request of each case (rows are
    `name|requests a second|µs a request`, BEFORE first). Its table is written by hand into
    docs/BENCHMARKS.md with the reading of it."""
    bars = []
    for i, row in enumerate(rows):
        name, _, us = row.split("|")
        bars.append((name.replace("after, ", ""), float(us), "#7b8794" if i == 0 else "#0b5cad"))
    (DOCS / "bench-overhead.svg").write_text(bar_chart(
        f"Cached story page: CPU a request ({date})",
        bars, "µs", digits=2))


def main():
    kind = sys.argv[1]
    if kind == "overhead":
        overhead(*sys.argv[2:])
        return
    if kind == "media":
        media(*sys.argv[2:15])
        return
    if kind == "pages":
        pages(*sys.argv[2:11])
        return
    if kind == "search":
        search(*sys.argv[2:])
        return
    if kind != "feedback":
        sys.exit(f"unknown benchmark {kind}")
    date, server, pg, ratio, p50, p99, conns, duration, accepted, non2xx = sys.argv[2:12]
    server, pg = float(server), float(pg)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    (DOCS / "bench-feedback.svg").write_text(bar_chart(
        f"Feedback writes per second ({date}; ratio {ratio})",
        [("Dateline: accepted posts", server, "#0b5cad"), ("pgbench: single-row inserts", pg, "#7b8794")],
        "/s",
    ))
    body = f"""## Feedback throughput

`make bench-feedback`, {date}, {cpu} cores, {platform.machine()}: {conns} connections,
{duration} for each side, the rounds interleaved (server, pgbench, server, …) after a
checkpoint each, in one run on one database. Dateline receives JSON posts from many simulated
clients (behind a trusted proxy on loopback, so each has its own address), validates them, checks
rate limits and duplicates and stores them (`wrk`); the baseline is `pgbench` inserting single
rows into the same `feedback` table.

| what | per second | latency p50 | latency p99 |
|---|---:|---:|---:|
| Dateline, accepted feedback posts | {server:,.0f} | {p50} | {p99} |
| pgbench, single-row inserts | {pg:,.0f} | | |
| **ratio** | **{ratio}** (goal ≥ 0.6) | | |

{accepted} posts were accepted and stored, {non2xx} refused.

![Feedback writes per second](bench-feedback.svg)

"""
    replace_section("feedback", body)


if __name__ == "__main__":
    main()
