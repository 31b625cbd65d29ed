"""A scanned page read by OCR into the word boxes a text layer gives (see ingest.layout).

The page is rendered with pypdfium2 (its long side near what the detector works at) and
read by rapidocr, whose detection, orientation and recognition models ship inside its
wheel: nothing is downloaded. The page is turned upright first (text lines that stand
taller than wide are a page turned a quarter; the line classifier's vote tells upside
down). OCR boxes become words in points; a figure OCR bent ("1.836.22", "l,20O.00") is
straightened into the form a text layer prints. The table rules are found in the image
by a morphological opening (long thin dark runs), minus strokes of large glyphs.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from ingest.errors import UnreadableDocument
from ingest.layout import Geometry, Rule, merge_rules, words_geometry

LONG_SIDE_PX = 2000  # the detector's own bound (rapidocr max_side_len): more pixels are not read
MAX_SCALE = 300 / 72  # a small page is not rendered past 300 dpi
DARK = 160  # grey level under which a pixel is ink
HRULE_PT, VRULE_PT, RULE_THICK_PT = 20.0, 12.0, 3.0
SHRINK = 0.12  # OCR boxes pad the glyphs by about this share of their height on each side
SAMPLE = 12  # text lines the orientation vote reads
ENGINE = {
    # Detection finds lines as well at 1280 px as at 2000 (the figures are read from the full image)
    # in a third of the time.
    "Det.limit_type": "max", "Det.limit_side_len": 1280,
    # One thread: on two cores a second one costs half again the CPU time for a third less wall
    # time, and the other core stays free for the server answering questions.
    "EngineConfig.onnxruntime.intra_op_num_threads": 1, "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
WIDE = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")  # CJK and full-width: two ASCII widths
MONEY = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}"
RUN_OF_FIGURES = re.compile(rf"^(?:{MONEY}){{2,}}$")
LABEL_THEN_FIGURE = re.compile(rf"^(.*[\u4e00-\u9fff）)])({MONEY})$")
FIGURE_THEN_LABEL = re.compile(rf"^({MONEY})((?![万亿元])[\u4e00-\u9fff（(].*)$")  # "20.00万元" is prose
SPACE_IN_FIGURE = re.compile(r"(?<=\d[,.])\s+(?=\d)|(?<=\d)\s+(?=[,.]\d)")  # "2,132, 777.54"
DIGIT_LIKE = str.maketrans({"O": "0", "o": "0", "〇": "0", "D": "0", "l": "1", "I": "1", "|": "1",
                            "，": ",", "。": ".", "·": ".", "．": ".", "－": "-", "—": "-"})


_read = [0]  # pages this process has read by OCR (the worker's time limit grows with them)


def pages_read() -> int:
    return _read[0]


@cache
def _engine() -> Any:
    """One OCR engine per process (the models load once), from the wheel's own files."""
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise UnreadableDocument("OCR for scanned pages needs rapidocr (pip install rapidocr)") from exc
    return RapidOCR(params={"Global.log_level": "error", **ENGINE})


def scan_geometry(page: Any) -> Geometry:
    """A pypdfium2 page with no text layer as lines of cells, upright, in points."""
    import numpy as np

    width, height = page.get_size()
    scale = min(LONG_SIDE_PX / max(width, height, 1.0), MAX_SCALE)
    image = page.render(scale=scale, grayscale=True).to_numpy()
    if image.ndim == 3:
        image = image[..., 0]
    image, lines = _upright_read(image)
    _read[0] += 1
    ink = (image < DARK).astype(np.uint8)
    vrules, hrules, ruled = _rules(ink, scale)
    words = [w for box, text, score in lines for w in _words(box, text, score, scale, ink, ruled)]
    vrules = [r for r in vrules if not any(w["x0"] + 1 < r.at < w["x1"] - 1 and w["top"] - 2 <= r.a
                                           and r.b <= w["bottom"] + 2 for w in words)]  # a large glyph's stroke
    return words_geometry(words, image.shape[1] / scale, merge_rules(vrules), merge_rules(hrules), scanned=True)


