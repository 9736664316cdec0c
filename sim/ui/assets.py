"""Solara's front-end files, for machines without internet access.

Solara's page loads its JavaScript and CSS (`@widgetti/solara-vuetify3-app`, requirejs,
font-awesome) through the server's CDN proxy, which fetches them from cdn.jsdelivr.net on
first use and caches them under `<venv>/share/solara/cdn/`. Where the internet is closed
but the npm registry is not (CI here), `ensure_assets()` fills that cache with the same
packages through `npm pack` (the CDN serves npm package contents, so the files are identical).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d[\w.-]*)/")
FONTAWESOME = "font-awesome@4.5.0"


def required() -> list[str]:
    """`name@version` of every npm package Solara's page templates load from the CDN."""
    import solara.server

    found: set[str] = {FONTAWESOME}
    for tpl in (Path(solara.server.__file__).parent / "templates").glob("*.j2"):
        found.update(_CDN_REF.findall(tpl.read_text(encoding="utf-8")))
    return sorted(found)


def cache_dir() -> Path:
    """Where Solara's CDN proxy looks for cached files."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing(cache: Path | None = None) -> list[str]:
    cache = cache or cache_dir()
    return [spec for spec in required() if not (cache / spec / "package.json").is_file()]


def ensure_assets(cache: Path | None = None, timeout: float = 300.0) -> list[str]:
    """Fetch the missing packages with `npm pack` into the cache; return what was added.

    Raises RuntimeError if some are missing and npm is not available or fails.
    """
    cache = cache or cache_dir()
    todo = missing(cache)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"Solara's front-end files {', '.join(todo)} are not cached in {cache} and npm is not "
            "installed; open the page once with internet access, or install npm"
        )
    with tempfile.TemporaryDirectory(prefix="mvsim-assets-") as tmp:
        res = subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", tmp, *todo],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if res.returncode != 0:
            raise RuntimeError(f"npm pack {' '.join(todo)} failed: {res.stderr.strip()[-500:]}")
        tarballs = [Path(tmp) / line.strip() for line in res.stdout.splitlines() if line.strip()]
        if len(tarballs) != len(todo):
            raise RuntimeError(f"npm pack returned {len(tarballs)} files for {len(todo)} packages")
        for spec, tgz in zip(todo, tarballs, strict=True):
            dest = cache / spec
            staging = Path(tempfile.mkdtemp(prefix=".mvsim-", dir=tmp))
            with tarfile.open(tgz) as tf:
                tf.extractall(staging, filter="data")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(dest, ignore_errors=True)
            shutil.move(str(staging / "package"), dest)
    return todo


__all__ = ["cache_dir", "ensure_assets", "missing", "required"]
