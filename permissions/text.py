"""Messages a person reads, marked for translation where they are written.

`tr("Code incorrect ({left} essai(s) restant(s)).", left=2)` is the French text (the
catalogues' msgid) with its values. It is a `str` (the French, formatted), so code that logs
or compares it keeps working; the boundary that answers the client (the schema's
`UserError.message`, the server's error formatting, the e-mails) translates it into the
reader's language through `server/i18n.py`. Nothing below the schema needs to know which
language that is. `pybabel extract` finds the calls by the `tr` keyword (babel.cfg).
"""

from __future__ import annotations

from collections.abc import Mapping


class Text(str):
    """French text with the msgid and values to translate it."""

    msgid: str
    params: Mapping[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object]) -> Text:
        text = super().__new__(cls, msgid.format(**params) if params else msgid)
        text.msgid = msgid
        text.params = params
        return text


def tr(msgid: str, /, **params: object) -> Text:
    """Marks `msgid` (French, `{name}` placeholders) for translation, with its values."""
    return Text(msgid, params)
