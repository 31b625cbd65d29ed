"""The examiner's reading of the prose: each planted slip is reported with both places,
and the seed with its two known slips mended raises no problem at all."""

from __future__ import annotations

from pathlib import Path

from ingest import Finding, Store, ingest_paths
from tests.conftest import SEED

SLIP_1 = "涉及金额395.83万元"  # the seed's own slips: prose one cent off the tables
SLIP_2 = "本级资金 308.43"


def _findings(tmp_path: Path, text: str) -> list[Finding]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error
    return [f for f in store.findings() if not f.ok and f.check != "parse"]


def _seed(*edits: tuple[str, str]) -> str:
    text = SEED.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _mended() -> tuple[tuple[str, str], ...]:
    text = SEED.read_text(encoding="utf-8")
    one = next(line for line in text.splitlines() if "395.83" in line)
    two = next(line for line in text.splitlines() if "308.43" in line)
    return (one, one.replace("395.83", "395.84")), (two, two.replace("308.43", "308.44"))


def test_the_seed_shows_its_two_slips(tmp_path: Path) -> None:
    problems = _findings(tmp_path, SEED.read_text(encoding="utf-8"))
    assert sorted(f.check for f in problems) == ["prose", "prose"]
    assert any("395.83" in f.message and "395.84" in f.message for f in problems)
    assert any("308.43" in f.message and "308.44" in f.message for f in problems)


def test_a_clean_document_has_no_problem(tmp_path: Path) -> None:
    assert _findings(tmp_path, _seed(*_mended())) == []


def test_a_share_that_does_not_follow_from_its_figures(tmp_path: Path) -> None:
    problems = _findings(tmp_path, _seed(*_mended(), ("16.91 万元，占 4.33%", "16.91 万元，占 4.83%")))
    [share] = problems
    assert "卫生健康支出" in share.message and "4.83%" in share.message and "4.33%" in share.message
    assert "390.33" in share.message  # the whole the other shares of the section are of


def test_a_growth_rate_that_does_not_follow_from_its_figures(tmp_path: Path) -> None:
    problems = _findings(tmp_path, _seed(*_mended(), ("24.26 万元，增长 8.54%，主要原因是本年增加 1 人，人员",
                                                      "24.26 万元，增长 8.45%，主要原因是本年增加 1 人，人员")))
    [growth] = problems
    assert "基本支出" in growth.message and "8.45%" in growth.message and "8.54%" in growth.message
    assert "284.18" in growth.message  # last year's figure, 308.44 - 24.26


def test_a_growth_rate_computed_on_this_year_is_named(tmp_path: Path) -> None:
    problems = _findings(tmp_path, _seed(*_mended(), ("24.26 万元，增长 8.54%，主要原因是本年增加 1 人，人员",
                                                      "24.26 万元，增长 7.87%，主要原因是本年增加 1 人，人员")))
    [growth] = problems
    assert "上年数为基数" in growth.message


def test_one_subject_stated_twice_with_two_figures(tmp_path: Path) -> None:
    twice = ("4.住房保障支出（类）21.86 万元，占 5.60%。",
             "4.住房保障支出（类）21.86 万元，占 5.60%。\n\n"
             "卫生健康支出（类）16.19 万元，主要用于单位人员医疗保险缴费支出。")
    problems = _findings(tmp_path, _seed(*_mended(), twice))
    [stated] = [f for f in problems if "两次" in f.message]
    assert "卫生健康支出" in stated.message and "16.91" in stated.message and "16.19" in stated.message
    [table] = [f for f in problems if f is not stated]  # and 16.19 is in no table either
    assert "16.19" in table.message and "表" in table.message and "16.91" in table.message


def test_a_stated_total_of_listed_projects_against_the_projects(tmp_path: Path) -> None:
    stated = ("个，涉及预算\n\n金额 81.89 万元", "个，涉及预算\n\n金额 81.98 万元")
    problems = _findings(tmp_path, _seed(*_mended(), stated))
    [total] = problems
    assert "3 个项目涉及 81.98万元" in total.message and "81.89万元" in total.message
    assert "30.89万元（第18页）" in total.message


def test_a_change_stated_against_the_wrong_year(tmp_path: Path) -> None:
    text = _seed(*_mended())
    line = next(x for x in text.splitlines() if "比上年预算增加" in x and "基本支出" in x)
    problems = _findings(tmp_path, text.replace(line, line.replace("比上年预算增加", "与2022年相比增加")))
    [wrong] = [f for f in problems if "基数" in f.message]
    assert "2022" in wrong.message and "2023" in wrong.message


NEIGHBOUR = ("医疗补助（项）：2024 年预算数为 4.62 万元，比上年预算\n\n减少 2.23 万元，下降 32.55%",
             "医疗补助（项）：2024 年预算数为 12.29 万元，比上年预算\n\n减少 4.63 万元，下降 27.36%")


def test_an_item_given_its_neighbours_figures_is_a_copy(tmp_path: Path) -> None:
    [copy] = [f for f in _findings(tmp_path, _seed(*_mended(), NEIGHBOUR)) if "照抄" in f.message]
    assert "公务员医疗补助" in copy.message and "行政单位医疗" in copy.message and "4.62" in copy.message
    assert len(copy.places) == 3 and copy.computation


def test_the_same_figure_for_two_items_the_tables_agree_with_is_no_copy(tmp_path: Path) -> None:
    assert not [f for f in _findings(tmp_path, _seed(*_mended())) if "照抄" in f.message]


def test_a_description_of_the_document_with_another_year_is_a_slip(tmp_path: Path) -> None:
    own = ("年所有收入和支出均纳入单位预算管理。",
           "年所有收入和支出均纳入单位预算管理。纳入本单位 2023 年单位预算编制范围的预算单位共 1 家。")
    [slip] = _findings(tmp_path, _seed(*_mended(), own))
    assert "2023" in slip.message and "2024" in slip.message and slip.places
    right = (own[0], own[1].replace("2023", "2024"))
    assert _findings(tmp_path / "right", _seed(*_mended(), right)) == []


def test_a_completion_rate_that_does_not_follow_from_its_figures(tmp_path: Path) -> None:
    text = _seed(*_mended())
    extra = "\n\n一般公共预算财政拨款支出年初预算为 400.00 万元，支出决算为 390.33 万元，完成年初预算的 97.58%。\n"
    assert not [f for f in _findings(tmp_path / "ok", text.replace("\n\n", extra, 1)) if "完成" in f.message]
    [slip] = [f for f in _findings(tmp_path / "slip", text.replace("\n\n", extra.replace("97.58", "97.85"), 1))
              if "完成" in f.message]
    assert "97.85%" in slip.message and "= 97.58%" in slip.computation
