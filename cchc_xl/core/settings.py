"""Settings kept in the ``Cấu hình`` sheet (table ``tblCauHinh``).

Every rule the domain brief marks as an inference ``[I]`` is a setting here, with
that default. Values arrive from the sheet as text, numbers or dates; :func:`parse`
turns them into a :class:`Settings` object and reports what it cannot understand.

A setting that goes into an e-mail header or a file name (kind ``line``: the school's short name, the unit
code, the report's number and symbol, SMTP host and account, addresses) is one line: a line break typed in the
cell (Alt+Enter) or a control character becomes a space. Dates lie within :func:`.calendar.date_window` (no plan
year: 2000–2100) and the plan year within 2000–2100.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .calendar import FIRST_YEAR, LAST_YEAR, date_window, outside_window
from .vocabulary import PeriodKey

__all__ = ["SETTING_SPECS", "SettingSpec", "Settings", "parse_settings", "SettingProblem", "one_line"]


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: object
    description: str
    kind: str = "text"  # text | line | int | year | date | daymonth | yesno | choice | lines
    choices: tuple[str, ...] = ()


SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("co_quan_chu_quan", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Cơ quan chủ quản (dòng 1 của tiêu đề trái)"),
    SettingSpec("ten_truong", "TRƯỜNG THPT KIẾN THỤY", "Tên đơn vị (dòng 2 của tiêu đề trái, chữ in hoa)"),
    SettingSpec("ten_truong_ngan", "Trường THPT Kiến Thụy", "Tên đơn vị dùng trong câu văn và thư điện tử", "line"),
    SettingSpec("ma_dinh_danh", "", "Mã định danh điện tử của đơn vị (QĐ 20/2020/QĐ-TTg); Sở dùng mã này để "
                "tổng hợp báo cáo của các đơn vị", "line"),
    SettingSpec("dia_danh", "Hải Phòng", "Địa danh ghi ở dòng ngày tháng"),
    SettingSpec("nam_ke_hoach", 2024, "Năm của kế hoạch", "year"),
    SettingSpec("so_ke_hoach", "30/KH-THPTKT", "Số, ký hiệu của kế hoạch"),
    SettingSpec("ngay_ke_hoach", dt.date(2024, 1, 25), "Ngày ban hành kế hoạch", "date"),
    SettingSpec("so_phu_luc", "29/KH-THPTKT", "Số kế hoạch ghi ở phụ lục (bản gốc ghi 29, khác số kế hoạch 30)"),
    SettingSpec("so_bao_cao", "", "Số của báo cáo (để trống thì in dấu chấm để điền tay)", "line"),
    SettingSpec("ky_hieu_bao_cao", "BC-THPTKT", "Ký hiệu của báo cáo, sau dấu '/'", "line"),
    SettingSpec("ngay_bao_cao", None, "Ngày ký báo cáo (để trống: ngày tính đến, hoặc ngày làm việc kế tiếp nếu "
                "ngày tính đến là ngày nghỉ)", "date"),
    SettingSpec("chuc_vu_ky", "HIỆU TRƯỞNG", "Chức vụ người ký"),
    SettingSpec("quyen_han_ky", "", "Quyền hạn ký, ví dụ 'KT.' (để trống nếu Hiệu trưởng ký)"),
    SettingSpec("chuc_vu_ky_thay", "", "Chức vụ người ký thay, ví dụ 'PHÓ HIỆU TRƯỞNG'"),
    SettingSpec("nguoi_ky", "Đào Thế Anh", "Họ và tên người ký"),
    SettingSpec(
        "noi_nhan",
        "Sở GD&ĐT (để báo cáo);\nBan Giám hiệu (để chỉ đạo);\nCác tổ, nhóm chuyên môn (để thực hiện);\nLưu: VT.",
        "Nơi nhận của báo cáo, mỗi dòng một nơi (nơi nhận báo cáo ở dòng đầu)",
        "lines",
    ),
    SettingSpec("co_quan_nhan_bao_cao", "Sở Giáo dục và Đào tạo",
                "Cơ quan nhận báo cáo, viết trong câu văn (mục V. Đề xuất, kiến nghị của bản nháp)"),
    SettingSpec("ke_hoach_cap_tren", "Kế hoạch số 43/SGDĐT ngày 17/01/2024 của Sở Giáo dục và Đào tạo Hải Phòng",
                "Văn bản của cấp trên mà nhà trường thực hiện, nêu đầu tiên trong phần căn cứ của báo cáo (để trống "
                "nếu không có)"),
    SettingSpec("van_ban_yeu_cau_bao_cao", "",
                "Văn bản của Sở yêu cầu báo cáo kỳ này, nêu trong phần căn cứ, ví dụ 'Công văn số …/SGDĐT ngày … "
                "của Sở GD&ĐT về việc báo cáo công tác cải cách hành chính quý I năm 2024' (để trống nếu không có)"),
    SettingSpec("de_xuat_kien_nghi", "",
                "Đề xuất, kiến nghị với Sở (mục V của báo cáo), mỗi dòng một đề xuất về việc Sở có thể làm: hướng "
                "dẫn, tập huấn, phần mềm, nguồn lực (để trống: không có đề xuất)", "lines"),
    SettingSpec("ngay_tinh_den", None, "Ngày tính đến (để trống: hôm nay)", "date"),
    SettingSpec("ky_bao_cao", "", "Kỳ báo cáo: q1, h1, q3, year (để trống: kỳ chứa ngày tính đến)", "choice",
                ("", *(str(key) for key in PeriodKey))),
    SettingSpec("so_ngay_sap_den_han", 7, "Số ngày làm việc còn lại để coi là 'Sắp đến hạn'", "int"),
    SettingSpec("cach_tinh_hai_long", "QĐ 766", "Cách tính tỷ lệ hài lòng: 'QĐ 766' hoặc 'Khảo sát'", "choice",
                ("QĐ 766", "Khảo sát")),
    SettingSpec("tinh_han_ho_so_tu_choi", "Có", "Hồ sơ bị từ chối có tính hạn giải quyết không (Có/Không)",
                "yesno"),
    SettingSpec("tinh_lai_han_khi_du_ho_so", "Có",
                "Hồ sơ chờ bổ sung: hạn trả tính lại từ 'Ngày nhận đủ hồ sơ' (Có/Không)", "yesno"),
    SettingSpec("nhan_ngay_nghi_tinh_ngay_lam_viec_sau", "Có",
                "Hồ sơ nhận vào ngày nghỉ được tính là nhận vào ngày làm việc kế tiếp (Có/Không)", "yesno"),
    SettingSpec("han_lan_dinh_ky", "Ngày chốt số liệu",
                "Hạn của mỗi lần thực hiện nhiệm vụ định kỳ khi để trống: 'Ngày chốt số liệu' của quý/tháng "
                "(14/3, 14/6, 14/9, 14/12; tháng: ngày 14) hoặc 'Cuối kỳ' (ngày cuối quý/tháng)", "choice",
                ("Ngày chốt số liệu", "Cuối kỳ")),
    SettingSpec("tan_suat_dinh_ky", "Hằng quý", "Nhiệm vụ ghi 'Định kỳ' được thực hiện: 'Hằng quý' hoặc 'Hằng tháng'",
                "choice", ("Hằng quý", "Hằng tháng")),
    SettingSpec("chua_dat_truoc_cuoi_nam", "Có",
                "Trước kỳ báo cáo năm, chỉ tiêu năm chưa đạt ghi 'Chưa đạt' ('Không đạt' chỉ dùng trong báo cáo "
                "năm) (Có/Không)", "yesno"),
    SettingSpec("du_lieu_mau", "", "Ghi chú in ở đầu báo cáo khi sổ còn dữ liệu mẫu (giả định); xóa khi đã thay "
                                   "bằng số liệu thật"),
    SettingSpec("ky_q1_tu", "15/12", "Kỳ Quý I: ngày bắt đầu (ngày/tháng, tháng 12 là của năm trước)",
                "daymonth"),
    SettingSpec("ky_q1_den", "14/03", "Kỳ Quý I: ngày kết thúc", "daymonth"),
    SettingSpec("ky_h1_tu", "15/12", "Kỳ 6 tháng: ngày bắt đầu", "daymonth"),
    SettingSpec("ky_h1_den", "14/06", "Kỳ 6 tháng: ngày kết thúc", "daymonth"),
    SettingSpec("ky_q3_tu", "15/06", "Kỳ Quý III: ngày bắt đầu", "daymonth"),
    SettingSpec("ky_q3_den", "14/09", "Kỳ Quý III: ngày kết thúc", "daymonth"),
    SettingSpec("ky_nam_tu", "15/12", "Kỳ năm: ngày bắt đầu", "daymonth"),
    SettingSpec("ky_nam_den", "14/12", "Kỳ năm: ngày kết thúc", "daymonth"),
    SettingSpec("email_nguoi_nhan", "", "Địa chỉ thư điện tử nhận báo cáo (Sở GD&ĐT)", "line"),
    SettingSpec("email_nguoi_gui", "", "Địa chỉ thư điện tử gửi báo cáo", "line"),
    SettingSpec("smtp_may_chu", "", "Máy chủ gửi thư (SMTP)", "line"),
    SettingSpec("smtp_cong", 587, "Cổng SMTP", "int"),
    SettingSpec("smtp_bao_mat", "STARTTLS", "Bảo mật SMTP: SSL, STARTTLS hoặc Không", "choice",
                ("SSL", "STARTTLS", "Không")),
    SettingSpec("smtp_tai_khoan", "", "Tên đăng nhập SMTP (mật khẩu chỉ đặt trong biến môi trường CCHC_SMTP_PASSWORD)",
                "line"),
)

_SPEC_BY_KEY = {s.key: s for s in SETTING_SPECS}
_DAYMONTH = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class SettingProblem:
    key: str
    row: int | None
    message: str


@dataclass
class Settings:
    """Typed settings; unknown keys are kept in ``extra``."""

    values: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, key: str) -> object:
        if key in self.values:
            return self.values[key]
        spec = _SPEC_BY_KEY[key]
        return _coerce(spec, spec.default) if spec.kind in ("daymonth", "yesno") else spec.default

    def get(self, key: str, default: object = None) -> object:
        if key in self.values or key in _SPEC_BY_KEY:
            return self[key]
        return self.extra.get(key, default)

    def windows(self) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
        """Reporting windows as ``{key: ((day, month) from, (day, month) to)}``."""
        out = {}
        for key, prefix in _WINDOW_SETTINGS.items():
            out[key] = (self[prefix + "_tu"], self[prefix + "_den"])
        return out


#: The settings that hold each period's window (``<prefix>_tu``, ``<prefix>_den``).
_WINDOW_SETTINGS = {PeriodKey.Q1: "ky_q1", PeriodKey.H1: "ky_h1", PeriodKey.Q3: "ky_q3", PeriodKey.YEAR: "ky_nam"}


def _coerce(spec: SettingSpec, value: object) -> object:
    """Convert one cell value to the setting's type (:data:`_KINDS`: one reader per kind); raise ValueError with
    a Vietnamese message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.kind in ("text", "line", "lines"):
            return ""
        if spec.kind in ("daymonth", "yesno") and isinstance(spec.default, str):
            return _coerce(spec, spec.default)
        return spec.default
    return _KINDS.get(spec.kind, _text)(spec, value)


