from django.db import connections, router
from rest_framework import authentication, exceptions

from .models import ApiToken, User, hash_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; expired and revoked tokens are refused."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Malformed token.") from None
        token = token_with_user(hash_token(raw))
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        request.auth_token = token
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


# Every authenticated request reads its token, so the lookup is one plain SQL statement written
# once: building the same select_related query through the ORM cost ~0.8 ms of CPU per request,
# this ~0.15 ms (bench/README.md, checkout: the web side). It is still read on every request, never cached,
# so a revoked or expired token, or a deactivated account, is refused on the very next request.
_TOKEN_FIELDS = ApiToken._meta.concrete_fields
_USER_FIELDS = User._meta.concrete_fields
_SQL: dict[str, str] = {}  # per database vendor


def _select_sql(connection) -> str:
    if connection.vendor not in _SQL:
        quote, field = connection.ops.quote_name, ApiToken._meta.get_field
        columns = [f"t.{quote(f.column)}" for f in _TOKEN_FIELDS] + [f"u.{quote(f.column)}" for f in _USER_FIELDS]
        _SQL[connection.vendor] = (
            f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "
            f"INNER JOIN {quote(User._meta.db_table)} u "
            f"ON u.{quote(User._meta.pk.column)} = t.{quote(field('user').column)} "
            f"WHERE t.{quote(field('key_hash').column)} = %s"
        )
    return _SQL[connection.vendor]


def _converted(connection, fields, values) -> list:
    """The row's values as the ORM would give them (e.g. aware datetimes and booleans on SQLite)."""
    out = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(field.model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            value = convert(value, column, connection)
        out.append(value)
    return out


def token_with_user(key_hash: str) -> ApiToken | None:
    """The token stored under `key_hash` with its user loaded, or None (one statement)."""
    alias = router.db_for_read(ApiToken)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(_select_sql(connection), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_TOKEN_FIELDS)
    token = ApiToken.from_db(
        alias, [f.attname for f in _TOKEN_FIELDS], _converted(connection, _TOKEN_FIELDS, row[:split])
    )
    token.user = User.from_db(
        alias, [f.attname for f in _USER_FIELDS], _converted(connection, _USER_FIELDS, row[split:])
    )
    return token
