"""Google Calendar sync, both ways: the feature between the event domain and the Google adapter.

``sync``/``sync_tasks`` copy each booking to its calendar's linked Google calendar;
``pull``/``mirror_tasks`` keep the mirror of linked calendars (``google.mirror``) up to date;
``restore`` and ``two_way`` handle copies changed in Google; ``busy`` is the Google busy time a
booking respects (``event.conflicts.BusyTimeSource``). It imports ``event`` and ``google``;
neither imports it (tests/test_import_graph.py).
"""
