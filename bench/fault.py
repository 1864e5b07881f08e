"""Fault test driver (see scripts/fault-test.sh): steady writes through the server while
PostgreSQL crashes and restarts three times; then every acknowledged write is checked."""

import http.client
import json
import os
import random
import subprocess
import threading
import time
from datetime import datetime, timezone

DB = os.environ["FAULT_DB"]
HTTP_PORT = int(os.environ["FAULT_HTTP_PORT"])
BIN = os.environ["FAULT_BIN"]
PG_CTL = os.environ["FAULT_PG_CTL"]
PG_DATA = os.environ["FAULT_PG_DATA"]
AS_ROOT = os.environ.get("FAULT_AS_ROOT") == "1"
OUTAGES = 3
DOWN_SECS = 2.0
LOAD_SECS = 8.0  # of steady load before, between and after the crashes
STORIES = 4
FEEDBACK_THREADS = 6
EDIT_THREADS = 4


def pg_ctl(*args):
    cmd = [PG_CTL, "-D", PG_DATA, *args]
    if AS_ROOT:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def psql(sql):
    out = subprocess.run(["psql", "-qtAX", DB, "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def request(method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


def main():
    env = dict(os.environ, DATABASE_URL=DB, RUST_LOG="warn", DATELINE_TRUSTED_PROXIES="127.0.0.1",
               DATELINE_VIEWS_FLUSH_SECS="1")
    subprocess.run([BIN, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "user", "add", "--email", "fault@example.org", "--name", "Fault Editor",
                    "--role", "editor"], env=env, input="plover-quartz-lantern-47\n", text=True,
                   check=True, stdout=subprocess.DEVNULL)
    token = subprocess.run([BIN, "token", "add", "--email", "fault@example.org", "--name", "fault"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    server = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{HTTP_PORT}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open("/tmp/dateline-fault.log", "w"))
    try:
        for _ in range(200):
            try:
                if request("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        stories = []
        for n in range(STORIES):
            status, headers, data = request("POST", "/api/v1/articles", {
                "title": f"Fault story {n}", "slug": f"fault-{n}",
                "body_markdown": "A story edited while the database crashes."}, auth)
            assert status == 201, (status, data)
            story = json.loads(data)
            status, _, _ = request("POST", f"/api/v1/articles/{story['id']}/publish", None, auth)
            assert status == 200
            stories.append(story["id"])

        stop = threading.Event()
        lock = threading.Lock()
        acked_feedback, acked_edits = [], []  # (marker) / (article id, version, title)
        counts = {"feedback_sent": 0, "feedback_acked": 0, "feedback_refused": 0,
                  "edits_sent": 0, "edits_acked": 0, "edits_refused": 0, "edits_stale": 0,
                  "connection_errors": 0, "other": 0}

        def bump(key):
            with lock:
                counts[key] += 1

        def post_feedback(worker):
            n = 0
            while not stop.is_set():
                n += 1
                marker = f"fault-{worker}-{n}-{random.randrange(10**9)}"
                ip = f"10.{worker}.{n // 250 % 250}.{n % 250 + 1}"
                bump("feedback_sent")
                try:
                    status, _, _ = request("POST", f"/research-news/fault-{n % STORIES}/feedback",
                                           {"helpful": True, "comment": marker},
                                           {"Content-Type": "application/json", "X-Forwarded-For": ip})
                except OSError:
                    bump("connection_errors")
                    time.sleep(0.05)
                    continue
                if status == 201:
                    bump("feedback_acked")
                    with lock:
                        acked_feedback.append(marker)
                elif status in (503, 500):
                    bump("feedback_refused")
                    if status == 500:
                        bump("other")
                    time.sleep(0.05)
                else:
                    bump("other")

        def edit(worker):
            story = stories[worker % STORIES]
            path = f"/api/v1/articles/{story}"
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    status, headers, data = request("GET", path, None, auth)
                    if status != 200:
                        bump("edits_refused")
                        time.sleep(0.05)
                        continue
                    etag = headers.get("etag") or headers.get("ETag")
                    title = f"Fault story {worker}-{n}"
                    bump("edits_sent")
                    status, headers, data = request("PATCH", path, {"title": title, "change_kind": "minor"},
                                                    dict(auth, **{"If-Match": etag}))
                except OSError:
                    bump("connection_errors")
                    time.sleep(0.05)
                    continue
                if status == 200:
                    bump("edits_acked")
                    with lock:
                        acked_edits.append((story, json.loads(data)["version"], title))
                elif status == 412:
                    bump("edits_stale")
                elif status in (503, 500):
                    bump("edits_refused")
                    if status == 500:
                        bump("other")
                    time.sleep(0.05)
                else:
                    bump("other")

        threads = [threading.Thread(target=post_feedback, args=(w,)) for w in range(FEEDBACK_THREADS)]
        threads += [threading.Thread(target=edit, args=(w,)) for w in range(EDIT_THREADS)]
        for t in threads:
            t.start()
        recoveries = []
        time.sleep(LOAD_SECS)
        for outage in range(1, OUTAGES + 1):
            print(f"    crash {outage}/{OUTAGES}: pg_ctl stop -m immediate", flush=True)
            pg_ctl("stop", "-m", "immediate")
            time.sleep(DOWN_SECS)
            pg_ctl("-l", f"{PG_DATA}/server.log", "-w", "start")
            started = time.monotonic()
            while True:
                try:
                    ready = request("GET", "/readyz", timeout=2)[0] == 200
                    page = request("GET", "/research-news/fault-0", timeout=2)[0] == 200
                except OSError:
                    ready = page = False
                if ready and page:
                    break
                if time.monotonic() - started > 30:
                    raise SystemExit("the server did not recover within 30 s")
                time.sleep(0.05)
            recovered = time.monotonic() - started
            recoveries.append(recovered)
            print(f"    serving again {recovered:.2f} s after PostgreSQL was back", flush=True)
            time.sleep(LOAD_SECS)
        stop.set()
        for t in threads:
            t.join()
        assert server.poll() is None, "the server process stayed up throughout"
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Checks, straight from the database.
    stored = set(psql("SELECT comment FROM feedback WHERE comment LIKE 'fault-%'").splitlines())
    duplicates = int(psql("SELECT count(*) - count(DISTINCT comment) FROM feedback WHERE comment LIKE 'fault-%'"))
    lost_feedback = [m for m in acked_feedback if m not in stored]
    lost_edits = []
    for story, version, title in acked_edits:
        found = psql(f"SELECT count(*) FROM article_revisions WHERE article_id = '{story}' "
                     f"AND (snapshot->>'version')::int = {int(version)} AND snapshot->>'title' = '{title}'")
        if found != "1":
            lost_edits.append((story, version, title))
    # Nothing half-done: each story's row agrees with its latest revision, and revision numbers
    # run without gaps up to its version.
    half_done = []
    for story in stories:
        row = psql(f"SELECT a.version, a.title, r.snapshot->>'title', (r.snapshot->>'version')::int, "
                   f"r.number, (SELECT count(*) FROM article_revisions WHERE article_id = a.id) "
                   f"FROM articles a JOIN article_revisions r ON r.article_id = a.id "
                   f"WHERE a.id = '{story}' ORDER BY r.number DESC LIMIT 1")
        version, title, revision_title, revision_version, number, revisions = row.split("|")
        if title != revision_title or version != revision_version or number != revisions:
            half_done.append((story, row))
    ok = not lost_feedback and not lost_edits and not half_done and duplicates == 0 \
        and max(recoveries) <= 5 and counts["other"] == 0
    report(counts, recoveries, len(lost_feedback), len(lost_edits), len(half_done), duplicates, ok)
    if not ok:
        raise SystemExit(f"FAILED: lost feedback {lost_feedback[:5]}, lost edits {lost_edits[:5]}, "
                         f"half-done {half_done}, duplicates {duplicates}, recoveries {recoveries}, "
                         f"unexpected answers {counts['other']}")
    print("fault test passed")


def report(counts, recoveries, lost_feedback, lost_edits, half_done, duplicates, ok):
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Fault test",
        "",
        "`make fault-test` (scripts/fault-test.sh, bench/fault.py): a throw-away PostgreSQL with its",
        "default durable settings; 6 clients posting feedback and 4 editing stories over the API",
        f"(If-Match), steadily; PostgreSQL stopped with `pg_ctl stop -m immediate` and started",
        f"again {len(recoveries)} times ({DOWN_SECS:.0f} s down each), {LOAD_SECS:.0f} s of load around each crash.",
        "The server process keeps running throughout.",
        "",
        f"Last run: {when} — **{'passed' if ok else 'FAILED'}**.",
        "",
        "| | |",
        "|---|---|",
        f"| feedback posts sent / acknowledged (`201`) / refused (`503`) | {counts['feedback_sent']} / {counts['feedback_acked']} / {counts['feedback_refused']} |",
        f"| story edits sent / acknowledged (`200`) / refused (`503`, on the read before or on the PATCH) / stale (`412`) | {counts['edits_sent']} / {counts['edits_acked']} / {counts['edits_refused']} / {counts['edits_stale']} |",
        f"| connection errors (while the server's pool waited) | {counts['connection_errors']} |",
        f"| other answers (500s, anything unexpected) | {counts['other']} |",
        f"| acknowledged feedback missing afterwards | {lost_feedback} |",
        f"| acknowledged edits missing from the revisions | {lost_edits} |",
        f"| stories whose row disagrees with its latest revision, or with gaps | {half_done} |",
        f"| feedback stored twice | {duplicates} |",
        f"| serving again after PostgreSQL was back (each restart) | {', '.join(f'{r:.2f} s' for r in recoveries)} |",
        "",
    ]
    with open("docs/FAULTS.md", "w") as out:
        out.write("\n".join(lines))
    print("\n".join(lines[10:]))


if __name__ == "__main__":
    main()
