"""hub.store.sets on SQLite and PostgreSQL: empty inputs, more values than either database takes
parameters in one statement (SQLite 32,766, PostgreSQL 65,535), JSON columns, ids, refusals."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from hub.store.sets import array_literal, fetch_dicts, insert_many, insert_returning, one_of, update_by_id
from hub.store.tables import orders, payments
from hub.store.tables_reconcile import flow_payments
from tests.finance.reconcile_support import add_order
from tests.hub.test_store_bulk import _payment

MORE_THAN_ANY_LIMIT = 70_000        # above PostgreSQL's 65,535 and SQLite's 32,766 parameters


def _flow_payment(n: int) -> dict:
    return {"flow_row": 1 + n // 1000, "position": n % 1000, "office": "ROMA-1", "iuv": f"{n:017d}",
            "iur": f"IUR{n}", "payment_index": 1, "amount_minor": n, "outcome": 0, "outcome_date": "2026-11-20",
            "status": "waiting", "reason": "not_run", "order_id": None, "payment_row": None}


def _ids(conn) -> list[int]:
    return conn.execute(select(flow_payments.c.id).order_by(flow_payments.c.id)).scalars().all()


def test_empty_inputs_do_nothing_and_match_nothing(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv="05000000000000001")
        insert_many(conn, flow_payments, [])
        update_by_id(conn, flow_payments, ("status",), [])
        assert insert_returning(conn, payments, [], ("id",)) == []
        assert conn.execute(select(orders.c.order_id).where(one_of(conn, orders.c.iuv, []))).all() == []
        assert conn.execute(select(func.count()).select_from(flow_payments)).scalar_one() == 0


def test_many_more_rows_and_values_than_one_statement_takes_parameters_are_written_and_found(hub_db):
    with hub_db.begin() as conn:
        insert_many(conn, flow_payments, [_flow_payment(n) for n in range(MORE_THAN_ANY_LIMIT)])
        ids = _ids(conn)
        assert len(ids) == MORE_THAN_ANY_LIMIT
        update_by_id(conn, flow_payments, ("status", "reason", "payment_row"),
                     [(row_id, "matched", "pays_order", row_id * 10) for row_id in ids])
        found = conn.execute(select(func.count()).select_from(flow_payments).where(
            one_of(conn, flow_payments.c.id, ids), flow_payments.c.status == "matched",
            flow_payments.c.payment_row == flow_payments.c.id * 10)).scalar_one()
        assert found == MORE_THAN_ANY_LIMIT
        iuvs = [f"{n:017d}" for n in range(0, MORE_THAN_ANY_LIMIT, 2)] + ["not-an-iuv"]
        assert conn.execute(select(func.count()).select_from(flow_payments)
                            .where(one_of(conn, flow_payments.c.iuv, iuvs))).scalar_one() == MORE_THAN_ANY_LIMIT // 2


def test_a_value_longer_than_its_column_matches_nothing_not_its_cut_down_prefix(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv="0" * 32)                           # orders.iuv is VARCHAR(32)
        assert conn.execute(select(orders.c.order_id).where(one_of(conn, orders.c.iuv, ["0" * 33]))).all() == []
        assert conn.execute(select(orders.c.order_id).where(one_of(conn, orders.c.iuv, ["0" * 32]))).all() == [("CP1",)]


def test_an_update_naming_one_id_twice_is_refused_before_anything_is_written(hub_db):
    with hub_db.begin() as conn:
        insert_many(conn, flow_payments, [_flow_payment(1), _flow_payment(2)])
        first, second = _ids(conn)
        with pytest.raises(ValueError, match="more than once"):
            update_by_id(conn, flow_payments, ("status",), [(first, "matched"), (second, "anomaly"), (first, "ignored")])
        assert conn.execute(select(flow_payments.c.status)).scalars().all() == ["waiting", "waiting"]


def test_rows_that_differ_in_their_columns_or_name_unknown_ones_are_refused(hub_db):
    with hub_db.begin() as conn:
        with pytest.raises(ValueError, match="differ in their columns"):
            insert_many(conn, flow_payments, [_flow_payment(1), {**_flow_payment(2), "colour": "red"}])
        with pytest.raises(ValueError, match="differ in their columns"):
            insert_returning(conn, payments, [_payment(1), {k: v for k, v in _payment(2).items() if k != "body"}],
                             ("id",))
        with pytest.raises(ValueError, match="no columns"):
            insert_many(conn, flow_payments, [{**_flow_payment(1), "colour": "red"}])
        with pytest.raises(ValueError, match="only what the rows give"):
            insert_returning(conn, payments, [_payment(1)], ("id", "channel"))
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 0


def test_insert_returning_gives_each_stored_rows_id_and_later_inserts_get_new_ids(hub_db):
    rows = [_payment(n) for n in range(3000)]                      # several statements' worth on SQLite
    with hub_db.begin() as conn:
        returned = insert_returning(conn, payments, rows, ("id", "payment_id", "body"))
        stored = dict(conn.execute(select(payments.c.payment_id, payments.c.id)).all())
        assert sorted((payment_id, row_id) for row_id, payment_id, _ in returned) == sorted(stored.items())
        bodies = {payment_id: body for _, payment_id, body in returned}
        assert json.loads(bodies["p7"]) == _payment(7)["body"]           # a JSON column comes back as its text
        conn.execute(payments.insert().values(_payment(9999)))          # the sequence moved past the ids taken
        later = conn.execute(select(payments.c.id).where(payments.c.payment_id == "p9999")).scalar_one()
        assert later > max(stored.values())
    with hub_db.connect() as conn:
        body = conn.execute(select(payments.c.body).where(payments.c.payment_id == "p7")).scalar_one()
        assert body == _payment(7)["body"]                           # JSON read back as SQLAlchemy stores it


def test_json_columns_updated_in_bulk_read_back_as_written(hub_db):
    with hub_db.begin() as conn:
        ids = [row_id for row_id, in insert_returning(conn, payments, [_payment(1), _payment(2)], ("id",))]
        update_by_id(conn, payments, ("body", "payer_name"),
                     [(ids[0], {"ελληνικά": "ναι", "n": [None, 1]}, "Zoë"), (ids[1], None, None)])
    with hub_db.connect() as conn:
        rows = fetch_dicts(conn, select(payments.c.body, payments.c.payer_name).order_by(payments.c.id))
        assert rows == [{"body": {"ελληνικά": "ναι", "n": [None, 1]}, "payer_name": "Zoë"},
                        {"body": None, "payer_name": None}]


def test_a_value_too_long_for_its_column_is_refused_on_postgresql_as_an_update_would_be(hub_db):
    if not hub_db.url.startswith("postgresql"):
        pytest.skip("SQLite does not enforce VARCHAR lengths, for any statement")
    with pytest.raises(DataError, match="too long"):
        with hub_db.begin() as conn:
            insert_many(conn, flow_payments, [_flow_payment(1)])
            update_by_id(conn, flow_payments, ("status",), [(_ids(conn)[0], "x" * 17)])     # VARCHAR(16)
    with pytest.raises(DataError, match="too long"):
        with hub_db.begin() as conn:
            insert_many(conn, flow_payments, [{**_flow_payment(1), "status": "x" * 17}])


# Any text PostgreSQL stores (no NUL): quotes, backslashes, commas, braces, spaces, NULL-looking words.
_TEXTS = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(_TEXTS, st.sampled_from(['"', "\\", ",", "{}", "NULL", " ", '\\"', "a,b"])),
                       max_size=20))
def test_any_set_of_texts_finds_exactly_the_rows_holding_one_of_them(hub_db, values):
    stored = ["", '"', "\\", "NULL", "a,b", "{x}", " lead", "Zoë", "ελληνικά"]
    with hub_db.begin() as conn:
        insert_many(conn, flow_payments, [{**_flow_payment(n), "iur": text} for n, text in enumerate(stored)])
        found = conn.execute(select(flow_payments.c.iur).where(one_of(conn, flow_payments.c.iur, values)))
        assert sorted(found.scalars()) == sorted(set(stored) & set(values))
        conn.execute(flow_payments.delete())                # each example starts from an empty table


@given(values=st.lists(_TEXTS, max_size=30))
def test_an_array_literal_reads_back_as_its_texts(values):
    if not values:
        assert array_literal(values) == "{}"
        return
    literal = array_literal(values)
    # PostgreSQL's reading of a quoted element: a backslash takes the next character as it is.
    elements, current, quoted, escaped = [], [], False, False
    for char in literal[1:-1]:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            elements.append("".join(current))
            current = []
        else:
            current.append(char)
    elements.append("".join(current))
    assert elements == values


def test_an_array_literal_is_made_only_of_strings_or_of_integers(hub_db):
    assert array_literal([1, 22, -3]) == "{1,22,-3}"
    assert array_literal([True, False]) is None           # booleans are not ids
    assert array_literal(["a", 1]) is None
    assert array_literal(["a\x00b"]) is None               # left to psycopg, which refuses a NUL
    with hub_db.begin() as conn:
        insert_many(conn, flow_payments, [_flow_payment(n) for n in range(5)])
        ids = _ids(conn)
        assert conn.execute(select(flow_payments.c.id).where(one_of(conn, flow_payments.c.id, [ids[1], ids[3], -7]))
                            .order_by(flow_payments.c.id)).scalars().all() == [ids[1], ids[3]]


def test_rows_from_a_generator_are_stored_as_they_are_made(hub_db):
    made = []

    def rows():
        for n in range(MORE_THAN_ANY_LIMIT):
            made.append(n)
            yield _flow_payment(n)

    with hub_db.begin() as conn:
        insert_many(conn, flow_payments, rows())
        insert_many(conn, flow_payments, iter(()))                       # an empty generator: nothing
        assert len(made) == MORE_THAN_ANY_LIMIT
        assert conn.execute(select(func.count()).select_from(flow_payments)).scalar_one() == MORE_THAN_ANY_LIMIT
        assert conn.execute(select(flow_payments.c.iur).where(flow_payments.c.iuv == f"{69_999:017d}")
                            ).scalar_one() == "IUR69999"


def test_a_generated_row_with_other_columns_fails_the_insert_and_its_transaction(hub_db):
    def rows():
        yield _flow_payment(1)
        yield {**_flow_payment(2), "colour": "red"}

    with pytest.raises(ValueError, match="differ in their columns"):
        with hub_db.begin() as conn:
            insert_many(conn, flow_payments, rows())
    with hub_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(flow_payments)).scalar_one() == 0
