"""The zip container: members read with every byte counted, written back raw when untouched.

Reading (:class:`ZipIn`) refuses what is not a package (a password-protected CFB file, a text file), checks
the sizes the members declare against the caps (:mod:`.limits`) — the usual bomb is refused before anything
is inflated — and inflates members as streams, counting every byte against the cap. :mod:`zipfile` stops a
member at the size its header declares and then checks the CRC, so a member whose header understates its
size fails as corrupt instead of inflating to gigabytes. Small members (≤ 1 MB) are inflated and checked
at once and kept; a big one (a worksheet of thousands of rows) when it is first read, and not kept (the
reader keeps what it needs). A member that is never read is copied raw, as it was.

Writing (:class:`ZipOut`) copies an untouched member's compressed bytes as they are (no inflate, no
deflate) and deflates a changed one as its text streams in; the output keeps the members' order, names,
timestamps, attributes and compression methods.
"""

from __future__ import annotations

import io
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable

from ...errors import WorkbookError
from .limits import MAX_PARTS, MAX_RATIO, MAX_UNZIPPED_BYTES, RATIO_MIN_SIZE

try:
    # zlib-ng inflates and computes CRC-32 about twice as fast as zlib, with the same results by definition.
    # Deflating stays with zlib: zlib-ng's compressed bytes differ between processors, and the build of the
    # bundled workbook must give the same bytes on every machine.
    from zlib_ng import zlib_ng as _zlib_ng
except ImportError:  # a platform without its wheel: the standard module does the same, slower
    _zlib_ng = zlib

__all__ = ["ZipIn", "ZipOut", "deflate", "CFB_SIGNATURE", "NEW_PART_DATE"]

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
NEW_PART_DATE = (1980, 1, 1, 0, 0, 0)
KEEP_INFLATED = 1 << 20           # members up to this size stay inflated in memory
_CHUNK = 1 << 20
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def _corrupt(name: str, why: object) -> WorkbookError:
    return WorkbookError(f"Tệp '{name}' bị hỏng (không giải nén được: {why}). Hãy mở lại bằng Excel để sửa hoặc "
                         f"dùng bản sao lưu.")


class ZipIn:
    """The members of a zip held in ``data`` (bytes), checked and counted. Names keep the zip's order."""

    def __init__(self, data: bytes, filename: str, *, max_total: int = MAX_UNZIPPED_BYTES,
                 max_ratio: float = MAX_RATIO, max_parts: int = MAX_PARTS, inflate_small: bool = True):
        """``inflate_small=False``: every member is inflated (and checked) only when read — for a reader that
        needs a few members of a package it does not keep (the Sở's exchange files)."""
        self.data = data
        self.filename = filename
        if data[:8] == CFB_SIGNATURE:
            raise WorkbookError(
                f"Tệp '{filename}' được đặt mật khẩu hoặc là tệp .xls cũ: hãy gỡ mật khẩu hoặc mở bằng Excel và "
                f"lưu thành .xlsx/.xlsm rồi chạy lại.")
        if data[:2] != b"PK":
            raise WorkbookError(f"Tệp '{filename}' không phải là sổ tính Excel (.xlsx/.xlsm).")
        try:
            self._zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise _corrupt(filename, exc) from None
        infos = self._zf.infolist()
        if len(infos) > max_parts:
            raise WorkbookError(f"Tệp '{filename}' có quá nhiều thành phần ({len(infos)}); từ chối mở để an toàn.")
        declared = sum(i.file_size for i in infos)
        if declared > max_total:
            raise WorkbookError(self._too_big(declared, max_total))
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for i in infos:
            if i.filename in self.infos:
                raise _corrupt(filename, f"thành phần '{i.filename}' bị trùng")
            if i.file_size > RATIO_MIN_SIZE and i.file_size > max_ratio * max(i.compress_size, 1):
                raise WorkbookError(
                    f"Tệp '{filename}' có thành phần '{i.filename}' nén bất thường (tỉ lệ "
                    f"{i.file_size // max(i.compress_size, 1)}:1); có thể là tệp độc hại nên không mở.")
            self.infos[i.filename] = i
        self.names = list(self.infos)
        self._kept: dict[str, bytes] = {}
        self.inflated = 0
        self.max_total = max_total
        for name in self.names if inflate_small else ():  # small members now (CRC checked, bytes counted)
            if self.infos[name].file_size <= KEEP_INFLATED:
                self._kept[name] = self._inflate(name)

    def _too_big(self, size: int, cap: int) -> str:
        return (f"Tệp '{self.filename}' quá lớn khi giải nén ({size / 1048576:.0f} MB, giới hạn "
                f"{cap / 1048576:.0f} MB); có thể là tệp độc hại hoặc bị hỏng nên không mở.")

    def _stream(self, name: str) -> Iterable[bytes]:
        try:
            with self._zf.open(self.infos[name]) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except WorkbookError:
            raise
        except Exception as exc:  # noqa: BLE001 - bad CRC, truncated (zlib.error, EOFError), encrypted, odd method
            raise _corrupt(self.filename, exc) from None

    def _inflate(self, name: str) -> bytes:
        info = self.infos[name]
        if info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x01:
            return self._inflate_deflated(name, info)
        chunks, size = [], 0
        for chunk in self._stream(name):
            size += len(chunk)
            self.inflated += len(chunk)
            if self.inflated > self.max_total:
                raise WorkbookError(self._too_big(self.inflated, self.max_total))
            chunks.append(chunk)
        if size != self.infos[name].file_size:
            raise _corrupt(self.filename, f"thành phần '{name}' ngắn hơn khai báo")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _inflate_deflated(self, name: str, info: zipfile.ZipInfo) -> bytes:
        """One call to zlib, output limited to the declared size (+1 byte to see a lie), CRC checked."""
        if self.inflated + info.file_size > self.max_total:
            raise WorkbookError(self._too_big(self.inflated + info.file_size, self.max_total))
        inflater = _zlib_ng.decompressobj(-15)
        try:
            out = inflater.decompress(self.raw(name), info.file_size + 1)
        except _zlib_ng.error as exc:
            raise _corrupt(self.filename, exc) from None
        self.inflated += len(out)
        if len(out) != info.file_size or not (inflater.eof or len(out) == 0 and info.file_size == 0):
            raise _corrupt(self.filename, f"thành phần '{name}' không khớp kích thước khai báo")
        if _zlib_ng.crc32(out) != info.CRC:
            raise _corrupt(self.filename, f"Bad CRC-32 for file '{name}'")
        return out

    def read(self, name: str) -> bytes:
        """The inflated bytes of a member, CRC checked and counted against the cap."""
        kept = self._kept.get(name)
        if kept is not None:
            return kept
        return self._inflate(name)

    def raw(self, name: str) -> memoryview:
        """The member's compressed bytes exactly as stored."""
        info = self.infos[name]
        off = info.header_offset
        head = self.data[off:off + _LOCAL.size]
        if len(head) != _LOCAL.size or head[:4] != b"PK\x03\x04":
            raise _corrupt(self.filename, f"thành phần '{name}'")
        n, m = struct.unpack("<2H", head[26:30])
        start = off + _LOCAL.size + n + m
        return memoryview(self.data)[start:start + info.compress_size]


