"""`import evalkit as ek` gives an evaluator the API in one place, documented and lazy."""

from __future__ import annotations

import io
import pydoc
import re
import subprocess
import sys

import evalkit as ek


def test_every_public_name_resolves_to_a_documented_object():
    assert set(ek.API) <= set(ek.__all__) and "__version__" in ek.__all__
    for name in ek.API:
        value = getattr(ek, name)
        assert callable(value), name
        assert (value.__doc__ or "").strip(), f"ek.{name} has no docstring"


def test_help_lists_each_public_name_with_a_one_line_description():
    text = io.StringIO()
    pydoc.Helper(output=text).help(ek)
    shown = text.getvalue()
    for name in ek.API:
        assert re.search(rf"^\s+{name}\s+\S.+$", shown, re.M), f"help(ek) does not describe {name}"


def test_importing_evalkit_loads_no_analysis_libraries():
    code = (
        "import sys, evalkit\n"
        "heavy = ('pandas', 'statsmodels', 'matplotlib', 'nbformat')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_an_unknown_name_is_an_attribute_error_naming_it():
    try:
        ek.load_evalution  # noqa: B018
    except AttributeError as exc:
        assert "load_evalution" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a misspelt name must not resolve")
