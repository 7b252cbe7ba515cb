"""The calbridge benchmark: booking creates per second and list latency on a calendar of
100,000 events, each measured next to a bare-endpoint floor in the same run.
Run it with ``python -m bench.run`` (``make bench``); see bench/README.md."""
