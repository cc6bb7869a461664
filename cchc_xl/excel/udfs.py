"""Excel worksheet functions (xlwings UDFs) over the core rules — optional helpers for users.

Import them in Excel with xlwings' "Import Functions" (the ``UDF Modules`` row of the ``xlwings.conf`` sheet
names this module). The shipped workbook does NOT use them in any cell: it must show correct values on a
computer without Python (a test checks that no cell formula calls ``CCHC_``).

The docstrings are what Excel's function wizard shows (xlwings passes the first 255 characters), so they are
Vietnamese. The plain functions (``hantra``, ``songaylv``, ``phanloai``) are the same rules without xlwings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import xlwings as xw

from ..core.calendar import WorkCalendar
from ..core.dossiers import Dossier, Procedure, classify, due_date
from ..schema import DOSSIER_CLASS, DOSSIER_STATUS, HOLIDAY_KIND, YES_NO

__all__ = ["CCHC_HANTRA", "CCHC_SONGAYLV", "CCHC_PHANLOAI", "hantra", "songaylv", "phanloai"]

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


class _Bad(ValueError):  # noqa: N818 - an argument the UDF answers with an error text, caught below
    pass


def _datetime(value: Any, what: str, required: bool = True) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad(f"thiếu {what}")
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EXCEL_EPOCH + dt.timedelta(days=float(value))
    if isinstance(value, str):
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
    raise _Bad(f"{what} không phải ngày: {value!r}")


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) < 0 \
            or not float(value).is_integer():
        raise _Bad("số ngày làm việc phải là số nguyên không âm")
    return int(value)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return YES_NO.get(value.strip(), False)
    return bool(value)


def _calendar(holidays: Any) -> WorkCalendar:
    """A calendar with overrides from a 2-column range (Ngày, Loại 'Nghỉ'/'Làm bù'), if given."""
    overrides: dict[dt.date, bool] = {}
    for row in holidays or ():
        if not isinstance(row, (list, tuple)) or len(row) < 2 or row[0] is None:
            continue
        kind = HOLIDAY_KIND.get(str(row[1]).strip()) if row[1] is not None else None
        if kind is None:
            continue
        try:
            overrides[_datetime(row[0], "ngày nghỉ").date()] = kind
        except _Bad:
            continue
    return WorkCalendar(overrides)


# --- plain functions ------------------------------------------------------------------------------------------

def hantra(ngay_tiep_nhan: Any, so_ngay: Any, ap_dung_15h: Any = False, bang_ngay_nghi: Any = None) -> dt.date:
    received = _datetime(ngay_tiep_nhan, "ngày tiếp nhận")
    proc = Procedure("UDF", "", _days(so_ngay), _flag(ap_dung_15h), "", False)
    dossier = Dossier("UDF", "UDF", received, "direct", None, None, "processing", None, None, False)
    return due_date(dossier, proc, _calendar(bang_ngay_nghi))


def songaylv(tu_ngay: Any, den_ngay: Any, bang_ngay_nghi: Any = None) -> int:
    a = _datetime(tu_ngay, "từ ngày").date()
    b = _datetime(den_ngay, "đến ngày").date()
    return _calendar(bang_ngay_nghi).working_days_between(a, b)


def phanloai(ngay_tiep_nhan: Any, so_ngay: Any, ngay_hen_tra: Any, ngay_co_ket_qua: Any, trang_thai: Any,
             ngay_tinh: Any, ap_dung_15h: Any = False, bang_ngay_nghi: Any = None) -> str:
    received = _datetime(ngay_tiep_nhan, "ngày tiếp nhận")
    appointment = _datetime(ngay_hen_tra, "ngày hẹn trả", required=False)
    finished = _datetime(ngay_co_ket_qua, "ngày có kết quả", required=False)
    cut = _datetime(ngay_tinh, "ngày tính").date()
    status_label = str(trang_thai or "Đang xử lý").strip()
    status = DOSSIER_STATUS.get(status_label)
    if status is None:
        raise _Bad(f"trạng thái '{status_label}' không hợp lệ")
    proc = None
    if so_ngay is not None and not (isinstance(so_ngay, str) and not so_ngay.strip()):
        proc = Procedure("UDF", "", _days(so_ngay), _flag(ap_dung_15h), "", False)
    dossier = Dossier("UDF", "UDF", received, "direct", appointment.date() if appointment else None,
                      finished.date() if finished else None, status, None, None, False)
    cal = _calendar(bang_ngay_nghi)
    due = due_date(dossier, proc, cal)
    if received.date() > cut:
        return DOSSIER_CLASS["out_of_period"]
    return DOSSIER_CLASS[classify(dossier, due, cut)]


def _safe(fn, *args):
    try:
        return fn(*args)
    except _Bad as exc:
        return f"Lỗi: {exc}"


# --- Excel functions --------------------------------------------------------------------------------------------

@xw.func
@xw.arg("ngay_tiep_nhan", doc="Ngày (giờ) tiếp nhận hồ sơ")
@xw.arg("so_ngay", doc="Số ngày làm việc giải quyết (0 = trả trong ngày)")
@xw.arg("ap_dung_15h", doc="TRUE/'Có' nếu áp dụng mốc 15 giờ (chỉ với thủ tục 0 ngày)")
@xw.arg("bang_ngay_nghi", ndim=2, doc="Tùy chọn: vùng 2 cột Ngày | Loại ('Nghỉ'/'Làm bù')")
def CCHC_HANTRA(ngay_tiep_nhan, so_ngay, ap_dung_15h=False, bang_ngay_nghi=None):  # noqa: N802
    """Hạn trả kết quả: ngày làm việc thứ 'số ngày' sau ngày tiếp nhận (không tính ngày tiếp nhận; bỏ qua thứ Bảy, Chủ nhật, ngày lễ, Tết)."""  # noqa: E501
    return _safe(hantra, ngay_tiep_nhan, so_ngay, ap_dung_15h, bang_ngay_nghi)


@xw.func
@xw.arg("tu_ngay", doc="Ngày bắt đầu (không tính)")
@xw.arg("den_ngay", doc="Ngày kết thúc (có tính)")
@xw.arg("bang_ngay_nghi", ndim=2, doc="Tùy chọn: vùng 2 cột Ngày | Loại ('Nghỉ'/'Làm bù')")
def CCHC_SONGAYLV(tu_ngay, den_ngay, bang_ngay_nghi=None):  # noqa: N802
    """Số ngày làm việc sau 'từ ngày' đến hết 'đến ngày' (bỏ qua thứ Bảy, Chủ nhật, ngày lễ, Tết; 0 nếu đến ngày không sau từ ngày)."""  # noqa: E501
    return _safe(songaylv, tu_ngay, den_ngay, bang_ngay_nghi)


@xw.func
@xw.arg("ngay_tiep_nhan", doc="Ngày (giờ) tiếp nhận hồ sơ")
@xw.arg("so_ngay", doc="Số ngày làm việc giải quyết (để trống nếu chưa rõ thủ tục)")
@xw.arg("ngay_hen_tra", doc="Ngày hẹn trả trên phiếu (nếu có thì dùng làm hạn)")
@xw.arg("ngay_co_ket_qua", doc="Ngày có kết quả (để trống nếu chưa có)")
@xw.arg("trang_thai", doc="Trạng thái: Đang xử lý, Chờ bổ sung, Đã trả kết quả, Rút hồ sơ, Từ chối")
@xw.arg("ngay_tinh", doc="Ngày tính đến (ví dụ ngày cuối kỳ báo cáo)")
@xw.arg("ap_dung_15h", doc="TRUE/'Có' nếu áp dụng mốc 15 giờ")
@xw.arg("bang_ngay_nghi", ndim=2, doc="Tùy chọn: vùng 2 cột Ngày | Loại ('Nghỉ'/'Làm bù')")
def CCHC_PHANLOAI(ngay_tiep_nhan, so_ngay, ngay_hen_tra, ngay_co_ket_qua, trang_thai, ngay_tinh,  # noqa: N802
                  ap_dung_15h=False, bang_ngay_nghi=None):
    """Phân loại hồ sơ tại 'ngày tính': Trước hạn, Đúng hạn, Trễ hạn, Đang xử lý trong hạn/quá hạn, Rút hồ sơ."""
    return _safe(phanloai, ngay_tiep_nhan, so_ngay, ngay_hen_tra, ngay_co_ket_qua, trang_thai, ngay_tinh,
                 ap_dung_15h, bang_ngay_nghi)
