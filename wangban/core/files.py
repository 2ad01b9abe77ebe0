"""Files people hand us: checked by what they contain, not by their name, and stored once per
content under their SHA-256 through Django's storage API (local disk or S3-compatible).
Nothing stored here has a public URL; views that serve a file check access first."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

import filetype
from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from wangban.core.errors import FileTooLarge, FileTypeRefused

# The types a person may upload, by the media type their magic bytes reveal.
DOCUMENT_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "application/msword": "Word 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.ms-excel": "Excel 表格",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
}

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    blob: str  # the storage name
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when unrecognised."""
    kind = filetype.guess(head)
    return kind.mime if kind else None


def store(
    stream: IO[bytes], *, prefix: str, max_bytes: int, allowed: dict[str, str] = DOCUMENT_TYPES
) -> StoredFile:
    """Check `stream` (type by content, size) and store it under `prefix/<sha256>`, once.

    Raises FileTooLarge (413) or FileTypeRefused (415) with a message in Chinese; a refused
    file leaves nothing behind."""
    stream.seek(0)
    content_type = sniff(stream.read(8192))
    if content_type not in allowed:
        kinds = "、".join(dict.fromkeys(allowed.values()))
        raise FileTypeRefused(f"不支持该文件类型（按文件内容识别），请上传 {kinds}。")
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(f"文件不能超过 {human_size(max_bytes)}。")
        digest.update(chunk)
    if size == 0:
        raise FileTypeRefused("文件是空的。")
    sha256 = digest.hexdigest()
    blob = f"{prefix}/{sha256[:2]}/{sha256}"
    if not (default_storage.exists(blob) and _whole(blob, size) and _touched(blob)):
        stream.seek(0)
        _save_whole(blob, File(stream))
    return StoredFile(blob=blob, content_type=content_type, size=size, sha256=sha256)


def _whole(blob: str, size: int) -> bool:
    """The stored file holds all `size` bytes, not a part left by an older version or a
    crash (its name promises content it does not have)."""
    try:
        return default_storage.size(blob) == size
    except OSError:
        return False


def _save_whole(blob: str, content: File) -> None:
    """Store `content` under `blob` so that the name never holds part of it. On local disk
    it is written under a name of its own and then renamed over `blob`: a write failing
    midway (a full disk) removes only its own part, never a concurrent twin's file (still
    being written, or already referenced by its row), and a part an older version left
    under `blob` is replaced, not deleted. Object stores write an object whole or none."""
    try:
        path = default_storage.path(blob)
    except NotImplementedError:
        saved = default_storage.save(blob, content)
        if saved != blob:  # a concurrent twin stored the same bytes first
            default_storage.delete(saved)
        return
    part = f"{blob}.{uuid.uuid4().hex}.part"  # an orphan if we crash: purged after a day
    try:
        default_storage.save(part, content)
        os.replace(default_storage.path(part), path)
    except BaseException:
        with contextlib.suppress(OSError):  # the storage may be what failed
            default_storage.delete(part)
        raise


def _touched(blob: str) -> bool:
    """Make a stored file new again when an upload brings the same bytes; False when the
    storage has no local path (the bytes are then stored again, which renews them where
    the storage overwrites, as S3-compatible ones do). The upload's row, not committed yet,
    may be the only one to refer to them, and `purge_orphans` spares only files younger
    than a day: left old, they could be deleted just before that row commits."""
    try:
        path = default_storage.path(blob)
    except NotImplementedError:
        return False
    now = timezone.now().timestamp()
    os.utime(path, (now, now))
    return True


def human_size(size: int) -> str:
    """ "20 MB", "512 KB", "300 字节": how a limit reads to a person."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):g} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):g} KB"
    return f"{size} 字节"


def open_blob(blob: str) -> IO[bytes]:
    return default_storage.open(blob, "rb")


# Where stored files are referenced: (storage prefix, "app.Model", field holding the name).
# A file is an orphan when no row of its prefix's models refers to it.
BLOB_OWNERS = [
    ("catalog", "catalog.CatalogFile", "blob"),
    ("cases", "cases.CaseMaterial", "blob"),
    ("cases", "cases.ReplacedMaterial", "blob"),
    ("documents", "cases.CaseDocument", "blob"),
]


def _blobs(prefix: str) -> list[str]:
    names: list[str] = []
    directories, _ = default_storage.listdir(prefix) if default_storage.exists(prefix) else ([], [])
    for directory in directories:
        _, stored = default_storage.listdir(f"{prefix}/{directory}")
        names.extend(f"{prefix}/{directory}/{name}" for name in stored)
    return names


def purge_orphans(*, older_than: timedelta = timedelta(days=1)) -> list[str]:
    """Delete stored files that no row refers to: the bytes of an upload whose transaction
    was rolled back (a refused edit), or of rows since deleted. Only files older than
    `older_than`, so an upload whose transaction is still open is never touched. Returns the
    names deleted."""
    cutoff = timezone.now() - older_than
    deleted = []
    for prefix in dict.fromkeys(prefix for prefix, _, _ in BLOB_OWNERS):
        owners = [
            (apps.get_model(label), field) for owned, label, field in BLOB_OWNERS if owned == prefix
        ]
        for name in _blobs(prefix):
            if default_storage.get_modified_time(name) >= cutoff:
                continue
            if not any(model.objects.filter(**{field: name}).exists() for model, field in owners):
                default_storage.delete(name)
                deleted.append(name)
    return deleted
