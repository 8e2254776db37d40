"""The terminal ``error`` event both children (training, tuning) end a failure with."""

from __future__ import annotations

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.child import error_event


def test_a_user_error_is_its_message_alone() -> None:
    assert error_event(UserError("No dataset.")) == {"type": "error", "message": "No dataset.",
                                                     "user": True}


def test_a_bug_names_the_exception_and_keeps_the_traceback(capsys) -> None:
    try:
        raise ValueError("bad shape")
    except ValueError as exc:
        event = error_event(exc)
    assert event["message"] == "ValueError: bad shape" and event["user"] is False
    assert "raise ValueError" in event["detail"]
    assert "Traceback" in capsys.readouterr().err  # in train.log too
