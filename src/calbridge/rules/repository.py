"""Every query on rules, runs, run actions and delivery attempts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.pagination import Paged, paginate
from calbridge.rules.models import EventRule, RuleRun, RuleRunAction, WebhookDelivery


async def get_rule(
    session: AsyncSession, workspace_id: int, rule_id: int, *, lock: bool = False
) -> EventRule | None:
    query = select(EventRule).where(EventRule.workspace_id == workspace_id, EventRule.id == rule_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def page_rules(
    session: AsyncSession, workspace_id: int, *, page: int, size: int
) -> Paged[EventRule]:
    query = select(EventRule).where(EventRule.workspace_id == workspace_id).order_by(EventRule.id)
    return await paginate(session, query, page=page, size=size)


async def enabled_rules(session: AsyncSession, workspace_id: int) -> list[EventRule]:
    """A workspace's enabled rules, in id order (bounded by how many rules a workspace makes)."""
    rows = await session.scalars(
        select(EventRule)
        .where(EventRule.workspace_id == workspace_id, EventRule.enabled.is_(True))
        .order_by(EventRule.id)
    )
    return list(rows)


async def get_run(session: AsyncSession, rule_id: int, run_id: int) -> RuleRun | None:
    return await session.scalar(
        select(RuleRun).where(RuleRun.rule_id == rule_id, RuleRun.id == run_id)
    )


async def page_runs(session: AsyncSession, rule_id: int, *, page: int, size: int) -> Paged[RuleRun]:
    """Newest first."""
    query = select(RuleRun).where(RuleRun.rule_id == rule_id).order_by(RuleRun.id.desc())
    return await paginate(session, query, page=page, size=size)


async def actions_of_runs(
    session: AsyncSession, run_ids: list[int]
) -> dict[int, list[RuleRunAction]]:
    if not run_ids:
        return {}
    rows = await session.scalars(
        select(RuleRunAction)
        .where(RuleRunAction.run_id.in_(run_ids))
        .order_by(RuleRunAction.run_id, RuleRunAction.position)
    )
    found: dict[int, list[RuleRunAction]] = defaultdict(list)
    for action in rows:
        found[action.run_id].append(action)
    return found


async def attempts_of_actions(
    session: AsyncSession, action_ids: list[int], *, per_action: int = 50
) -> dict[int, list[WebhookDelivery]]:
    """The attempts of each action, oldest first; at most the last ``per_action`` of each."""
    if not action_ids:
        return {}
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.action_id.in_(action_ids))
        .order_by(WebhookDelivery.action_id, WebhookDelivery.id)
    )
    found: dict[int, list[WebhookDelivery]] = defaultdict(list)
    for attempt in rows:
        found[attempt.action_id].append(attempt)
    return {key: value[-per_action:] for key, value in found.items()}


async def get_action(session: AsyncSession, action_id: int) -> RuleRunAction | None:
    return await session.get(RuleRunAction, action_id)


async def get_run_by_id(session: AsyncSession, run_id: int) -> RuleRun | None:
    return await session.get(RuleRun, run_id)


async def get_rule_by_id(session: AsyncSession, rule_id: int) -> EventRule | None:
    return await session.get(EventRule, rule_id)


async def rule_exists(session: AsyncSession, rule_id: int) -> bool:
    """Asks the database (not the session's identity map, which may hold a deleted rule)."""
    return await session.scalar(select(EventRule.id).where(EventRule.id == rule_id)) is not None
