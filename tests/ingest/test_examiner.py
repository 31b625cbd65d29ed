"""The audit as an examiner over the real corpus: for each class of slip, a slip the
documents really print is found with both places and the computation, and the documents
without slips raise none of that class. Classes no visible document prints are planted in
the seed (tests/ingest/test_examine.py) or drawn (tests/ingest/test_audit.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest import Finding, Store
from ingest.years import findings_of

pytestmark = pytest.mark.slow

CLEAN = ["sh_2024_pt_wanli_budget.pdf", "sh_2025_pt_zhengfubangongshi_unit_budget.pdf",
         "sh_2025_pt_shangwuwei_budget.pdf", "js_2019_zhengxie_budget_tables.pdf"]
# a class of slip: how its findings read
CLASSES: dict[str, Callable[[Finding], bool]] = {
    "growth": lambda f: f.check == "prose" and ("增长应为" in f.message or "下降应为" in f.message),
    "share": lambda f: f.check == "prose" and "占" in f.message and "计算应为" in f.message,
    "completion": lambda f: f.check == "prose" and ("无完成率" in f.message or "完成年初预算的" in f.message
                                                     or "完成全年预算的" in f.message),
    "subtotal": lambda f: f.check == "totals",
    "cross_table": lambda f: f.check == "cross_table",
    "prose_vs_table": lambda f: f.check == "prose" and "与表格各数均不符" in f.message,
    "neighbour": lambda f: "照抄上一项" in f.message,
    "forms": lambda f: f.check == "forms",
    "years": lambda f: f.check == "years",
    "base_year": lambda f: "为基数" in f.message or "说明本文件的范围时写" in f.message,
    "code": lambda f: f.check == "code",
}
# (class, file, words every one of which the finding states)
SLIPS = [
    ("growth", "js_2017_gaoyuan_budget.pdf", ("提租补贴", "79.05%", "79.09%")),
    ("growth", "js_2018_jianchayuan_budget.pdf", ("行政运行", "36.58%", "36.59%")),  # a hundredth off
    ("growth", "js_2019_swbgt_budget.pdf", ("住房保障", "30%", "29.15%")),
    ("share", "js_2017_jianchayuan_budget.pdf", ("因公出国（境）费支出", "18.85%", "18.82%")),
    ("share", "sh_2024_pt_shehuigongzuobu_final.pdf", ("住房保障支出", "9.55%", "9.56%")),
    ("share", "sh_2024_pt_caizhengju_final.pdf", ("一般公共服务支出", "71.73%", "71.65%")),
    ("completion", "sh_2024_pt_shehuigongzuobu_final.pdf", ("95.89%", "年初预算为 0")),
    ("subtotal", "sh_2024_pt_shehuigongzuobu_final.pdf", ("商品和服务支出", "10.23", "10.22")),
    ("cross_table", "sh_2024_pt_caizhengju_final.pdf", ("社会保障和就业支出", "326.72", "326.71")),
    ("prose_vs_table", "js_2017_jianchayuan_budget.pdf", ("基本支出", "12323.46", "12323.48")),
    ("prose_vs_table", "sh_2024_pt_caizhengju_final.pdf", ("财政拨款收入支出总计", "0.3", "2961.68")),
    ("forms", "sh_2023_pt_wanli_budget.pdf", ("公共服务设施运行经费", "10903043.00", "11419043.00")),
    ("forms", "sh_2023_pt_wanli_budget.pdf", ("3328.13", "3351.33")),
    ("years", "js_2018_jianchayuan_budget.pdf", ("基本支出", "1670.85", "12323.48", "1670.83")),
    ("base_year", "sh_2026_pt_sifaju_budget.pdf", ("2026 年为基数", "2025 年")),
]


def _findings(store: Store, file: str) -> list[Finding]:
    [doc] = [d for d in store.documents() if file in store.files(d.doc_id)]
    return [f for f in findings_of(store, doc.doc_id) if not f.ok]


@pytest.mark.parametrize(("kind", "file", "words"), SLIPS, ids=[f"{k}-{f[:14]}" for k, f, _ in SLIPS])
def test_a_real_slip_is_found_with_its_places_and_computation(corpus_store: Store, kind: str, file: str,
                                                              words: tuple[str, ...]) -> None:
    found = [f for f in _findings(corpus_store, file) if CLASSES[kind](f) and all(w in f.message for w in words)]
    assert found, [f.message for f in _findings(corpus_store, file)]
    assert all(f.places and f.computation and f.page for f in found)


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_documents_without_slips_raise_none(corpus_store: Store, kind: str) -> None:
    for file in CLEAN:
        assert not [f.message for f in _findings(corpus_store, file) if CLASSES[kind](f)], file


def test_the_documents_own_rounding_is_no_slip(corpus_store: Store) -> None:
    """The 财政局's 万元 tables, each figure rounded from 元, differ from their sums by 0.01 in
    several places: that is rounding, noted, not a slip."""
    [doc] = [d for d in corpus_store.documents() if "sh_2024_pt_caizhengju_final.pdf" in corpus_store.files(d.doc_id)]
    totals = [f for f in corpus_store.findings(doc.doc_id) if f.check == "totals"]
    assert totals and all(f.ok for f in totals)
    assert any("四舍五入" in f.message for f in totals)
