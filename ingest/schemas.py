"""The standard disclosure tables: how to recognise each, its columns and their sums.

The Ministry of Finance templates fix the tables of a 部门/单位预算 and 决算; regions
renumber and reword them. A type is recognised from the title's words, its columns
from the header's words; only columns that the header names are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    synonyms: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()  # this column is the sum of these columns

    def words(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


@dataclass(frozen=True)
class TableType:
    name: str  # canonical type
    title_words: tuple[tuple[str, ...], ...]  # all words of one tuple appear in the title
    columns: tuple[Column, ...] = ()
    two_sided: bool = False  # 收入 rows left, 支出 rows right
    left_columns: tuple[Column, ...] = ()
    detect_columns: bool = True  # False: the header is too broken to read; keep all columns
    row_sums: tuple[tuple[str, tuple[str, ...]], ...] = ()  # row label = sum of row labels
    exclude: tuple[str, ...] = ()  # a one-word title match does not count with these words


_FUND_PARTS = ("一般公共预算", "上级一般公共预算安排的转移支付", "政府性基金预算",
               "上级政府性基金安排的转移支付", "国有资本经营预算", "上级国有资本经营预算安排的转移支付")
_SPLIT = (Column("合计", ("小计", "总计"), ("基本支出", "项目支出")), Column("基本支出"),
          Column("项目支出"))
_ECON = ("工资福利支出", "商品和服务支出", "对个人和家庭的补助", "债务利息及费用支出",
         "资本性支出（基本建设）", "资本性支出", "对企业补助（基本建设）", "对企业补助",
         "对社会保障基金补助", "其他支出")

TABLE_TYPES: tuple[TableType, ...] = (
    TableType("三公经费表", (("三公",),), columns=(
        Column("合计", ("小计",), ("一般公共预算", "政府性基金", "国有资本经营预算")),
        Column("一般公共预算"), Column("政府性基金"), Column("国有资本经营预算")),
        row_sums=(("合计", ("因公出国（境）费", "公务接待费", "公务用车购置及运行费")),
                  ("公务用车购置及运行费", ("公务用车购置费", "公务用车运行费")))),
    TableType("政府性基金预算支出表", (("政府性基金",),), columns=_SPLIT),
    TableType("国有资本经营预算支出表", (("国有资本经营",),), columns=_SPLIT),
    TableType("结转结余表", (("结转",),), detect_columns=False, columns=(
        Column("总计", (), ("财政拨款合计", "非财政拨款合计")),
        Column("财政拨款合计", (), ("财政拨款基本支出人员经费", "财政拨款基本支出公用经费",
                                 "财政拨款项目支出")),
        Column("财政拨款基本支出人员经费"), Column("财政拨款基本支出公用经费"),
        Column("财政拨款项目支出"),
        Column("非财政拨款合计", (), ("非财政拨款基本支出人员经费", "非财政拨款基本支出公用经费",
                                  "非财政拨款项目支出")),
        Column("非财政拨款基本支出人员经费"), Column("非财政拨款基本支出公用经费"),
        Column("非财政拨款项目支出"))),
    TableType("机关运行经费表", (("机关运行经费",),),
              columns=(Column("合计", ("机关运行经费支出", "预算数")),)),
    TableType("政府采购表", (("政府采购",),), columns=(Column("合计", ("总计", "采购金额", "预算金额")),)),
    TableType("财政拨款收支总表", (("财政拨款", "收支"), ("财政拨款", "收入支出")), two_sided=True,
              left_columns=(Column("合计", ("金额", "预算数")),),
              columns=(Column("合计", ("小计", "金额", "预算数"),
                              ("一般公共预算", "政府性基金预算", "国有资本经营预算")),
                       Column("一般公共预算"), Column("政府性基金预算"),
                       Column("国有资本经营预算"))),
    TableType("收支总表", (("收支", "总"), ("收入支出", "总")), two_sided=True,
              left_columns=(Column("预算数", ("金额", "合计")),),
              columns=(Column("预算数", ("金额", "合计")),)),
    TableType("收入总表", (("收入",),), columns=(
        Column("总计", ("合计",), ("财政拨款小计", "财政专户", "单位资金", "财政拨款结转",
                                  "非财政拨款结转结余")),
        Column("财政拨款小计", ("财政拨款(补助)小计", "财政拨款（补助）小计"), _FUND_PARTS),
        *(Column(n) for n in _FUND_PARTS),
        Column("财政专户", ("财政专户管理资金", "财政专户（教育收费）")),
        Column("单位资金"), Column("财政拨款结转"), Column("非财政拨款结转结余"))),
    TableType("一般公共预算基本支出表", (("一般公共预算", "基本支出"), ("基本支出",)),
              exclude=("财政拨款基本",), columns=(
        Column("合计", ("小计", "总计"), ("人员经费", "公用经费")), Column("人员经费"),
        Column("公用经费"))),
    TableType("财政拨款基本支出表", (("财政拨款基本支出",),), columns=(
        Column("合计", ("小计", "总计"), ("人员经费", "公用经费")), Column("人员经费"),
        Column("公用经费"))),
    TableType("项目支出表", (("项目支出",),), columns=(
        Column("项目支出合计", ("合计",), _ECON), *(Column(n) for n in _ECON))),
    TableType("一般公共预算支出表", (("一般公共预算", "支出"),), columns=_SPLIT),
    TableType("财政拨款支出表", (("财政拨款支出",),), columns=_SPLIT),
    TableType("支出总表", (("支出",),), columns=_SPLIT),
)

# The measures a column can be: what a 预算 or 决算 table prints per item.
MEASURES = ("年初预算数", "调整预算数", "全年预算数", "预算数", "决算数", "执行数")
# How a header prints each measure (after a year or 本年 in front and 数/金额 at the end are cut).
MEASURE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("年初预算数", ("年初预算", "年初")),
    ("调整预算数", ("调整预算", "预算调整", "调整")),
    ("全年预算数", ("全年预算", "调整后预算", "全年")),
    ("决算数", ("决算", "实际支出", "实际", "支出决算")),
    ("执行数", ("执行", "预算执行")),
    ("预算数", ("预算",)),
)

# Items printed as rows without codes; a row of only such a label is complete.
KNOWN_LABELS = ("合计", "总计", "因公出国（境）费", "公务接待费", "公务用车购置及运行费",
                "公务用车购置费", "公务用车运行费", "公务用车运行维护费")


def squash(text: str) -> str:
    """Text without white space: extracts space out CJK cells ("收 入 总 计")."""
    return re.sub(r"\s+", "", text)


def measure(level: str) -> str | None:
    """The measure a printed header names: "2024年决算数" → 决算数, "年初预算" → 年初预算数;
    None for anything else, and for last year's figures (上年决算数 is not this year's 决算数)."""
    text = squash(level).replace("（", "(").replace("）", ")")
    if re.search(r"上年|去年|比上年|增减|%|率|占", text):
        return None
    text = re.sub(r"^20\d\d年度?", "", text)  # 本年/上年 stay printed: a table may print both
    text = re.sub(r"(\(万?元\))?$", "", text)
    text = re.sub(r"(数|金额|额)$", "", text)
    return next((name for name, words in MEASURE_WORDS if text in words), None)


def classify_table(title: str) -> TableType | None:
    t = squash(title)
    for tt in TABLE_TYPES:
        if any(all(w in t for w in words) and (len(words) > 1 or not any(x in t for x in tt.exclude))
               for words in tt.title_words):
            return tt
    return None


def detect_columns(tt: TableType, header: str, columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """The schema columns that the header names, in schema order.

    Longer names are matched first and blanked out, so that "资本性支出（基本建设）"
    does not also count as "资本性支出".
    """
    if not tt.detect_columns:
        return columns
    text = squash(header).replace("(", "（").replace(")", "）")
    found: set[str] = set()
    words = sorted(((w.replace("(", "（").replace(")", "）"), c.name) for c in columns
                    for w in c.words()), key=lambda x: -len(x[0]))
    for word, name in words:
        if name in found:
            continue
        if word in text:
            found.add(name)
            text = text.replace(word, "\x00", 1)
    kept = tuple(c for c in columns if c.name in found)
    return kept or columns[:1]
