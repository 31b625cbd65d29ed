"""What a question asks: the operation, its subject phrases and the unit wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from qa.match import split_context

TEXT_WORDS = re.compile(r"为什么|为何|原因|什么是|是什么|哪些|职能|依据|用于|用途|怎么|如何|含义|解释|"
                        r"说明了什么|干什么|做什么|哪几|介绍|哪种|什么方式|什么形式|用在|职责|牌子")
CHANGE = re.compile(r"比上年|较上年|同比|比去年|比\d{4}年|增长|增加|减少|下降|变化|变动|压缩|压减|涨幅|增幅|降幅|减幅|"
                    r"上涨|多了|少了")
COMPLETION = re.compile(r"完成率|执行率|完成了?(?:年初|全年|调整)?预算的?(?:百分之几|百分之多少|多少|几成|比例|百分比)|"
                        r"预算完成(?:情况|率|了多少|度)|完成预算的?(?:比例|百分比|多少|百分之几|几成)|完成得怎么样")
GAP = re.compile(r"^(那|那么)?(两者|两项|二者|它们|这两项|这两个|两个)?(之间)?(相差|差了|差距|差|相比差)(是)?"
                 r"(多少|几|有多大)?(呢)?[？?]?$")
LAST_TWO = re.compile(r"这|那|两项|两个|两者|二者|俩|几项|它们|呢|的|钱|是|有|[，。？]")  # "这两项加起来呢"
RATE_WORDS = re.compile(r"[增降涨减]幅|率")
PERCENT_ASKED = re.compile(r"百分之几|百分之多少|百分比|%|％|幅度|增长率|下降率|增速|比例|比重|占比|[增降涨减]幅|几成")
SUM = re.compile(r"合计|一共|总共|加起来|总和|之和|共计|加在一起")
JOIN = re.compile(r"和|与|及|以及|加上|、|跟")
FILLER = re.compile(r"请问|是多少|有多少|多少钱|多少|是几|几|吗|呢|？|\?|。|！|，$|是")


@dataclass(frozen=True)
class Intent:
    op: str  # lookup | text | change | share | sum | difference | compare | previous | per_unit | whatif | rank | count
    subjects: tuple[str, ...]
    unit: str | None  # the unit asked for
    percent: bool = False
    more: bool = True  # difference: 多 (True) or 少; rank: largest first
    amount: Decimal | None = None  # whatif: the percentage change; rank: how many


WHATIF = re.compile(r"(?:如果|假如|假设|要是|倘若|若)(.+?)"
                    r"(减少|下降|压减|削减|降低|缩减|减|增加|增长|提高|上涨|上调|下调|增)了?(\d+(?:\.\d+)?)\s*[%％]")
COUNT = re.compile(r"(?:一共|总共|共)?有?(?:几|多少)(个|项(?!目支出|目经费|目资金|目预算)|类|款|家|所)"
                   r"(科目|项目|单位|类|款|项)?")
RANK = re.compile(r"(哪(?:一|[二三四五六七八九十两\d]+)?(?:项|个|类|款|笔)(?:支出|经费|科目)?"
                  r"(?:最多|最大|最高|最少|最小|最低)"
                  r"|(?:最多|最大|最高|最少|最小|最低)的(?:是|前)?(?:哪|什么)?"
                  r"|前([一二三四五六七八九十两\d]+)(?:个|项|名|位|类)?|排名|排序|从高到低|从多到少|从低到高|从少到多)")
NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def said_number(text: str) -> int:
    """"3", "三", "十五", "二十" → 3, 3, 15, 20."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return NUMERALS.get(tens, 1) * 10 + NUMERALS.get(ones, 0)
    return NUMERALS.get(text, 1)


