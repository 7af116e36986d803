"""The fake MMP's delivery: rendered postbacks go out signed, paced, retried, and logged.

Modules by topic: ``plan`` (targets, signing profiles), ``chaos`` (faults on purpose),
``pacing`` (timeline), ``policy`` (retries), ``sender`` / ``http11`` (HTTP), ``log`` (the
attempt log writer), ``engine`` (the async loop), ``run`` (one scenario run), ``expectations``,
``resend``, ``views`` and ``query`` (what the API shows). Import the module you need; this
package imports nothing, so the store and the assertion core may use its views.
"""