DEFLATE_BLOCK = 4 << 20


def _blocks(chunks, size: int):
    """The bytes of ``chunks`` as blocks of about ``size`` bytes: small chunks joined, a big one cut in
    memoryviews (no copy)."""
    pending, have = [], 0
    for chunk in chunks:
        n = len(chunk)
        if n < size:
            pending.append(chunk)
            have += n
            if have >= size:
                yield b"".join(pending)
                pending, have = [], 0
            continue
        if pending:
            yield b"".join(pending)
            pending, have = [], 0
        view = memoryview(chunk)
        for k in range(0, n, size):
            yield view[k:k + size]
    if pending:
        yield b"".join(pending)


def _deflate_segment(block, level: int, last: bool) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(block) + comp.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class _Segment(threading.Thread):
    """One block deflated on its own thread (zlib releases the GIL while it works)."""

    def __init__(self, block, level: int):
        super().__init__(name="cchc-xl-deflate", daemon=True)
        self._args, self._out, self._error = (block, level, False), b"", None
        self.start()

    def run(self) -> None:
        try:
            self._out = _deflate_segment(*self._args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self._error = exc
        self._args = None

    def result(self) -> bytes:
        self.join()
        if self._error is not None:
            raise self._error
        return self._out


def deflate(chunks, level: int) -> tuple[int, int, bytes]:
    """(CRC-32, size, raw deflate stream) of the bytes of ``chunks``.

    Blocks of 4 MB are deflated on threads of their own (at most two at a time besides the caller, which
    deflates the last block itself), each ending with a sync flush so that their concatenation is one valid
    stream, as pigz does; the CRC is computed meanwhile."""
    crc, size, out = 0, 0, []
    pending: list[_Segment] = []
    prev = None
    for block in _blocks(chunks, DEFLATE_BLOCK):
        if prev is not None:
            while len(pending) >= 2:                      # a few blocks in flight: memory stays small
                out.append(pending.pop(0).result())
            pending.append(_Segment(prev, level))
        crc = _zlib_ng.crc32(block, crc)
        size += len(block)
        prev = block
    last = _deflate_segment(prev if prev is not None else b"", level, True)
    out.extend(segment.result() for segment in pending)
    out.append(last)
    return crc, size, b"".join(out)


def _strip_zip64(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        hid, ln = struct.unpack("<2H", extra[i:i + 4])
        if hid != 0x0001:
            out += extra[i:i + 4 + ln]
        i += 4 + ln
    return out


def _dos_time(date_time) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((max(y, 1980) - 1980) << 9) | (mo << 5) | d


class _Entry:
    __slots__ = ("name", "flags", "method", "date_time", "crc", "csize", "usize", "extra", "comment",
                 "external_attr", "create_system", "create_version", "offset")


class ZipOut:
    """Write a zip to a seekable binary file; call :meth:`close` to write the central directory."""

    def __init__(self, fh):
        self.fh = fh
        self._entries: list[_Entry] = []

    def _entry(self, name: str, template: zipfile.ZipInfo | None, method: int) -> _Entry:
        e = _Entry()
        e.name = name
        e.method = method
        e.offset = self.fh.tell()
        if template is not None:
            e.flags = template.flag_bits & ~0x09          # no data descriptor, never encrypted
            e.date_time = template.date_time
            e.extra = _strip_zip64(template.extra)
            e.comment = template.comment
            e.external_attr = template.external_attr
            e.create_system = template.create_system
            e.create_version = template.create_version
        else:
            e.flags, e.date_time, e.extra, e.comment = 0, NEW_PART_DATE, b"", b""
            e.external_attr, e.create_system, e.create_version = 0o600 << 16, 0, 20
        if method != zipfile.ZIP_DEFLATED:
            e.flags &= ~0x06
        return e

    def _name_bytes(self, e: _Entry) -> bytes:
        if e.flags & 0x800:
            return e.name.encode("utf-8")
        try:
            return e.name.encode("ascii")
        except UnicodeEncodeError:
            e.flags |= 0x800
            return e.name.encode("utf-8")

    def _local_header(self, e: _Entry) -> bytes:
        name = self._name_bytes(e)
        t, d = _dos_time(e.date_time)
        return _LOCAL.pack(b"PK\x03\x04", 20, e.flags, e.method, t, d, e.crc, e.csize, e.usize,
                           len(name), len(e.extra)) + name + e.extra

    def copy_raw(self, info: zipfile.ZipInfo, raw) -> None:
        """An untouched member: its compressed bytes, CRC and sizes as they were."""
        e = self._entry(info.filename, info, info.compress_type)
        e.crc, e.csize, e.usize = info.CRC, info.compress_size, info.file_size
        self.fh.write(self._local_header(e))
        self.fh.write(raw)
        self._entries.append(e)

    def copy_packed(self, name: str, template: zipfile.ZipInfo | None, crc: int, usize: int, data) -> None:
        """A member deflated beforehand (raw deflate stream ``data`` of ``usize`` bytes with CRC ``crc``)."""
        e = self._entry(name, template, zipfile.ZIP_DEFLATED)
        e.crc, e.csize, e.usize = crc, len(data), usize
        self.fh.write(self._local_header(e))
        self.fh.write(data)
        self._entries.append(e)

    def write(self, name: str, chunks: Iterable[bytes], level: int | None = None,
              template: zipfile.ZipInfo | None = None) -> None:
        """A member whose text arrives in ``chunks``, deflated as it streams (stored when the template was)."""
        method = template.compress_type if template is not None else zipfile.ZIP_DEFLATED
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = zipfile.ZIP_DEFLATED
        e = self._entry(name, template, method)
        e.crc = e.csize = e.usize = 0
        self.fh.write(self._local_header(e))
        comp = zlib.compressobj(6 if level is None else level, zlib.DEFLATED, -15) \
            if method == zipfile.ZIP_DEFLATED else None
        crc = size = csize = 0
        for chunk in chunks:
            if not chunk:
                continue
            crc = _zlib_ng.crc32(chunk, crc)
            size += len(chunk)
            out = comp.compress(chunk) if comp else chunk
            csize += len(out)
            self.fh.write(out)
        if comp:
            out = comp.flush()
            csize += len(out)
            self.fh.write(out)
        e.crc, e.csize, e.usize = crc, csize, size
        end = self.fh.tell()
        self.fh.seek(e.offset)
        self.fh.write(self._local_header(e))
        self.fh.seek(end)
        self._entries.append(e)

    def sizes(self) -> list[tuple[str, int, int]]:
        """``(name, inflated size, compressed size)`` of every member written so far."""
        return [(e.name, e.usize, e.csize) for e in self._entries]

    def close(self) -> None:
        start = self.fh.tell()
        for e in self._entries:
            name = self._name_bytes(e)
            t, d = _dos_time(e.date_time)
            self.fh.write(_CENTRAL.pack(
                b"PK\x01\x02", (e.create_system << 8) | e.create_version, 20, e.flags, e.method, t, d, e.crc,
                e.csize, e.usize, len(name), len(e.extra), len(e.comment), 0, 0, e.external_attr, e.offset))
            self.fh.write(name + e.extra + e.comment)
        size = self.fh.tell() - start
        n = len(self._entries)
        self.fh.write(_END.pack(b"PK\x05\x06", 0, 0, n, n, size, start, 0))
