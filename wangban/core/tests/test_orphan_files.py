"""Stored files that no row refers to are deleted after a day; referenced ones never."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import threading
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from wangban.cases import actions as case_actions
from wangban.cases.models import CaseMaterial
from wangban.cases.tests.helpers import draft_case, item, pdf
from wangban.catalog import actions
from wangban.catalog.tests.helpers import draft
from wangban.conftest import City
from wangban.core import files

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _own_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # other test workers share the default media directory


def test_only_unreferenced_files_older_than_a_day_are_deleted(city: City) -> None:
    version = draft(city)
    kept = actions.do_attach_file(
        version,
        actor=city.transport_admin,
        kind="blank_form",
        material_code="M01",
        upload=SimpleUploadedFile("表.pdf", PDF),
    )
    # The bytes of an upload whose transaction rolled back: stored, referenced by no row.
    orphan = default_storage.save("catalog/ab/" + "ab" * 32, SimpleUploadedFile("o", PDF))

    call_command("purge_orphan_files")  # too recent: a transaction might still be open
    assert default_storage.exists(orphan)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        call_command("purge_orphan_files")
        call_command("purge_orphan_files")  # idempotent
    assert not default_storage.exists(orphan)
    assert default_storage.exists(kept.blob)


def test_bytes_an_upload_brings_again_are_not_purged_under_it(db: None) -> None:
    """An orphan two days old whose bytes come back in an upload: until the upload's row
    commits nothing refers to them, so storing them again must make them new."""
    first = files.store(BytesIO(PDF), prefix="cases", max_bytes=1 << 20)
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(default_storage.path(first.blob), (two_days_ago, two_days_ago))

    again = files.store(BytesIO(PDF), prefix="cases", max_bytes=1 << 20)
    call_command("purge_orphan_files")  # the upload's transaction is still open

    assert again.blob == first.blob
    assert default_storage.exists(again.blob)
    assert default_storage.open(again.blob).read() == PDF


def test_an_old_orphan_nobody_brings_again_is_purged(db: None) -> None:
    stored = files.store(BytesIO(PDF), prefix="cases", max_bytes=1 << 20)
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(default_storage.path(stored.blob), (two_days_ago, two_days_ago))

    call_command("purge_orphan_files")

    assert not default_storage.exists(stored.blob)


class _DiskFull:
    """The process may write no file past `limit` bytes (RLIMIT_FSIZE): a write beyond fails
    with EFBIG midway, as on a full disk. A real failing storage write, not a patched one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __enter__(self) -> None:
        self.handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        self.old = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.old[1]))

    def __exit__(self, *exc: object) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, self.old)
        signal.signal(signal.SIGXFSZ, self.handler)


def test_a_write_failing_midway_leaves_no_part_for_the_same_bytes_uploaded_later(
    city: City, tmp_path: Path
) -> None:
    """A material whose storage write fails halfway (a full disk): the attachment is refused
    with nothing written, no truncated file is left under the content's name, and the same
    file uploaded again is stored whole (the row never points at part of a file)."""
    item(city)
    case = draft_case(city)
    big = PDF + b"%" + b"x" * (300 * 1024) + b"\n"
    sha256 = hashlib.sha256(big).hexdigest()
    with _DiskFull(100 * 1024), pytest.raises(OSError, match="File too large"):
        case_actions.do_attach_material(
            case, actor=city.applicant, material_code="M01", upload=pdf("大.pdf", big)
        )
    assert not CaseMaterial.objects.filter(case=case).exists()
    assert not Path(tmp_path, "cases", sha256[:2], sha256).exists()

    row = case_actions.do_attach_material(
        case, actor=city.applicant, material_code="M01", upload=pdf("大.pdf", big)
    )
    with default_storage.open(row.blob, "rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == row.sha256 == sha256


def test_a_truncated_file_left_under_a_content_name_is_stored_again_whole(db: None) -> None:
    """A part left by an older version or a crash is not taken for the whole file."""
    sha256 = hashlib.sha256(PDF).hexdigest()
    blob = f"cases/{sha256[:2]}/{sha256}"
    default_storage.save(blob, BytesIO(PDF[:10]))

    stored = files.store(BytesIO(PDF), prefix="cases", max_bytes=1 << 20)

    assert stored.blob == blob
    with default_storage.open(blob, "rb") as stream:
        assert stream.read() == PDF


class _Paused(BytesIO):
    """An upload whose storage write stops after its first chunk until `go` is set: a
    concurrent twin's write still under way."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.seeks = 0
        self.writing = threading.Event()
        self.go = threading.Event()

    def seek(self, *args: Any) -> int:
        self.seeks += 1
        return super().seek(*args)

    def read(self, *args: Any) -> bytes:
        # store() reads the head, then the whole for the digest, then File.chunks() writes
        if self.seeks >= 4 and self.tell() > 0 and not self.go.is_set():
            self.writing.set()
            self.go.wait(10)
        return super().read(*args)


def test_a_twin_failing_midway_does_not_delete_the_file_a_concurrent_upload_writes(
    db: None,
) -> None:
    """Two uploads of the same bytes: while the first is still writing, the second fails
    (a full disk). The first one's file must still be there, whole, when it returns: its row
    points at it."""
    big = PDF + b"%" + b"x" * (300 * 1024) + b"\n"
    first = _Paused(big)
    stored: list[files.StoredFile] = []
    writer = threading.Thread(
        target=lambda: stored.append(files.store(first, prefix="cases", max_bytes=1 << 20))
    )
    writer.start()
    assert first.writing.wait(10)

    with _DiskFull(100 * 1024), contextlib.suppress(OSError):
        files.store(BytesIO(big), prefix="cases", max_bytes=1 << 20)
    first.go.set()
    writer.join(10)

    assert stored, "the first upload failed"
    with default_storage.open(stored[0].blob, "rb") as stream:
        assert stream.read() == big
