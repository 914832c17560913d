"""Domain errors. They name the rule and the field, never an HTTP status.

`api/` maps them to 404/403/409/422/503 with a problem+json body; the CLI maps them to exit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from qingzhai.core.text import N_


class DomainError(Exception):
    """Base of every error a user may see. `field` names the input at fault, if any."""

    kind = "domain_error"

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        """`reason` is an English message, optionally a template filled from `params`; the CLI and
        reports translate the template through the catalogs and fill it in the user's language."""
        self.template = reason
        self.params = dict(params or {})
        self.reason = reason.format(**self.params) if self.params else reason
        super().__init__(self.reason)
        self.field = field
        self.rule = rule

    def localized(self, translate: Callable[[str], str]) -> str:
        text = translate(self.template)
        try:
            text = text.format(**self.params) if self.params else text
        except (KeyError, IndexError, ValueError):
            text = self.reason
        return f"{self.field}: {text}" if self.field else text

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class NotFound(DomainError):
    kind = "not_found"


class NotPermitted(DomainError):
    kind = "not_permitted"


class Conflict(DomainError):
    kind = "conflict"


class Unavailable(DomainError):
    """A part this machine lacks (an engine that is not installed); everything else keeps working."""

    kind = "unavailable"


class RuleViolation(DomainError):
    """Input or a requested change breaks a business rule (bad value, forbidden transition)."""

    kind = "rule_violation"


class InvalidTransition(RuleViolation):
    def __init__(self, current: object, target: object) -> None:
        cur = getattr(current, "value", current)
        tgt = getattr(target, "value", target)
        super().__init__(f"cannot move from {cur} to {tgt}", field="stage", rule="stage_transition")
        self.current = current
        self.target = target


class FileRefused(RuleViolation):
    """A whole input file cannot be used (encoding, missing column, not a spreadsheet)."""

    kind = "file_refused"

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        line: int | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(reason, field=field, rule="input_file", params=params)
        self.line = line

    def localized(self, translate: Callable[[str], str]) -> str:
        text = super().localized(translate)
        if not self.line:
            return text
        where = translate(N_("line {line}")).format(line=self.line)
        return where + ": " + text

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.reason}"
