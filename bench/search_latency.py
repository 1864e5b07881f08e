#!/usr/bin/env python3
"""Search latency through the whole server: sequential GET /search requests over one kept-alive
loopback connection (as a browser or CDN would hold) with a mix of realistic queries (the 22
below, or every line of the file given as the third argument, in turn); prints p50 / p95 / p99
in milliseconds as JSON."""
import json
import statistics
import sys
import time
import urllib.parse
import urllib.parse as _up
import http.client

BASE = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 600

QUERIES = [
    "remission", "breast cancer", "type 2 diabetes remission", "\"heart failure\"", "aspirin stroke",
    "metformin", "depression -anxiety", "vitamin D", "immunotherapy melanoma", "lancet", "asthma or migraine",
    "blood pressure", "trastuzumab", "sleep apnoea", "Mediterranean diet", "long COVID", "walking",
    "kidney", "randomised trial", "psoriasis injection", "HIV twice-yearly injection", "obesity",
]


if len(sys.argv) > 3:
    with open(sys.argv[3], encoding="utf-8") as f:
        QUERIES = [line.strip() for line in f if line.strip()]

_base = _up.urlsplit(BASE)
connection = http.client.HTTPConnection(_base.hostname, _base.port)


def fetch(q):
    start = time.perf_counter()
    connection.request("GET", f"/search?q={urllib.parse.quote_plus(q)}")
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    return (time.perf_counter() - start) * 1000


for q in QUERIES[:50]:  # warm up
    fetch(q)
samples = [fetch(QUERIES[i % len(QUERIES)]) for i in range(ROUNDS)]
cuts = statistics.quantiles(samples, n=100)
print(json.dumps({"n": ROUNDS, "p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
                  "mean": round(statistics.fmean(samples), 2)}))
