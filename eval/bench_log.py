"""The question log's cost to serving: the same load against the same store with the log off
(BUDGETQA_LOG_QUESTIONS=0) and on, side by side in one run, in alternating rounds (off, on,
on, off, …) so that a machine busy with something else weighs on both alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.bench_http import Server, load


def log_overhead(cli: Path, data: Path, env: dict[str, str], conversations: list[Any], clients: int,
                 seconds: float, workers: int, rounds: int, say: Callable[[str], None]) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    order = [("off", "on") if r % 2 == 0 else ("on", "off") for r in range(rounds)]
    for i, pair in enumerate(order):
        for mode in pair:
            server = Server(cli, data, {**env, "BUDGETQA_LOG_QUESTIONS": "1" if mode == "on" else "0"}, workers,
                            data.parent / f"serve-log-{mode}-{i}.log")
            try:
                server.first_answer(conversations[0][0].message)
                say(f"question log {mode}, round {i + 1}: {clients} clients × {seconds:.0f} s on {workers} worker(s)")
                r = load(server.url, conversations, clients, seconds, workers)
            finally:
                server.stop()
            runs[mode].append({"requests": r.requests, "errors": r.errors, "throughput_rps": round(r.throughput, 2)})
            say(f"  {r.throughput:.1f} requests/s, {r.errors} errors")
    mean = {m: sum(x["throughput_rps"] for x in v) / len(v) for m, v in runs.items()}
    return {"rounds": runs, "throughput_off_rps": round(mean["off"], 2), "throughput_on_rps": round(mean["on"], 2),
            "on_vs_off": round(mean["on"] / mean["off"], 3) if mean["off"] else None}
