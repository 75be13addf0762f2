"""Card numbers in free text are found however they are written, and only card numbers are."""

from hypothesis import given, strategies as st

from protocol import card_numbers

KNOWN_TEST_CARDS = ["4111111111111111", "5555555555554444", "2223003122003222", "378282246310005",
                    "6011111111111117", "3530111333300000", "30569309025904", "6200000000000005",
                    "4222222222222", "6759649826438453"]


def with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if card_numbers.luhn_ok(body + digit):
            return body + digit
    raise AssertionError("one of ten digits completes any Luhn number")


def test_the_schemes_test_cards_are_found():
    for number in KNOWN_TEST_CARDS:
        assert card_numbers.find(f"payer {number} paid") == [number]


def test_grouped_by_spaces_or_dashes_is_found():
    assert card_numbers.find("4111 1111 1111 1111") == ["4111111111111111"]
    assert card_numbers.find("4111-1111-1111-1111") == ["4111111111111111"]
    assert card_numbers.find("3782 822463 10005") == ["378282246310005"]


def test_a_card_beside_other_digit_groups_is_found():
    assert card_numbers.find("ref 12 4111 1111 1111 1111 77") == ["4111111111111111"]


def test_wrong_luhn_digit_or_out_of_scheme_range_is_not_a_card():
    assert card_numbers.find("4111111111111112") == []
    assert card_numbers.find(with_check_digit("911111111111111")) == []   # ISO 7812 MII 9: national use


def test_identifiers_of_the_domain_are_not_cards():
    for text in ["001340000013900808", "RF18539007547034", "61109010140000071219812874",
                 "IT60X0542811101000000123456", "WAW/2026/0001", "2026-12-03 12:00:01", "03503446639"]:
        assert card_numbers.find(text) == [], text


def test_redact_keeps_the_last_four_digits_only():
    assert card_numbers.redact("Jan 5555-5555-5555-4444 Kowalski") == "Jan ************4444 Kowalski"
    assert card_numbers.redact("no card here") == "no card here"


@given(st.text())
def test_screening_never_raises_and_redaction_leaves_no_card(text):
    found = card_numbers.find(text)
    assert all(card_numbers.is_card_number(number) for number in found)
    assert card_numbers.find(card_numbers.redact(text)) == []


@given(st.sampled_from(["4", "51", "55", "2221", "34", "37", "6011", "65", "3528", "62", "50", "67"]),
       st.data(), st.sampled_from(["", " ", "-"]), st.text(alphabet="abc xyz/", max_size=10))
def test_any_scheme_number_is_found_whatever_its_grouping(prefix, data, separator, around):
    lengths = [n for n in range(13, 20) if card_numbers.in_scheme_range(prefix + "0" * (n - len(prefix)))]
    length = data.draw(st.sampled_from(lengths))
    body = prefix + data.draw(st.text(alphabet="0123456789", min_size=length - len(prefix) - 1,
                                      max_size=length - len(prefix) - 1))
    number = with_check_digit(body)
    if not card_numbers.in_scheme_range(number):
        return
    grouped = separator.join(number[i:i + 4] for i in range(0, len(number), 4))
    text = f"{around.strip()} {grouped} {around.strip()}".replace("  ", " ")
    assert number in card_numbers.find(text)


def test_uuids_the_software_makes_are_never_card_numbers():
    # This one holds the run 50-2313-4587-8722-7: 13 digits in the Maestro range that pass Luhn.
    assert card_numbers.find("881fff50-2313-4587-8722-7fc0dc80bc67") == []
    assert card_numbers.find("id 881fff50-2313-4587-8722-7fc0dc80bc67, card 4111 1111 1111 1111") == \
        ["4111111111111111"]
    assert card_numbers.redact("881fff50-2313-4587-8722-7fc0dc80bc67") == "881fff50-2313-4587-8722-7fc0dc80bc67"


@given(st.uuids())
def test_no_uuid_holds_a_card_number(value):
    assert card_numbers.find(str(value)) == [] and card_numbers.find(str(value).upper()) == []
