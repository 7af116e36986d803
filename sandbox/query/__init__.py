"""Query: the one assertion language, and listing what arrived.

Owns fields, operators, conditions and matchers, the SQL compiler of conditions (its
output runs only through the store), assertion documents and building, reports (text,
JUnit), listing and following captures, and the inspector's chart data.
May import: capture (the capture view), the store and the shared basics. Never a face.
"""
