"""The error types every layer raises; faces turn them into exit codes or JSON errors."""

from __future__ import annotations


class SandboxError(Exception):
    """A domain error with a machine-readable code, an HTTP status and an optional field."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field

    def to_dict(self) -> dict:
        return {
            "error": {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "field": self.field,
            }
        }


class NotFound(SandboxError):
    status = 404
    code = "not_found"


class ConfigError(SandboxError):
    """A bad sandbox configuration file or option."""

    code = "bad_config"


class DocumentError(SandboxError):
    """A YAML/JSON document (scenario or config) failed to load or validate.

    ``problems`` holds one line per mistake, each ``file:line: path: message``.
    """

    code = "invalid_document"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ScenarioError(DocumentError):
    code = "invalid_scenario"
