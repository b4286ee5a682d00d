"""Input types and resolvers built from the commands' own fields.

Each command becomes ``<name>(input: <Command>Input!, idempotencyKey: String)``. A field
with a default in the command is optional in the input and, when left out, is not passed
on, so "not given" stays distinct from null (the Edit and Change commands rely on it).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import types
import typing
from typing import Annotated, Any

import orjson
import pydantic
import strawberry
import structlog

from api.graphql.context import Info
from api.graphql.mutations.catalog import CommandSpec
from api.graphql.mutations.glossary import FIELDS
from api.graphql.mutations.payloads import PAYLOADS, MeasurementPayload, Payload, UserError, Written
from api.positions import encode_position
from domain.commands import Command
from domain.errors import DomainError
from domain.organization import OrganizationCommand
from domain.periods import Period
from domain.scoring import ScoringDefaults, Thresholds
from eventstore import Metadata
from eventstore.errors import ConcurrencyError, IdempotencyKeyReused

log = structlog.get_logger(__name__)


@strawberry.input(description="Score thresholds: minimum scores for green and amber.")
class ThresholdsInput:
    green: float = strawberry.field(description="Minimum score for green (≥ amber).")
    amber: float = strawberry.field(description="Minimum score for amber; below is red.")


@strawberry.input(description="The organization's score cap and default thresholds.")
class ScoringInput:
    cap: float = strawberry.field(default=1.5, description="Highest score a KPI can reach (≥ 1).")
    thresholds: ThresholdsInput | None = strawberry.field(
        default=None, description="Default thresholds (green 1.0, amber 0.9 when left out)."
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _graphql_type(annotation: Any) -> Any:
    """The input type for a command field's annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:  # domain.numbers: a strict float or int is a Float or an Int
        return _graphql_type(args[0])
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _graphql_type(inner[0]) | None
    if origin is tuple:
        return list[_graphql_type(args[0])]  # type: ignore[misc]
    if annotation is Period:
        return str
    if annotation is Thresholds:
        return ThresholdsInput
    if annotation is ScoringDefaults:
        return ScoringInput
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation  # registered as GraphQL enums in api.graphql.enums
    if annotation in (str, int, float, bool, dt.date):
        return annotation
    raise TypeError(f"no GraphQL input type for {annotation!r}")


def hidden_fields(command: type[Command]) -> set[str]:
    """Fields the server fills in: the organization id is the caller's tenant."""
    return {"organization_id"} if issubclass(command, OrganizationCommand) else set()


def build_input(spec: CommandSpec) -> type:
    """A strawberry input type with the command's fields."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for name, info in spec.command.model_fields.items():
        if name in hidden_fields(spec.command):
            continue
        kind = _graphql_type(info.annotation)
        description = FIELDS.get(name, name.replace("_", " ").capitalize() + ".")
        optional = not info.is_required() or name in spec.generated
        if optional:
            annotations[name] = (
                kind | None if typing.get_origin(kind) is not types.UnionType else kind
            )
            namespace[name] = strawberry.field(default=strawberry.UNSET, description=description)
        else:
            annotations[name] = kind
            namespace[name] = strawberry.field(description=description)
    cls = type(f"{spec.command.__name__}Input", (), namespace)
    return strawberry.input(cls, description=f"Input of {spec.name}: {spec.description}")


def _plain(value: Any) -> Any:
    """Strawberry input values as JSON-ready data for the command's validation."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "__strawberry_definition__"):
        return {
            k: _plain(v)
            for k, v in vars(value).items()
            if v is not strawberry.UNSET and v is not None
        }
    return value


