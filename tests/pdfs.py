"""Small disclosure PDFs drawn with reportlab: a table whose columns stand where a real one's do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEADER = ("科目", "合计", "基本支出", "项目支出")


def _canvas(path: Path) -> Any:
    """A reportlab canvas with a CJK font registered (the font is set by the caller)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return canvas.Canvas(str(path))


def draw_table_pdf(path: Path, rows: list[tuple[str, str, str, str]], unit: str = "万元") -> None:
    """A one-page 部门支出总体情况表 of 测试县卫生局 (in `unit`): the header, then `rows`
    (label, 合计, 基本支出, 项目支出), figures right-aligned in fixed columns."""
    c = _canvas(path)
    c.setFont("STSong-Light", 11)
    for y, text in ((800, "测试县卫生局2024年部门预算公开"), (770, "表3 部门支出总体情况表"),
                    (750, "编制单位：测试县卫生局")):
        c.drawString(50, y, text)
    c.drawRightString(540, 750, f"单位：{unit}")
    for i, (label, *cells) in enumerate([HEADER, *rows]):
        y = 720 - 20 * i
        c.drawString(50, y, label)
        for x, cell in zip((380, 460, 540), cells, strict=True):
            c.drawRightString(x, y, cell)
    c.save()


def draw_unruled_pdf(path: Path) -> None:
    """A layout none of the real PDFs has: no ruling lines, a two-sided 收支总表 and a one-row
    三公 table whose 公务用车 header spans two blank-or-filled columns."""
    c = _canvas(path)
    c.setFont("STSong-Light", 10)
    c.drawString(200, 800, "某某区教育局2025年部门预算")
    c.drawString(200, 770, "部门收支预算总表")
    c.drawString(50, 750, "编制单位：某某区教育局")
    c.drawRightString(550, 750, "单位：万元")
    c.drawString(120, 730, "收入")
    c.drawString(400, 730, "支出")
    for x, text in ((50, "项目"), (300, "项目")):
        c.drawString(x, 712, text)
    for x in (250, 550):
        c.drawRightString(x, 712, "预算数")
    rows = [("一、财政拨款收入", "1,200.00", "一、教育支出", "1,000.00"),
            ("二、事业收入", "300.00", "二、社会保障和就业支出", "450.00"),
            ("三、其他收入", "", "三、住房保障支出", "50.00"),
            ("收入总计", "1,500.00", "支出总计", "1,500.00")]
    for i, (left, left_value, right, right_value) in enumerate(rows):
        y = 694 - 18 * i
        c.drawString(50, y, left)
        c.drawRightString(250, y, left_value)
        c.drawString(300, y, right)
        c.drawRightString(550, y, right_value)
    c.drawString(200, 560, "“三公”经费支出预算表")
    c.drawRightString(550, 545, "单位：万元")
    for x, text in ((60, "合计"), (130, "因公出国（境）费"), (260, "公务用车购置及运行费"), (450, "公务接待费")):
        c.drawString(x, 525, text)
    for x, text in ((250, "小计"), (320, "购置费"), (390, "运行费")):
        c.drawString(x, 510, text)
    for x, value in ((90, "25.00"), (200, "5.00"), (280, "15.00"), (420, "15.00"), (500, "5.00")):
        c.drawRightString(x, 490, value)
    c.showPage()
    c.save()


