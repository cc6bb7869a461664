"""Whose text the report prints, per section, and when a person's text needs another look.

The sheet ``Nội dung báo cáo`` keeps, beside each text, a mark in ``Mã bản nháp``:

* beside the engine's draft: the draft's :func:`~.text.fingerprint`. A blank text gets the draft; a text whose
  fingerprint is the mark is the engine's own draft and is replaced by the new draft;
* beside a person's text (any other text, **never** overwritten — except on request, ``redraft``, and then the
  replaced text is kept in ``Bản trước``): the fingerprint of the draft the person last saw (the one they edited,
  or the current one when the refresh first meets their text without a mark). When the new draft differs from
  it, the figures the section speaks of changed after the person wrote: the section is **stale** — the mark
  becomes ``<draft>:<text>`` (the fingerprints of that draft and of the person's text), the report prints the
  text unchanged and the refresh says so (column ``Nguồn``, the summary). Once the person edits the text (its
  fingerprint is no longer the one in the mark), or clears the mark, the current draft becomes the one they saw.

>>> e = [NarrativeEntry("Quý I/2024", "V", "Bản của cô Lan", fingerprint("Bản nháp cũ"), row=5)]
>>> r = resolve(e, {"V": "Bản nháp mới"})["V"]
>>> r.text, r.source, r.stale, r.fingerprint == fingerprint("Bản nháp cũ") + ":" + fingerprint("Bản của cô Lan")
('Bản của cô Lan', 'person', True, True)
>>> r = resolve(e, {"V": "Bản nháp mới"}, redraft={"V"})["V"]
>>> r.text, r.previous, r.write, r.moved
('Bản nháp mới', 'Bản của cô Lan', True, True)
>>> resolve([NarrativeEntry("Quý I/2024", "V", "Bản nháp cũ", fingerprint("Bản nháp cũ"))],
...         {"V": "Bản nháp mới"})["V"].text
'Bản nháp mới'
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace

from .text import fingerprint, normalize

__all__ = ["NarrativeEntry", "SectionText", "resolve"]

_MARK = re.compile(r"^([0-9a-f]{16})(?::([0-9a-f]{16}))?$")


@dataclass(frozen=True)
class NarrativeEntry:
    """One row of the narrative table: the text of section ``code`` for the period ``period`` (its label,
    e.g. ``"Quý I/2024"``), the mark in ``Mã bản nháp`` (see the module docstring), and the text a re-draft
    replaced."""

    period: str
    code: str
    text: str
    fingerprint: str = ""
    previous: str = ""
    row: int | None = None

    @property
    def person_text(self) -> str:
        """The text when a person wrote it; ``""`` for a blank row or the engine's last draft (the text whose
        :func:`fingerprint` is the stored one).

        >>> NarrativeEntry("Quý I/2024", "V", "Bản nháp", fingerprint("Bản nháp")).person_text
        ''
        >>> NarrativeEntry("Quý I/2024", "V", "Bản nháp, đã sửa", fingerprint("Bản nháp")).person_text
        'Bản nháp, đã sửa'
        """
        text = normalize(self.text)
        return "" if not text or (self.fingerprint and fingerprint(text) == self.fingerprint) else text


@dataclass(frozen=True)
class SectionText:
    """The text the report prints for one section, and what to write back into the sheet.

    ``source``: ``"draft"`` (the engine's), ``"person"`` (written or edited by staff) or ``"blank"``;
    ``write``: the sheet row must be updated (``fingerprint``, and for a draft ``text``/``previous``);
    ``moved``: a re-draft replaced a person's text, now in ``previous``; ``stale``: a person's text written
    before the figures of its section changed."""

    code: str
    text: str
    source: str
    write: bool = False
    fingerprint: str = ""
    previous: str = ""
    row: int | None = None
    moved: bool = False
    stale: bool = False


def _person(base: SectionText, text: str, mark: str, draft_fp: str) -> SectionText:
    """A person's text against the new draft (fingerprint ``draft_fp``): the mark to keep and whether it is stale."""
    m = _MARK.match(mark or "")
    if m is None:                              # no mark (or one typed over): the current draft is the one seen
        return replace(base, fingerprint=draft_fp, write=True)
    seen, flagged_text = m.group(1), m.group(2)
    if flagged_text is not None and flagged_text != fingerprint(text):   # edited after the warning: seen now
        return replace(base, fingerprint=draft_fp, write=True)
    if seen == draft_fp:
        return replace(base, fingerprint=seen, write=mark != seen)
    stale_mark = f"{seen}:{fingerprint(text)}"
    return replace(base, fingerprint=stale_mark, write=mark != stale_mark, stale=True)


def resolve(entries: Iterable[NarrativeEntry], drafts: Mapping[str, str | None], *,
            redraft: Collection[str] = ()) -> dict[str, SectionText]:
    """The text of every section of ``drafts`` given the sheet rows ``entries`` of the period (see the
    module docstring); ``redraft``: codes whose text is replaced by the draft even when a person edited it.
    A draft ``None`` (figures not computed) keeps what the sheet holds, as it is."""
    by_code: dict[str, NarrativeEntry] = {}
    for e in entries:
        by_code.setdefault(e.code, e)
    out: dict[str, SectionText] = {}
    for code, draft in drafts.items():
        draft = normalize(draft) if draft is not None else None
        e = by_code.get(code)
        if e is None:  # no row in the sheet: print the draft, nothing to write
            out[code] = SectionText(code, draft or "", "draft" if draft else "blank")
            continue
        text = normalize(e.text)
        engine_text = bool(text) and not e.person_text
        base = SectionText(code, text, "draft" if engine_text else ("person" if text else "blank"),
                           fingerprint=e.fingerprint, previous=e.previous, row=e.row)
        if draft is not None and (code in redraft or not text or engine_text):
            # a blank draft (nothing to say, e.g. no cause given) blanks the engine's own earlier draft too
            moved = bool(text) and not engine_text  # a person's text, replaced on request: keep it
            previous = e.text if moved else e.previous
            changed = draft != text or fingerprint(draft) != e.fingerprint or previous != e.previous
            out[code] = replace(base, text=draft, source="draft" if draft else "blank", write=changed,
                                fingerprint=fingerprint(draft), previous=previous, moved=moved)
        elif draft is not None and base.source == "person":
            out[code] = _person(base, text, e.fingerprint, fingerprint(draft))
        else:
            out[code] = base
    return out


def stale_note(texts: Mapping[str, SectionText], period_label: str) -> str | None:
    """The one sentence that asks a person to read again the sections they wrote whose figures changed since
    (``texts``: :func:`resolve`'s result), or None — said alike by the command line and the ribbon.

    >>> stale_note({"I": SectionText("I", "a", "person"), "II.7": SectionText("II.7", "b", "person", stale=True)},
    ...            "Quý I/2024")
    "Mục II.7 do cán bộ sửa (trang 'Nội dung báo cáo', kỳ Quý I/2024): số liệu đã thay đổi sau khi sửa — hãy xem lại."
    """
    stale = [code for code, t in texts.items() if t.stale]
    if not stale:
        return None
    return (f"Mục {', '.join(stale)} do cán bộ sửa (trang 'Nội dung báo cáo', kỳ {period_label}): số liệu đã thay "
            "đổi sau khi sửa — hãy xem lại.")

