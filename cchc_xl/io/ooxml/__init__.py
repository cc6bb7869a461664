"""Surgical reading and writing of .xlsx/.xlsm packages, one concern per module.

============================  ==========================================================================
module                        what it is
============================  ==========================================================================
:mod:`.package`               :class:`Package`: a workbook opened for reading and surgical edits
:mod:`.archive`               the zip: members inflated with every byte counted, untouched ones copied raw
:mod:`.limits`                the caps every read obeys (decompressed size, blank cells a table may span)
:mod:`.parts`                 parts by name, parsed trees, relationships between parts
:mod:`.relationships`         ``_rels`` names, targets, types
:mod:`.content_types`         ``[Content_Types].xml``
:mod:`.workbook`              sheets, defined names, tables, calculation settings, adding a sheet
:mod:`.styles`                ``xl/styles.xml``: date formats, formats added on demand
:mod:`.shared_strings`        ``xl/sharedStrings.xml``
:mod:`.sheet_text`            a worksheet's XML as text, and what can be learnt from it without a tree
:mod:`.sheet_reader`          every cell of a small worksheet (values, formulas, errors, styles, merges)
:mod:`.table_reader`          an Excel table through python-calamine, plus formulas, errors and merges
:mod:`.cell_xml`              one ``<c>`` element for a Python value
:mod:`.splicer`               writing cells by splicing the sheet's text
:mod:`.saving`                atomic replace, verified backups, nothing left behind on failure
:mod:`.refs`, :mod:`.serials`, :mod:`.xmltext`   A1 references, date serials and number formats, XML text
============================  ==========================================================================

Only the names below are public; everything else is reached through :class:`Package`. Besides the package:
:class:`ZipIn` (a zip read under the limits, for screening a file that is not opened as a workbook),
:func:`read_table` (one table of a :class:`Package`), the document properties, the limits, and the safe XML
parsers for callers that parse an XML part themselves.
"""

from __future__ import annotations

from .archive import CFB_SIGNATURE, ZipIn
from .cell_xml import Formula
from .content_types import ContentTypes
from .doc_props import custom_properties, modified
from .limits import MAX_BLANK_CELLS, MAX_COPY_UNZIPPED_BYTES, MAX_UNZIPPED_BYTES
from .package import WRITE_LEVEL, Package
from .refs import MAX_COL, MAX_ROW, cell_ref, col_index, col_letter, parse_ref, range_ref
from .relationships import CT_STYLES, CT_WORKSHEET, Rel
from .saving import KEEP_BACKUPS, lock_file_for, make_backup
from .serials import is_date_format
from .sheet_reader import Cell, SheetData
from .workbook import DefinedName, SheetInfo, TableInfo
from .xmltext import NS_CT, NS_MAIN, NS_R, SAFE_HUGE_PARSER, SAFE_PARSER



def read_table(package: Package, info: TableInfo):
    """One table of ``package`` (:mod:`.table_reader`, imported when first asked: it brings the table data
    classes and the core's readers with it)."""
    from .table_reader import read_table as read

    return read(package, info)


__all__ = [
    "Package", "Cell", "SheetData", "SheetInfo", "TableInfo", "DefinedName", "Rel", "ContentTypes", "Formula",
    "col_letter", "col_index", "cell_ref", "parse_ref", "range_ref", "MAX_ROW", "MAX_COL", "lock_file_for",
    "is_date_format", "make_backup", "KEEP_BACKUPS", "WRITE_LEVEL", "CFB_SIGNATURE", "NS_MAIN", "NS_CT", "NS_R",
    "CT_WORKSHEET", "CT_STYLES", "ZipIn", "read_table", "custom_properties", "modified", "MAX_UNZIPPED_BYTES",
    "MAX_COPY_UNZIPPED_BYTES", "MAX_BLANK_CELLS", "SAFE_PARSER", "SAFE_HUGE_PARSER",
]
