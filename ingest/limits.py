"""What one file may cost to parse, and a look at a PDF's structure that refuses a hostile
one before pdfplumber spends minutes and gigabytes on it: too many pages, a page with too
many drawing operations (a rectangle bomb), content streams that inflate past a budget (a
deflate bomb), a password. Streams are inflated piece by piece and only counted, never
kept. Whatever this look misses, the worker's time and memory limits still stop."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError

PIECE = 1024 * 1024
# Path, text and image operators: each draws something pdfplumber turns into an object.
OPERATOR = re.compile(rb"\b(?:re|l|c|v|y|Tj|TJ|Do|BI)(?=[\s\[(<\/])")
FLATE = ("FlateDecode", "Fl")


class LimitExceeded(IngestError):
    """A file that would cost more to parse than the limits allow: refused, nothing stored."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 500
    max_page_objects: int = 50_000  # drawing operations on one page (real pages: ~2,000)
    max_inflated_mb: int = 100  # all pages' content streams, inflated (real files: <1 MB)
    max_seconds: float = 300.0  # wall time of one file's parse
    max_memory_mb: int = 4096  # address space of the parsing process (OCR's libraries reserve ~2 GB of it)
    ocr_page_seconds: float = 30.0  # wall time each scanned page read by OCR adds to max_seconds


def check_pdf(path: Path, limits: Limits) -> None:
    """Refuse the PDF at `path` if its structure is over `limits` or it needs a password."""
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psparser import PSException

    with path.open("rb") as fp:
        try:
            doc = PDFDocument(PDFParser(fp))
        except PDFEncryptionError:
            raise LimitExceeded(f"{path.name}: the PDF is encrypted with a password; "
                                "save an unprotected copy and upload that") from None
        except (PSException, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return  # damaged: reading it says so with its own message
        budget = limits.max_inflated_mb * PIECE
        try:
            for number, page in enumerate(PDFPage.create_pages(doc), start=1):
                if number > limits.max_pages:
                    raise LimitExceeded(f"{path.name}: more than {limits.max_pages} pages; "
                                        "a disclosure is far shorter (split the file?)")
                operations = 0
                for data in _contents(page.contents):
                    budget -= len(data)
                    if budget < 0:
                        raise LimitExceeded(f"{path.name}: its pages inflate to more than "
                                            f"{limits.max_inflated_mb} MB of drawing instructions")
                    operations += len(OPERATOR.findall(data))
                    if operations > limits.max_page_objects:
                        raise LimitExceeded(f"{path.name}: page {number} draws more than "
                                            f"{limits.max_page_objects:,} objects")
        except LimitExceeded:
            raise
        except (PSException, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return


def _contents(contents: list[object]) -> Iterator[bytes]:
    """A page's content streams, inflated in pieces of at most PIECE bytes."""
    from pdfminer.pdftypes import PDFStream, resolve1

    for ref in contents:
        stream = resolve1(ref)
        if not isinstance(stream, PDFStream) or stream.rawdata is None:
            continue
        data = stream.rawdata
        if stream.decipher and stream.objid is not None and stream.genno is not None:
            data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
        filters = [str(getattr(f, "name", f)) for f, _ in stream.get_filters()]
        if not filters:
            yield data
        elif len(filters) == 1 and filters[0] in FLATE:
            yield from _inflate(data)


def _inflate(data: bytes) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        while data and not inflater.eof:
            piece = inflater.decompress(data, PIECE)
            data = inflater.unconsumed_tail
            if not piece and not data:
                break
            yield piece
    except zlib.error:
        return  # a broken stream: pdfminer copes, or reading reports it
