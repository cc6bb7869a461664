"""``[Content_Types].xml``: the media type of every part, by override (part name) or default (extension).

Part names are compared case-insensitively, as the OPC specification says. The manifest is parsed once
and re-serialized only when something was changed.
"""

from __future__ import annotations

import posixpath

from lxml import etree

from .xmltext import local_name, ns_of

__all__ = ["ContentTypes"]


class ContentTypes:
    """Read/modify the manifest of a package (``store`` gives its parsed tree: ``tree_ro``/``tree``)."""

    PART = "[Content_Types].xml"

    def __init__(self, store):
        self._store = store

    def _ro(self):
        return self._store.tree_ro(self.PART)

    def _rw(self):
        return self._store.tree(self.PART)

    def get(self, part: str) -> str | None:
        root = self._ro()
        want = "/" + part.lstrip("/").lower()
        for el in root:
            if local_name(el) == "Override" and el.get("PartName", "").lower() == want:
                return el.get("ContentType")
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        for el in root:
            if local_name(el) == "Default" and el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def overrides(self) -> dict[str, str]:
        return {el.get("PartName").lstrip("/"): el.get("ContentType") for el in self._ro()
                if local_name(el) == "Override"}

    def defaults(self) -> dict[str, str]:
        return {el.get("Extension"): el.get("ContentType") for el in self._ro() if local_name(el) == "Default"}

    def set_override(self, part: str, content_type: str) -> None:
        want = "/" + part.lstrip("/")
        for el in self._ro():
            if local_name(el) == "Override" and el.get("PartName", "").lower() == want.lower() \
                    and el.get("ContentType") == content_type:
                return
        root = self._rw()
        for el in root:
            if local_name(el) == "Override" and el.get("PartName", "").lower() == want.lower():
                el.set("ContentType", content_type)
                return
        etree.SubElement(root, ns_of(root) + "Override", PartName=want, ContentType=content_type)

    def remove_override(self, part: str) -> None:
        want = "/" + part.lstrip("/").lower()
        if not any(local_name(el) == "Override" and el.get("PartName", "").lower() == want for el in self._ro()):
            return
        root = self._rw()
        for el in list(root):
            if local_name(el) == "Override" and el.get("PartName", "").lower() == want:
                root.remove(el)

    def ensure_default(self, ext: str, content_type: str) -> None:
        if any(local_name(el) == "Default" and el.get("Extension", "").lower() == ext.lower() for el in self._ro()):
            return
        root = self._rw()
        el = etree.Element(ns_of(root) + "Default", Extension=ext, ContentType=content_type)
        defaults = [c for c in root if local_name(c) == "Default"]
        if defaults:
            defaults[-1].addnext(el)
        else:
            root.insert(0, el)
