"""Running calbridge in production: health and readiness, metrics, request ids and logs
(CONTRACT §6)."""
