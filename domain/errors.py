"""Domain errors: one hierarchy, each rejection with a stable machine-readable code.

Raise through :func:`reject`, which looks the code up in :data:`ERROR_CODES` and picks the
error class for it, so a code always maps to the same kind of error.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command or value was rejected by a domain rule.

    ``code`` is stable and machine-readable (``"kpi.retired"``); ``field`` names the offending
    input (``"kpi_id"``) and ``value`` holds what was given.
    """

    def __init__(
        self, code: str, message: str, *, field: str | None = None, value: object = None
    ) -> None:
        self.code = code
        self.field = field
        self.value = value
        self.message = message if field is None else f"{message} ({field}={value!r})"
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class NotFoundError(DomainError):
    """A referenced entity does not exist (or not on this stream)."""


class ConflictError(DomainError):
    """The current state forbids the change (retired, closed, cycle, ...)."""


class AlreadyExistsError(ConflictError):
    """An id or a value that must be unique is already taken."""


class InvalidInputError(DomainError):
    """The command's values are invalid on their own (non-finite, out of range, ...)."""


_NOT_FOUND = (
    "organization.not_found",
    "team.not_found",
    "team.parent_not_found",
    "scorecard.not_found",
    "perspective.not_found",
    "objective.not_found",
    "objective.not_aligned",
    "objective.link_not_found",
    "kpi.not_found",
    "target.not_found",
    "measurement.not_found",
    "initiative.not_found",
)
_ALREADY_EXISTS = (
    "organization.already_exists",
    "team.already_exists",
    "scorecard.already_exists",
    "perspective.already_exists",
    "objective.already_exists",
    "objective.already_aligned",
    "objective.link_exists",
    "kpi.already_exists",
    "target.already_set",
    "measurement.already_exists",
    "measurement.duplicate",
    "initiative.already_exists",
    "period.already_closed",
)
_CONFLICT = (
    "team.archived",
    "team.already_archived",
    "team.parent_archived",
    "team.cycle",
    "team.self_parent",
    "team.has_active_children",
    "perspective.has_active_objectives",
    "objective.retired",
    "objective.self_alignment",
    "objective.self_link",
    "objective.link_cycle",
    "kpi.retired",
    "period.closed",
    "period.closed_by_containing_period",
    "period.not_closed",
    "measurement.superseded",
    "measurement.already_retracted",
    "measurement.reason_required",
    "initiative.finished",
)
_INVALID = (
    "input.invalid",
    "id.blank",
    "id.too_long",
    "id.invalid",
    "list.too_long",
    "text.too_long",
    "text.invalid",
    "number.out_of_range",
    "date.out_of_range",
    "period.invalid",
    "period.reason_required",
    "organization.name_blank",
    "organization.fiscal_start_month_invalid",
    "scoring.cap_invalid",
    "thresholds.invalid",
    "team.name_blank",
    "scorecard.name_blank",
    "scorecard.perspective_ids_invalid",
    "perspective.name_blank",
    "perspective.order_not_permutation",
    "weight.invalid",
    "objective.title_blank",
    "kpi.name_blank",
    "kpi.range_required",
    "kpi.range_invalid",
    "kpi.range_not_allowed",
    "target.period_too_fine",
    "target.non_finite",
    "target.reason_required",
    "measurement.wrong_granularity",
    "measurement.value_required",
    "measurement.value_with_not_available",
    "measurement.non_finite",
    "measurement.mismatch",
    "measurement.period_or_id_required",
    "initiative.title_blank",
    "initiative.objectives_required",
    "initiative.duplicate_objective",
    "initiative.due_before_start",
    "initiative.progress_out_of_range",
    "initiative.status_requires_command",
    "initiative.reason_required",
)

ERROR_CODES: dict[str, type[DomainError]] = {
    **dict.fromkeys(_NOT_FOUND, NotFoundError),
    **dict.fromkeys(_ALREADY_EXISTS, AlreadyExistsError),
    **dict.fromkeys(_CONFLICT, ConflictError),
    **dict.fromkeys(_INVALID, InvalidInputError),
}
"""Every error code the domain raises, mapped to the class it is raised as."""


def reject(
    code: str, message: str, *, field: str | None = None, value: object = None
) -> DomainError:
    """Build the error for ``code`` (to be raised by the caller).

    Unknown codes are a programming error and raise ``KeyError`` at once.
    """
    return ERROR_CODES[code](code, message, field=field, value=value)
