"""The embedded default store: files in a directory (QUARTIER_MEDIA_DIR)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path


class DirectoryStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys are made by us, but a path never leaves the root whatever it holds.
        if self.root.resolve() not in path.parents:
            raise ValueError(f"media key outside the store: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a reader never sees half a file.
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        partial.write_bytes(data)
        os.replace(partial, path)

    async def get(self, key: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, keys: list[str]) -> None:
        await asyncio.to_thread(self._remove, [self._path(key) for key in keys])

    @staticmethod
    def _remove(paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the photo's folder, once both sizes are gone
