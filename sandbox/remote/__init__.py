"""Remote: talking to a running sandbox from outside it.

Owns the HTTP client the CLI and the pytest plugin use, and starting a real sandbox
server in a child process (the pytest plugin, ``demo`` and the test suite).
May import: the shared basics only; it reaches the rest over HTTP.
"""
