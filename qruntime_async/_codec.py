"""JSON encoding and decoding with msgspec, shared by every model of both providers.

* :class:`Model` is the base of every response and request struct: keyword-only, frozen, unknown
  fields ignored, and every ``datetime`` field made timezone-aware (a naive timestamp such as
  IBM's ``2021-05-05 00:56:04.569709`` is UTC).
* :class:`Duration` is a ``timedelta`` that decodes from Scaleway's ``"2.5s"`` (and the older
  ``{"seconds": "600", "nanos": 0}`` shape) and encodes back to ``"2.5s"``.
* :func:`decode` turns bytes into the requested type with a cached decoder, in lax mode so that
  counts sent as numeric strings (``"0"``) are accepted, and maps every failure to
  :class:`~qruntime_async.errors.ResponseDecodeError`.
"""

from __future__ import annotations

import inspect
import keyword
import re
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, TypeVar

import msgspec
from msgspec.structs import force_setattr

from . import _constants as C
from .errors import ResponseDecodeError

__all__ = [
    "Model",
    "Duration",
    "decode",
    "encode",
    "excerpt",
    "format_duration",
    "make_utc",
    "parse_duration",
]

T = TypeVar("T")


class Duration(timedelta):
    """A ``timedelta`` carried on the wire as seconds with an ``s`` suffix (``"2.5s"``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Duration({format_duration(self)!r})"


def format_duration(value: timedelta) -> str:
    """Format a timedelta the way Scaleway expects it: ``"2.5s"``, ``"600s"``."""
    if not isinstance(value, timedelta):
        raise TypeError(f"expected a datetime.timedelta, got {type(value).__name__}")
    if value < timedelta(0):
        raise ValueError(f"a duration cannot be negative: {value!r}")
    micros = value // timedelta(microseconds=1)
    whole, frac = divmod(micros, 1_000_000)
    if frac == 0:
        return f"{whole}s"
    return f"{whole}.{frac:06d}".rstrip("0") + "s"


_DURATION_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*s?\s*$")


def parse_duration(value: object) -> Duration:
    """Parse ``"2.5s"``, ``"600"``, a number of seconds, or ``{"seconds", "nanos"}``.

    Anything else, or a duration too large to represent, raises ValueError.
    """
    try:
        return _parse_duration(value)
    except (OverflowError, TypeError) as exc:
        raise ValueError(f"not a representable duration: {value!r} ({exc})") from None


def _parse_duration(value: object) -> Duration:
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        return Duration(seconds=value)
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if match is None:
            raise ValueError(f"not a duration: {value!r}")
        return Duration(seconds=float(match.group(1)))
    if isinstance(value, dict) and "seconds" in value:
        seconds = int(value["seconds"])
        nanos = int(value.get("nanos") or 0)
        return Duration(seconds=seconds, microseconds=nanos // 1000)
    raise ValueError(f"not a duration: {value!r}")


def _dec_hook(type_: type, obj: Any) -> Any:
    if type_ is Duration:
        # The common wire shape first: "2.5s" (positional arguments build a timedelta faster).
        if obj.__class__ is str and obj[-1:] == "s":
            try:
                return Duration(0, float(obj[:-1]))
            except (ValueError, OverflowError):
                pass
        # A ValueError raised here is reported by msgspec with the field's path.
        return parse_duration(obj)
    raise NotImplementedError(f"cannot decode {type_!r}")


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, timedelta):
        return format_duration(obj)
    raise NotImplementedError(f"cannot encode objects of type {type(obj).__name__}")


# An optional timestamp field, written out: ``datetime``, ``datetime | None``, ``Optional[...]``.
_DATETIME_ANNOTATION = re.compile(
    r"(?:(?:datetime\.)?datetime(?:\s*\|\s*None)?"
    r"|None\s*\|\s*(?:datetime\.)?datetime"
    r"|(?:typing\.)?Optional\[(?:datetime\.)?datetime\])\Z"
)


def _is_datetime_field(annotation: Any) -> bool:
    """True for ``datetime`` and ``datetime | None`` (not containers, not ClassVars)."""
    if isinstance(annotation, str):  # postponed annotations (``from __future__ import ...``)
        return _DATETIME_ANNOTATION.match(annotation.strip()) is not None
    if annotation is datetime:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        return datetime in args and all(a is datetime or a is type(None) for a in args)
    return False


_UTC = timezone.utc
# A naive datetime minus the naive epoch plus the aware one is the same wall time in UTC: two
# C-level operations, about ten times cheaper than ``replace(tzinfo=...)`` (which parses keyword
# arguments) and exact to the microsecond over datetime's whole range.
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=_UTC)


def _as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; a naive one is taken as UTC."""
    if value.tzinfo is None:
        if value.__class__ is datetime:
            return value - _EPOCH + _EPOCH_UTC
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


def make_utc(self: Model) -> None:
    """Make every ``datetime`` field of ``self`` aware UTC (naive ones are taken as UTC).

    The ``__post_init__`` of models with datetime fields; a model that defines its own
    ``__post_init__`` calls it first.
    """
    for name in self.__utc_fields__:
        value = getattr(self, name)
        if value is not None and value.tzinfo is not _UTC:
            force_setattr(self, name, _as_utc(value))


