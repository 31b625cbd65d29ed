"""The budget-qa command: a thin layer over the ingest, qa, eval and server libraries."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ingest.errors import BudgetQAError
from ingest.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="budget-qa", description="预算/决算公开问答")
    parser.add_argument("--data-dir", type=Path, help="where the stores live (BUDGETQA_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the libraries' progress bars and warnings (hidden by default)")
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
    p.add_argument("--xlsx", type=Path, metavar="FILE", help="write an Excel workbook: a sheet per table type")
    p = sub.add_parser("audit", help="the consistency findings")
    p.add_argument("doc", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--xlsx", type=Path, metavar="FILE", help="write an Excel workbook of the findings and their places")
    p = sub.add_parser("documents", help="the documents: identity decided, files, tables expected and found")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("serve", help="the web chat and the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes, each with its own engine, sharing conversations and limits")
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="log lines as text or JSON objects; each carries the request id")
    p = sub.add_parser("staff", help="staff accounts: a token each, stored only as its hash")
    staff = p.add_subparsers(dest="staff_command", required=True)
    staff.add_parser("add", help="a new account; its token is printed once").add_argument("name")
    staff.add_parser("list", help="the accounts, active and revoked")
    staff.add_parser("revoke", help="revoke every token of NAME").add_argument("name")
    p = sub.add_parser("backup", help="a consistent copy of the store and its originals (safe while serving)")
    p.add_argument("dest", type=Path)
    p = sub.add_parser("restore", help="a backup into an empty --data-dir; the vectors are rebuilt")
    p.add_argument("src", type=Path)
    p = sub.add_parser("check", help="database integrity, vectors against chunks, pending outbox")
    p.add_argument("--repair", action="store_true", help="reconcile the vectors with the chunks")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("reingest", help="re-read the stored originals read by another extractor version")
    p.add_argument("--all", action="store_true", help="every document, whatever version read it")
    p = sub.add_parser("bench", help="benchmark on N synthetic documents, or on a real corpus with --corpus "
                                     "(not a test): start, memory, latency, load")
    p.add_argument("--n", type=int, nargs="+", default=[50, 200, 1000], help="corpus sizes (50 200 1000)")
    p.add_argument("--corpus", type=Path, nargs="+",
                   help="instead of synthetic documents: these files or folders, served under load levels")
    p.add_argument("--gold", nargs="+", default=["seed_qa", "real_qa"],
                   help="with --corpus: the question sets whose conversations the clients go through "
                        "(a path, or a name of ../shared/eval)")
    p.add_argument("--levels", type=int, nargs="+", default=[1, 20, 50], help="with --corpus: clients per level")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workdir", type=Path, default=Path("bench-data"), help="corpora, stores and results")
    p.add_argument("--reuse", action="store_true", help="keep corpora and stores already built")
    p.add_argument("--questions", type=int, default=50, help="lookups, prose questions and comparisons each")
    p.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients of the load")
    p.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    p.add_argument("--workers", type=int, nargs="+", default=None,
                   help="server workers under load (synthetic: 2; --corpus: 1 2, each measured)")
    p.add_argument("--no-load", action="store_true", help="skip the concurrent load")
    p.add_argument("--log-rounds", type=int, default=0,
                   help="also run the load this many rounds with the question log off and on, side by side")
    p.add_argument("--rounds", type=int, default=4,
                   help="--corpus: each level's --seconds in this many slices, the levels taking turns")
    args = parser.parse_args(argv)
    if not args.verbose:
        quiet_libraries()
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        return COMMANDS[args.command](args, settings)
    except ValidationError as exc:  # a BUDGETQA_* variable that is not a value of its setting
        for e in exc.errors():
            name = "BUDGETQA_" + "_".join(map(str, e["loc"])).upper()
            print(f"error: {name}={e.get('input')!r}: {e['msg']}", file=sys.stderr)
        return 2
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


def quiet_libraries() -> None:
    """No progress bar ("Loading weights") or warning of a library on the user's terminal. Said
    in the environment before any of them is imported, so that the parsing children and the
    server's workers inherit it; a variable the user set is left as it is."""
    import logging
    import os
    import warnings

    for name, value in (("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error"),
                        ("TQDM_DISABLE", "1"), ("PYTHONWARNINGS", "ignore")):
        os.environ.setdefault(name, value)
    warnings.simplefilter("ignore")
    for name in ("transformers", "sentence_transformers", "huggingface_hub", "chromadb", "torch"):
        logging.getLogger(name).setLevel(logging.ERROR)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ingest import ingest_paths, open_store
    from ingest.pipeline import FileResult
    from ingest.worker import isolated

    console = Console(stderr=True)
    out = Console(highlight=False, markup=False, soft_wrap=True)
    store = open_store(settings, on_wait=lambda message: console.print(message, markup=False),
                       load_when_needed=True)
    results: list[FileResult] = []
    problems: Counter[str] = Counter()  # whose (Finding.whose) → how many
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("读取", total=None)

        def on_page(path: Path, done: int, total: int) -> None:
            bar.update(task, description=f"{path.name} 第{done}页", completed=done, total=total)

        def on_file(r: FileResult) -> None:
            results.append(r)
            problems.update(_print_result(out, store, r))

        # Each file is parsed in a child process under the limits (ingest.worker).
        started = time.perf_counter()
        ingest_paths(args.paths, store, on_file, on_page, isolated(settings.limits))
    by_type: Counter[str] = Counter()
    for r in results:
        by_type.update(r.tables_by_type)
    done = [r for r in results if not r.error and not r.unchanged]
    failed = [r for r in results if r.error]
    counts = (f"共 {len(results)} 个文件：新导入 {len(done)}，未变 {sum(r.unchanged for r in results)}，"
              f"失败 {len(failed)}")
    if done:  # what the new files held; nothing to say of files already ingested
        counts += (f"；{sum(r.tables for r in done)} 张表（" + "、".join(f"{k} {v}" for k, v in sorted(by_type.items()))
                   + f"），{sum(r.facts for r in done)} 个数字，{sum(r.chunks for r in done)} 个文本块，"
                   f"{sum(r.findings for r in done)} 条勾稽结果（{_problem_counts_zh(problems)}）")
    out.print(f"\n{counts}，用时 {time.perf_counter() - started:.1f} 秒")
    pending = [r for r in results if r.vectors_pending]
    for r in pending:
        out.print(f"  !! {r.path}: stored; {r.vectors_pending} passage vectors pending (the vector index "
                  "failed): `budget-qa check --repair` adds them")
    for r in failed:
        out.print(f"  未能读取 {r.path}：{r.error}")
    return 1 if failed else 0