def _upright_read(image: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, str, float]]]:
    """The image turned upright and what OCR read on it: (box, text, score) per text line."""
    import numpy as np

    engine = _engine()
    for _ in range(3):
        result = engine(image, use_det=True, use_cls=False, use_rec=True)  # the call sets them for the next
        lines = list(zip(result.boxes, result.txts, result.scores, strict=True)) if result.txts else []
        if _quarter_turned([b for b, *_ in lines]):
            image = np.ascontiguousarray(np.rot90(image, k=-1))
            continue
        if _upside_down(engine, image, [b for b, *_ in lines]):
            image = np.ascontiguousarray(np.rot90(image, k=2))
            continue
        return image, lines
    return image, lines


def _quarter_turned(boxes: list[np.ndarray]) -> bool:
    """Most text lines stand taller than wide: the page lies on its side."""
    import numpy as np

    tall = wide = 0
    for b in boxes:
        w, h = np.ptp(b[:, 0]), np.ptp(b[:, 1])
        if h > 2 * w:
            tall += 1
        elif w > 2 * h:
            wide += 1
    return tall > max(wide, 2)


def _upside_down(engine: Any, image: np.ndarray, boxes: list[np.ndarray]) -> bool:
    """The line classifier's vote (0° or 180°) over the page's widest lines."""
    import numpy as np

    widest = sorted(boxes, key=lambda b: -np.ptp(b[:, 0]))[:SAMPLE]
    votes = 0
    for b in widest:
        x0, x1 = int(b[:, 0].min()), int(b[:, 0].max()) + 1
        y0, y1 = int(b[:, 1].min()), int(b[:, 1].max()) + 1
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        if crop.size == 0:
            continue
        out = engine(crop, use_det=False, use_cls=True, use_rec=False)
        label, score = (getattr(out, "cls_res", None) or [("0", 0.0)])[0]
        votes += 1 if "180" in label and score > 0.9 else -1
    return votes > 0


def _words(box: np.ndarray, text: str, score: float, scale: float, ink: np.ndarray,
           ruled: np.ndarray) -> list[dict[str, Any]]:
    """One OCR line as words in points, split at its spaces. Each word's box is its own ink
    (OCR pads a box, and reads across a thin cell border): where rules cut the line's box
    into as many inked parts as it has words, each word is its part; a single word is the
    part with the most ink; otherwise each word takes the share of the ink its characters
    take (a CJK character is two ASCII widths)."""

    bx0, bx1 = int(box[:, 0].min()), int(box[:, 0].max()) + 1
    top, bottom = int(box[:, 1].min()), int(box[:, 1].max()) + 1
    pieces = [p for t in SPACE_IN_FIGURE.sub("", text).split() for p in _pieces(t)]
    parts = _inked_parts(ink, ruled, bx0, bx1, top, bottom)
    if not parts:
        pad = SHRINK * (bottom - top)
        parts = [(bx0 + pad, max(bx1 - pad, bx0 + pad + 1), top + pad, bottom - pad, 0)]
    if len(parts) == len(pieces):
        return [_word(piece, part, score, scale) for piece, part in zip(pieces, parts, strict=True)]
    if len(pieces) == 1:
        return [_word(pieces[0], max(parts, key=lambda q: q[4]), score, scale)]
    x0, x1 = parts[0][0], parts[-1][1]
    top_, bottom_ = min(q[2] for q in parts), max(q[3] for q in parts)
    weights = [sum(2.0 if WIDE.match(ch) else 1.0 for ch in p) for p in pieces]
    unit = (x1 - x0) / max(sum(weights) + len(pieces) - 1, 1.0)  # a space is one ASCII width
    out: list[dict[str, Any]] = []
    at = x0
    for piece, weight in zip(pieces, weights, strict=True):
        out.append(_word(piece, (at, at + unit * weight, top_, bottom_, 0), score, scale))
        at += unit * (weight + 1)
    return out


def _word(text: str, part: tuple[float, float, float, float, int], score: float, scale: float) -> dict[str, Any]:
    return {"text": text, "x0": part[0] / scale, "x1": part[1] / scale, "top": part[2] / scale,
            "bottom": part[3] / scale, "score": score}