def _compile_make_utc(names: tuple[str, ...]) -> Callable[[Model], None]:
    """:func:`make_utc` unrolled for one model's fields: it runs once per decoded object.

    The common naive case (IBM's ``2021-05-05 00:56:04.569709``) is converted inline; aware
    timestamps in UTC (RFC 3339 ``...Z``, as msgspec decodes them) cost two comparisons.
    """
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name):
            return _mark(make_utc)
    lines = ["def __post_init__(self):"]
    for name in names:
        lines += [
            f"    v = self.{name}",
            "    if v is not None and v.tzinfo is not UTC:",
            "        if v.tzinfo is None and v.__class__ is DT:",
            f"            setattr(self, {name!r}, v - EPOCH + EPOCH_UTC)",
            "        else:",
            f"            setattr(self, {name!r}, as_utc(v))",
        ]
    namespace: dict[str, Any] = {
        "UTC": _UTC,
        "DT": datetime,
        "EPOCH": _EPOCH,
        "EPOCH_UTC": _EPOCH_UTC,
        "as_utc": _as_utc,
        "setattr": force_setattr,
    }
    exec("\n".join(lines), namespace)
    function: Callable[[Model], None] = namespace["__post_init__"]
    return _mark(function)


def _mark(function: Callable[[Model], None]) -> Callable[[Model], None]:
    # Tells a subclass that this post-init only fixes timestamps, so it may be regenerated
    # for the subclass's own fields.
    def post_init(self: Model) -> None:
        function(self)

    if function is make_utc:
        post_init.__qruntime_make_utc__ = True  # type: ignore[attr-defined]
        return post_init
    function.__qruntime_make_utc__ = True  # type: ignore[attr-defined]
    return function


class Model(msgspec.Struct, kw_only=True, frozen=True, repr_omit_defaults=True):
    """Base of every model: frozen, keyword-only, unknown fields ignored, aware datetimes.

    Only models with ``datetime`` fields get a ``__post_init__`` (it makes those fields aware
    UTC): the others decode at msgspec's full speed.
    """

    __utc_fields__: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        annotations: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            annotations.update(inspect.get_annotations(klass))
        names = tuple(
            name
            for name, annotation in annotations.items()
            if not name.startswith("__") and _is_datetime_field(annotation)
        )
        cls.__utc_fields__ = names
        inherited = getattr(cls, "__post_init__", None)
        # A post-init written by hand calls make_utc itself; a generated one is regenerated
        # so that it covers this class's own timestamp fields too.
        if names and (inherited is None or getattr(inherited, "__qruntime_make_utc__", False)):
            cls.__post_init__ = _compile_make_utc(names)  # type: ignore[attr-defined]


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)

_PATH_RE = re.compile(r" - at `([^`]*)`$")


def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    dec = _decoders.get(type_)
    if dec is None:
        dec = msgspec.json.Decoder(type_, dec_hook=_dec_hook, strict=False)
        _decoders[type_] = dec
    return dec


def _type_name(type_: Any) -> str:
    return getattr(type_, "__name__", None) or repr(type_)


def decode(
    data: bytes | str,
    type_: type[T],
    *,
    method: str | None = None,
    url: str | None = None,
) -> T:
    """Decode JSON ``data`` into ``type_``; any mismatch raises ResponseDecodeError."""
    try:
        result: T = _decoder(type_).decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise _decode_error(exc, data, type_, method, url) from None
    except OverflowError as exc:
        # A timestamp that cannot be expressed in UTC (e.g. year 1 with a positive offset).
        raise ResponseDecodeError(
            f"a value is out of range: {exc}",
            expected=_type_name(type_),
            body=excerpt(data),
            method=method,
            url=url,
        ) from None
    except UnicodeDecodeError as exc:
        raise ResponseDecodeError(
            f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})",
            expected=_type_name(type_),
            body=excerpt(data),
            method=method,
            url=url,
            malformed=True,
        ) from None
    except RecursionError:
        raise ResponseDecodeError(
            "the document is nested too deeply",
            expected=_type_name(type_),
            body=excerpt(data),
            method=method,
            url=url,
        ) from None
    return result


def excerpt(data: bytes | str) -> str:
    """The first characters of a body, kept in error reports."""
    text = data[: C.BODY_EXCERPT_CHARS]
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    return text


def _decode_error(
    exc: Exception, data: bytes | str, type_: Any, method: str | None, url: str | None
) -> ResponseDecodeError:
    message = str(exc)
    path = None
    match = _PATH_RE.search(message)
    if match is not None:
        path = match.group(1)
        message = message[: match.start()]
    malformed = isinstance(exc, msgspec.DecodeError) and not isinstance(
        exc, msgspec.ValidationError
    )
    if malformed:
        message = f"malformed JSON: {message}"
    return ResponseDecodeError(
        message,
        expected=_type_name(type_),
        path=path,
        body=excerpt(data),
        method=method,
        url=url,
        malformed=malformed,
    )


def encode(obj: Any) -> bytes:
    """Encode ``obj`` (structs, dicts, lists, datetimes, timedeltas) as compact JSON bytes."""
    return _encoder.encode(obj)
