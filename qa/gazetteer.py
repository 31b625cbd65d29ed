"""The ingested units' names, indexed by syllable, for qa.scope: a question is matched
against the few units that could be said in it, not against every unit."""

from __future__ import annotations

from ingest.model import Document
from qa.scope import UnitHit, _best_said, _other_place, _said_names, _said_sounds, _shorts, unit_hits


class Gazetteer:
    """The ingested units' names, indexed by syllable, so that a question is matched against
    the units that could be said in it rather than against every unit: a unit's name can
    only be said by a stretch of the question whose every syllable is in the name (a run), so
    a unit whose runs are all shorter than three, or all inside a stretch already said better
    by another unit, cannot be named there. Matching costs the same with ten units or with a
    thousand that share words (和静县教育局, 和硕县教育局, 新和县财政局)."""

    def __init__(self, docs: list[Document]) -> None:
        from qa.link import sound

        self.units = sorted({d.unit for d in docs})
        self._by_sound: dict[str, set[str]] = {}
        self._sounds: dict[str, frozenset[str]] = {}
        self._least: dict[str, int] = {}  # the shortest stretch that can say the unit
        for unit in self.units:
            chars = frozenset(sound("".join(_said_names(unit))))
            self._sounds[unit] = chars
            self._least[unit] = min(3, *(len(name) for _, name in _said_sounds(unit)))
            for ch in chars:
                self._by_sound.setdefault(ch, set()).add(unit)
        self._short = {u for u in self.units if self._least[u] < 3 or set(_said_names(u)) & _shorts()}
        self._named: dict[str, list[UnitHit]] = {}  # a question is matched several times

    def hits(self, q: str) -> list[UnitHit]:
        """unit_hits(q, units) for the units that may be said in q, unfiltered."""
        return [h for _, unit in self._candidates(q) for h in unit_hits(q, [unit])]

    def named(self, q: str) -> list[UnitHit]:
        """named_units(q, units), over the candidates only: in order of the longest run a unit
        has in the question, skipping a unit once a better-said name covers all its runs."""
        if q in self._named:
            return self._named[q]
        if len(self._named) > 2000:
            self._named.clear()
        self._named[q] = self._named_now(q)
        return self._named[q]

    def _named_now(self, q: str) -> list[UnitHit]:
        found: list[UnitHit] = []
        for runs, unit in self._candidates(q):
            if found and all(any(h.start <= a and b <= h.end and h.score[0] > b - a for h in found)
                             for a, b in runs):
                continue
            found += [h for h in unit_hits(q, [unit]) if not _other_place(q, h)]
        return _best_said(q, found)

    def _candidates(self, q: str) -> list[tuple[list[tuple[int, int]], str]]:
        from qa.link import sound

        sq = sound(q)
        sets = [self._by_sound.get(ch, set()) for ch in sq]
        near: set[str] = set()
        for i in range(len(sq) - 2):  # units holding three syllables said in a row
            three = sorted(sets[i:i + 3], key=len)
            if three[0]:
                near |= three[0] & three[1] & three[2]
        for i in range(len(sq) - 1):  # and the few a two-syllable name says (政协)
            near |= sets[i] & sets[i + 1] & self._short
        shorts = {u for u in near if any(s in _shorts() and q.startswith(s) for s in _said_names(u))}
        out = []
        for unit in near:
            chars, runs, start = self._sounds[unit], [], None
            least = 2 if unit in shorts else self._least[unit]
            for i, ch in enumerate(sq + "\0"):
                if ch in chars and start is None:
                    start = i
                elif ch not in chars and start is not None:
                    if i - start >= least:
                        runs.append((start, i))
                    start = None
            if runs:
                out.append((runs, unit))
        return sorted(out, key=lambda x: (-max(b - a for a, b in x[0]), x[1]))
