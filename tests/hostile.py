"""Hostile PDFs, written byte by byte (small files, built in well under a second each): what
a careless or malicious upload could be."""

from __future__ import annotations

import zlib
from pathlib import Path


def _pdf(objects: list[bytes], root: int = 1, trailer: bytes = b"") -> bytes:
    """A PDF of numbered objects (1…n) with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, trailer, xref)
    return bytes(out)


def _stream(data: bytes, deflated: bool = True, extra: bytes = b"") -> bytes:
    body = zlib.compress(data, 9) if deflated else data
    head = b"/Filter /FlateDecode " if deflated else b""
    return b"<< %s/Length %d %s>>\nstream\n" % (head, len(body), extra) + body + b"\nendstream"


def _pages(count: int, content: bytes, catalog_extra: bytes = b"") -> bytes:
    """`count` pages that all draw one content stream (object 3)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count), content]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * count
    return _pdf(objects)


def rectangle_bomb(path: Path, rectangles: int = 300_000) -> Path:
    """One page, a few KB on disk, that draws `rectangles` rectangles."""
    path.write_bytes(_pages(1, _stream(b"0 0 1 1 re f\n" * rectangles)))
    return path


def deflate_bomb(path: Path, megabytes: int = 400) -> Path:
    """One page whose content stream inflates to `megabytes` MB (of blanks)."""
    deflater, body = zlib.compressobj(9), bytearray()
    block = b" " * (1024 * 1024)
    for _ in range(megabytes):
        body += deflater.compress(block)
    body += deflater.flush()
    content = b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + bytes(body) + b"\nendstream"
    path.write_bytes(_pages(1, content))
    return path


def many_pages(path: Path, pages: int = 2000) -> Path:
    path.write_bytes(_pages(pages, _stream(b"BT /F1 12 Tf 72 720 Td (page) Tj ET\n")))
    return path


def with_javascript(path: Path) -> Path:
    """A page and a script that runs when a viewer opens the file."""
    action = b"/OpenAction << /S /JavaScript /JS (app.alert\\('hello'\\);) >>"
    path.write_bytes(_pages(1, _stream(b"0 0 10 10 re f\n"), action))
    return path


def encrypted(path: Path) -> Path:
    """A PDF that needs a user password to open (reportlab's standard encryption)."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(72, 720, "budget 2024")
    c.showPage()
    c.save()
    return path