def _integer(spec: SettingSpec, value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("cần một số nguyên")
    if isinstance(value, (int, float)) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError("cần một số nguyên")
    if spec.kind == "year" and not FIRST_YEAR <= number <= LAST_YEAR:
        raise ValueError(f"năm {number} nằm ngoài khoảng {FIRST_YEAR}–{LAST_YEAR}")
    return number


def _a_date(spec: SettingSpec, value: object) -> dt.date:
    day = _date(value)
    if day is None:
        raise ValueError("cần một ngày dạng dd/mm/yyyy")
    problem = outside_window(day, date_window(None))
    if problem:
        raise ValueError(problem)
    return day


def _day_month(spec: SettingSpec, value: object) -> tuple[int, int]:
    if isinstance(value, (dt.date, dt.datetime)):
        return (value.day, value.month)
    m = _DAYMONTH.match(str(value))
    if not m:
        raise ValueError("cần ngày/tháng dạng dd/mm, ví dụ 15/12")
    day, month = int(m.group(1)), int(m.group(2))
    try:
        dt.date(2024, month, day)
    except ValueError:
        raise ValueError("ngày/tháng không tồn tại") from None
    return (day, month)


def _yes_no(spec: SettingSpec, value: object) -> bool:
    text = str(value).strip()
    if text not in ("Có", "Không"):
        raise ValueError("chỉ nhận 'Có' hoặc 'Không'")
    return text == "Có"


def _choice(spec: SettingSpec, value: object) -> str:
    text = str(value).strip()
    if text not in spec.choices:
        raise ValueError("chỉ nhận một trong: " + ", ".join(repr(c) for c in spec.choices if c))
    return text


def _lines(spec: SettingSpec, value: object) -> str:
    return "\n".join(line.strip() for line in str(value).splitlines() if line.strip())


def _line(spec: SettingSpec, value: object) -> str:
    return one_line(str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))


