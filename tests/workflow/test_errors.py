"""Error messages a person can act on."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflow.errors import ConflictError, OutboxError, os_reason
from workflow.i18n import set_language


def test_conflict_names_who_and_when_in_the_campaigns_time_zone() -> None:
    at = datetime(2026, 3, 1, 2, 0, 5, tzinfo=UTC)
    assert str(ConflictError("秘书科", "clerk1", at, "Asia/Shanghai")) == (
        "秘书科 was changed by clerk1 at 2026-03-01 10:00:05; re-check and retry"
    )
    assert ConflictError("x", "y", at, "Europe/Berlin").at == "2026-03-01 03:00:05"
    assert ConflictError("x", "?", None).at == "?"


def test_the_operating_systems_common_refusals_are_said_in_the_users_language(tmp_path: Path) -> None:
    """``strerror`` is English whatever the clerk reads: the common reasons are translated, any
    other is given in the system's own words."""
    import cli.main  # noqa: F401  (hands workflow.i18n the compiled catalogues)

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OSError) as under_a_file:
        (blocker / "a.eml").write_text("x")
    with pytest.raises(OSError) as missing:
        (tmp_path / "missing.csv").read_text()
    odd = OSError(errno.EBADF, os.strerror(errno.EBADF))
    assert os_reason(under_a_file.value) == "a file stands where a folder is needed"
    assert os_reason(missing.value) == "no such file or folder"
    assert os_reason(odd) == os.strerror(errno.EBADF)
    assert os_reason(OSError("no errno")) == "no errno"
    set_language("zh")
    try:
        assert os_reason(under_a_file.value) == "此处应为文件夹，却是一个文件"
        assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "磁盘已满"
        assert os_reason(odd) == os.strerror(errno.EBADF)
        wrapped = OutboxError("/srv/manyi/outbox", OSError(errno.EACCES, "Permission denied"))
        assert str(wrapped) == "无法写入发件箱文件夹 /srv/manyi/outbox：没有权限"
        assert wrapped.unreachable and not wrapped.permanent
    finally:
        set_language("en")
