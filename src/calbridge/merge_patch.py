"""JSON Merge Patch (RFC 7396), the meaning of every PATCH body (CONTRACT §1.1): objects merge
key by key, ``null`` removes a key, anything else (arrays included) replaces."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def patched_object(current: dict[str, Any] | None, patch: BaseModel | None) -> Any:
    """A nested object field after a PATCH: ``patch`` holds only the keys the client sent
    (Pydantic remembers them), which merge into ``current``; a null patch clears the field."""
    if patch is None:
        return None
    sent = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return merge_patch(current or {}, sent)
