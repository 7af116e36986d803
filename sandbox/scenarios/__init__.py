"""Scenarios: a scenario file becomes traffic and rendered postbacks.

Owns loading and checking scenario files (schema, model, networks, presets, expect:),
the ``{name}`` macro language and its catalogue, URL templates, rendering (plans, jobs,
``--dry-run`` lines), and seeded generation: journeys, activity, attribution,
distributions, geo, money, devices and identities.
May import: signing, the store and the shared basics. Never a face.
"""
