"""Every document of the corpus is one (unit, year, kind, scope), however its files spell the
unit: as many documents as the corpus publishes, each with its canonical name."""

from __future__ import annotations

import pytest

from ingest import Store
from ingest.names import canonical_unit, unit_aliases, unit_key

pytestmark = pytest.mark.slow

# (unit, year, kind, scope, files) as ../shared/corpus/real/SOURCES.md lists them
PUBLISHED = [
    ("江苏省高级人民法院", 2017, "预算", "部门", ["js_2017_gaoyuan_budget.pdf"]),
    ("江苏省人民检察院", 2017, "预算", "部门", ["js_2017_jianchayuan_budget.pdf"]),
    ("江苏省人民检察院", 2018, "预算", "部门", ["js_2018_jianchayuan_budget.pdf"]),
    ("江苏省人大常委会办公厅", 2018, "预算", "部门", ["js_2018_rendabgt_budget.pdf"]),
    ("中共江苏省委办公厅", 2018, "预算", "部门", ["js_2018_swbgt_budget.pdf", "js_2018_swbgt_budget_tables.pdf"]),
    ("江苏省政协办公厅", 2018, "预算", "部门", ["js_2018_zhengxie_budget.pdf", "js_2018_zhengxie_budget_tables.pdf"]),
    ("中共江苏省委办公厅", 2019, "预算", "部门", ["js_2019_swbgt_budget.pdf", "js_2019_swbgt_budget_tables.pdf"]),
    ("江苏省政协办公厅", 2019, "预算", "部门", ["js_2019_zhengxie_budget.pdf", "js_2019_zhengxie_budget_tables.pdf"]),
    ("上海市普陀区人民政府万里街道办事处", 2023, "预算", "部门", ["sh_2023_pt_wanli_budget.pdf"]),
    ("上海市普陀区财政局", 2024, "决算", "部门", ["sh_2024_pt_caizhengju_final.pdf"]),
    ("中共上海市普陀区委社会工作部", 2024, "决算", "部门", ["sh_2024_pt_shehuigongzuobu_final.pdf"]),
    ("上海市普陀区人民政府万里街道办事处", 2024, "预算", "部门", ["sh_2024_pt_wanli_budget.pdf"]),
    ("上海市普陀区商务委员会", 2025, "预算", "部门", ["sh_2025_pt_shangwuwei_budget.pdf"]),
    ("上海市普陀区人民政府办公室", 2025, "预算", "单位", ["sh_2025_pt_zhengfubangongshi_unit_budget.pdf"]),
    ("上海市普陀区司法局", 2026, "预算", "部门", ["sh_2026_pt_sifaju_budget.pdf"]),
    ("和静县社会保险中心", 2024, "预算", "单位", ["000_0733fe522b96b6fc.txt"]),
]


def test_every_published_document_is_one_document(corpus_store: Store) -> None:
    docs = corpus_store.documents()
    assert len(docs) == len(PUBLISHED) == len({(u, y, k, s) for u, y, k, s, _ in PUBLISHED})
    got = sorted((d.unit, d.year, d.kind, "单位" if "单位预算" in d.title or "单位决算" in d.title else "部门",
                  corpus_store.files(d.doc_id)) for d in docs)
    assert got == sorted(PUBLISHED)


def test_every_unit_is_stored_by_its_canonical_name_and_titled_by_it(corpus_store: Store) -> None:
    for d in corpus_store.documents():
        assert d.unit == canonical_unit(d.unit)
        assert d.title.startswith(d.unit) and str(d.year) in d.title
        assert unit_aliases(d.unit)[0] == d.unit
    keys = {unit_key(d.unit) for d in corpus_store.documents()}
    assert len(keys) == len({u for u, *_ in PUBLISHED})  # one key per unit, shared by its years
