"""One shape for a refusal in two languages (like cases.errors.DomainError): ``str()`` is the
Chinese message exactly as given (the first argument), ``zh`` and ``en`` the message in each
language (an English page shows ``en``: dashboard.texts.error_text; empty when the raiser gave
none, and the page then shows ``zh``), ``code`` names the rule."""
from __future__ import annotations


class Bilingual:
    """Mixin for an exception class: ``raise X("中文", en="English", code="rule")``."""

    code = "error"

    def __init__(self, *args, en: str = "", code: str | None = None):
        super().__init__(*args)
        self.zh, self.en = (str(args[0]) if args else ""), str(en)
        if code:
            self.code = code


class Reason(str):
    """A reason in two languages: the Chinese text (it *is* the str, so callers that compare or
    print it see the Chinese as before), with its English in `.en`."""

    def __new__(cls, zh: str, en: str = ""):
        obj = super().__new__(cls, zh)
        obj.en = str(en)
        return obj
