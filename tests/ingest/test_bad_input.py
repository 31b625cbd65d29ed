"""Bad files get a clear message and lose nothing already ingested."""

from __future__ import annotations

from pathlib import Path

import pytest

from budget_qa_cli import main
from ingest import Store, ingest_paths
from tests.conftest import SEED
from tests.pdfs import draw_table_pdf


@pytest.fixture()
def store_with_seed(tmp_path: Path) -> Store:
    store = Store(tmp_path / "data")
    ingest_paths([SEED], store)
    return store


@pytest.mark.parametrize(("name", "content", "message"), [
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("empty.txt", b"", "empty"),
    ("latin1.txt", "caf\xe9".encode("latin-1"), "UTF-8"),
    ("corrupt.pdf", b"%PDF-1.4\n%garbage that is not a pdf\n", "PDF"),
    ("novel.txt", "从前有座山，山里有座庙。".encode(), "disclosure"),
])
def test_bad_file_is_refused_and_nothing_lost(store_with_seed: Store, tmp_path: Path,
                                              name: str, content: bytes, message: str) -> None:
    before = (len(store_with_seed.facts()), len(store_with_seed.documents()))
    path = tmp_path / name
    path.write_bytes(content)
    [result] = ingest_paths([path], store_with_seed)
    assert message in result.error
    assert (len(store_with_seed.facts()), len(store_with_seed.documents())) == before


def test_pdf_without_text_layer_is_called_a_scan(store_with_seed: Store, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(100, 100, 200, 200, fill=1)
    c.save()
    [result] = ingest_paths([path], store_with_seed)
    assert "text layer" in result.error


def test_small_pdf_disclosure_is_ingested(tmp_path: Path) -> None:
    path = tmp_path / "tiny.pdf"
    draw_table_pdf(path, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                          ("21001 卫生健康管理事务", "120.50", "100.00", "20.50"),
                          ("合计", "120.50", "100.00", "")])
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    values = {(f.code, f.column): f.value for f in store.facts()}
    assert str(values[("21001", "项目支出")]) == "20.50"
    assert ("合计", "项目支出") not in {(f.row, f.column) for f in store.facts()}  # a blank cell stays blank
    assert store.documents()[0].unit == "测试县卫生局"


def test_cli_ingest_of_binary_exits_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"\x00\x01garbage")
    import ingest

    monkeypatch.setattr(ingest, "open_store", lambda settings, vectors=True, **kw: Store(tmp_path / "d"))
    code = main(["--data-dir", str(tmp_path / "d"), "ingest", str(path)])
    assert code != 0
    assert "binary" in capsys.readouterr().out
