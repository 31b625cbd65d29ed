"""Small disclosure PDFs drawn with reportlab: a table whose columns stand where a real one's do."""

from __future__ import annotations

from pathlib import Path

HEADER = ("科目", "合计", "基本支出", "项目支出")


def draw_table_pdf(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """A one-page 部门支出总体情况表 of 测试县卫生局 (万元): the header, then `rows`
    (label, 合计, 基本支出, 项目支出), figures right-aligned in fixed columns."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 11)
    for y, text in ((800, "测试县卫生局2024年部门预算公开"), (770, "表3 部门支出总体情况表"),
                    (750, "编制单位：测试县卫生局")):
        c.drawString(50, y, text)
    c.drawRightString(540, 750, "单位：万元")
    for i, (label, *cells) in enumerate([HEADER, *rows]):
        y = 720 - 20 * i
        c.drawString(50, y, label)
        for x, cell in zip((380, 460, 540), cells, strict=True):
            c.drawRightString(x, y, cell)
    c.save()
