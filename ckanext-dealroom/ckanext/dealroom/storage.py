"""Where deal-room attachments live: under the portal's storage path, outside every
public route; only the room's parties reach them, through the attachment action."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from typing import IO

import ckan.plugins.toolkit as tk

_CHUNK = 64 * 1024


def _root() -> str:
    return os.path.join(tk.config.get("ckan.storage_path"), "dealroom")


def path(room_id: str, attachment_id: str) -> str:
    return os.path.join(_root(), room_id, attachment_id)


def receive(stream: IO[bytes], max_bytes: int) -> tuple[str, bytes, int, str]:
    """Copy an upload to a temporary file in the storage folder, reading at most one byte
    more than allowed. (temporary path, first bytes, size, sha256)."""
    os.makedirs(_root(), exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(dir=_root(), prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        while size <= max_bytes:
            chunk = stream.read(min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            if len(head) < 16:
                head += chunk[: 16 - len(head)]
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return tmp, head, size, digest.hexdigest()


def keep(tmp: str, room_id: str, attachment_id: str) -> None:
    os.makedirs(os.path.join(_root(), room_id), exist_ok=True)
    os.replace(tmp, path(room_id, attachment_id))


def discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
