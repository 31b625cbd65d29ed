"""A planted inconsistency is found; re-ingesting changes nothing."""

from __future__ import annotations

from pathlib import Path

from ingest import Store, ingest_paths
from tests.conftest import SEED
from tests.pdfs import draw_table_pdf


def test_planted_total_error_is_reported(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    planted = text.replace("合计 395.84 308.44 87.40", "合计 395.84 308.44 87.41", 1)
    assert planted != text
    path = tmp_path / "planted.txt"
    path.write_text(planted, encoding="utf-8")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error
    bad = [f for f in store.findings() if not f.ok and "表3" in (f.table or "")]
    assert bad, "the changed 表3 total must be reported"
    assert all("87.41" not in str(f.value) for f in store.facts() if f.table.startswith("表3"))


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ingest_paths([SEED], store)
    before = (len(store.facts()), len(store.chunks()), len(store.documents()))
    [again] = ingest_paths([SEED], store)
    assert again.unchanged
    assert (len(store.facts()), len(store.chunks()), len(store.documents())) == before


def _ingest_text(tmp_path: Path, text: str) -> Store:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error
    return store


def test_a_one_digit_class_code_is_repaired_not_a_totals_problem(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    line = "208 社会保障和就业支出 345.12 339.61 257.72 81.89 5.51"
    assert text.count(line) == 1
    clean = _ingest_text(tmp_path / "clean", text)
    misprinted = _ingest_text(tmp_path / "bad", text.replace(line, line.replace("208 ", "2 ", 1)))
    totals = sorted(f.message for f in clean.findings() if f.check == "totals" and not f.ok)
    assert sorted(f.message for f in misprinted.findings() if f.check == "totals" and not f.ok) == totals
    [code] = [f for f in misprinted.findings() if f.check == "code"]
    assert not code.ok and "“2”" in code.message and "208" in code.message
    in_table2 = sorted(f.value for f in clean.facts() if f.code == "208" and f.table.startswith("表2"))
    assert in_table2
    assert sorted(f.value for f in misprinted.facts() if f.code == "208" and f.table.startswith("表2")) == in_table2


def _yuan_table(tmp_path: Path, kuan2: str) -> Store:
    path = tmp_path / "yuan.pdf"
    draw_table_pdf(path, [("210 卫生健康支出", "1,205,001", "1,000,000", "205,001"),
                          ("21001 卫生健康管理事务", "800,000", "700,000", "100,000"),
                          ("21002 公立医院", kuan2, "300,000", kuan2.replace("405", "105", 1)),
                          ("合计", "1,205,001", "1,000,000", "205,001")], unit="元")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    return store


def test_one_yuan_off_where_every_other_total_adds_up_is_a_slip(tmp_path: Path) -> None:
    store = _yuan_table(tmp_path, "405,000")  # 800,000 + 405,000 = 1,205,000: printed 1,205,001
    slips = [f for f in store.findings() if f.check == "totals" and not f.ok]
    assert slips and all("1205001" in f.message and "1205000" in f.message for f in slips[:1])
    assert all(f.places and f.computation for f in slips)


def test_one_yuan_gaps_in_several_totals_are_the_documents_rounding(tmp_path: Path) -> None:
    path = tmp_path / "rounded.pdf"
    draw_table_pdf(path, [("208 社会保障和就业支出", "500,001", "500,001", ""),
                          ("20801 人力资源和社会保障管理事务", "200,000", "200,000", ""),
                          ("20805 行政事业单位养老支出", "300,000", "300,000", ""),
                          ("210 卫生健康支出", "1,205,001", "1,000,000", "205,001"),
                          ("21001 卫生健康管理事务", "800,000", "700,000", "100,000"),
                          ("21002 公立医院", "405,000", "300,000", "105,000"),
                          ("合计", "1,705,002", "1,500,001", "205,001")], unit="元")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    totals = [f for f in store.findings() if f.check == "totals"]
    assert totals and all(f.ok for f in totals)
    assert any("四舍五入" in f.message for f in totals)


def test_more_than_rounding_in_a_yuan_table_is_a_problem(tmp_path: Path) -> None:
    store = _yuan_table(tmp_path, "404,990")  # 11 元 short
    assert [f for f in store.findings() if f.check == "totals" and not f.ok]


def test_a_row_whose_total_is_not_its_parts_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "row.pdf"
    draw_table_pdf(path, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                          ("21001 卫生健康管理事务", "80.00", "70.00", "10.00"),
                          ("21002 公立医院", "40.50", "30.00", "15.50"),  # 30.00 + 15.50 ≠ 40.50
                          ("合计", "120.50", "100.00", "20.50")])
    store = Store(tmp_path / "data")
    ingest_paths([path], store)
    failed = [f.message for f in store.findings() if f.check == "totals" and not f.ok]
    assert any("公立医院" in m and "基本支出+项目支出" in m and "45.50" in m for m in failed), failed


def test_a_kuan_printed_under_the_wrong_class_is_repaired(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    line = "208 05 行政事业单位养老支出 39.13 39.13 39.13"
    assert text.count(line) == 1
    clean = _ingest_text(tmp_path / "clean", text)
    misprinted = _ingest_text(tmp_path / "bad", text.replace(line, line.replace("208 05", "210 05", 1)))
    totals = sorted(f.message for f in clean.findings() if f.check == "totals" and not f.ok)
    assert sorted(f.message for f in misprinted.findings() if f.check == "totals" and not f.ok) == totals
    [code] = [f for f in misprinted.findings() if f.check == "code"]
    assert "“21005”" in code.message and "20805" in code.message
    assert not [f for f in misprinted.facts() if f.code == "21005"]


def test_a_three_public_item_below_its_basic_row_is_a_problem(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for old, new in (("合计 2.28 2.28", "合计 2.18 2.18"), ("\n公务接待费 0.14 0.14", "\n公务接待费 0.04 0.04")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    store = _ingest_text(tmp_path, text)
    [problem] = [f for f in store.findings() if f.check == "cross_table" and not f.ok]
    assert "公务接待费" in problem.message and "0.04" in problem.message and "0.14" in problem.message


def test_a_xiang_printed_with_a_wrong_class_is_repaired_before_the_totals(tmp_path: Path) -> None:
    path = tmp_path / "misprint.pdf"
    draw_table_pdf(path, [("210 卫生健康支出", "100.00", "80.00", "20.00"),
                          ("21011 行政事业单位医疗", "100.00", "80.00", "20.00"),
                          ("2101101 行政单位医疗", "60.00", "50.00", "10.00"),
                          ("71102 事业单位医疗", "40.00", "30.00", "10.00"),  # printed "7 11 02"
                          ("合计", "100.00", "80.00", "20.00")])
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    [code] = [f for f in store.findings() if f.check == "code"]
    assert "71102" in code.message and "2101102" in code.message
    assert not [f for f in store.findings() if f.check == "totals" and not f.ok]
    assert {f.code for f in store.facts() if f.row == "事业单位医疗"} == {"2101102"}
