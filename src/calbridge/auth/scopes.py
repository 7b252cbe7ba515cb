from enum import StrEnum


class Scope(StrEnum):
    READ = "calendars:read"
    WRITE = "calendars:write"
    ADMIN = "calendars:admin"


ALL_SCOPES = tuple(scope.value for scope in Scope)
