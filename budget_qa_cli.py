"""The budget-qa command: a thin layer over the ingest, qa, eval and server libraries."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ingest.errors import BudgetQAError
from ingest.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="budget-qa", description="预算/决算公开问答")
    parser.add_argument("--data-dir", type=Path, help="where the stores live (BUDGETQA_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="ingest PDFs, text extracts or folders")
    p.add_argument("paths", nargs="+", type=Path)
    p = sub.add_parser("ask", help="ask questions; the arguments are turns of one conversation")
    p.add_argument("questions", nargs="+")
    p.add_argument("--json", action="store_true", help="one reply object per turn (JSON Lines)")
    p = sub.add_parser("eval", help="answer and score a gold set")
    p.add_argument("gold", type=Path)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("facts", help="every fact as JSON Lines")
    p.add_argument("doc", nargs="?")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("audit", help="the consistency findings")
    p.add_argument("doc", nargs="?")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("documents", help="the documents: identity decided, files, tables expected and found")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("serve", help="the web chat and the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each with its own engine, sharing conversations and limits")
    p = sub.add_parser("bench", help="benchmark on N synthetic documents (not a test): start, memory, latency, load")
    p.add_argument("--n", type=int, nargs="+", default=[50, 200, 1000], help="corpus sizes (50 200 1000)")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workdir", type=Path, default=Path("bench-data"), help="corpora, stores and results")
    p.add_argument("--reuse", action="store_true", help="keep corpora and stores already built")
    p.add_argument("--questions", type=int, default=50, help="lookups, prose questions and comparisons each")
    p.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients of the load")
    p.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    p.add_argument("--workers", type=int, default=2, help="server workers under load")
    p.add_argument("--no-load", action="store_true", help="skip the concurrent load")
    args = parser.parse_args(argv)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    try:
        return COMMANDS[args.command](args, settings)
    except BudgetQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a full disk, a data dir we may not write, a lost database server
        from ingest.db import is_database_error, redact

        if not isinstance(exc, OSError) and not is_database_error(exc):
            raise
        where = f"the database {redact(settings.database_url)}" if settings.database_url \
            else f"the data dir {settings.data_dir}"
        print(f"error: {where} cannot be used: {exc}", file=sys.stderr)
        return 2


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ingest import ingest_paths, open_store
    from ingest.pipeline import FileResult
    from ingest.worker import isolated

    console = Console(stderr=True)
    out = Console(highlight=False, markup=False, soft_wrap=True)
    store = open_store(settings, on_wait=lambda message: console.print(message, markup=False))
    results: list[FileResult] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("读取", total=None)

        def on_page(path: Path, done: int, total: int) -> None:
            bar.update(task, description=f"{path.name} 第{done}页", completed=done, total=total)

        def on_file(r: FileResult) -> None:
            results.append(r)
            _print_result(out, store, r)

        # Each file is parsed in a child process under the limits (ingest.worker).
        ingest_paths(args.paths, store, on_file, on_page, isolated(settings.limits))
    by_type: Counter[str] = Counter()
    for r in results:
        by_type.update(r.tables_by_type)
    done = [r for r in results if not r.error and not r.unchanged]
    failed = [r for r in results if r.error]
    out.print(f"\n共 {len(results)} 个文件：新导入 {len(done)}，未变 {sum(r.unchanged for r in results)}，"
              f"失败 {len(failed)}；{sum(r.tables for r in done)} 张表（"
              + "、".join(f"{k} {v}" for k, v in sorted(by_type.items())) + f"），{sum(r.facts for r in done)} 个数字，"
              f"{sum(r.chunks for r in done)} 个文本块，{sum(r.findings for r in done)} 条勾稽结果"
              f"（{sum(r.problems for r in done)} 条问题），用时 {sum(r.seconds for r in results):.1f} 秒")
    for r in failed:
        out.print(f"  未能读取 {r.path}：{r.error}")
    return 1 if failed else 0


def _print_result(out: Any, store: Any, r: Any) -> None:
    if r.error:
        out.print(f"✗ {r.path}: {r.error}")
    elif r.unchanged:
        out.print(f"= {r.path}: already ingested ({r.doc_id})")
    else:
        types = ", ".join(f"{k} {v}" for k, v in r.tables_by_type.items())
        out.print(f"✓ {r.path}: {r.title} [{r.doc_id}] {r.tables} tables ({types}), "
                  f"{r.facts} facts, {r.chunks} chunks, {r.findings} audit findings "
                  f"({r.problems} problems), {r.seconds:.1f}s")
        out.print(f"    身份：{r.identity}")
        out.print(f"    表格：{r.catalogue}")
        if r.replaced:
            out.print(f"    替换：{'、'.join(r.replaced)}（同一单位、年度、类型和范围的旧版本）")
        for f in store.findings(r.doc_id):
            if not f.ok:
                out.print(f"    !! [{f.check}] {f.message}")


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from qa.engine import open_engine

    return open_engine(settings)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa import Conversation

    engine, conv = _engine(settings), Conversation()
    for q in args.questions:
        reply = engine.answer(q, conv)
        print(json.dumps(reply.to_json(), ensure_ascii=False) if args.json else reply.answer)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cells import is_cell_set, score_cells
    from eval.run import run_eval
    from eval.scoring import format_report

    if is_cell_set(args.gold):
        from ingest import open_store

        report = score_cells(open_store(settings, vectors=False), args.gold)
        print(report.format())
        if args.out is not None:
            args.out.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in report.misses),
                                encoding="utf-8")
        return 0
    print(format_report(run_eval(_engine(settings), args.gold, args.out)))
    return 0


def _doc_ids(store, doc: str | None) -> list[str | None]:  # type: ignore[no-untyped-def]
    if not doc:
        return [None]
    ids = [d.doc_id for d in store.documents() if d.doc_id == doc or doc in store.files(d.doc_id)]
    if not ids:
        raise BudgetQAError(f"no document {doc!r}; see `budget-qa facts` for what is ingested")
    return ids


def cmd_facts(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store

    store = open_store(settings, vectors=False)
    titles = {d.doc_id: d.title for d in store.documents()}
    for doc_id in _doc_ids(store, args.doc):
        for f in store.facts(doc_id):
            print(json.dumps({"doc_id": f.doc_id, "document": titles.get(f.doc_id, ""),
                              "sources": store.files(f.doc_id), "table": f.table,
                              "table_type": f.table_type, "code": f.code, "row": f.row,
                              "column": f.column, "value": str(f.value), "unit": f.unit,
                              "page": f.page, "quote": f.quote, "confidence": f.confidence},
                             ensure_ascii=False))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store

    store = open_store(settings, vectors=False)
    for doc_id in _doc_ids(store, args.doc):
        for f in store.findings(doc_id):
            if args.json:
                print(json.dumps({"doc_id": f.doc_id, "check": f.check, "ok": f.ok,
                                  "message": f.message, "page": f.page, "table": f.table},
                                 ensure_ascii=False))
            else:
                print(f"{'ok ' if f.ok else '!! '}[{f.check}] {f.message}")
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store

    store = open_store(settings, vectors=False)
    for d in store.documents():
        notes = {f.check: f.message for f in store.findings(d.doc_id) if f.ok and (
            f.check == "identity" or f.check == "catalogue" and f.message.startswith("应有"))}
        if args.json:
            print(json.dumps({"doc_id": d.doc_id, "title": d.title, "unit": d.unit, "year": d.year,
                              "kind": d.kind, "files": store.files(d.doc_id), **notes}, ensure_ascii=False))
            continue
        print(f"{d.doc_id} {d.title}（{'; '.join(store.files(d.doc_id))}）")
        for message in notes.values():
            print(f"    {message}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    import uvicorn

    if args.workers > 1:  # each worker builds its app from the environment (uvicorn's factory)
        os.environ["BUDGETQA_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run("server.app:app_from_environment", factory=True, host=args.host, port=args.port,
                    workers=args.workers)
        return 0
    from server.app import create_app, ready

    uvicorn.run(ready(create_app(settings)), host=args.host, port=args.port)
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import BenchOptions, markdown, run_bench

    opts = BenchOptions(tuple(args.n), args.backend, args.workdir, args.reuse, args.questions,
                        args.clients, args.seconds, args.workers, not args.no_load)
    results = run_bench(opts, say=lambda m: print(m, file=sys.stderr, flush=True))
    print(markdown(results))
    print(f"JSON: {args.workdir / f'bench-{args.backend}.json'}")
    return 0


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "eval": cmd_eval, "facts": cmd_facts,
            "audit": cmd_audit, "documents": cmd_documents, "serve": cmd_serve, "bench": cmd_bench}

if __name__ == "__main__":
    sys.exit(main())