def unit_asked(q: str) -> str | None:
    convert = r"(?:换成|折合|换算成|折算成|按|用)"
    for pattern, unit in ((r"多少亿元|几亿元|亿元|多少亿", "亿元"), (rf"多少万元|几万元|{convert}万元", "万元"),
                          (rf"多少元|几元|多少块|{convert}元", "元"),
                          (r"面积|多少平米|多少平方|多大", "平方米"), (r"平方米", "平方米"),
                          (r"几辆|多少辆", "辆"), (r"多少人|几人|几个人|多少名|人数", "人"),
                          (r"几台|多少台", "台"), (r"几个|多少个", "个")):
        if re.search(pattern, q):
            return unit
    if re.search(r"花了?多少|多少钱|花费|花销|开销", q):
        return "money"  # an amount of money, in whatever unit the document states it
    return None


EXCLUDED = re.compile(r"[，。；]?(?:不算|不含|不包括|不包含|除去|扣除|去掉)[^，。；？]*")


def understand(question: str) -> Intent:
    q = EXCLUDED.sub("", re.sub(r"\s+", "", question))  # "…一共多少？不算会议费和培训费": the named total
    unit = unit_asked(q)
    if GAP.match(q):  # "差多少": between the last two answers
        return Intent("difference", ("两者",), unit)
    percent = bool(PERCENT_ASKED.search(q))
    m = re.search(r"(.*?)(?:主要)?(?:花|用)(?:在|到)了?哪(?:里|些|儿)", q)
    if m and re.sub(r"^(这些|那些)|的$", "", _clean(m.group(1))) in ("", "钱", "资金", "经费", "预算", "财政资金"):
        return Intent("rank", ("支出",), unit, amount=Decimal(5))  # "钱主要花在哪里": the largest items
    m = RANK.search(q)
    if m and not re.search(r"比上年|较上年", q):
        top = re.search(r"(?:前|哪)([一二三四五六七八九十两\d]+)(?:个|项|名|位|类)?", q)
        count = max(1, said_number(top.group(1))) if top else 1
        low = bool(re.search(r"最少|最小|最低|从低到高|从少到多", q))
        subject = _clean(re.sub(r"(里|中|当中|里面|之中)$", "", q[:m.start()].rstrip("，,的")))
        return Intent("rank", (subject,), unit, more=not low, amount=Decimal(count))
    if TEXT_WORDS.search(q) and not re.search(r"多少|几|比例|比重", q):
        return Intent("text", (q,), None)
    m = COUNT.search(q)
    if m and not re.search(r"元|钱|金额|比例|人|花|一共|总共|合计|加起来", q[m.start():]):
        return Intent("count", (_clean(q[:m.start()] + (m.group(2) or "") + q[m.end():]),), m.group(1))
    m = COMPLETION.search(q)
    if m:  # 决算 over 预算 of one subject
        return Intent("completion", (_clean(re.sub(r"的?(预算)?$", "", q[:m.start()])),), None, percent=True)
    m = WHATIF.search(q)
    if m:
        down = m.group(2) in ("减少", "下降", "压减", "削减", "降低", "缩减", "减", "下调")
        pct = Decimal(m.group(3))
        return Intent("whatif", (_clean(m.group(1)),), unit, amount=-pct if down else pct)
    m = re.search(r"(.+?)(?:按|除以|平均到|分摊到|摊到)(.+?)(?:算|计算|来算)?(?:平均|人均)?每?[人名位个]?"
                  r"(?:是|有|能)?(?:多少|几)", q)
    if m and re.search(r"按|除以|平均|人均|摊", q):  # "人员经费按在职人数算平均每人多少"
        counted = _clean(re.sub(r"数|的", "", m.group(2))) or "在职人员"
        return Intent("per_unit", (_clean(m.group(1)), counted), unit)
    m = re.search(r"(?:平均每|摊到每|平摊到每|每)([名个位人辆台套]?.+?)的(.+)", q) or re.search(r"人均(.+)", q)
    if m:
        counted, money = (m.group(1), m.group(2)) if m.lastindex == 2 else ("在职人员", m.group(1))
        counted = "在职人员" if counted in ("人", "名", "位", "个人", "人员") else counted
        return Intent("per_unit", (_clean(money), _clean(counted)), unit)
    if re.search(r"占(?!用|地|有)", q) and (
            percent or (unit is None and re.search(r"占.*?(多少|几成|多大|几)", q))):
        return _share(q, unit)
    m = re.search(r"(.+?)(?:和|与|跟|还是|同)(.+?)(?:相比)?[，,]?(?:哪个|哪项|谁|哪一个)(?:更)?(多|大|高|少|小|低)",
                  q) \
        or re.search(r"(.+?)(?:和|与|跟|同)(.+?)(?:之间)?(?:相差|差距|差了|差)(?:多少|几|多大)()", q)
    if m:  # "基本支出和项目支出哪个多": both figures and the gap
        return Intent("compare", (_clean(m.group(1)), _clean(m.group(2))), unit,
                      more=m.group(3) in ("多", "大", "高", ""))
    m = re.search(r"(.+?)比(?!上年|去年|较|\d{4}|例|重|率)(.+?)(多|少)", q) or \
        re.search(r"(.+?)比(\d{4}年度?[^，。？]*?(?:执行数|决算数|年初预算|调整预算))(多|少)", q)
    if m and not CHANGE.search(m.group(1)):
        return Intent("difference", (_clean(m.group(1)), _clean(m.group(2))), unit,
                      more=m.group(3) == "多")
    if re.fullmatch(r"(那|那么)?(上年|上一年|去年|前一年)(的|呢|的呢|是多少|多少)*[？?]?", q):
        return Intent("previous", ("",), unit)  # "那上一年呢": the last turn's subject
    if re.search(r"(上年|上一年|去年)的?(预算|决算)?数?(是|为|有)?(多少|几)", q) and \
            not re.search(r"比上年|较上年", q):
        return Intent("previous", (_clean(re.sub(r"(上年|上一年|去年).*", "", q)),), unit)
    if CHANGE.search(q) and re.search(r"多少|几|百分|[增降涨减]幅|率", q):
        subject = _clean(CHANGE.sub("", re.split(r"比上年|较上年|同比|比去年|比\d{4}年", q)[0]))
        return Intent("change", (re.sub(r"^(了|的)+|(了|的)+$", "", subject),), unit,
                      percent=percent or bool(RATE_WORDS.search(q)))
    if SUM.search(q) and not LAST_TWO.sub("", SUM.sub("", FILLER.sub("", q))):
        return Intent("sum", ("两者",), unit)  # "这两项加起来呢": the last two answers
    if SUM.search(q) and (JOIN.search(q) or "两者" in q or "二者" in q):
        context, head = split_context(SUM.split(q)[0])
        where = f"{context}中，" if context else ""
        parts = [where + p for p in (_clean(x) for x in JOIN.split(head)) if p]
        if len(parts) >= 2 or "两者" in q or "二者" in q:
            return Intent("sum", tuple(parts), unit)
    return Intent("lookup", (_clean(q),), unit, percent=percent)


def lookup_intent(question: str) -> Intent:
    """The question read as a lookup of one figure, whatever other reading it allows."""
    q = re.sub(r"\s+", "", question)
    return Intent("lookup", (_clean(q),), unit_asked(q), percent=bool(PERCENT_ASKED.search(q)))


def _share(q: str, unit: str | None) -> Intent:
    before, after = q.split("占", 1)
    after = re.sub(r"^比", "", after)
    whole = re.split(r"的?(比例|比重|百分比|多少|多大|几)", after)[0]
    whole = re.sub(r"^(了|的)", "", whole)
    before = re.sub(r"^其中", "", before)
    context, part = split_context(before)
    if context and not _clean(whole):
        whole = context
    part = re.sub(r"^其中", "", part)
    return Intent("share", (_clean(part), _clean(whole)), unit, percent=True)


def _clean(text: str) -> str:
    text = FILLER.sub("", text)
    return re.sub(r"^(其中|这里面|这其中|那么|那)", "", text).strip("，,、的")
