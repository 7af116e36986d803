"""Capture: an inbound request becomes a stored record, and a stored record a view.

Owns how a channel answers and verifies (channels, trust), the parsed field view, the
postback keys pulled into indexed columns, lint, the raw body as served, and replay.
May import: the store, signing and the shared basics. Never a face (web, cli, pytest plugin).
"""
