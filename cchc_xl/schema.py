"""The workbook contract: sheet names, table names, headers and enumerations.

Other tools, the import command, the hand-out copies and the tests rely on these
names. Columns may be added; these must not be renamed. Everything that needs a
sheet, table or header name imports it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .core.vocabulary import IndicatorStatus, TaskFlag

__all__ = [
    "TableSpec",
    "TASKS",
    "OCCURRENCES",
    "DOSSIERS",
    "PROCEDURES",
    "INDICATORS",
    "HOLIDAYS",
    "SETTINGS",
    "NARRATIVE",
    "NARRATIVE_SECTIONS",
    "NARRATIVE_SOURCE",
    "TABLES",
    "SHEET_REPORT",
    "SHEET_GUIDE",
    "SHEET_LOG",
    "SHEET_XLWINGS_CONF",
    "LOG_HEADERS",
    "TASK_STATUS",
    "TASK_FLAG",
    "TASK_LINK_UMBRELLA",
    "DOSSIER_CHANNEL",
    "DOSSIER_STATUS",
    "DOSSIER_CLASS",
    "RATING",
    "YES_NO",
    "INDICATOR_OP",
    "INDICATOR_STATUS",
    "HOLIDAY_KIND",
    "AREAS",
    "ENUM_NAMES",
]


@dataclass(frozen=True)
class TableSpec:
    """One Excel table: where it lives, its headers, and which columns the engine writes."""

    sheet: str
    table: str
    headers: tuple[str, ...]
    computed: tuple[str, ...] = ()
    key: str | None = None  # header whose values must be unique
    # Headers added after the first release: a workbook made before them is still read (the feature
    # that needs the column is then off); every other header is required.
    optional: tuple[str, ...] = ()

    def col(self, header: str) -> int:
        """0-based position of ``header`` in the contract order."""
        return self.headers.index(header)


# Enumerations: Vietnamese label -> internal code. Labels are what users see and type.
TASK_STATUS = {
    "Chưa thực hiện": "not_started",
    "Đang thực hiện": "in_progress",
    "Hoàn thành": "done",
    "Không thực hiện": "cancelled",
}
# flag key -> the word 'Tình trạng hạn' shows (core.vocabulary.TaskFlag and its label, as plain strings)
TASK_FLAG = {str(flag): flag.label for flag in TaskFlag}
# Value of the 'Liên kết' column for an appendix row that sums up the whole plan (e.g. "Thực hiện theo
# Kế hoạch đã ban hành"); any other non-blank value is the Mã of the section III task the row repeats.
TASK_LINK_UMBRELLA = "Tổng hợp"
DOSSIER_CHANNEL = {"Trực tiếp": "direct", "Trực tuyến": "online", "Bưu chính": "post"}
DOSSIER_STATUS = {
    "Đang xử lý": "processing",
    "Chờ bổ sung": "waiting",
    "Đã trả kết quả": "returned",
    "Rút hồ sơ": "withdrawn",
    "Từ chối": "refused",
}
DOSSIER_CLASS = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "pending_not_due": "Đang xử lý trong hạn",
    "pending_overdue": "Đang xử lý quá hạn",
    "withdrawn": "Rút hồ sơ",
    "waiting": "Chờ bổ sung",
    "refused": "Từ chối (không tính hạn)",
    "out_of_period": "Ngoài kỳ báo cáo",
}
RATING = {"Rất hài lòng": "very_satisfied", "Hài lòng": "satisfied", "Không hài lòng": "dissatisfied"}
YES_NO = {"Có": True, "Không": False}
INDICATOR_OP = {">": "gt", "≥": "ge", "=": "eq", "≤": "le"}
# core.vocabulary.IndicatorStatus, as plain strings: "Chưa đạt": an annual target not met before the annual
# cut-off; "Không tính được": a table it needs could not be read.
INDICATOR_STATUS = tuple(str(status) for status in IndicatorStatus)
HOLIDAY_KIND = {"Nghỉ": False, "Làm bù": True}

# The seven areas of section III of the plan.
AREAS = {
    1: "Công tác chỉ đạo, điều hành",
    2: "Cải cách thể chế",
    3: "Cải cách thủ tục hành chính",
    4: "Cải cách tổ chức bộ máy",
    5: "Cải cách chế độ công vụ",
    6: "Cải cách tài chính công",
    7: "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
}

TASKS = TableSpec(
    sheet="Nhiệm vụ",
    table="tblNhiemVu",
    headers=(
        "Mã",
        "Lĩnh vực",
        "Nội dung công việc",
        "Tên ngắn",
        "Tổ/nhóm chuyên môn",
        "Cán bộ phụ trách",
        "Thời gian thực hiện/hoàn thành",
        "Hạn hoàn thành",
        "Sản phẩm",
        "Trạng thái",
        "Ngày hoàn thành",
        "Minh chứng",
        "Ghi chú",
        "Liên kết",
        "Tình trạng hạn",
    ),
    computed=("Tình trạng hạn",),
    key="Mã",
    # 'Tên ngắn' (issue #15): how the report's sentences name the task; the plan's text stays verbatim in 'Nội
    # dung công việc'. Blank: the report drafts it (cchc_xl.core.shortname); a name a person wrote is kept.
    optional=("Liên kết", "Tên ngắn"),
)
# One row per occurrence of a periodic task ('Hằng quý', 'Hằng tháng', 'Định kỳ'): each has its own
# deadline, status and completion date; the build generates the rows, the groups fill them in.
OCCURRENCES = TableSpec(
    sheet="Nhiệm vụ định kỳ",
    table="tblLanThucHien",
    headers=(
        "Mã",
        "Mã nhiệm vụ",
        "Lần thực hiện",
        "Hạn hoàn thành",
        "Trạng thái",
        "Ngày hoàn thành",
        "Minh chứng",
        "Ghi chú",
        "Tình trạng hạn",
    ),
    computed=("Tình trạng hạn",),
    key="Mã",
)
DOSSIERS = TableSpec(
    sheet="Hồ sơ TTHC",
    table="tblHoSo",
    headers=(
        "Mã hồ sơ",
        "Mã TTHC",
        "Tên TTHC",
        "Ngày tiếp nhận",
        "Hình thức nộp",
        "Ngày hẹn trả",
        "Ngày có kết quả",
        "Trạng thái",
        "Số hóa kết quả",
        "Đánh giá",
        "Có phản ánh",
        "Ngày nhận đủ hồ sơ",
        "Hạn trả",
        "Phân loại",
    ),
    computed=("Hạn trả", "Phân loại"),
    key="Mã hồ sơ",
    optional=("Ngày nhận đủ hồ sơ",),
)
PROCEDURES = TableSpec(
    sheet="Thủ tục",
    table="tblThuTuc",
    headers=(
        "Mã TTHC",
        "Tên TTHC",
        "Số ngày làm việc",
        "Áp dụng mốc 15 giờ",
        "Cơ quan quyết định",
        "Công khai trên CSDLQG",
    ),
    key="Mã TTHC",
)
INDICATORS = TableSpec(
    sheet="Chỉ tiêu",
    table="tblChiTieu",
    headers=("Mã", "Chỉ tiêu", "Cách tính", "So sánh", "Ngưỡng", "Kết quả", "Đánh giá", "Ghi chú"),
    computed=("Kết quả", "Đánh giá"),
    key="Mã",
)
HOLIDAYS = TableSpec(
    sheet="Ngày nghỉ",
    table="tblNgayNghi",
    headers=("Ngày", "Loại", "Ghi chú"),
    key="Ngày",
)
SETTINGS = TableSpec(
    sheet="Cấu hình",
    table="tblCauHinh",
    headers=("Khóa", "Giá trị", "Mô tả"),
    key="Khóa",
)
# The report's text, one row per section per period (issue #7 §2): staff write 'Nội dung'; where it is
# blank the engine writes its draft, with the draft's fingerprint in 'Mã bản nháp' — a text that no longer
# matches its fingerprint was edited and is never overwritten; a re-draft on request moves it to 'Bản trước'.
NARRATIVE = TableSpec(
    sheet="Nội dung báo cáo",
    table="tblNoiDung",
    headers=("Kỳ báo cáo", "Mục", "Tên mục", "Nội dung", "Nguồn", "Mã bản nháp", "Bản trước"),
    computed=("Nguồn", "Mã bản nháp", "Bản trước"),
)
# Section code (column 'Mục') -> title; the codes are cchc_xl.core.narrative.SECTION_CODES.
NARRATIVE_SECTIONS = {
    "Mở đầu": "Phần mở đầu (căn cứ báo cáo)",
    "I": "Công tác chỉ đạo, điều hành",
    **{f"II.{n}": title for n, title in AREAS.items()},
    "III.1": "Đánh giá chung: ưu điểm",
    "III.2": "Đánh giá chung: tồn tại, hạn chế",
    "III.3": "Đánh giá chung: nguyên nhân",
    "IV": "Phương hướng, nhiệm vụ kỳ tới",
    "V": "Đề xuất, kiến nghị",
}
# Column 'Nguồn': who wrote the text the report prints.
# 'stale' (issue #15): a person's text written before the figures of its section changed — kept, to be read again.
NARRATIVE_SOURCE = {"draft": "Bản nháp tự động", "person": "Cán bộ viết/đã sửa (giữ nguyên khi cập nhật)",
                    "blank": "Trống",
                    "stale": "Cán bộ viết/đã sửa (giữ nguyên khi cập nhật): số liệu đã thay đổi sau khi sửa — hãy "
                             "xem lại"}
TABLES = (TASKS, DOSSIERS, PROCEDURES, INDICATORS, HOLIDAYS, SETTINGS, OCCURRENCES, NARRATIVE)

SHEET_REPORT = "Báo cáo"
SHEET_GUIDE = "Hướng dẫn"
SHEET_LOG = "Nhật ký"
SHEET_XLWINGS_CONF = "xlwings.conf"
# Headers of the log sheet (Nhật ký): consolidation and sending append rows keyed by them.
LOG_HEADERS = ("Thời gian", "Tệp", "Tổ/nhóm", "Mã", "Cột", "Giá trị cũ", "Giá trị mới", "Ghi chú")

# Defined names that feed drop-down validation (each refers to a list on a hidden sheet).
ENUM_NAMES = {
    "dsTrangThaiNhiemVu": tuple(TASK_STATUS),
    "dsHinhThucNop": tuple(DOSSIER_CHANNEL),
    "dsTrangThaiHoSo": tuple(DOSSIER_STATUS),
    "dsDanhGia": tuple(RATING),
    "dsCoKhong": tuple(YES_NO),
    "dsSoSanh": tuple(INDICATOR_OP),
    "dsLoaiNgay": tuple(HOLIDAY_KIND),
}
