"""PostgreSQL prepares the statements a connection runs again (DB_PREPARED_STATEMENTS, on by
default): parameters are bound on the server and a statement's second run is a prepared one,
so it is neither parsed nor planned again. Off, parameters are bound on the client as before."""

import pytest
from django.db import connection

from flowmart.events.models import Delivery

from .test_settings import production_env, read_settings

pytestmark = pytest.mark.django_db


def prepared_on_the_server() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE from_sql IS FALSE")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_twice_is_prepared_and_stays_prepared():
    for pk in (1, 2, 3):
        assert not Delivery.objects.filter(pk=pk, subscriber="nobody.listens").exists()

    prepared = [sql for sql in prepared_on_the_server() if "nobody.listens" not in sql and "events_delivery" in sql]
    assert len(prepared) == 1, prepared  # one prepared statement for the three runs, parameters bound apart
    assert "$1" in prepared[0]
    assert connection.connection.prepared_max == 300  # room for every hot statement (flowmart/common/apps.py)


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    on = read_settings(production_env(), "DATABASES")["DATABASES"]
    off = read_settings(production_env(DB_PREPARED_STATEMENTS="0"), "DATABASES")["DATABASES"]
    assert "'server_side_binding': True" in on and "'prepare_threshold': 2" in on
    assert "server_side_binding" not in off and "prepare_threshold" not in off