def _generated_id(field: str, key: str | None, index: int = 0) -> str:
    """A new id; derived from the idempotency key when there is one, so a retry of the same
    request builds the same command."""
    prefix = field.removesuffix("_ids").removesuffix("_id")
    if key is None:
        return f"{prefix}-{secrets.token_hex(6)}"
    digest = hashlib.sha256(f"{key}\0{field}\0{index}".encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def command_data(spec: CommandSpec, given: Any, tenant_id: str, key: str | None) -> dict[str, Any]:
    data = {
        name: _plain(value) for name, value in vars(given).items() if value is not strawberry.UNSET
    }
    for name in spec.generated:
        if data.get(name) is None:
            if name == "perspective_ids":
                data[name] = [_generated_id(name, key, i) for i in range(4)]
            else:
                data[name] = _generated_id(name, key)
    if "organization_id" in spec.command.model_fields:
        data["organization_id"] = tenant_id
    return data


def validation_errors(error: pydantic.ValidationError) -> list[UserError]:
    found: dict[str, UserError] = {}
    for item in error.errors():
        loc = [
            str(part)
            for part in item["loc"]
            if not str(part).startswith(("function-", "is-instance"))
        ]
        field = ".".join(_camel(part) for part in loc) or None
        message = str(item["msg"]).removeprefix("Value error, ")
        found[field or ""] = UserError(code="input.invalid", field=field, message=message)
    return list(found.values())


def _validated(command: type[Command], data: dict[str, Any]) -> Command:
    """The command built from the input as JSON data; input JSON cannot carry (a lone
    surrogate) is validated as it is, so the command's own checks name the field."""
    try:
        encoded = orjson.dumps(data)
    except orjson.JSONEncodeError:
        return command.model_validate(data)
    return command.model_validate_json(encoded)


def _user_error(error: DomainError) -> UserError:
    """A refusal as a user error, its field named as in the input (``scoring.cap``)."""
    field = None if error.field is None else ".".join(map(_camel, error.field.split(".")))
    return UserError(code=error.code, field=field, message=error.message)


def _written(spec: CommandSpec, command: Command) -> Written:
    scorecard_id = getattr(command, "scorecard_id", None)
    entity_field = {
        "team": "team_id",
        "perspective": "perspective_id",
        "objective": "objective_id",
        "kpi": "kpi_id",
        "measurement": "kpi_id",
        "initiative": "initiative_id",
        "organization": "organization_id",
        "scorecard": "scorecard_id",
    }[spec.entity]
    period = getattr(command, "period", None)
    return Written(scorecard_id, getattr(command, entity_field, None), period)


def _payload(
    spec: CommandSpec,
    written: Written | None,
    position: str | None,
    changed: bool,
    errors: list[UserError],
    command: Command | None = None,
) -> Payload:
    cls = PAYLOADS[spec.entity]
    if cls is MeasurementPayload:
        return MeasurementPayload(
            written=written,
            position=position,
            changed=changed,
            user_errors=errors,
            measurement_id=getattr(command, "measurement_id", None),
            measurement_period=None if command is None else str(getattr(command, "period", "")),
        )
    return cls(written=written, position=position, changed=changed, user_errors=errors)


async def run(spec: CommandSpec, info: Info, given: Any, idempotency_key: str | None) -> Payload:
    """Authorize, build the command, execute it, and report the outcome as a payload."""
    context = info.context
    caller = context.require(spec.capability, spec.name.replace("_", " "))
    data = command_data(spec, given, caller.tenant_id, idempotency_key)
    try:
        command = _validated(spec.command, data)
    except pydantic.ValidationError as error:
        return _payload(spec, None, None, False, validation_errors(error))
    except DomainError as error:  # the command's own checks (domain.checks) refused it
        return _payload(spec, None, None, False, [_user_error(error)])
    metadata = Metadata(
        actor=caller.token_id,
        recorded_at=dt.datetime.now(dt.UTC),
        reason=getattr(command, "reason", None),
        source_system=getattr(command, "source_system", None) or None,
        correlation_id=context.request_id,
    )
    try:
        result = await context.runtime.ledger.execute(
            caller.tenant_id, command, metadata, idempotency_key=idempotency_key
        )
    except DomainError as error:
        return _payload(spec, None, None, False, [_user_error(error)])
    except IdempotencyKeyReused:
        message = "this idempotency key was already used for a different request"
        return _payload(
            spec,
            None,
            None,
            False,
            [UserError(code="idempotency.key_reused", field="idempotencyKey", message=message)],
        )
    except ConcurrencyError:
        message = "the scorecard kept changing under this request; retry it"
        return _payload(
            spec,
            None,
            None,
            False,
            [UserError(code="concurrency.conflict", field=None, message=message)],
        )
    token = result.token
    position = None if token is None else encode_position(token)
    changed = bool(result.events) or result.duplicate
    log.info("mutation", name=spec.name, tenant=caller.tenant_id, changed=changed)
    return _payload(spec, _written(spec, command), position, changed, [], command)


def build_resolver(spec: CommandSpec, input_type: type) -> Any:
    payload = PAYLOADS[spec.entity]

    async def resolve(info: Info, input: Any, idempotency_key: Any = None) -> Any:
        return await run(spec, info, input, idempotency_key)

    resolve.__annotations__ = {
        "info": Info,
        "input": Annotated[input_type, strawberry.argument(description="The command's fields.")],
        "idempotency_key": Annotated[
            str | None,
            strawberry.argument(
                description="Any unique string; a retry with the same key and input returns "
                "the first result and writes nothing more."
            ),
        ],
        "return": payload,
    }
    resolve.__name__ = spec.name
    return strawberry.mutation(resolver=resolve, description=spec.description)


def build_mutation_type(specs: tuple[CommandSpec, ...]) -> type:
    namespace = {spec.name: build_resolver(spec, build_input(spec)) for spec in specs}
    return strawberry.type(type("Mutation", (), namespace), description="Every domain command.")
