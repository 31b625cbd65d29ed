"""Which text encoding a text extract is in: UTF-8 (with or without a BOM), UTF-16 or UTF-32
with a BOM, or GB18030 — the superset of GBK and GB2312 that Windows tools in Chinese offices
save by default. One check for the reader and for an upload that streams in piece by piece:
both decoders run over the bytes as they come and the first that stays valid wins, UTF-8
first (a UTF-8 text is almost never valid GB18030 through to its end, and is tried first)."""

from __future__ import annotations

import codecs

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
GUESSED = ("utf-8", "gb18030")  # without a BOM, in this order
NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16", "utf-32": "UTF-32",
         "gb18030": "GB18030/GBK"}


class NotText(ValueError):
    """Bytes that are none of the encodings read here."""


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start names, if there is one."""
    return next((name for bom, name in BOMS if head.startswith(bom)), None)


def looks_binary(head: bytes) -> bool:
    """NUL bytes in the first 4 KiB, in a file without a UTF-16/32 BOM (where NULs are text)."""
    return bom_encoding(head) in (None, "utf-8-sig") and b"\x00" in head[:4096]


class TextCheck:
    """Feed the bytes in order; `encoding` is the one that read them all (after `finish`).
    Raises NotText, with the offset of the first byte no candidate reads, once none is left."""

    def __init__(self, head: bytes) -> None:
        bom = bom_encoding(head)
        names = (bom,) if bom else GUESSED
        self._decoders = {n: codecs.getincrementaldecoder(n)() for n in names}
        self._offset = 0
        self._failed_at = 0

    def feed(self, data: bytes, final: bool = False) -> None:
        for name, decoder in list(self._decoders.items()):
            try:
                decoder.decode(data, final)
            except UnicodeDecodeError as exc:
                self._failed_at = max(self._failed_at, self._offset + exc.start)
                del self._decoders[name]
        self._offset += len(data)
        if not self._decoders:
            raise NotText(f"byte {self._failed_at} is neither UTF-8 nor GB18030 text")

    def finish(self) -> str:
        self.feed(b"", final=True)
        return next(iter(self._decoders))


def decode_text(raw: bytes) -> tuple[str, str]:
    """The text and its encoding's name (NAMES); NotText when it is none of them."""
    check = TextCheck(raw[:4])
    check.feed(raw)
    encoding = check.finish()
    return raw.decode(encoding), encoding


def encoding_label(encoding: str) -> str:
    return NAMES.get(encoding, encoding)
