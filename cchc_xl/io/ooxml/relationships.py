"""Package relationships (``_rels/*.rels``): how one part points to another.

A part's relationships live in ``DIR/_rels/NAME.rels``; targets are relative to the part's folder, or
absolute from the package root when they start with ``/``. Types are compared by their last path segment
(``…/officeDocument``), which also covers the Strict-conformance namespaces.

>>> rels_name("xl/workbook.xml"), rels_name("")
('xl/_rels/workbook.xml.rels', '_rels/.rels')
>>> resolve("xl/worksheets/sheet1.xml", "../tables/table1.xml"), relative("xl/workbook.xml", "xl/styles.xml")
('xl/tables/table1.xml', 'styles.xml')
>>> source_of("xl/worksheets/_rels/sheet1.xml.rels")
'xl/worksheets/sheet1.xml'
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

__all__ = ["Rel", "rels_name", "source_of", "resolve", "relative", "same_type",
           "REL_OFFICE_DOCUMENT", "REL_WORKSHEET", "REL_STYLES", "CT_RELS", "CT_WORKSHEET", "CT_STYLES"]

REL_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str                  # as written
    part: str | None             # resolved part name (None for external targets)
    external: bool = False


def rels_name(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels") if part else "_rels/.rels"


def source_of(rels_part: str) -> str:
    """The part a ``.rels`` part belongs to ('' for the package's own)."""
    d, b = posixpath.split(rels_part)
    return posixpath.join(posixpath.dirname(d), b[:-5]) if b != ".rels" else ""


def resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def relative(source: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source) or ".")


def same_type(rel_type: str, kind: str) -> bool:
    return rel_type.rsplit("/", 1)[-1] == kind