def draw_columns_pdf(path: Path) -> None:
    """决算 columns (年初预算数, 决算数, 完成预算%) and a 上年/本年 pair, ruled by nothing."""
    c = _canvas(path)
    c.setFont("STSong-Light", 10)
    c.drawString(180, 800, "某某区体育局2025年部门决算")
    c.drawString(180, 770, "一般公共预算财政拨款支出决算表")
    c.drawRightString(550, 752, "单位：万元")
    c.drawString(50, 734, "科目编码")
    c.drawString(120, 734, "科目名称")
    for x, text in ((370, "年初预算数"), (460, "决算数"), (550, "完成预算%")):
        c.drawRightString(x, 734, text)
    rows = [("201", "一般公共服务支出", "100.00", "95.00", "95.00"),
            ("20101", "人大事务", "100.00", "95.00", "95.00"),
            ("", "合计", "100.00", "95.00", "95.00")]
    for i, (code, name, *values) in enumerate(rows):
        y = 716 - 18 * i
        c.drawString(50, y, code)
        c.drawString(120, y, name)
        for x, value in zip((370, 460, 550), values, strict=True):
            c.drawRightString(x, y, value)
    c.drawString(180, 600, "部门支出预算总表")
    c.drawRightString(550, 582, "单位：万元")
    c.drawString(50, 564, "科目名称")
    for x, text in ((460, "上年预算数"), (550, "本年预算数")):
        c.drawRightString(x, 564, text)
    for i, (name, last, now) in enumerate((("教育支出", "80.00", "100.00"), ("合计", "80.00", "100.00"))):
        y = 546 - 18 * i
        c.drawString(50, y, name)
        c.drawRightString(460, y, last)
        c.drawRightString(550, y, now)
    c.showPage()
    c.save()


def draw_caption_at_foot_pdf(path: Path) -> None:
    """A “三公” table whose caption is the last line of a page of prose, its 单位 line,
    header and figures on the next page; no contents page."""
    c = _canvas(path)
    c.setFont("STSong-Light", 10)
    c.drawString(150, 800, "某某区档案馆2025年部门预算")
    for k in range(6):
        c.drawString(50, 760 - 18 * k, f"第{k + 1}段说明：本部门严格执行预算管理规定，厉行节约。")
    c.drawString(200, 80, "“三公”经费支出预算表")
    c.showPage()
    c.setFont("STSong-Light", 10)
    c.drawRightString(550, 800, "单位：万元")
    for x, text in ((60, "合计"), (130, "因公出国（境）费"), (260, "公务用车购置及运行费"), (450, "公务接待费")):
        c.drawString(x, 780, text)
    for x, text in ((250, "小计"), (320, "购置费"), (390, "运行费")):
        c.drawString(x, 765, text)
    for x, value in ((90, "25.00"), (200, "5.00"), (280, "15.00"), (420, "15.00"), (500, "5.00")):
        c.drawRightString(x, 745, value)
    c.showPage()
    c.save()


def draw_shared_page_pdf(path: Path) -> None:
    """A contents page listing 收入预算总表 and 支出预算总表, then one page printing both:
    the first with its caption, the second with only its header below the first's figures."""
    c = _canvas(path)
    c.setFont("STSong-Light", 11)
    c.drawString(250, 800, "目录")
    c.drawString(80, 770, "一、收入预算总表……………………2")
    c.drawString(80, 750, "二、支出预算总表……………………2")
    c.showPage()
    c.setFont("STSong-Light", 10)
    c.drawString(200, 800, "一、收入预算总表")
    c.drawString(50, 782, "编制单位：某某区档案馆")
    c.drawRightString(550, 782, "单位：万元")
    for x, text in ((50, "项目"), (380, "总计"), (470, "一般公共预算")):
        c.drawString(x, 764, text)
    for i, (label, total) in enumerate((("201 一般公共服务支出", "120.00"), ("合计", "120.00"))):
        c.drawString(50, 746 - 18 * i, label)
        c.drawRightString(420, 746 - 18 * i, total)
        c.drawRightString(530, 746 - 18 * i, total)
    for x, text in ((50, "科目"), (360, "合计"), (430, "基本支出"), (500, "项目支出")):
        c.drawString(x, 680, text)
    for i, (label, *cells) in enumerate((("201 一般公共服务支出", "120.00", "100.00", "20.00"),
                                         ("合计", "120.00", "100.00", "20.00"))):
        y = 662 - 18 * i
        c.drawString(50, y, label)
        for x, cell in zip((390, 470, 545), cells, strict=True):
            c.drawRightString(x, y, cell)
    c.showPage()
    c.save()
