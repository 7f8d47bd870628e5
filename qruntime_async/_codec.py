"""JSON encoding and decoding with msgspec, shared by every model of both providers.

* :class:`Model` is the base of every response and request struct: keyword-only, frozen, unknown
  fields ignored. Its ``datetime`` fields read as aware UTC (a naive timestamp such as IBM's
  ``2021-05-05 00:56:04.569709`` is UTC) and its :data:`WireDuration` fields as
  :class:`Duration`, both converted on first read so that decoding a page costs what msgspec
  alone costs; :func:`settle` converts them all at once.
* :class:`Duration` is a ``timedelta`` read from Scaleway's ``"2.5s"`` (and the older
  ``{"seconds": "600", "nanos": 0}`` shape) that encodes back to ``"2.5s"``.
* :func:`decode` turns bytes into the requested type with a cached decoder, in lax mode so that
  counts sent as numeric strings (``"0"``) are accepted, and maps every failure to
  :class:`~qruntime_async.errors.ResponseDecodeError`.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, TypeAlias, TypeVar

import msgspec

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
        # A ValueError raised here is reported by msgspec with the field's path.
        return _to_duration(obj)
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
# C-level operations, several times cheaper than ``replace(tzinfo=...)`` and exact to the
# microsecond over datetime's whole range.
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
    """Store every ``datetime`` field of ``self`` as aware UTC now (naive ones are UTC).

    Reading a field of a :class:`Model` already gives aware UTC; request bodies call this in
    their ``__post_init__`` so that what they encode carries the zone.
    """
    for name in type(self).__utc_fields__:
        getattr(self, name)


class _LazyField:
    """The attribute of a field whose stored wire value is converted on first read.

    The converted value replaces the stored one, so later reads cost one comparison. A value
    that does not convert raises :class:`~qruntime_async.errors.ResponseDecodeError` naming
    the field (``Job.job_duration``), on that read.
    """

    __slots__ = ("_name", "_slot")
    _expected: ClassVar[str] = ""

    def __init__(self, slot: Any, name: str) -> None:
        self._slot = slot
        self._name = name

    def _stale(self, value: Any) -> bool:
        raise NotImplementedError

    def _convert(self, value: Any) -> Any:
        raise NotImplementedError

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj, owner)
        if value is not None and self._stale(value):
            try:
                value = self._convert(value)
            except (ValueError, OverflowError) as exc:
                # OverflowError: e.g. year 1 with a positive offset, before UTC's first moment.
                message = str(exc)
                if isinstance(exc, OverflowError):
                    message = f"a value is out of range: {exc}"
                raise ResponseDecodeError(
                    message, expected=self._expected, path=f"{type(obj).__name__}.{self._name}"
                ) from None
            self._slot.__set__(obj, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self._slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self._slot.__delete__(obj)


class _UTCField(_LazyField):
    """A ``datetime`` field: reads give aware UTC.

    msgspec stores what the wire said (IBM's ``2021-05-05 00:56:04.569709`` decodes naive), so
    decoding a page costs no more than msgspec's own parsing.
    """

    __slots__ = ()
    _expected = "datetime"

    def _stale(self, value: Any) -> bool:
        return value.tzinfo is not _UTC

    def _convert(self, value: Any) -> Any:
        return _as_utc(value)


class _DurationField(_LazyField):
    """A :data:`WireDuration` field: reads give a :class:`Duration` (msgspec keeps ``"2.5s"``)."""

    __slots__ = ()
    _expected = "Duration"

    def _stale(self, value: Any) -> bool:
        return value.__class__ is not Duration

    def _convert(self, value: Any) -> Any:
        return _to_duration(value)


def _to_duration(value: Any) -> Duration:
    if isinstance(value, _LegacyDuration):
        return parse_duration({"seconds": value.seconds, "nanos": value.nanos})
    if isinstance(value, timedelta):
        return Duration(value.days, value.seconds, value.microseconds)
    if value.__class__ is str and value[-1:] == "s":
        # The usual wire shape, "2.5s" (positional arguments build a timedelta faster).
        try:
            return Duration(0, float(value[:-1]))
        except (ValueError, OverflowError):
            pass
    return parse_duration(value)


class _LegacyDuration(msgspec.Struct, frozen=True, kw_only=True):
    # The older wire shape of a duration: ``{"seconds": "600", "nanos": 0}``.
    seconds: int
    nanos: int = 0


if typing.TYPE_CHECKING:
    #: A duration field of a response model: type checkers and readers see a :class:`Duration`.
    WireDuration: TypeAlias = Duration
else:
    # What msgspec decodes: the wire text, seconds as a number, or the older shape.
    WireDuration = str | int | float | _LegacyDuration

_WIRE_DURATION_ANNOTATION = re.compile(
    r"(?:(?:\w+\.)?WireDuration(?:\s*\|\s*None)?"
    r"|None\s*\|\s*(?:\w+\.)?WireDuration"
    r"|(?:typing\.)?Optional\[(?:\w+\.)?WireDuration\])\Z"
)


def _is_wire_duration_field(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return _WIRE_DURATION_ANNOTATION.match(annotation.strip()) is not None
    return annotation is WireDuration or annotation == (WireDuration | None)


def settle(value: Any) -> Any:
    """Convert every field of ``value`` read lazily (recursively, through lists and dicts).

    For code that reads models without their attributes, e.g. ``msgspec.to_builtins``:
    afterwards it sees aware UTC timestamps and :class:`Duration` objects. Returns ``value``.
    """
    if isinstance(value, Model):
        _settle_fields(value)
        for name in type(value).__struct_fields__:
            settle(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            settle(item)
    elif isinstance(value, dict):
        for item in value.values():
            settle(item)
    return value


def _settle_fields(obj: Model) -> None:
    # A value that does not convert stays as the wire gave it here; reading it raises.
    for name in type(obj).__lazy_fields__:
        with contextlib.suppress(ResponseDecodeError):
            getattr(obj, name)


def _settled_eq(self: Model, other: object) -> Any:
    _settle_fields(self)
    if isinstance(other, Model):
        _settle_fields(other)
    return _STRUCT_EQ(self, other)


def _settled_ne(self: Model, other: object) -> Any:
    _settle_fields(self)
    if isinstance(other, Model):
        _settle_fields(other)
    return _STRUCT_NE(self, other)


def _settled_hash(self: Model) -> int:
    _settle_fields(self)
    return _STRUCT_HASH(self)


def _settled_repr(self: Model) -> str:
    _settle_fields(self)
    return _STRUCT_REPR(self)


def _settled_rich_repr(self: Model) -> Any:
    _settle_fields(self)
    return _STRUCT_RICH_REPR(self)


_STRUCT_EQ = msgspec.Struct.__eq__
_STRUCT_NE = msgspec.Struct.__ne__
_STRUCT_HASH = msgspec.Struct.__hash__
_STRUCT_REPR = msgspec.Struct.__repr__
_STRUCT_RICH_REPR = msgspec.Struct.__rich_repr__
_STRUCT_METHODS: dict[str, Any] = {
    "__eq__": _STRUCT_EQ,
    "__ne__": _STRUCT_NE,
    "__hash__": _STRUCT_HASH,
    "__repr__": _STRUCT_REPR,
    "__rich_repr__": _STRUCT_RICH_REPR,
}
# Installed on models with lazily read fields: they convert those fields before comparing,
# hashing or showing (msgspec's own versions read the stored values directly).
_SETTLING_METHODS: dict[str, Any] = {
    "__eq__": _settled_eq,
    "__ne__": _settled_ne,
    "__hash__": _settled_hash,
    "__repr__": _settled_repr,
    "__rich_repr__": _settled_rich_repr,
}


class Model(msgspec.Struct, kw_only=True, frozen=True, repr_omit_defaults=True):
    """Base of every model: frozen, keyword-only, unknown fields ignored, aware datetimes.

    A ``datetime`` field reads as aware UTC (a naive wire timestamp is UTC) and a
    :data:`WireDuration` field reads as a :class:`Duration`. Both are converted on first read,
    so decoding runs at msgspec's own speed; ``repr``, ``==`` and ``hash`` convert first, and
    :func:`settle` does it for code that bypasses attributes (``msgspec.to_builtins``).
    """

    __utc_fields__: ClassVar[tuple[str, ...]] = ()
    __lazy_fields__: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        annotations: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            annotations.update(inspect.get_annotations(klass))
        utc: list[str] = []
        durations: list[str] = []
        for name, annotation in annotations.items():
            if name.startswith("__"):
                continue
            if _is_datetime_field(annotation):
                utc.append(name)
            elif _is_wire_duration_field(annotation):
                durations.append(name)
        cls.__utc_fields__ = tuple(utc)
        cls.__lazy_fields__ = tuple(utc + durations)
        for names, field in ((utc, _UTCField), (durations, _DurationField)):
            for name in names:
                slot = cls.__dict__.get(name)
                if isinstance(slot, types.MemberDescriptorType):
                    setattr(cls, name, field(slot, name))
        if cls.__lazy_fields__:
            # msgspec's own methods are replaced; one a model defines (or inherits) is kept.
            for method_name, method in _SETTLING_METHODS.items():
                current = getattr(cls, method_name, None)
                if current is method or current is _STRUCT_METHODS[method_name]:
                    setattr(cls, method_name, method)


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
