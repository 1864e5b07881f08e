#!/usr/bin/env python3
"""Requests every published story page once over one kept-alive connection, so that the
rendered-page cache holds them all; shows progress. Usage: warm_cache.py BASE DATABASE_URL"""
import http.client
import subprocess
import sys
import time
import urllib.parse

base, database_url = sys.argv[1], sys.argv[2]
slugs = subprocess.run(
    ["psql", "-qtA", database_url, "-c", "SELECT slug FROM articles WHERE status = 'published' AND deleted_at IS NULL"],
    check=True, capture_output=True, text=True,
).stdout.split()
target = urllib.parse.urlsplit(base)
connection = http.client.HTTPConnection(target.hostname, target.port)
started = time.monotonic()
for n, slug in enumerate(slugs, 1):
    connection.request("GET", f"/research-news/{slug}", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"/research-news/{slug} answered {response.status}")
    if n % 500 == 0 or n == len(slugs):
        rate = n / (time.monotonic() - started)
        print(f"\r    {n:,} of {len(slugs):,} story pages rendered ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
print(file=sys.stderr)