# How each kind of problem is introduced under a file: whose it is, and what follows from it.
PROBLEM_HEADINGS = {
    "document": "勾稽发现本文件自身 {n} 处前后不一（文件原文如此，不是导入出错；`budget-qa audit` 可再看）：",
    "catalogue": "目录列出而文件中没有找到的表 {n} 张：",
    "reader": "读取时 {n} 条未能确定的数字（多为文本提取丢失了空白单元格；这些数字未入库，不会用来作答）：",
}


def _print_result(out: Any, store: Any, r: Any) -> Counter[str]:
    """The file's result, its problems grouped by whose they are; returns their counts."""
    from ingest.years import findings_of

    if r.error:
        out.print(f"✗ {r.path}: {r.error}")
        return Counter()
    if r.unchanged:
        out.print(f"= {r.path}: already ingested ({r.doc_id})")
        return Counter()
    problems = [f for f in findings_of(store, r.doc_id) if not f.ok]
    types = ", ".join(f"{k} {v}" for k, v in r.tables_by_type.items())
    out.print(f"✓ {r.path}: {r.title} [{r.doc_id}] {r.tables} tables ({types}), "
              f"{r.facts} facts, {r.chunks} chunks, {r.findings} audit findings "
              f"({_problem_counts(problems) or 'no problems'}), {r.seconds:.1f}s, read as {r.encoding}")
    out.print(f"    身份：{r.identity}")
    out.print(f"    表格：{r.catalogue}")
    if r.replaced:
        out.print(f"    替换：{'、'.join(r.replaced)}（同一单位、年度、类型和范围的旧版本）")
    for whose, heading in PROBLEM_HEADINGS.items():
        mine = [f for f in problems if f.whose == whose]
        if mine:
            out.print("    " + heading.format(n=len(mine)))
        for f in mine:
            out.print(f"    !! [{f.check}] {f.message}")
    return Counter(f.whose for f in problems)


