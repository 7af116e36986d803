"""Schema migrations, one module each, applied in file-name order (see schema.py).

A released migration is never edited; a change ships a new module and a test that opens a
database made by the previous version.
"""
