"""`budget-qa bench`: the CLI's arguments to the synthetic or the corpus benchmark, and
their results printed (Markdown, then where the JSON went)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.bench import BenchOptions, markdown, run_bench
from eval.bench_corpus import CorpusBench, run_corpus_bench
from eval.bench_corpus import markdown as corpus_markdown


def run(args: argparse.Namespace) -> int:
    """Synthetic documents (`--n`), or a real corpus with `--corpus`."""
    if args.corpus:
        return _bench_corpus(args)
    opts = BenchOptions(tuple(args.n), args.backend, args.workdir, args.reuse, args.questions,
                        args.clients, args.seconds, (args.workers or [2])[0], not args.no_load,
                        log_rounds=args.log_rounds)
    results = run_bench(opts, say=lambda m: print(m, file=sys.stderr, flush=True))
    print(markdown(results))
    for r in results:
        log = (r.get("load") or {}).get("question_log")
        if log:
            print(f"N={r['n']}: question log off {log['throughput_off_rps']} requests/s, "
                  f"on {log['throughput_on_rps']} requests/s (on/off {log['on_vs_off']})")
    print(f"JSON: {args.workdir / f'bench-{args.backend}.json'}")
    return 0


def _bench_corpus(args: argparse.Namespace) -> int:
    shared = Path(__file__).resolve().parents[2] / "shared" / "eval"
    gold = tuple(Path(g) if Path(g).exists() else shared / f"{g}.jsonl" for g in args.gold)
    missing = [str(g) for g in gold if not g.exists()]
    if missing:
        print(f"error: no question set {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.rounds < 1:
        print("error: --rounds must be at least 1", file=sys.stderr)
        return 2
    opts = CorpusBench(tuple(args.corpus), gold, args.workdir, tuple(args.levels), tuple(args.workers or [1, 2]),
                       args.seconds, args.reuse, args.log_rounds, args.rounds)
    result = run_corpus_bench(opts, say=lambda m: print(m, file=sys.stderr, flush=True))
    print(corpus_markdown(result))
    print(f"JSON: {args.workdir / 'bench-corpus.json'}")
    return 0