def _problem_counts(problems: list[Any]) -> str:
    counts = Counter(f.whose for f in problems)
    said = {"document": "{n} in the document itself", "catalogue": "{n} tables missing",
            "reader": "{n} not read"}
    return "; ".join(said[w].format(n=counts[w]) for w in said if counts[w])


def _problem_counts_zh(counts: Counter[str]) -> str:
    said = {"document": "文件自身前后不一 {n} 处", "catalogue": "缺表 {n} 张", "reader": "未能读出 {n} 条"}
    return "，".join(said[w].format(n=counts[w]) for w in said if counts[w]) or "没有发现问题"


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
    from eval.scoring import format_report, load_gold

    if is_cell_set(args.gold):
        from ingest import open_store

        report = score_cells(open_store(settings, vectors=False), args.gold)
        print(report.format())
        if args.out is not None:
            args.out.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in report.misses),
                                encoding="utf-8")
        return 0
    try:
        load_gold(args.gold)  # a bad set is said before the engine loads, not as a trace
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    if args.xlsx is not None:
        from ingest.export import write_facts_xlsx

        ids = [i for i in _doc_ids(store, args.doc) if i is not None] if args.doc else None
        print(f"{write_facts_xlsx(store, args.xlsx, ids)} facts → {args.xlsx}")
        return 0
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
    from ingest.years import findings_of

    store = open_store(settings, vectors=False)
    if args.xlsx is not None:
        from ingest.export import write_audit_xlsx

        ids = [i for i in _doc_ids(store, args.doc) if i is not None] if args.doc else None
        print(f"{write_audit_xlsx(store, args.xlsx, ids)} findings → {args.xlsx}")
        return 0
    for doc_id in _doc_ids(store, args.doc):
        for f in findings_of(store, doc_id):
            if args.json:
                print(json.dumps({"doc_id": f.doc_id, "check": f.check, "ok": f.ok,
                                  "message": f.message, "page": f.page, "table": f.table,
                                  "places": [{"page": p.page, "table": p.table, "quote": p.quote} for p in f.places],
                                  "computation": f.computation}, ensure_ascii=False))
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

    from server.observe import MULTIPROC, log_config
    from server.settings import server_settings

    settings = server_settings(settings)  # a bad BUDGETQA_* value is reported here, not by each worker
    if not os.environ.get(MULTIPROC):  # the workers' metrics, summed by whichever answers /metrics
        import atexit
        import shutil
        import tempfile

        os.environ[MULTIPROC] = tempfile.mkdtemp(prefix="budgetqa-metrics-")
        atexit.register(shutil.rmtree, os.environ[MULTIPROC], True)
    logging = {"log_config": log_config(args.log_format), "access_log": False}  # our access line has no IP
    service = None
    if not settings.embed_socket:  # one model for every worker, in a process of its own
        from ingest.embed_service import EmbeddingService

        service = EmbeddingService(settings)
        settings = settings.model_copy(update={"embed_socket": str(service.socket)})
        os.environ["BUDGETQA_EMBED_SOCKET"] = str(service.socket)
    try:
        if args.workers > 1:  # each worker builds its app from the environment (uvicorn's factory)
            os.environ["BUDGETQA_DATA_DIR"] = str(settings.data_dir)
            uvicorn.run("server.app:app_from_environment", factory=True, host=args.host, port=args.port,
                        workers=args.workers, **logging)  # type: ignore[arg-type]
            return 0
        from server.app import create_app, ready

        uvicorn.run(ready(create_app(settings)), host=args.host, port=args.port, **logging)  # type: ignore[arg-type]
        return 0
    finally:
        if service is not None:
            service.stop()


