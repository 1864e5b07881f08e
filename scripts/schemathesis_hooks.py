"""Schemathesis hooks for Dateline (loaded by scripts/schemathesis.sh through SCHEMATHESIS_HOOKS).

The OpenAPI document states every rule of a single field exactly, but some rules depend on the
data the server holds or on two fields at once, which JSON Schema cannot state. Drawn at
random, such values are schema-valid yet refused with a 422, and the positive_data_acceptance
check would count that as a failure of the server. So, in the cases schemathesis means to be
valid (and only those), these hooks make the values realistic:

- `topics` (POST/PATCH /api/v1/articles): a topic must exist. Replaced by slugs of topics that
  exist now (read from GET /api/v1/topics, since the fuzzing itself renames topics).
- `authors` and `review.reviewer` (POST/PATCH /api/v1/articles): a person must exist. Replaced
  by slugs of people that exist now (read from GET /api/v1/people), or emptied (removed for the
  reviewer) when there are none.
- `lead_image` (articles) and `photo` (people): an image of the library. Replaced by the id of
  one that exists now (GET /api/v1/media), or `null` when there is none.
- `file` (POST /api/v1/media): an image whose bytes are a PNG. Replaced by a small one (random
  bytes are refused with a 415, as they should be).
- `superseded_by` (POST /api/v1/articles/{id}/archive): the newer story must exist, be
  published and be another story. Replaced by the id of such a story (read from
  GET /api/v1/articles), or removed when there is none.
- `review.last_reviewed` / `review.next_review_due`: a review cannot fall due before it was
  done. Swapped when drawn the other way round.
- `decorative: false` (PATCH /api/v1/media/{id}) without alt text: the image may have none
  (it was decorative). Given alt text.
- `topics` (PUT /api/v1/archive-policy): a topic must exist, as for stories.
- `url` (POST /api/v1/webhooks): the URL must not resolve to a loopback or private address, and
  a random host name does not resolve at all. Replaced by `http://127.0.0.1:9/fuzz`, whose host
  scripts/schemathesis.sh allows (DATELINE_WEBHOOK_ALLOW_HOSTS); its deliveries fail and are
  retried in the background, which the fuzzing does not see.
- `sets` (PUT /api/v1/search/synonyms): a term may be in one set only, a set needs two terms
  that differ once in lower case, and a term of only common words ("the") is refused. Replaced
  by as many sets of as many distinct made-up terms.

Cases meant to be invalid are left alone: the negative_data_rejection check needs them as drawn.
The requests these hooks make are counted in the file named by FUZZ_HOOK_REQUESTS, so that
the script reports the requests schemathesis made apart from them.
"""

import json
import os
import urllib.request

import schemathesis

BASE_URL = os.environ["FUZZ_BASE_URL"]
TOKEN = os.environ["FUZZ_TOKEN"]
COUNT_FILE = os.environ.get("FUZZ_HOOK_REQUESTS")
_requests = 0


def _get(path):
    global _requests
    _requests += 1
    if COUNT_FILE:
        with open(COUNT_FILE, "w") as out:
            out.write(str(_requests))
    request = urllib.request.Request(BASE_URL + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _is_positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _existing_topics(wanted):
    slugs = [topic["slug"] for topic in _get("/api/v1/topics")["items"]]
    # As many as were drawn (the document allows up to 20), in a stable order.
    return slugs[: min(len(wanted), len(slugs))]


def _existing_people(wanted):
    slugs = [person["slug"] for person in _get("/api/v1/people?per_page=100")["items"]]
    return slugs[: min(len(wanted), len(slugs))]


# A 2 × 2 PNG.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001049444154789c63f8cfc000440c100a001fee03fd8b5f14d40000000049"
    "454e44ae426082"
)


def _an_image():
    items = _get("/api/v1/media?per_page=1")["items"]
    return items[0]["id"] if items else None


def _published_story_other_than(story_id):
    listed = _get("/api/v1/articles?status=published&per_page=100")["items"]
    for story in listed:
        if story["id"] != story_id:
            return story["id"]
    return None


@schemathesis.hook
def map_case(context, case):
    if not _is_positive(case) or not isinstance(case.body, dict):
        return case
    path = case.operation.path
    body = case.body
    if path in ("/api/v1/articles", "/api/v1/articles/{id}") and isinstance(body.get("topics"), list):
        body["topics"] = _existing_topics(body["topics"])
    if path == "/api/v1/archive-policy" and isinstance(body.get("topics"), list):
        body["topics"] = _existing_topics(body["topics"])
    if path in ("/api/v1/articles", "/api/v1/articles/{id}"):
        if isinstance(body.get("authors"), list):
            body["authors"] = _existing_people(body["authors"])
        review = body.get("review")
        if isinstance(review, dict) and isinstance(review.get("reviewer"), str):
            people = _existing_people([review["reviewer"]])
            if people:
                review["reviewer"] = people[0]
            else:
                del review["reviewer"]
    if path in ("/api/v1/articles", "/api/v1/articles/{id}") and body.get("lead_image") is not None:
        body["lead_image"] = _an_image()
    if path in ("/api/v1/people", "/api/v1/people/{slug}") and body.get("photo") is not None:
        body["photo"] = _an_image()
    if path == "/api/v1/media" and case.method.upper() == "POST" and "file" in body:
        body["file"] = TINY_PNG
    if path == "/api/v1/articles/{id}/archive" and body.get("superseded_by") is not None:
        newer = _published_story_other_than(str((case.path_parameters or {}).get("id")))
        if newer is None:
            del body["superseded_by"]
        else:
            body["superseded_by"] = newer
    if path == "/api/v1/media/{id}" and body.get("decorative") is False:
        alt = body.get("alt")
        if not (isinstance(alt, str) and alt.strip()):
            body["alt"] = "A chart of the results"
    if path == "/api/v1/webhooks" and case.method.upper() == "POST" and "url" in body:
        body["url"] = "http://127.0.0.1:9/fuzz"
    if path == "/api/v1/search/synonyms" and isinstance(body.get("sets"), list):
        body["sets"] = [
            [f"synonym{i}x{j}" for j in range(len(terms) if isinstance(terms, list) else 2)]
            for i, terms in enumerate(body["sets"])
        ]
    review = body.get("review")
    if isinstance(review, dict):
        last, due = review.get("last_reviewed"), review.get("next_review_due")
        if isinstance(last, str) and isinstance(due, str) and due < last:
            review["last_reviewed"], review["next_review_due"] = due, last
    return case