def _text(spec: SettingSpec, value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


#: The reader of each kind of setting; any other kind is text.
_KINDS = {"int": _integer, "year": _integer, "date": _a_date, "daymonth": _day_month, "yesno": _yes_no,
          "choice": _choice, "lines": _lines, "line": _line, "text": _text}


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$", value) or None
        try:
            if m:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` on one line: every run of spaces, line breaks and control characters becomes one space — what
    a setting that goes into an e-mail header or a file name holds (a line break there would end the header).

    >>> one_line("Trường THPT\\nKiến Thụy\\r\\n"), one_line("a\\x00b\\u2028c")
    ('Trường THPT Kiến Thụy', 'a b c')
    """
    return _BREAKS.sub(" ", text).strip()


def parse_settings(pairs: list[tuple[int | None, object, object]]) -> tuple[Settings, list[SettingProblem]]:
    """Build :class:`Settings` from ``(row, key, value)`` triples.

    A value that cannot be understood keeps the default and yields a problem; an
    unknown key is kept in ``Settings.extra``; a key given twice yields a problem
    and the first one wins.

    >>> s, p = parse_settings([(2, "so_ngay_sap_den_han", 5.0), (3, "ky_q1_den", "14/3")])
    >>> s["so_ngay_sap_den_han"], s.windows()["q1"], p
    (5, ((15, 12), (14, 3)), [])
    """
    settings = Settings()
    problems: list[SettingProblem] = []
    seen: set[str] = set()
    for row, key, value in pairs:
        if key is None or not str(key).strip():
            continue
        key = str(key).strip()
        if key in seen:
            problems.append(SettingProblem(key, row, f"khóa '{key}' bị lặp; dùng giá trị ở dòng đầu tiên"))
            continue
        seen.add(key)
        spec = _SPEC_BY_KEY.get(key)
        if spec is None:
            settings.extra[key] = value
            continue
        try:
            settings.values[key] = _coerce(spec, value)
        except ValueError as exc:
            problems.append(SettingProblem(key, row, f"giá trị của '{key}' không hợp lệ: {exc}"))
    return settings, problems
