"""gunicorn's access log without card numbers (docker/gunicorn.conf.py: logger_class).

The API refuses any request that carries a card number, but gunicorn writes the request line
of every request it served, refused or not. This logger redacts the request line, path, query
string and referer (decoded first, so %20-separated digit groups are caught too)."""

from gunicorn.glogging import Logger

from .guards import redact_url

REDACTED_ATOMS = ("r", "U", "q", "f", "{referer}i")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in REDACTED_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_url(atoms[name])
        return atoms
