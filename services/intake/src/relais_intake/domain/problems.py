"""How the domain reports a refused value: a field, a stable code, and a sentence a partner can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of one case (also used for warnings)."""

    field: str
    code: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape used in responses and stored rejections."""
        return {"field": self.field, "code": self.code, "reason": self.reason}


class FieldProblem(ValueError):
    """A parser refused a value; the caller knows which field it was and turns this into a FieldError."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def on(self, field: str) -> FieldError:
        """This problem, attached to `field`."""
        return FieldError(field=field, code=self.code, reason=self.reason)
