"""`budget-qa bench`: how the product behaves as the corpus grows. For each N it builds (or
reuses) N synthetic documents (eval.synth) and their store, then measures from outside, as a
user would: ingest time, `budget-qa serve` start to first answered chat, the server's memory,
latency per kind of question over HTTP with the answers judged against the manifest, and C
concurrent clients for T seconds. Not a timed test: it reports, it does not assert.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eval.bench_backends import backend_env
from eval.bench_http import Load, Server, ask_all, load, serve_supports_workers
from eval.bench_questions import Outcome, make_questions
from eval.synth import generate, read_manifest

KINDS = ("lookup", "prose", "ranking", "compare")
LOAD_KINDS = ("lookup", "prose", "compare")  # a ranking reads every document: not a load of citizens


@dataclass(frozen=True)
class BenchOptions:
    sizes: tuple[int, ...] = (50, 200, 1000)
    backend: str = "sqlite"  # sqlite | postgres
    workdir: Path = Path("bench-data")
    reuse: bool = False  # keep a corpus and store already built for this N
    questions: int = 50  # lookups, prose questions and comparisons each
    clients: int = 20
    seconds: float = 60.0
    workers: int = 2
    load: bool = True
    seed: int = 12
    log_rounds: int = 0  # rounds of the load with the question log off and on, side by side


def cli_path() -> Path:
    here = Path(sys.executable).parent / "budget-qa"
    return here if here.exists() else Path(shutil.which("budget-qa") or "budget-qa")


def run_bench(opts: BenchOptions, say: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Measure every size; after each, write bench-<backend>.json and .md into the workdir."""
    opts.workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    for n in opts.sizes:
        home = opts.workdir / f"{opts.backend}-{n}"
        with backend_env(opts.backend, home) as env:
            ingest = build_store(n, opts, home, env, say)
            results.append({"n": n, "backend": opts.backend, "ingest": ingest,
                            **measure(n, opts, home, env, say)})
        stem = opts.workdir / f"bench-{opts.backend}"
        stem.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        stem.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    return results


