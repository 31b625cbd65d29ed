"""Tables found from the document's own contents page: a title the contents list starts a
table even where no 单位 line or known header follows it; every listed table is found,
found empty, or reported missing."""

from __future__ import annotations

import re
from pathlib import Path

from ingest import Store, ingest_paths
from tests.conftest import SEED
from tests.pdfs import _canvas


def _draw(path: Path, contents: list[str], body: list[tuple[str, ...]]) -> None:
    c = _canvas(path)
    c.setFont("STSong-Light", 11)
    c.drawString(50, 800, "测试县卫生局2017年部门预算公开")
    c.drawString(50, 770, "目录")
    for i, line in enumerate(contents):
        c.drawString(50, 750 - 20 * i, line)
    c.showPage()
    c.setFont("STSong-Light", 11)
    for i, (label, *cells) in enumerate(body):
        y = 800 - 20 * i
        c.drawString(50, y, label)
        for x, cell in zip((300, 380, 460, 540), cells, strict=False):
            c.drawRightString(x, y, cell)
    c.save()


CONTENTS = ["一、“三公”经费支出预算表", "二、政府采购预算表"]
BODY = [("一、2017年“三公”经费支出预算表",), ("编制单位：测试县卫生局",), ("单位：万元",),
        ("项目", "合计", "因公出国（境）费", "公务接待费", "公务用车购置及运行费"),
        ("预算数", "30.00", "10.00", "5.00", "15.00"),
        ("2017 年政府采购预算表",),  # no 单位 line, and a header of words no rule knows
        ("采购品目", "采购方式", "总计"),
        ("物业管理服务", "分散采购", "120.00"),
        ("复印纸", "分散采购", "8.00"),
        ("合计", "", "128.00")]


def test_a_listed_title_ends_the_table_before_it(tmp_path: Path) -> None:
    path = tmp_path / "listed.pdf"
    _draw(path, CONTENTS, BODY)
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    facts = store.facts()
    procurement = {f.row: f.value for f in facts if f.table_type == "政府采购表"}
    assert procurement.get("物业管理服务分散采购") == 120 or procurement.get("物业管理服务") == 120, procurement
    assert not [f for f in facts if f.table_type == "三公经费表" and "物业" in f.row]
    assert result.missing == 0 and "应有 2 张表（目录）：找到 2" in result.catalogue


def test_a_table_the_contents_list_and_the_document_lacks_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "short.pdf"
    _draw(path, [*CONTENTS, "三、机关运行经费支出预算表"], BODY)
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert result.missing == 1 and "机关运行经费支出预算表（目录第1页）" in result.catalogue
    [missing] = [f for f in store.findings() if f.check == "catalogue" and not f.ok]
    assert missing.page == 1


def test_a_text_extract_numbered_in_words_keeps_its_tables(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for n, word in ((1, "一"), (2, "二"), (3, "三")):
        marks = [line for line in text.splitlines() if line.strip() == f"表 {n}"]
        assert len(marks) == 1
        text = text.replace(marks[0] + "\n", f"{word}、", 1)
    path = tmp_path / "words.txt"
    path.write_text(text, encoding="utf-8")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error
    assert {"收支总表", "收入总表", "支出总表"} <= set(result.tables_by_type)
    assert [f for f in store.facts() if f.table_type == "支出总表" and f.code == "2080109"]


def test_a_title_with_a_spaced_year_in_front_starts_its_table(tmp_path: Path) -> None:
    body = [("2017 年一般公共预算机关运行经费支出预算表",), ("单位：万元",), ("科目编码 科目名称", "机关运行经费支出"),
            ("302 商品和服务支出", "", "", "30.00"), ("30201 办公费", "", "", "30.00"),
            ("2017 年一般公共预算基本支出预算表",), ("单位：万元",), ("科目编码 科目名称", "", "", "合计"),
            ("301 工资福利支出", "", "", "70.00"), ("30101 基本工资", "", "", "70.00")]
    path = tmp_path / "years.pdf"
    _draw(path, ["一、一般公共预算机关运行经费支出预算表"], body)  # the contents omit the second table
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    types = {f.code: f.table_type for f in store.facts() if f.code}
    assert types == {"302": "机关运行经费表", "30201": "机关运行经费表",
                     "301": "一般公共预算基本支出表", "30101": "一般公共预算基本支出表"}


def test_tables_beyond_the_expected_ones_are_named_so_the_counts_add_up(seed_store: Store) -> None:
    [doc] = seed_store.documents()
    tables = seed_store.tables(doc.doc_id)
    [summary] = [f.message for f in seed_store.findings(doc.doc_id) if f.message.startswith("应有")]
    expected, found = (int(x) for x in re.findall(r"应有 (\d+) 张表.*找到 (\d+)", summary)[0])
    extra = re.search(r"另有 (\d+) 张标准目录之外的表：(.+)$", summary)
    assert extra, summary
    assert found == expected and found + int(extra.group(1)) == len(tables), (summary, len(tables))
    assert "结转结余表" in extra.group(2).split("、")
