"""Version 6: click-to-install time on install deliveries.

The rendered postback does not keep the click's time, and a scenario run stores no clicks, so
the click-to-install time (CTIT) histogram of a run cannot be derived afterwards: the engine
records it with the delivery (seconds; NULL for events, SKAN and organic-less rows).
"""

SQL = """
ALTER TABLE deliveries ADD COLUMN ctit_seconds REAL
"""
