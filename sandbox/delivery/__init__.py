"""The fake MMP's delivery: rendered postbacks go out signed, paced, retried, and logged.

Modules by topic: ``plan`` (targets, signing profiles), ``chaos`` (faults on purpose),
``pacing`` (timeline), ``policy`` (retries), ``sender`` and ``http`` (HTTP, one aiohttp
session per loop), ``worker`` (the process's one background loop), ``log`` (the attempt log
writer), ``engine`` (the async loop), ``run`` (one scenario run), ``background``,
``expectations``, ``resend``, ``replay`` and ``query`` (what the API shows; the views are
``sandbox/query/delivery_views.py``). Import the module you need; this package imports nothing.
"""
