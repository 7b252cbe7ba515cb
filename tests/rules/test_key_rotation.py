"""``calbridge keys rotate`` re-encrypts webhook secrets too, not only Google tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import select

from calbridge.cli.keys import rotate_all
from calbridge.crypto import TokenCipher, generate_key, key_ring
from calbridge.rules.models import EventRule
from calbridge.settings import Settings
from tests.rules.conftest import make_rule
from tests.rules.test_api import WEBHOOK

if TYPE_CHECKING:
    from tests.support.api import WorkspaceFixture
    from tests.support.databases import TestDatabase


async def test_rotation_re_encrypts_the_webhook_secret_with_the_new_key(
    ws: WorkspaceFixture, test_db: TestDatabase, settings: Settings
) -> None:
    rule = await make_rule(ws, actions=[WEBHOOK])
    old_key, new_key = key_ring(settings)[0], generate_key().encode()

    await rotate_all(test_db.database, TokenCipher([new_key, old_key]))

    async with test_db.database.session(write=False) as session:
        stored = await session.scalar(select(EventRule).where(EventRule.id == rule["id"]))
    assert stored is not None
    assert TokenCipher([new_key]).decrypt(stored.secret_encrypted) == rule["secret"]
    with pytest.raises(InvalidToken):
        TokenCipher([old_key]).decrypt(stored.secret_encrypted)