def build_store(n: int, opts: BenchOptions, home: Path, env: dict[str, str],
                say: Callable[[str], None]) -> dict[str, Any]:
    """The corpus of N and its ingested store. A SQLite store of a smaller N of this workdir
    is copied first (its corpus is the first part of this one), so only the rest is ingested;
    the time per document is what is reported."""
    marker, data = home / "ingest.json", home / "data"
    if opts.reuse and marker.exists():
        say(f"N={n}: reusing {data}")
        return dict(json.loads(marker.read_text()))
    corpus = opts.workdir / f"corpus-{n}"
    if not (corpus / "manifest.jsonl").exists():
        generate(n, corpus, opts.seed)
    if not opts.reuse:
        shutil.rmtree(data, ignore_errors=True)
    have = 0
    if opts.backend == "sqlite" and not data.exists():
        smaller = sorted((int(p.parent.name.split("-")[1]), p.parent) for p in opts.workdir.glob("sqlite-*/ingest.json")
                         if int(p.parent.name.split("-")[1]) < n)
        if smaller:
            have, src = smaller[-1]
            say(f"N={n}: starting from the store of N={have}")
            shutil.copytree(src / "data", data)
    home.mkdir(parents=True, exist_ok=True)
    say(f"N={n}: ingesting {n - have} documents into {data} …")
    started = time.perf_counter()
    with open(home / "ingest.log", "w") as log:
        done = subprocess.run([str(cli_path()), "--data-dir", str(data), "ingest", str(corpus)],
                              env={**_environ(), **env}, stdout=log, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed ({done.returncode}); see {home / 'ingest.log'}")
    result = {"documents": n, "ingested": n - have, "seconds": round(seconds, 1),
              "seconds_per_document": round(seconds / max(n - have, 1), 2)}
    marker.write_text(json.dumps(result))
    return result


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def measure(n: int, opts: BenchOptions, home: Path, env: dict[str, str],
            say: Callable[[str], None]) -> dict[str, Any]:
    manifest = read_manifest(opts.workdir / f"corpus-{n}")
    data = home / "data"
    server = Server(cli_path(), data, env, 1, home / "serve.log")
    try:
        first = manifest[0]
        start = server.first_answer(f"{first.unit}{first.year}年的三公经费是多少")
        rss_start = server.rss_mb()
        say(f"N={n}: first answer {start:.1f} s after the server started, RSS {rss_start:.0f} MB")
        docs = httpx.get(f"{server.url}/api/documents", timeout=60).json()
        doc_ids = {(d["unit"], d["year"]): d["doc_id"] for d in docs}
        own = sum((m.unit, m.year) in doc_ids for m in manifest)
        questions = make_questions(manifest, doc_ids, opts.questions, opts.seed)
        units = sorted({m.unit for m in manifest})
        outcomes = ask_all(server.url, questions, units)
        say(f"N={n}: {len(outcomes)} questions asked; the answers in {home / 'answers.jsonl'}")
        (home / "answers.jsonl").write_text("".join(json.dumps(_miss(o), ensure_ascii=False) + "\n"
                                                    for o in outcomes), encoding="utf-8")
        loaded = _load(opts, server, home, env, [o.question for o in outcomes if o.question.kind in LOAD_KINDS], say)
        peak = server.peak_mb
    finally:
        server.stop()
    if opts.log_rounds:
        from eval.bench_log import log_overhead

        loaded["question_log"] = log_overhead(cli_path(), data, env, [[o.question] for o in outcomes
                                                                       if o.question.kind in LOAD_KINDS],
                                              opts.clients, opts.seconds, opts.workers, opts.log_rounds, say)
    return {"documents": len(docs), "own_documents": own, "start_seconds": round(start, 2),
            "rss_start_mb": round(rss_start), "rss_peak_mb": round(max(peak, loaded.pop("peak_mb", 0.0))),
            "kinds": {k: summarize([o for o in outcomes if o.question.kind == k]) for k in KINDS},
            "load": loaded, "misses": [_miss(o) for o in outcomes if _missed(o)][:20]}


def _load(opts: BenchOptions, server: Server, home: Path, env: dict[str, str], questions: list[Any],
          say: Callable[[str], None]) -> dict[str, Any]:
    if not opts.load or not questions:
        return {}
    workers, note = opts.workers, ""
    if workers > 1 and not serve_supports_workers(cli_path()):
        workers, note = 1, f"--workers {opts.workers} not supported by this build of serve; ran 1"
    target = server
    if workers > 1:
        target = Server(cli_path(), home / "data", env, workers, home / "serve-workers.log")
        target.first_answer(questions[0].message)
    try:
        say(f"load: {opts.clients} clients × {opts.seconds:.0f} s on {workers} worker(s) …")
        result = load(target.url, [[q] for q in questions], opts.clients, opts.seconds, workers)
        peak = target.peak_mb
    finally:
        if target is not server:
            target.stop()
    return {**load_summary(result), "note": note, "peak_mb": peak}


def percentile(values: list[float] | tuple[float, ...], q: float) -> float:
    """Nearest rank: the smallest value with at least q of them at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(outcomes: list[Outcome]) -> dict[str, Any]:
    secs = [o.seconds for o in outcomes]
    return {"asked": len(outcomes), "p50_ms": _ms(percentile(secs, 0.5)), "p95_ms": _ms(percentile(secs, 0.95)),
            "max_ms": _ms(max(secs, default=math.nan)), "status": dict(Counter(o.status for o in outcomes)),
            "wrong_doc": sum(o.wrong_doc for o in outcomes), "right_value": sum(o.right_value for o in outcomes),
            "errors": sum(bool(o.error) for o in outcomes),
            "reply_chars_max": max((o.length for o in outcomes), default=0),
            "reply_chars_mean": round(sum(o.length for o in outcomes) / max(len(outcomes), 1)),
            "units_listed_mean": round(sum(o.units_listed for o in outcomes) / max(len(outcomes), 1), 1),
            "other_units_mean": round(sum(o.other_units for o in outcomes) / max(len(outcomes), 1), 1)}


def load_summary(r: Load) -> dict[str, Any]:
    return {"clients": r.clients, "seconds": round(r.seconds, 1), "workers": r.workers, "requests": r.requests,
            "errors": r.errors, "throughput_rps": round(r.throughput, 1), "p50_ms": _ms(percentile(r.latencies, 0.5)),
            "p95_ms": _ms(percentile(r.latencies, 0.95)),
            "p99_ms": _ms(percentile(r.latencies, 0.99)), "max_ms": _ms(max(r.latencies, default=math.nan))}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _missed(o: Outcome) -> bool:
    return bool(o.error or o.wrong_doc or (o.question.expect_value and not o.right_value)
                or (o.question.kind == "compare" and (o.other_units or o.status != "answered")))


def _miss(o: Outcome) -> dict[str, Any]:
    return {"kind": o.question.kind, "question": o.question.message, "doc_id": o.question.doc_id,
            "status": o.status, "ms": _ms(o.seconds), "wrong_doc": o.wrong_doc, "right_value": o.right_value,
            "other_units": o.other_units, "error": o.error, "expected": list(o.question.expect_docs),
            "cited": list(o.cited), "answer": o.answer}


def markdown(results: list[dict[str, Any]]) -> str:
    """One column per N: the table for the README."""
    from eval.bench_report import rows

    head = "| | " + " | ".join(f"N = {r['n']:,} ({r['backend']})" for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    for label, cells in rows(results):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
