"""The exact text people sign, its hash, and the check of the name they type (R-ORD-4, R-VET-5).

    text_sha256 = sha256(text.encode("utf-8")).hexdigest()

Rendered texts are normalised before they are hashed (`normalised_text`): line endings "\\n",
no trailing spaces, one final newline; a text stored as written (a commitment) is hashed as is.
"""

import hashlib
import unicodedata

from django.utils.translation import gettext as _

# Arabic and Persian keyboards type different yeh and kaf; ZWNJ joins parts of a name.
_NAME_FOLDS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " "})


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalised_text(text: str) -> str:
    """A rendered text as it is signed: "\\n" line endings, no trailing spaces, one final
    newline."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def _name_key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").translate(_NAME_FOLDS)
    return "".join(name.split()).casefold()


def names_match(typed: str, full_name: str) -> bool:
    """Equal ignoring case, spaces and the usual Persian keyboard differences."""
    return bool(_name_key(typed)) and _name_key(typed) == _name_key(full_name)


def typed_name_refusal(typed: str, full_name: str) -> dict | None:
    """The error (keyed by the form's field) when the typed name is not the account's name."""
    if names_match(typed, full_name):
        return None
    return {"typed_name": _("Type your full name exactly as it is on your account.")}
