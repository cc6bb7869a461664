"""The parts of a package: bytes by name, parsed trees, relationships between them.

A part is in one of three states: untouched (its bytes are the zip member's, copied raw on save), given new
bytes (:meth:`PartStore.write`), or parsed to be modified (:meth:`PartStore.tree`; re-serialized on save).
Parsed trees are only ever taken of small parts (workbook, rels, manifest, styles, tables): worksheets are
changed by splicing their text (:mod:`.splicer`).

Part names have no leading slash and are matched case-insensitively, as OPC requires.
"""

from __future__ import annotations

from lxml import etree

from ...errors import WorkbookError
from .archive import ZipIn
from .content_types import ContentTypes
from .relationships import CT_RELS, Rel, rels_name, relative, resolve, source_of
from .xmltext import NS_PKG_REL, XML_DECL, local_name, ns_of, parse_xml, serialize

__all__ = ["PartStore"]


class PartStore:
    """Parts of one package read from ``zin`` (see module docstring)."""

    def __init__(self, zin: ZipIn, filename: str):
        self.zin = zin
        self.filename = filename
        self._order: list[str] = list(zin.names)
        self._lower = {n.lower(): n for n in self._order}
        self._new: dict[str, bytes] = {}          # parts given new bytes (write_part, flushed trees)
        self._trees: dict[str, object] = {}       # parsed parts that are (to be) modified
        self._ro: dict[str, object] = {}          # parsed parts only read so far (never mutated)
        self._memo: dict[object, tuple[frozenset, list]] = {}   # see remember()
        if not self.has_part(ContentTypes.PART):
            raise WorkbookError(f"Tệp '{filename}' không phải là sổ tính Excel (thiếu [Content_Types].xml).")
        self.content_types = ContentTypes(self)

    # -- names ---------------------------------------------------------------------------------------------
    def real(self, name: str) -> str:
        name = name.lstrip("/")
        return self._lower.get(name.lower(), name)

    def part_names(self) -> list[str]:
        return list(self._order)

    def has_part(self, name: str) -> bool:
        return name.lstrip("/").lower() in self._lower

    def is_changed(self, name: str) -> bool:
        return name in self._new or name in self._trees

    # -- bytes ---------------------------------------------------------------------------------------------
    def read(self, name: str) -> bytes | None:
        name = self.real(name)
        if name in self._trees:
            self._new[name] = serialize(self._trees[name])
        data = self._new.get(name)
        if data is not None:
            return data
        if name not in self.zin.infos:
            return None
        return self.zin.read(name)

    def write(self, name: str, data: bytes) -> None:
        name = self.real(name)
        self._trees.pop(name, None)
        self._ro.pop(name, None)
        if name.lower() not in self._lower:
            self._order.append(name)
            self._lower[name.lower()] = name
            self._memo.clear()              # part names resolved before may now resolve to this one
        self._new[name] = bytes(data)
        self._forget(name)
        self.invalidate(name)

    def invalidate(self, name: str) -> None:
        """Hook: caches derived from part ``name`` are stale."""

    # -- trees ---------------------------------------------------------------------------------------------
    def tree_ro(self, name: str):
        """The parsed part, not to be modified."""
        name = self.real(name)
        tree = self._trees.get(name)
        if tree is None:
            tree = self._ro.get(name)
        if tree is None:
            tree = self._ro[name] = self._parse(name)
        return tree

    def tree(self, name: str, invalidate: bool = True):
        """The parsed part, to be modified (re-serialized when read or saved)."""
        name = self.real(name)
        tree = self._trees.get(name)
        if tree is None:
            tree = self._ro.pop(name, None)
            if tree is None:
                tree = self._parse(name)
            self._trees[name] = tree
            self._new.pop(name, None)
        self._forget(name)
        if invalidate:
            self.invalidate(name)
        return tree

    # -- what is derived from read-only parts ---------------------------------------------------------------
    def remember(self, key, parts, value: list) -> list:
        """Keep ``value`` (a list derived from ``parts``) under ``key`` until one of ``parts`` is written or
        taken for modification; nothing is kept while one of them is held for modification (:meth:`tree`), as
        its holder may change it at any time. Returns a copy of ``value``."""
        parts = frozenset(parts)
        if not parts & self._trees.keys():
            self._memo[key] = (parts, value)
        return list(value)

    def recall(self, key) -> list | None:
        """A copy of what :meth:`remember` keeps under ``key``, or None."""
        hit = self._memo.get(key)
        return None if hit is None else list(hit[1])

    def _forget(self, name: str) -> None:
        if self._memo:
            self._memo = {k: v for k, v in self._memo.items() if name not in v[0]}

    def _parse(self, name: str):
        data = self.read(name)
        if data is None:
            raise WorkbookError(f"Tệp '{self.filename}' thiếu phần '{name}'.")
        return parse_xml(data, name, self.filename)

    def changed_bytes(self, name: str) -> bytes | None:
        """The new bytes of a changed part (None when untouched)."""
        if name in self._trees:
            return serialize(self._trees[name])
        return self._new.get(name)

    # -- relationships ---------------------------------------------------------------------------------------
    def rels(self, part: str) -> list[Rel]:
        """Relationships of ``part`` ('' for the package root)."""
        rp = self.real(rels_name(part))
        if not self.has_part(rp):
            return []
        hit = self.recall(("rels", part))
        if hit is not None:
            return hit
        out = []
        for el in self.tree_ro(rp):
            if local_name(el) != "Relationship":
                continue
            ext = el.get("TargetMode") == "External"
            target = el.get("Target", "")
            out.append(Rel(el.get("Id"), el.get("Type", ""), target,
                           None if ext else self.real(resolve(part, target)), ext))
        return self.remember(("rels", part), (rp,), out)

    def add_rel(self, source: str, rel_type: str, target_part: str, rid: str | None = None) -> str:
        rp = self.real(rels_name(source))
        if not self.has_part(rp):
            self.write(rp, XML_DECL + b'<Relationships xmlns="%s"/>' % NS_PKG_REL.encode())
        self.content_types.ensure_default("rels", CT_RELS)
        root = self.tree(rp)
        ids = {el.get("Id") for el in root}
        if rid is None:
            n = 1
            while f"rId{n}" in ids:
                n += 1
            rid = f"rId{n}"
        target = "/" + target_part if not source else relative(source, target_part)
        etree.SubElement(root, ns_of(root) + "Relationship", Id=rid, Type=rel_type, Target=target)
        return rid

    def _rels_parts(self) -> list[str]:
        return [p for p in self._order if p.endswith(".rels")]

    def _points_to(self, rels_part: str, name: str, el) -> bool:
        return el.get("TargetMode") != "External" and \
            self.real(resolve(source_of(rels_part), el.get("Target", ""))) == name

    def drop(self, name: str) -> None:
        """Remove a part, every relationship pointing to it, its own rels, its manifest entry, and the parts
        only it referenced (e.g. a VBA signature)."""
        own_rels = rels_name(name)
        targets = [r.part for r in self.rels(name) if r.part and not r.external] if self.has_part(own_rels) else []
        for n in (name, self.real(own_rels)):
            if self.has_part(n):
                n = self.real(n)
                self._new.pop(n, None)
                self._trees.pop(n, None)
                self._ro.pop(n, None)
                self._order.remove(n)
                self._lower.pop(n.lower(), None)
                self._memo.clear()
                self.content_types.remove_override(n)
        for rp in self._rels_parts():
            if any(self._points_to(rp, name, el) for el in self.tree_ro(rp)):
                root = self.tree(rp)
                for el in list(root):
                    if self._points_to(rp, name, el):
                        root.remove(el)
        for t in targets:
            if self.has_part(t) and not self._referenced(self.real(t)):
                self.drop(self.real(t))
        self.invalidate(name)

    def _referenced(self, part: str) -> bool:
        return any(self._points_to(rp, part, el) for rp in self._rels_parts() for el in self.tree_ro(rp))
