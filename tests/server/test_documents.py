"""Documents over the HTTP API: staff-only upload and delete, facts, audit, suggestions."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from conftest import STAFF, MakeClient

from qa import Engine
from tests.conftest import SEED

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def _upload(client, name: str, data: bytes, headers: dict[str, str] | None = STAFF):  # type: ignore[no-untyped-def]
    return client.post("/api/documents", files={"file": (name, data)}, headers=headers or {})


def finished(client, response, seconds: float = 60) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The job an upload answered with (202), once it is done or failed."""
    assert response.status_code == 202, response.text
    url = response.headers["Location"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"the job did not end in {seconds} s: {job}")


def test_staff_routes_refuse_without_the_token(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        r = _upload(client, "a.txt", SEED.read_bytes(), headers)
        assert r.status_code == 401 and r.json()["detail"], headers
        r = client.delete(f"/api/documents/{doc_id}", headers=headers)
        assert r.status_code == 401 and r.json()["detail"]
    assert len(client.get("/api/documents").json()) == 1


def test_staff_routes_are_closed_when_no_token_is_configured(
        make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir, admin_token="")
    r = _upload(client, "a.txt", SEED.read_bytes(), {"Authorization": "Bearer "})
    assert r.status_code in (401, 403) and "BUDGETQA_ADMIN_TOKEN" in r.json()["detail"]
    r = client.delete("/api/documents/x", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "BUDGETQA_ADMIN_TOKEN" in r.json()["detail"]


def test_a_text_upload_is_ingested_and_answered_from(make_client: MakeClient) -> None:
    client = make_client()
    assert client.get("/api/documents").json() == []
    r = _upload(client, "和静县社会保险中心2024年单位预算.txt", SEED.read_bytes())
    assert r.json()["status"] in ("queued", "running")
    job = finished(client, r)
    assert job["status"] == "done" and job["error"] is None, job
    body = job["result"]
    assert body["doc_id"] and body["tables"] >= 10 and body["facts"] > 100 and body["findings"] > 0
    assert body["file"].endswith(".txt") and not body["unchanged"]
    [doc] = client.get("/api/documents").json()
    assert doc["doc_id"] == body["doc_id"] and doc["facts"] == body["facts"]
    answer = client.post("/api/chat", json={"message": "卫生健康支出是多少？"}).json()["answer"]
    assert "16.91" in answer
    again = finished(client, _upload(client, "copy.txt", SEED.read_bytes()))["result"]
    assert again["unchanged"] and again["doc_id"] == body["doc_id"]


@pytest.mark.parametrize(("name", "data", "code"), [
    ("fake.pdf", b"%PDF-1.4 garbage", 422),
    ("image.png", PNG, 415),
    ("image.pdf", PNG, 415),
    ("latin1.txt", "caf\xe9 ".encode("latin-1") * 50, 415),
    ("gbk-notes.txt", "这只是一段普通的文字。".encode("gbk"), 422),  # read, then found to be no disclosure
    ("notes.txt", "这只是一段普通的文字，没有预算表。".encode(), 422),
    ("empty.txt", b"", 422),
])
def test_a_bad_upload_is_refused_and_nothing_is_ingested(
        make_client: MakeClient, seeded_dir: Path, name: str, data: bytes, code: int) -> None:
    client = make_client(seeded_dir)
    before = client.get("/api/documents").json()
    r = _upload(client, name, data)
    if code == 415:  # known from the bytes: refused at once
        assert r.status_code == 415 and r.json()["detail"] and "Traceback" not in r.text
    else:  # known only once parsed: the job fails with a message
        job = finished(client, r)
        assert job["status"] == "failed" and job["error"].startswith("未导入：") and job["result"] is None
    assert client.get("/api/documents").json() == before
    assert not list((seeded_dir / "uploads").glob("*/*")), "the upload's file was left behind"


def test_an_upload_over_the_limit_is_413(make_client: MakeClient) -> None:
    client = make_client(max_upload_mb=1)
    r = _upload(client, "big.txt", SEED.read_bytes() * 40)  # about 1.5 MB
    assert r.status_code == 413 and "MB" in r.json()["detail"]
    assert client.get("/api/documents").json() == []


def test_delete_removes_the_document(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    assert client.delete(f"/api/documents/{doc_id}", headers=STAFF).json()["deleted"]
    assert client.get("/api/documents").json() == []
    assert client.get(f"/api/documents/{doc_id}/facts").status_code == 404
    assert client.delete(f"/api/documents/{doc_id}", headers=STAFF).status_code == 404
    r = client.post("/api/chat", json={"message": "卫生健康支出是多少？"})
    assert r.json()["status"] == "not_found"


def test_facts_as_json_and_csv(make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    facts = client.get(f"/api/documents/{doc_id}/facts").json()
    assert len(facts) > 100 and all(isinstance(f["value"], str) for f in facts)
    row = next(f for f in facts if f["code"] == "2101103")
    assert row["value"] == "4.62" and row["unit"] == "万元" and row["page"] and row["quote"]
    r = client.get(f"/api/documents/{doc_id}/facts?format=csv")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(facts) and rows[0].keys() >= {"table", "code", "row", "column", "value",
                                                          "unit", "page", "quote"}
    assert any(x["code"] == "2101103" and x["value"] == "4.62" for x in rows)
    by_accept = client.get(f"/api/documents/{doc_id}/facts", headers={"Accept": "text/csv"})
    assert by_accept.content == r.content


def test_audit_and_suggestions(make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    findings = client.get(f"/api/documents/{doc_id}/audit").json()
    assert findings and {"check", "ok", "message", "page", "table"} <= findings[0].keys()
    assert any(not f["ok"] for f in findings) and any(f["ok"] for f in findings)
    questions = client.get(f"/api/documents/{doc_id}/suggestions").json()
    assert 3 <= len(questions) <= 6 and all(q.endswith("？") for q in questions)
    answered = [client.post("/api/chat", json={"message": q, "doc_id": doc_id}).json()["status"]
                for q in questions]
    assert answered.count("answered") >= len(questions) - 1


def test_unknown_documents_are_404(make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    for path in ("facts", "audit", "suggestions"):
        r = client.get(f"/api/documents/nope/{path}")
        assert r.status_code == 404 and r.json()["detail"]


def test_facts_and_audit_as_excel(make_client: MakeClient, seed_engine: Engine) -> None:
    import openpyxl

    client = make_client(engine=seed_engine)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    for what, sheet in (("facts", "支出总表"), ("audit", "审计")):
        r = client.get(f"/api/documents/{doc_id}/{what}?format=xlsx")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert f'{what}-{doc_id}.xlsx' in r.headers["content-disposition"]
        assert sheet in openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames
    assert client.get(f"/api/documents/{doc_id}/facts?format=pdf").status_code == 422
    assert client.get("/api/documents/nope/audit?format=xlsx").status_code == 404
    findings = client.get(f"/api/documents/{doc_id}/audit").json()
    slip = next(f for f in findings if not f["ok"] and "395.83" in f["message"])
    assert slip["computation"] and [p["page"] for p in slip["places"]] == [21, 1]
