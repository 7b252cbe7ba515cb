"""What a rule run does: ``plan`` makes the run and one job per action; ``event_actions``
changes the event through the event service; ``delivery`` sends webhooks and email with retries.
"""