def _inked_parts(ink: np.ndarray, ruled: np.ndarray, x0: int, x1: int, top: int, bottom: int
                 ) -> list[tuple[float, float, float, float, int]]:
    """The parts of a box that rules crossing it from above to below leave, each as the box
    around its own ink (its glyphs, as a text layer's box is) and the amount of ink."""
    import numpy as np

    crop, rules = ink[top:bottom, x0:x1] & (1 - ruled[top:bottom, x0:x1]), ruled[top:bottom, x0:x1]
    if crop.size == 0:
        return []
    above, below = ruled[max(top - 2, 0), x0:x1], ruled[min(bottom + 1, ruled.shape[0] - 1), x0:x1]
    crossing = np.flatnonzero((rules.sum(axis=0) >= 0.8 * crop.shape[0]) & (above > 0) & (below > 0))
    cuts = [0, *crossing.tolist(), crop.shape[1]]
    out = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        part = crop[:, left:right]
        amount = int(part.sum())
        if amount < 0.05 * max(int(crop.sum()), 1):  # a speck, or the rule's own edge
            continue
        columns, rows = np.flatnonzero(part.any(axis=0)), np.flatnonzero(part.any(axis=1))
        out.append((float(x0 + left + columns[0]), float(x0 + left + columns[-1] + 1), float(top + rows[0]),
                    float(top + rows[-1] + 1), amount))
    return out


def _pieces(token: str) -> list[str]:
    """A token as the words a text layer would have printed: a figure straightened, two
    figures OCR ran together split, a figure run onto the label before or after it split off
    (OCR reads across a thin cell border)."""
    figure = numeral(token)
    if RUN_OF_FIGURES.match(figure):
        return re.findall(MONEY, figure)
    m = re.match(rf"^(.*[\u4e00-\u9fff）)])({MONEY}(?![万亿元]).*)$", token)  # label, figure, label
    if m and FIGURE_THEN_LABEL.match(m.group(2)):
        return [*_pieces(m.group(1)), *_pieces(m.group(2))]
    m = LABEL_THEN_FIGURE.match(token)
    if m:
        return [*_pieces(m.group(1)), numeral(m.group(2))]
    m = FIGURE_THEN_LABEL.match(token)
    if m:
        return [numeral(m.group(1)), *_pieces(m.group(2))]
    return [figure]


def numeral(token: str) -> str:
    """A figure as printed, from what OCR read: letters that look like digits, a comma read as
    a point ("1.836.22") or a point read as a comma ("1,836,22"). Anything not mostly digits
    is returned as it is."""
    t = token.translate(DIGIT_LIKE)
    digits = sum(ch.isdigit() for ch in t)
    if digits < 2 or digits < 0.6 * len(t) or not re.fullmatch(r"-?[\d,.]+", t):
        return token
    parts = re.split(r"[,.]", t.lstrip("-"))
    sign = "-" if t.startswith("-") else ""
    if len(parts) > 1 and len(parts[-1]) == 2 and all(len(p) == 3 for p in parts[1:-1]) and 1 <= len(parts[0]) <= 3:
        head = ",".join(parts[:-1])
        return f"{sign}{head}.{parts[-1]}"
    return t


def _rules(ink: np.ndarray, scale: float) -> tuple[list[Rule], list[Rule], np.ndarray]:
    """Ruling lines of the page's ink, in points, and where they lie: long thin runs of ink."""
    import cv2
    import numpy as np

    thick = RULE_THICK_PT * scale
    found: list[list[Rule]] = []
    ruled = np.zeros_like(ink)
    for length, horizontal in ((HRULE_PT, True), (VRULE_PT, False)):
        size = (max(int(length * scale), 3), 1) if horizontal else (1, max(int(length * scale), 3))
        runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
        ruled |= runs
        count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        rules = []
        for x, y, w, h, _area in stats[1:count]:
            if horizontal and h <= thick:
                rules.append(Rule(float(y + h / 2) / scale, float(x) / scale, float(x + w) / scale))
            elif not horizontal and w <= thick:
                rules.append(Rule(float(x + w / 2) / scale, float(y) / scale, float(y + h) / scale))
        found.append(rules)
    hrules, vrules = found
    return vrules, hrules, ruled
