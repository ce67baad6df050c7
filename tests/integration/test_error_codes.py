"""Every error a person can see has a test that asserts its stable code and its words.

The errors are enumerated from the package itself: every module is imported and the subclass tree
of ``AppError`` walked, so a new error class is found wherever it lives; the codes raise sites give
a generic class (``Conflict("...", code="code_in_use")``) are read from the source. A class counts
by its own ``code`` when something raises it without giving another.

A code is tested when some test holds it next to a fragment of the message (a string with a
space in it) in one of the shapes the suites use: a call (``assert_error(r, 409, "code_in_use",
"already used")``), a row of a parametrized table, one ``assert`` that checks both, a test
function that compares the code and reads the error's ``message``, or the CLI's
"<message> (<code>)". Where nobody receives the code, only its words (raised only where a page
shows them next to a field, in ``views.py`` or ``web/``; or listed in ``WORDS_ONLY`` with the
reason), a test holding a piece of the words counts. ``test_every_error_is_tested`` fails with
the codes that have neither; ``UNTESTABLE`` names, with the reason, those no request can make.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sparkcodes
from sparkcodes.errors import AppError

SRC = Path(sparkcodes.__file__).parent
TESTS = Path(__file__).parent.parent
# Import-time side effects: Alembic's environment runs a migration when imported.
NOT_IMPORTED = ("sparkcodes.migrations", "sparkcodes.__main__")

_CALLBACK = "only the /tiktok/callback page, in a browser, shows it: its words, not its code"
_LINK_PAGE = ("only the e-mailed link's page shows it (a creator with no account, no API): its "
              "words, not its code")
# Codes whose words a person reads, but not the code: the reason.
WORDS_ONLY = {
    "link_used": _LINK_PAGE, "link_cancelled": _LINK_PAGE, "link_expired": _LINK_PAGE,
    "link_busy": _LINK_PAGE, "link_not_found": _LINK_PAGE, "end_not_moved": _LINK_PAGE,
    "app_credentials_invalid": "the TikTok surface answers it as code 40101 with these words",
    "authorization_denied": _CALLBACK,
    "auth_code_missing": _CALLBACK,
    "connector_state_invalid": _CALLBACK,
    "tiktok_app_refused": _CALLBACK,
    "invalid_operation_status": "/v1 takes ENABLE, DISABLE or DELETE by schema; the pages' "
                                "status forms show these words (and /open_api/v1.3 answers "
                                "TikTok's 40002 with them)",
    "original_post_invalid": "only the post form reads a pasted link (/v1 takes original_post_id), "
                             "and shows these words next to the field",
}
# Codes no request can make on demand: the reason.
UNTESTABLE = {
    "invalid_event_type": "the event schema (EventType) refuses any other type first, as "
                          "validation_error naming the field",
    "invalid_value": "the TikTok surface checks data_level, dimensions and order_field itself "
                     "first (40002 with its own words); the report service checks again",
    "invalid_state": "/v1 and the authorization page both cap state at rules.MAX_STATE before "
                     "the rule sees it (validation_error; the page's 422)",
    "too_many_ad_accounts": "/v1 caps the list at rules.MAX_AD_ACCOUNTS by schema "
                            "(validation_error) and the page's form parser takes 1000 fields",
    "concurrent_update": "a conditional write lost to another writer on every one of its "
                         "retries; the races in tests/integration/test_races.py show the retry "
                         "winning, losing them all cannot be arranged from outside",
}


def _subclasses(cls: type[AppError]) -> Iterator[type[AppError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def error_classes() -> list[type[AppError]]:
    """Every public AppError subclass the package defines."""
    for module in pkgutil.walk_packages(sparkcodes.__path__, "sparkcodes."):
        if not module.name.startswith(NOT_IMPORTED):
            importlib.import_module(module.name)
    return sorted({c for c in _subclasses(AppError) if not c.__name__.startswith("_")},
                  key=lambda c: (c.__module__, c.__name__))


@dataclass
class Raised:
    code: str
    where: str  # the class, or the first raise site
    # Raised only where a page catches it and shows its words next to a field (views.py, web/):
    # nobody sees the code, so a test of the page's words is what counts.
    page_only: bool = True
    messages: list[str] = field(default_factory=list)  # the literal words of its raise sites


PAGE_MODULES = ("views.py", "web/")


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def raised_codes() -> dict[str, Raised]:
    """code -> where it comes from and the words its sites give: each class's own code when
    some site raises it without another, and every literal ``code=`` a site passes."""
    classes = {c.__name__: c for c in error_classes()}
    classes["AppError"] = AppError
    found: dict[str, Raised] = {}

    def note(code: str, where: str, words: str | None) -> None:
        raised = found.setdefault(code, Raised(code, where))
        raised.page_only &= where.startswith(PAGE_MODULES) or \
            where.partition(":")[0].endswith(PAGE_MODULES)
        if words:
            raised.messages.append(words)

    for path in sorted(SRC.rglob("*.py")):
        where = str(path.relative_to(SRC))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None \
                    and not isinstance(node.exc, ast.Call):
                node = node.exc  # raise NotFound: the class's own code and words
            elif not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            if name not in classes:
                continue
            cls = classes[name]
            code = next((k.value for k in node.keywords if k.arg == "code"), None) \
                if isinstance(node, ast.Call) else None
            args = node.args if isinstance(node, ast.Call) else []
            words = _pieces(args[0]) if args else None
            if code is None and cls is not AppError:
                note(cls.code, f"{cls.__module__}.{name}",
                     words or (cls.message if "message" in cls.__dict__ else None))
            elif isinstance(code, ast.Constant) and isinstance(code.value, str):
                note(code.value, f"{where}:{node.lineno}", words)
    return found


# --- what the tests assert -----------------------------------------------------------------------

PIECE = "\x00"  # between the literal parts of an f-string, where its values go


def _pieces(node: ast.AST) -> str | None:
    """A message's literal words, ``PIECE`` where an f-string puts a value."""
    if isinstance(node, ast.JoinedStr):
        return PIECE.join(v.value if isinstance(v, ast.Constant) else ""
                          for v in node.values)
    return _text(node)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _is_words(node: ast.AST) -> bool:
    text = _text(node)
    return text is not None and " " in text.strip() and len(text.strip()) >= 6


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Call):
        return [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node, ast.Tuple | ast.List):
        return list(node.elts)
    if isinstance(node, ast.Dict):
        return [v for v in node.values if v is not None]
    if isinstance(node, ast.Assert):
        return list(ast.walk(node.test))
    return []


