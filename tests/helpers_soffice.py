"""Run LibreOffice headless from tests: one process for many files, a private profile per session."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["have_soffice", "soffice_binary", "convert"]

_PROFILE: Path | None = None


def soffice_binary() -> str | None:
    for name in ("soffice", "libreoffice", "soffice.com"):
        found = shutil.which(name)
        if found:
            return found
    for cand in (r"C:\Program Files\LibreOffice\program\soffice.com",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(cand):
            return cand
    return None


def have_soffice() -> bool:
    return soffice_binary() is not None


def _profile() -> Path:
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.mkdtemp(prefix="cchc-lo-profile-"))
        atexit.register(shutil.rmtree, _PROFILE, True)
    return _PROFILE


def convert(files, fmt: str, outdir, timeout: float = 300) -> list[Path]:
    """Convert ``files`` with one ``soffice --headless --convert-to fmt`` call.

    ``fmt`` is what ``--convert-to`` takes ("pdf", "csv", "csv:Text - txt - csv (StarCalc):44,34,76", …).
    Returns the expected output paths in input order (check ``exists()``: LibreOffice skips files it cannot
    open without failing the whole call). Raises RuntimeError when soffice is missing or times out.
    """
    binary = soffice_binary()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    files = [Path(f).resolve() for f in files]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0]
    if not files:
        return []
    cmd = [binary, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)]
    env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
    try:
        subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"soffice timed out after {timeout} s") from exc
    return [outdir / f"{f.stem}.{ext}" for f in files]