def _who() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _record(settings: Settings, action: str, target: str, result: str, detail: dict[str, Any]) -> None:
    from ingest import Store

    store = Store(Path(settings.data_dir), database_url=settings.database_url)
    store.record(_who(), action, target, result, detail)
    store.close()


def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from ingest.db import connect
    from server.staff import StaffAccounts

    accounts = StaffAccounts(connect(settings.database_url, Path(settings.data_dir)))
    if args.staff_command == "add":
        token = accounts.add(args.name)
        _record(settings, "staff add", args.name, "done", {})
        print(f"staff account {args.name} added; its token, shown only now (keep it secret):")
        print(token)
    elif args.staff_command == "revoke":
        n = accounts.revoke(args.name)
        _record(settings, "staff revoke", args.name, "done" if n else "unknown", {"tokens": n})
        print(f"{n} token(s) of {args.name} revoked" if n else f"no active token of {args.name}")
        return 0 if n else 1
    else:
        for a in accounts.accounts():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(a.created))
            state = "active" if a.revoked is None else \
                "revoked " + time.strftime("%Y-%m-%d %H:%M", time.localtime(a.revoked))
            print(f"{a.name}\t{a.token_id}\tadded {when}\t{state}")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.backup import backup

    manifest = backup(settings, args.dest)
    counts = manifest["counts"]
    _record(settings, "backup", str(args.dest), "done", {"counts": counts})
    print(f"backup in {args.dest}: {counts.get('documents', 0)} documents, {counts.get('facts', 0)} facts, "
          f"{len(manifest['originals'])} originals, {counts.get('question_log', 0)} logged questions; "
          f"database sha256 {manifest['database']['sha256'][:16]}…")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store
    from ingest.backup import restore

    manifest = restore(args.src, settings)
    store = open_store(settings)  # embeds every passage again: the vectors are derived
    missing, orphans = store.vector_differences()
    store.record(_who(), "restore", str(args.src), "done" if not missing else "vectors pending",
                 {"counts": manifest["counts"], "vectors": len(store.vectors.ids()) if store.vectors else 0})
    print(f"restored {manifest['counts'].get('documents', 0)} documents, {manifest['counts'].get('facts', 0)} facts "
          f"into {settings.data_dir}; vectors rebuilt: {len(store.vectors.ids()) if store.vectors else 0}"
          f"{f', {len(missing)} still missing' if missing else ''}")
    return 0 if not missing and not orphans else 1


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store
    from ingest.check import check_store

    report = check_store(open_store(settings, reconcile=False), repair=args.repair)
    if args.repair:
        _record(settings, "check --repair", str(settings.data_dir), "done" if report.ok else "failed",
                report.repaired or {})
    print(json.dumps(report.to_json(), ensure_ascii=False) if args.json else "\n".join(report.lines()))
    return 0 if report.ok else 1


def cmd_reingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest import open_store
    from ingest.reingest import reingest
    from ingest.version import extractor_version
    from ingest.worker import isolated

    store = open_store(settings)
    results = reingest(store, args.all, isolated(settings.limits), lambda r: print(r.line(), flush=True))
    changed = [r for r in results if r.added or r.removed or r.changed]
    failed = [r for r in results if r.error]
    store.record(_who(), "reingest", f"{len(results)} documents", "failed" if failed else "done",
                 {"extractor": extractor_version(), "changed": [r.doc_id for r in changed],
                  "failed": [r.doc_id for r in failed]})
    print(f"{len(results)} documents re-read with extractor {extractor_version()}: {len(changed)} changed, "
          f"{len(failed)} failed")
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench_cli import run

    return run(args)


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "eval": cmd_eval, "facts": cmd_facts,
            "audit": cmd_audit, "documents": cmd_documents, "serve": cmd_serve, "bench": cmd_bench,
            "staff": cmd_staff, "backup": cmd_backup, "restore": cmd_restore, "check": cmd_check,
            "reingest": cmd_reingest}

if __name__ == "__main__":
    sys.exit(main())
