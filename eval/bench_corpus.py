"""`budget-qa bench --corpus DIR …`: serving measured over real documents, as a county's
citizens would load it. The corpus is ingested once into the workdir (documents per minute;
a second ingest of the unchanged files is timed too), then `budget-qa serve` runs with 1 and
with 2 workers, and at each level of clients every client goes through the gold sets'
conversations (each turn after the reply to the one before, the set's document picked as the
page's picker would) for T seconds: requests/s, p50, p95, p99, errors, and the memory of
each process after the warm-up. With --log-rounds, the question log's cost side by side.
Not a test: it reports, it does not assert."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eval.bench import cli_path, load_summary
from eval.bench_http import Conversation, Load, Server, load, merged, tree_rss, worker_rss_mb
from eval.bench_log import log_overhead
from eval.bench_questions import Question
from eval.scoring import load_gold


@dataclass(frozen=True)
class CorpusBench:
    corpus: tuple[Path, ...]
    gold: tuple[Path, ...]
    workdir: Path = Path("bench-data")
    levels: tuple[int, ...] = (1, 20, 50)
    workers: tuple[int, ...] = (1, 2)
    seconds: float = 40.0
    reuse: bool = False  # keep the store already ingested into the workdir
    log_rounds: int = 0  # rounds of 20 clients with the question log off and on
    # Each level's time in this many slices, the levels taking turns (1 20 50 50 20 1 …): this
    # machine's speed drifts by a third within minutes, which would otherwise fall on one level.
    rounds: int = 4


def run_corpus_bench(opts: CorpusBench, say: Callable[[str], None] = print) -> dict[str, Any]:
    opts.workdir.mkdir(parents=True, exist_ok=True)
    data = opts.workdir / "corpus-data"
    ingest = _ingest(opts, data, say)
    result: dict[str, Any] = {"corpus": [str(p) for p in opts.corpus], "gold": [p.stem for p in opts.gold],
                              "ingest": ingest, "seconds": opts.seconds, "rounds": opts.rounds, "levels": []}
    conversations: list[Conversation] = []
    for workers in opts.workers:
        server = Server(cli_path(), data, {}, workers, opts.workdir / f"serve-{workers}.log")
        try:
            start = server.first_answer("三公经费是多少")
            if not conversations:
                conversations = gold_conversations(opts.gold, httpx.get(f"{server.url}/api/documents",
                                                                        timeout=60).json())
            load(server.url, conversations, 1, 10.0, workers)  # warm-up: each document read once
            memory = {**worker_rss_mb(server.proc.pid), "processes": _roles(server.proc.pid)}
            say(f"{workers} worker(s): started in {start:.1f} s; after warm-up {memory}")
            runs: dict[int, list[Load]] = {clients: [] for clients in opts.levels}
            for k in range(opts.rounds):
                for clients in opts.levels if k % 2 == 0 else opts.levels[::-1]:
                    runs[clients].append(load(server.url, conversations, clients, opts.seconds / opts.rounds,
                                              workers))
            for clients, rounds in runs.items():
                row = {**load_summary(merged(rounds)), **memory, "start_seconds": round(start, 1),
                       "rounds_rps": [round(r.throughput, 1) for r in rounds]}
                result["levels"].append(row)
                say(f"  {clients} clients: {row['throughput_rps']} requests/s (rounds {row['rounds_rps']}), "
                    f"p95 {row['p95_ms']} ms, {row['errors']} errors")
        finally:
            server.stop()
    if opts.log_rounds:
        result["question_log"] = log_overhead(cli_path(), data, {}, conversations, 20, opts.seconds, 1,
                                              opts.log_rounds, say)
    (opts.workdir / "bench-corpus.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                    encoding="utf-8")
    (opts.workdir / "bench-corpus.md").write_text(markdown(result), encoding="utf-8")
    return result


def gold_conversations(gold: tuple[Path, ...], documents: list[dict[str, Any]]) -> list[Conversation]:
    """Every item of the gold sets as a conversation, its document picked when the server
    holds exactly the one the item names (by id or by one of its files)."""
    named: dict[str, str] = {}
    for d in documents:
        for name in [d["doc_id"], *d.get("sources", [])]:
            named[Path(str(name)).name] = d["doc_id"]
    out = []
    for path in gold:
        for item in load_gold(path):
            doc = named.get(str(item.get("doc") or ""))
            out.append([Question("gold", turn, doc) for turn in item["turns"]])
    return out


def _ingest(opts: CorpusBench, data: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """The corpus into `data`, timed; then again (every file unchanged: it should cost ~0)."""
    marker = opts.workdir / "corpus-ingest.json"
    if opts.reuse and marker.exists():
        say(f"reusing {data}")
        return dict(json.loads(marker.read_text()))
    shutil.rmtree(data, ignore_errors=True)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        with open(opts.workdir / "corpus-ingest.log", "a") as log:
            done = subprocess.run([str(cli_path()), "--data-dir", str(data), "ingest", *map(str, opts.corpus)],
                                  stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ingest failed ({done.returncode}); see {opts.workdir / 'corpus-ingest.log'}")
        times.append(time.perf_counter() - started)
    files = sum(1 for p in opts.corpus for f in (p.rglob("*") if p.is_dir() else [p]) if f.is_file()
                and f.suffix.lower() in (".pdf", ".txt", ".xlsx"))
    result = {"files": files, "seconds": round(times[0], 1), "files_per_minute": round(60 * files / times[0], 1),
              "again_unchanged_seconds": round(times[1], 1)}
    marker.write_text(json.dumps(result))
    say(f"ingest: {result}")
    return result


def _roles(pid: int) -> list[dict[str, Any]]:
    return [{"pid": p, "role": role, "rss_mb": round(mb)} for p, (role, mb) in sorted(tree_rss(pid).items())]


def markdown(result: dict[str, Any]) -> str:
    i = result["ingest"]
    lines = [f"Corpus {', '.join(result['corpus'])}; conversations of {', '.join(result['gold'])}.",
             f"Ingest: {i['files']} files in {i['seconds']} s ({i['files_per_minute']} files/minute); "
             f"again, unchanged: {i['again_unchanged_seconds']} s.", "",
             f"Each level {result['seconds']} s in {result['rounds']} rounds, the levels taking turns.", "",
             "| clients | workers | requests/s | by round | p50 | p95 | p99 | errors | RSS per worker "
             "| other processes |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["levels"]:
        rounds = " ".join(f"{x:.0f}" for x in r["rounds_rps"])
        lines.append(f"| {r['clients']} | {r['workers']} | {r['throughput_rps']} | {rounds} | {r['p50_ms']:.0f} ms | "
                     f"{r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms | {r['errors']} | {r['worker_mb']} MB | "
                     f"{r['others_mb']} MB |")
    q = result.get("question_log")
    if q:
        lines += ["", f"Question log, 20 clients, 1 worker, alternating rounds: off {q['throughput_off_rps']} "
                      f"requests/s, on {q['throughput_on_rps']} requests/s (on/off {q['on_vs_off']})."]
    return "\n".join(lines) + "\n"
