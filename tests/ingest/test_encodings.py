"""Text extracts saved by Windows tools in Chinese offices (GB18030/GBK) or as UTF-16 with a
BOM read to the same facts as the UTF-8 seed, and the report names the encoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.charset import NotText, TextCheck, decode_text
from tests.conftest import SEED


def _facts(store: Store) -> list[tuple]:
    return sorted((f.table, f.code or "", f.row, f.column, str(f.value), f.unit, f.page or 0) for f in store.facts())


@pytest.mark.parametrize(("codec", "label"), [("gb18030", "GB18030/GBK"), ("utf-16", "UTF-16"),
                                              ("utf-8-sig", "UTF-8 (BOM)")])
def test_a_seed_in_another_encoding_gives_the_same_facts(tmp_path: Path, seed_store: Store,
                                                         codec: str, label: str) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode(codec))
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error and result.encoding == label
    assert _facts(store) == _facts(seed_store) and len(_facts(store)) > 100


def test_gbk_bytes_are_read_and_other_bytes_refused() -> None:
    assert decode_text("预算支出".encode("gbk")) == ("预算支出", "gb18030")
    assert decode_text("预算支出".encode()) == ("预算支出", "utf-8")
    check = TextCheck(b"caf")
    with pytest.raises(NotText, match="byte 3"):
        check.feed(b"caf\xe9\xff")
        check.finish()
