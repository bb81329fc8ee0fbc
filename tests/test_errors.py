from cbeclab.errors import CbecError, DataError


def test_message_has_where_and_fix() -> None:
    e = DataError("cell is not a number", where="panel.csv row 4 column 'exports'", fix="remove the text")
    assert str(e) == "panel.csv row 4 column 'exports': cell is not a number Fix: remove the text"
    assert isinstance(e, CbecError)
