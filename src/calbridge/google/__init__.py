"""Google: the OAuth connection of an account, the Calendar v3 client, and the account calendar
API (CONTRACT §4). See docs/google.md."""
