"""Shared bits of the management commands that go through the services."""

from django.core.management.base import CommandError

from .errors import ApiError


def command_error(error: ApiError) -> CommandError:
    """A service's refusal as a command-line error: the message and each field's problem."""
    lines = [str(error.detail)]
    lines += [f"  {field}: {'; '.join(problems)}" for field, problems in (error.fields or {}).items()]
    return CommandError("\n".join(lines))
