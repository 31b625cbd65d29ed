"""The rows of the benchmark's Markdown table, one cell per measured N."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _ms(v: float) -> str:
    return "–" if v != v else f"{v:.0f} ms" if v < 1000 else f"{v / 1000:.2f} s"


def _gb(mb: float) -> str:
    return f"{mb / 1024:.2f} GB"


def _statuses(k: dict[str, Any]) -> str:
    s = k["status"]
    return f"{s.get('answered', 0)} answered, {s.get('clarify', 0)} clarify, {s.get('not_found', 0)} not_found"


def _ingest(r: dict[str, Any]) -> str:
    i = r["ingest"]
    return f"{i['seconds_per_document']:.1f} s/doc ({i['ingested']} docs in {i['seconds']:.0f} s)"


def _load(r: dict[str, Any]) -> str:
    lo = r.get("load") or {}
    if "clients" not in lo:
        return "–"
    return (f"{lo['clients']} clients × {lo['seconds']:.0f} s, {lo['workers']} worker(s): p50 {_ms(lo['p50_ms'])}, "
            f"p95 {_ms(lo['p95_ms'])}, max {_ms(lo['max_ms'])}; {lo['throughput_rps']} req/s; {lo['errors']} errors")


def _log(r: dict[str, Any]) -> str:
    q = (r.get("load") or {}).get("question_log")
    if not q:
        return "–"
    return (f"{q['throughput_off_rps']} / {q['throughput_on_rps']} req/s (on/off {q['on_vs_off']}; rounds off "
            + ", ".join(str(x["throughput_rps"]) for x in q["rounds"]["off"]) + "; on "
            + ", ".join(str(x["throughput_rps"]) for x in q["rounds"]["on"]) + ")")


ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("ingest (CLI, vectors on)", _ingest),
    ("documents with their own unit and year", lambda r: f"{r['own_documents']}/{r['n']}"),
    ("server start to first answer", lambda r: f"{r['start_seconds']:.1f} s"),
    ("server RSS after start / peak", lambda r: f"{_gb(r['rss_start_mb'])} / {_gb(r['rss_peak_mb'])}"),
    ("lookup naming unit and year: p50 / p95",
     lambda r: f"{_ms(r['kinds']['lookup']['p50_ms'])} / {_ms(r['kinds']['lookup']['p95_ms'])}"),
    ("lookup: right document and figure",
     lambda r: f"{r['kinds']['lookup']['right_value']}/{r['kinds']['lookup']['asked']}"),
    ("lookup: wrong document / replies", lambda r: f"{r['kinds']['lookup']['wrong_doc']}; "
                                                   + _statuses(r["kinds"]["lookup"])),
    ("prose, document picked: p50 / p95 (wrong doc)",
     lambda r: f"{_ms(r['kinds']['prose']['p50_ms'])} / {_ms(r['kinds']['prose']['p95_ms'])} "
               f"({r['kinds']['prose']['wrong_doc']})"),
    ("ranking over all units: p50 / max", lambda r: f"{_ms(r['kinds']['ranking']['p50_ms'])} / "
                                                    f"{_ms(r['kinds']['ranking']['max_ms'])}"),
    ("ranking: replies", lambda r: _statuses(r["kinds"]["ranking"])),
    ("ranking reply length (mean / max chars)", lambda r: f"{r['kinds']['ranking']['reply_chars_mean']:,} / "
                                                          f"{r['kinds']['ranking']['reply_chars_max']:,}"),
    ("A和B哪个多: p50 / p95", lambda r: f"{_ms(r['kinds']['compare']['p50_ms'])} / "
                                       f"{_ms(r['kinds']['compare']['p95_ms'])}"),
    ("A和B哪个多: replies", lambda r: _statuses(r["kinds"]["compare"])),
    ("A和B哪个多: answered citing exactly A and B",
     lambda r: f"{r['kinds']['compare']['right_value']}/{r['kinds']['compare']['asked']}"),
    ("A和B哪个多: units listed (mean), other than A and B (mean), wrong doc",
     lambda r: f"{r['kinds']['compare']['units_listed_mean']}, {r['kinds']['compare']['other_units_mean']}, "
               f"{r['kinds']['compare']['wrong_doc']}/{r['kinds']['compare']['asked']}"),
    ("HTTP load", _load),
    ("HTTP load, question log off / on (alternating rounds)", _log),
]


def rows(results: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(label, [cell(r) for r in results]) for label, cell in ROWS]
