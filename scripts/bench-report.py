#!/usr/bin/env python3
"""Writes one benchmark's figures into docs/BENCHMARKS.md (between its markers) and its chart
as an SVG beside it. Usage: bench-report.py feedback DATE SERVER_RATE PG_RATE RATIO P50 P99
CONNECTIONS DURATION ACCEPTED NON2XX"""
import pathlib
import platform
import subprocess
import sys

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def bar_chart(title, bars, unit):
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
        out.append(f'<text x="{left + w + 8:.1f}" y="{y + 19}" font-family="sans-serif" font-size="13" fill="#1f2933">{value:,.0f} {unit}</text>')
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


def search(date, stories, result):
    import json
    r = json.loads(result)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    (DOCS / "bench-search.svg").write_text(bar_chart(
        f"Search latency over {int(stories):,} stories ({date})",
        [("p50", r["p50"], "#0b5cad"), ("p95", r["p95"], "#0b5cad"), ("p99", r["p99"], "#0b5cad"), ("goal for p95", 20, "#7b8794")],
        "ms",
    ))
    met = "met" if r["p95"] <= 20 else "not met"
    body = f"""## Search latency

`make bench-search`, {date}, {cpu} cores: {int(stories):,} generated stories (`dateline generate`),
{r["n"]} sequential `GET /search?q=…` requests over loopback with 22 mixed queries (words,
phrases, `or`, exclusions), measured from a Python client (its own overhead included), after a
warm-up.

| p50 | p95 | p99 | mean |
|---:|---:|---:|---:|
| {r["p50"]} ms | {r["p95"]} ms | {r["p99"]} ms | {r["mean"]} ms |

Goal: p95 ≤ 20 ms ({met}).

![Search latency](bench-search.svg)

"""
    replace_section("search", body)


def main():
    kind = sys.argv[1]
    if kind == "search":
        search(*sys.argv[2:5])
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

`make bench-feedback`, {date}, {cpu} cores, {platform.machine()}: {conns} connections for
{duration} s each, in one run on one database. Dateline receives JSON posts from many simulated
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
