"""Event rules: workspace automations run by the worker after an event changes.

``conditions.py`` and ``evaluate.py`` are pure (rule, event before, event after → actions);
``tasks.py`` runs them from the outbox; ``webhooks.py`` + ``ssrf.py`` and ``email.py`` deliver.
"""
