"""Free slots and free/busy: the time rules of booking, shared with their listing."""
