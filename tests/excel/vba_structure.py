"""Read the STRUCTURE of a VBA project ([MS-OVBA]) — not its module texts — for comparisons between workbooks.

:func:`project_structure` reads a workbook's ``xl/vbaProject.bin`` with olefile (the compound file) and oletools'
MS-OVBA decompressor, and returns what Excel cares about when it opens a project: the stream layout, the
``PROJECT`` stream's module declarations (``Document=``/``Module=``/``Class=``), its property keys, host extenders
and workspace entries, the ``dir`` stream's records (project information, references, one record list per
module with its kind, text offset and cookie), ``PROJECTwm``'s module names and the ``_VBA_PROJECT`` header.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import olefile
from oletools.olevba import VBA_Parser, decompress_stream

# dir stream record ids ([MS-OVBA] 2.3.4.2) this reader names
REFERENCE_NAME, REFERENCE_REGISTERED, REFERENCE_PROJECT, REFERENCE_CONTROL, REFERENCE_ORIGINAL = (
    0x0016, 0x000D, 0x000E, 0x002F, 0x0033)
PROJECT_MODULES, PROJECT_COOKIE, MODULE_NAME, MODULE_STREAM_NAME = 0x000F, 0x0013, 0x0019, 0x001A
MODULE_OFFSET, MODULE_COOKIE, MODULE_PROCEDURAL, MODULE_DOC_CLASS, MODULE_END, DIR_END = (
    0x0031, 0x002C, 0x0021, 0x0022, 0x002B, 0x0010)
_LIBID_GUID = re.compile(rb"\{[0-9A-Fa-f-]{36}\}")


@dataclass
class Module:
    name: str
    stream: str
    procedural: bool  # MODULETYPE 0x0021 (a standard module); False = 0x0022 (document or class module)
    text_offset: int
    cookie: int
    record_ids: list[int] = field(default_factory=list)


@dataclass
class ProjectStructure:
    streams: list[str]  # every stream path, "VBA/dir" style, sorted
    declarations: list[tuple[str, str]]  # PROJECT stream: ("Document", "Sheet1"), ("Module", "xlwings"), …
    property_keys: list[str]  # PROJECT stream keys other than the module declarations, in order
    host_extenders: list[str]
    workspace: list[str]  # module names in [Workspace]
    information_ids: list[int]  # dir: record ids before the references
    references: list[tuple[str, str]]  # (name, library GUID upper-case) per reference
    project_cookie: int
    modules: list[Module]
    projectwm: list[str]
    vba_project_stream: bytes

    def kinds(self) -> dict[str, str]:
        """``{module: 'Document' | 'Module' | 'Class'}`` from the PROJECT stream."""
        return {name: kind for kind, name in self.declarations}

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)


def vba_project_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def _records(data: bytes):
    i = 0
    while i + 6 <= len(data):
        rid, size = struct.unpack_from("<HI", data, i)
        i += 6
        if rid == 0x0009:  # PROJECTVERSION: 'Reserved' is 4 but 6 bytes follow
            size = 6
        yield rid, data[i:i + size]
        i += size
        if rid == DIR_END:
            return


def _parse_project_stream(text: str):
    declarations, keys, extenders, workspace = [], [], [], []
    section = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("["):
            section = line.strip()
            continue
        key, _, value = line.partition("=")
        if section == "[Host Extender Info]":
            extenders.append(line)
        elif section == "[Workspace]":
            workspace.append(key)
        elif key in ("Document", "Module", "Class", "BaseClass"):
            declarations.append((key, value.split("/")[0]))
        else:
            keys.append(key)
    return declarations, keys, extenders, workspace


def _parse_projectwm(data: bytes) -> list[str]:
    names, i = [], 0
    while i < len(data) and data[i:i + 2] != b"\x00\x00":
        end = data.index(b"\x00", i)
        names.append(data[i:end].decode("latin-1"))
        j = end + 1
        while data[j:j + 2] != b"\x00\x00":  # the UTF-16 name, ended by 0x0000
            j += 2
        i = j + 2
    return names


def project_structure(path_or_bytes: Path | bytes) -> ProjectStructure:
    data = vba_project_bin(path_or_bytes) if isinstance(path_or_bytes, Path) else path_or_bytes
    ole = olefile.OleFileIO(data)
    try:
        streams = sorted("/".join(p) for p in ole.listdir(streams=True, storages=False))
        declarations, keys, extenders, workspace = _parse_project_stream(
            ole.openstream("PROJECT").read().decode("latin-1"))
        projectwm = _parse_projectwm(ole.openstream("PROJECTwm").read())
        vba_project = ole.openstream("VBA/_VBA_PROJECT").read()
        dir_data = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    finally:
        ole.close()
    info_ids: list[int] = []
    references: list[tuple[str, str]] = []
    modules: list[Module] = []
    cookie = -1
    phase, current, ref_name = "info", None, ""
    for rid, body in _records(dir_data):
        if rid == REFERENCE_NAME:
            phase, ref_name = "refs", body.decode("latin-1")
            continue
        if rid == PROJECT_MODULES:
            phase = "modules"
            continue
        if phase == "info":
            info_ids.append(rid)
        elif phase == "refs":
            if rid in (REFERENCE_REGISTERED, REFERENCE_PROJECT, REFERENCE_ORIGINAL):
                guid = _LIBID_GUID.search(body)
                references.append((ref_name, guid.group().decode().upper() if guid else ""))
        elif rid == PROJECT_COOKIE:
            cookie = struct.unpack("<H", body)[0]
        elif rid == MODULE_NAME:
            current = Module(body.decode("latin-1"), "", False, -1, -1, [rid])
        elif current is not None:
            current.record_ids.append(rid)
            if rid == MODULE_STREAM_NAME:
                current.stream = body.decode("latin-1")
            elif rid == MODULE_OFFSET:
                current.text_offset = struct.unpack("<I", body)[0]
            elif rid == MODULE_COOKIE:
                current.cookie = struct.unpack("<H", body)[0]
            elif rid == MODULE_PROCEDURAL:
                current.procedural = True
            elif rid == MODULE_END:
                modules.append(current)
                current = None
    return ProjectStructure(streams, declarations, keys, extenders, workspace, info_ids, references, cookie,
                            modules, projectwm, vba_project)


def workbook_code_names(path: Path) -> list[str]:
    """The workbook's code name, then each sheet's (``codeName`` of ``workbookPr``/``sheetPr``), in sheet order."""
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        targets = dict(re.findall(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
        targets.update({i: t for t, i in re.findall(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"',
                                                    rels)})
        found = re.search(r'<workbookPr\b[^>]*\bcodeName="([^"]+)"', book)
        names = [found.group(1) if found else ""]
        for rid in re.findall(r'<sheet\b[^>]*\br:id="([^"]+)"', book):
            target = targets[rid]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            text = z.read(part).decode("utf-8")
            found = re.search(r'<sheetPr\b[^>]*\bcodeName="([^"]+)"', text)
            names.append(found.group(1) if found else "")
    return names


def read_vba_modules(data: bytes | str | Path) -> dict[str, str]:
    """``{module name: source}`` of a ``vbaProject.bin`` (bytes) or a workbook/bin path, read with oletools.

    Sources are returned with LF line ends, as stored (attribute lines included).
    """
    if isinstance(data, (str, Path)):
        p = Path(data)
        if p.suffix.lower() in (".xlsm", ".xlam", ".xlsb"):
            with zipfile.ZipFile(p) as z:
                data = z.read("xl/vbaProject.bin")
        else:
            data = p.read_bytes()
    parser = VBA_Parser("vbaProject.bin", data=bytes(data))
    try:
        out: dict[str, str] = {}
        for _f, stream, _name, code in parser.extract_macros():
            module = stream.rsplit("/", 1)[-1]
            out[module] = code.replace("\r\n", "\n")
        return out
    finally:
        parser.close()
