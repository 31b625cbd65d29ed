"""Input that used to end in a 5xx, a body read before the token, or a formula in a
spreadsheet: each is a clear 4xx now."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import anyio
from conftest import STAFF, MakeClient
from test_documents import finished

from tests.conftest import SEED

SURROGATE = b'"\\ud800 \xe4\xb8\x89\xe5\x85\xac"'  # a lone surrogate, then 三公


def test_a_lone_surrogate_is_422_on_every_chat_route(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    bodies = {
        "/v1/chat/completions": b'{"model":"budget-qa","messages":[{"role":"user","content":%s}]}' % SURROGATE,
        "/api/chat": b'{"message":%s}' % SURROGATE,
        "/api/chat/stream": b'{"message":%s}' % SURROGATE,
    }
    for path, body in bodies.items():
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        assert "Unicode" in r.json()["detail"]
    parts = b'{"messages":[{"role":"user","content":[{"type":"text","text":%s}]}]}' % SURROGATE
    r = client.post("/v1/chat/completions", content=parts, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["message"]


def test_a_file_name_too_long_in_bytes_is_shortened(make_client: MakeClient) -> None:
    client = make_client()
    name = "和静县社会保险中心" * 10 + "2024年单位预算.txt"  # 100 characters, 300 bytes
    r = client.post("/api/documents", files={"file": (name, SEED.read_bytes())}, headers=STAFF)
    job = finished(client, r)
    assert job["status"] == "done" and len(job["file"].encode()) <= 200, job
    assert client.get("/api/documents").json()[0]["facts"] > 100


def test_bad_multipart_is_a_4xx(make_client: MakeClient) -> None:
    client = make_client()
    for content_type, body in (("multipart/form-data", b"abc"),
                               ("multipart/form-data; boundary=x", b"--x\r\nnonsense"),
                               ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; "
                                b'name="file"; filename="a.txt"\r\n\r\nabc'),
                               ("application/json", b'{"file": "x"}'),
                               ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; "
                                b'name="file"; filename="a.txt"\r\n\r\nabc\r\n--x\r\nContent-Disposition: '
                                b'form-data; name="file"; filename="b.txt"\r\n\r\nabc\r\n--x--\r\n')):
        r = client.post("/api/documents", content=body, headers={"Content-Type": content_type, **STAFF})
        assert 400 <= r.status_code < 500, (content_type, body, r.status_code)
        assert r.json()["detail"]
    assert client.get("/api/documents").json() == []


def test_the_token_is_checked_before_the_body_is_read(make_client: MakeClient) -> None:
    app = make_client().app
    chunks = {"read": 0}
    total = 50 * 16  # 50 MB in 64 KB pieces

    async def receive() -> dict[str, Any]:
        chunks["read"] += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": chunks["read"] < total}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    for auth in ([], [(b"authorization", b"Bearer wrong")]):
        chunks["read"] = 0
        scope = {"type": "http", "method": "POST", "path": "/api/documents", "raw_path": b"/api/documents",
                 "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
                 "server": ("testserver", 80), "client": ("127.0.0.1", 1),
                 "headers": [(b"content-type", b"multipart/form-data; boundary=x"),
                             (b"content-length", str(total * 65536).encode()), *auth]}
        anyio.run(app, scope, receive, send)
        assert status[-1] == 401 and chunks["read"] <= 1


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    import sqlite3

    db = sqlite3.connect(seeded_dir / "budgetqa.sqlite")
    db.execute("UPDATE facts SET row='=HYPERLINK(\"http://x\")', quote='@SUM(A1)' WHERE rowid=1")
    db.execute("UPDATE facts SET value='-12.50', row='-1+1' WHERE rowid=2")
    db.commit()
    db.close()
    text = client.get(f"/api/documents/{doc_id}/facts?format=csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["row"] == "'=HYPERLINK(\"http://x\")" and rows[0]["quote"] == "'@SUM(A1)"
    assert rows[1]["value"] == "-12.50" and rows[1]["row"] == "'-1+1"
    assert not [v for row in rows for v in row.values() if v and v[0] in "=+@"]


def test_the_schema_describes_the_real_error_bodies(make_client: MakeClient) -> None:
    schema = make_client().get("/openapi.json").json()
    error = schema["components"]["schemas"]["ErrorBody"]
    assert error["properties"]["detail"]["type"] == "string"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    upload = schema["paths"]["/api/documents"]["post"]
    assert {"400", "401", "403", "413", "415", "422"} <= upload["responses"].keys()
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "429" in schema["paths"]["/api/chat"]["post"]["responses"]
    assert "404" in schema["paths"]["/api/documents/{doc_id}/facts"]["get"]["responses"]


def test_docs_load_nothing_from_elsewhere(make_client: MakeClient) -> None:
    client = make_client()
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "openapi.json" in html and "https://" not in html and "http://" not in html, page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        r = client.get(f"/static-offline-docs/{asset}")
        assert r.status_code == 200 and len(r.content) > 10_000, asset



def test_upload_files_a_killed_server_left_are_swept_at_start(make_client: MakeClient, tmp_path: Path) -> None:
    left = tmp_path / "empty" / "uploads" / "0123abcd" / "half-received.pdf"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"%PDF-1.7 half")
    make_client()
    assert not left.exists() and not left.parent.exists()
