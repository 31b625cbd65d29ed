"""Read a file into pages of text: a PDF page from its text layer through pdfplumber, or by
OCR (ingest.scan) where it has none; text extracts as they are."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.charset import NotText, decode_text, encoding_label, looks_binary
from ingest.errors import UnreadableDocument
from ingest.layout import Geometry, page_geometry
from ingest.model import Page
from ingest.scan import scan_geometry

PDF_MAGIC = b"%PDF-"
# A text extract made page by page starts each page with one space (or a form feed).
PAGE_START = re.compile(r"\n (?=\S)")
SCAN_MAX_CHARS = 20  # a page image with no more text than this (a stamped page number) is read by OCR
OUTLINED_TEXT = 200  # curves on a page without characters: glyphs drawn as outlines


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_pages(path: Path, on_page: Callable[[int, int], None] | None = None) -> list[Page]:
    """Pages of text of a PDF (its text layer, or OCR of its scanned pages) or a text extract
    (ingest.charset: UTF-8, UTF-16/32 with a BOM, GB18030/GBK); `on_page(done, total)` follows a
    PDF's progress."""
    try:
        head = path.read_bytes()[:8]
    except OSError as exc:
        raise UnreadableDocument(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if head.startswith(PDF_MAGIC):
        return _read_pdf(path, on_page)
    return _read_text(path)


def file_encoding(path: Path) -> str:
    """What the file was read as, for the ingest report: "PDF" or a text encoding's name."""
    with path.open("rb") as f:
        if f.read(len(PDF_MAGIC)) == PDF_MAGIC:
            return "PDF"
    raw = path.read_bytes()
    try:
        return encoding_label(decode_text(raw)[1])
    except NotText:
        return ""


def _read_text(path: Path) -> list[Page]:
    raw = path.read_bytes()
    if looks_binary(raw):
        raise UnreadableDocument(f"{path.name}: a binary file, neither a PDF nor text")
    try:
        text, _ = decode_text(raw)
    except NotText as exc:
        raise UnreadableDocument(f"{path.name}: not UTF-8 or GB18030 text ({exc}); save it as UTF-8") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UnreadableDocument(f"{path.name}: the file is empty")
    parts = text.split("\f") if "\f" in text else PAGE_START.split(text)
    return [Page(number=i, text=part) for i, part in enumerate(parts, start=1)]


def _read_pdf(path: Path, on_page: Callable[[int, int], None] | None = None) -> list[Page]:
    """Each page from its text layer, or by OCR where it has none (a scanned page)."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    images = _Images(path)
    try:
        with pdfplumber.open(path) as pdf:
            pages = []
            for i, page in enumerate(pdf.pages, start=1):
                geometry = _ocr(images, i, path.name) if is_scanned(page) else page_geometry(page)
                text = "\n".join(line.text for line in geometry.lines)
                pages.append(Page(number=i, text=text, geometry=geometry))
                page.close()
                if on_page is not None:
                    on_page(i, len(pdf.pages))
    except (PDFSyntaxError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"{path.name}: a damaged PDF that cannot be opened") from exc
    except (UnreadableDocument, MemoryError):
        raise
    except Exception as exc:  # pdfminer raises many private error types on broken files
        raise UnreadableDocument(f"{path.name}: a damaged PDF ({type(exc).__name__})") from exc
    finally:
        images.close()
    if not any(re.search(r"[\u4e00-\u9fff]", p.text) for p in pages):
        raise UnreadableDocument(f"{path.name}: no Chinese text: no text layer, and OCR found none on "
                                 "its page images")
    return pages


def _ocr(images: _Images, number: int, name: str) -> Geometry:
    """A scanned page read by OCR; its engine's failure said as such, not as a damaged file
    (onnxruntime failing to allocate under the worker's address-space limit is memory)."""
    try:
        return scan_geometry(images.page(number - 1))
    except (UnreadableDocument, MemoryError):
        raise
    except Exception as exc:
        if "alloc" in str(exc).lower():
            raise MemoryError(f"OCR of page {number}: {exc}") from exc
        raise UnreadableDocument(f"{name}: page {number} is an image that OCR could not read "
                                 f"({type(exc).__name__})") from exc


def is_scanned(page: Any) -> bool:
    """A page that is an image (with a stray word or two at most), or that draws its text as
    outlines; a blank page is not read."""
    chars = page.chars
    if len(chars) > SCAN_MAX_CHARS:
        return False
    if not chars and len(page.curves) > OUTLINED_TEXT:
        return True
    area = float(page.width) * float(page.height) or 1.0
    covered = sum(abs(float(im["x1"]) - float(im["x0"])) * abs(float(im["bottom"]) - float(im["top"]))
                  for im in page.images)
    return covered >= 0.5 * area


class _Images:
    """The PDF opened by pypdfium2 for rendering, only once a page needs OCR."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc: Any = None

    def page(self, index: int) -> Any:
        if self.doc is None:
            import pypdfium2 as pdfium

            self.doc = pdfium.PdfDocument(str(self.path))
        return self.doc[index]

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()
