"""Remove what a disclosure's extraction leaves behind: revision marks, page numbers."""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.layout import Geometry
from ingest.model import Page

# Word's track-changes balloons survive in many extracts: "右设置格式[Administrator]:",
# "缩进: 首行缩进: 2 字符设置格式[张三]:", "删除[Administrator]:".
REVISION_MARK = re.compile(
    r"^.{0,40}?(设置格式|带格式的|格式的|删除|插入|批注|已移动|缩进)\s*(\[[^\]\n]{1,40}\])?\s*[:：]\s*$"
)
PAGE_NUMBER = re.compile(r"^\s*(-\s*\d{1,4}\s*-|—\s*\d{1,4}\s*—|第\s*\d{1,4}\s*页(\s*共\s*\d+\s*页)?|\d{1,3})\s*$")


def clean_pages(pages: list[Page]) -> list[Page]:
    return [Page(p.number, clean_text(p.text), _clean_geometry(p.geometry)) for p in pages]


def _clean_geometry(geo: Geometry | None) -> Geometry | None:
    """Without the page number printed at the foot or head of the page."""
    if geo is None or not geo.lines:
        return geo
    lines = list(geo.lines)
    for k in (-1, 0):
        if lines and PAGE_NUMBER.match(lines[k].text):
            del lines[k]
    return replace(geo, lines=tuple(lines))


def clean_text(text: str) -> str:
    """Drop revision-mark lines and page-number lines; keep blank lines (they separate rows)."""
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and (REVISION_MARK.match(stripped) or PAGE_NUMBER.match(stripped)):
            continue
        kept.append(stripped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")