def _reads_message(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "message":
            return True
        if isinstance(sub, ast.Subscript) and _text(sub.slice) == "message":
            return True
    return False


def asserted_codes(codes: set[str]) -> set[str]:
    """The codes among ``codes`` that some test asserts with words of their message."""
    tested: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            children = _children(node)
            if isinstance(node, ast.Call):
                # assert_error(r, 409, "code_in_use", "already used"): any text after the code.
                texts = [_text(c) for c in node.args]
                tested |= {t for i, t in enumerate(texts)
                           if t in codes and any(u is not None for u in texts[i + 1:])}
            if children and any(_is_words(c) for c in children):
                tested |= {t for c in children if (t := _text(c)) in codes}
            # The CLI prints "<message> (<code>)": one string holding both.
            if (text := _text(node)) and text.endswith(")") and " (" in text:
                words, _, code = text[:-1].rpartition(" (")
                if code in codes and _is_words(ast.Constant(words)):
                    tested.add(code)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test") \
                    and _reads_message(node):
                tested |= {t for c in ast.walk(node) if (t := _text(c)) in codes}
    return tested


def strings_in_tests() -> set[str]:
    """Every string a test holds (the constant parts of an f-string)."""
    texts: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        if path != Path(__file__):
            texts |= {t for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                      if (t := _text(node))}
    return texts


# --- the checks ----------------------------------------------------------------------------------

def test_errors_are_found() -> None:
    """The enumeration sees the classes of every layer, not only errors.py."""
    names = {c.__name__ for c in error_classes()}
    assert {"NotFound", "Conflict", "RateLimited", "EndpointDisabled", "RedirectUriMismatch",
            "TokenRefused", "NotSyncable"} <= names
    codes = raised_codes()
    assert {"code_expired", "code_used_elsewhere", "not_found", "webhook_endpoint_disabled",
            "tiktok_unreachable"} <= codes.keys()


def _page_words_asserted(raised: Raised, texts: set[str]) -> bool:
    """Some test holds words a raise site gives: one of its literal pieces of a dozen characters
    or more (the parts of an f-string between its values), or a dozen characters of one."""
    pieces = [p.strip() for m in raised.messages for p in m.split(PIECE) if len(p.strip()) >= 12]
    return any(p in t or (len(t) >= 12 and t in p) for t in texts for p in pieces)


def test_every_error_is_tested() -> None:
    codes = raised_codes()
    missing = set(codes) - asserted_codes(set(codes)) - UNTESTABLE.keys()
    pages = {c for c in missing if codes[c].page_only or c in WORDS_ONLY}
    texts = strings_in_tests()
    missing = sorted(missing - {c for c in pages if _page_words_asserted(codes[c], texts)})
    assert not missing, "\n".join(
        ["No test asserts the code and the message of:"]
        + [f"  {code}  ({codes[code].where})" for code in missing])


def test_exceptions_name_codes_still_raised() -> None:
    assert not (UNTESTABLE.keys() | WORDS_ONLY.keys()) - raised_codes().keys()
