"""The generated secret key of a SQLite install, kept in a file beside its database.

``calbridge serve`` with no ``CALBRIDGE_SECRET_KEY`` must not fall back to a published key (anyone
could forge an admin session with it). On SQLite the first start generates a random key and keeps
it in ``<database file>.secret-key`` (mode 0600), so every later start, the CLI and the worker
sign and decrypt with the same key. PostgreSQL installs run on several hosts and have no such
shared place: they must set the key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

SUFFIX = ".secret-key"


class SecretFileError(ValueError):
    """The key cannot be kept beside this database (its message never carries the key)."""


def key_file_of(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.get_backend_name() == "sqlite":
        raise SecretFileError(
            "must be set when the database is PostgreSQL (no key file is generated there)"
        )
    if not url.database or url.database == ":memory:":
        raise SecretFileError("must be set when the SQLite database is in memory")
    database = Path(url.database)
    return database.with_name(database.name + SUFFIX)


def load_or_create(database_url: str) -> str:
    """The key in the file beside the SQLite database; made (once, race-free) if missing."""
    path = key_file_of(database_url)
    if not path.exists():
        _create(path)
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise SecretFileError(f"cannot read the key file {path}: {error.strerror}") from None
    if len(key) < 32:
        raise SecretFileError(f"the key file {path} holds no usable key (delete it to make one)")
    return key


def _create(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place: a second process
    starting at the same moment either wins the link or reads the winner's whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as error:
        raise SecretFileError(f"cannot write the key file {path}: {error.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
