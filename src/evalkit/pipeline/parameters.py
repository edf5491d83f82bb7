"""Inspection and validation of a notebook's parameters before the pipeline runs it.

papermill only *warns* about an unknown parameter and never checks types, so the pipeline checks
each notebook itself: the parameters cell (the first cell tagged ``parameters``) must declare
exactly the report parameters, each annotated with a type that accepts the value passed.

The cell is parsed by papermill's own Python parameter parser (``PythonTranslator.inspect``,
which is what ``papermill.inspect_notebook`` calls), applied directly because report notebooks
always run on the ``python3`` kernel: ``inspect_notebook`` refuses a notebook whose metadata
names no kernel, although papermill runs it with the kernel the pipeline passes.

A notebook opened in JupyterLab leaves ``config_path`` and ``output_dir`` empty (their defaults);
:func:`evalkit.project.notebook_paths` then finds the evaluation (``EVALKIT_CONFIG``, else an
``evalkit.yml`` found upward from the working folder, else the demo in the source tree) and a
folder for the page's outputs outside the repository (docs/jupyterlab.md). The report passes
both explicitly. It lives in :mod:`evalkit.project`, at the bottom layer, so that a notebook's
kernel does not import the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from papermill.translators import PythonTranslator

from evalkit.errors import PipelineError

__all__ = ["PARAMETER_COLUMNS", "REPORT_PARAMETERS", "check_parameters", "inspect_parameters"]

#: The parameters every report notebook declares, with the type of the value passed.
REPORT_PARAMETERS: dict[str, type] = {
    "config_path": str,
    "period": str,
    "site": str,
    "output_dir": str,
}

#: Annotation text (as papermill reads it) -> Python types a value of that annotation may have.
_ANNOTATION_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float, int),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}
_NONE_ANNOTATIONS = {"None", "NoneType"}

PARAMETER_COLUMNS = ["notebook", "parameter", "declared_type", "default", "value", "problem"]


def _accepted_types(annotation: str) -> tuple[type, ...] | None:
    """Types accepted by an annotation such as ``str``, ``str | None`` or ``Optional[str]``."""
    text = annotation.strip().replace(" ", "")
    optional = re.fullmatch(r"(?:typing\.)?Optional\[(.+)\]", text)
    parts = [optional.group(1), "None"] if optional else text.split("|")
    accepted: list[type] = []
    for part in parts:
        if part in _NONE_ANNOTATIONS:
            accepted.append(type(None))
        elif part in _ANNOTATION_TYPES:
            accepted.extend(_ANNOTATION_TYPES[part])
        else:
            return None
    return tuple(accepted)


def inspect_parameters(notebook_path: str | Path) -> pd.DataFrame:
    """The parameters a notebook declares, as papermill infers them.

    Parameters
    ----------
    notebook_path : str or Path
        The ``.ipynb`` file.

    Returns
    -------
    pandas.DataFrame
        One row per declared parameter: ``parameter, declared_type, default, help`` (all text;
        ``declared_type`` is ``"None"`` when the parameter has no annotation).

    Raises
    ------
    PipelineError
        If the file cannot be read or has no cell tagged ``parameters``.

    Examples
    --------
    >>> import tempfile, pathlib, nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell('period: str = "latest"  # quarter',
    ...                                       metadata={"tags": ["parameters"]})]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "nb.ipynb"
    >>> nbformat.write(nb, path)
    >>> inspect_parameters(path).to_dict("records")
    [{'parameter': 'period', 'declared_type': 'str', 'default': '"latest"', 'help': 'quarter'}]
    """
    path = Path(notebook_path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise PipelineError(f"{path}: cannot read the notebook ({exc}).") from exc
    if not any("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells):
        raise PipelineError(
            f"{path.name}: no cell tagged 'parameters'. Tag the first code cell 'parameters' and "
            f"declare {', '.join(f'{k}: str' for k in REPORT_PARAMETERS)} in it."
        )
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    rows = [
        {
            "parameter": found.name,
            "declared_type": found.inferred_type_name,
            "default": found.default,
            "help": found.help,
        }
        for found in PythonTranslator.inspect(cell)
    ]
    return pd.DataFrame(rows, columns=["parameter", "declared_type", "default", "help"])


def check_parameters(notebook_path: str | Path, parameters: Mapping[str, Any]) -> pd.DataFrame:
    """Check that a notebook declares exactly ``parameters`` with types that accept the values.

    Parameters
    ----------
    notebook_path : str or Path
        The ``.ipynb`` file.
    parameters : mapping
        The values the pipeline will pass (normally the :data:`REPORT_PARAMETERS`).

    Returns
    -------
    pandas.DataFrame
        One row per parameter passed or declared, columns :data:`PARAMETER_COLUMNS`
        (``notebook, parameter, declared_type, default, value, problem``), ``problem`` empty
        when the parameter is fine. Returned only when every row is fine.

    Raises
    ------
    PipelineError
        Naming the notebook and every parameter that is passed but not declared ("missing"),
        declared but not passed ("unknown"), unannotated, or annotated with a type that does not
        accept the value.

    Examples
    --------
    >>> import tempfile, pathlib, nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell('period: int = 1', metadata={"tags": ["parameters"]})]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "01_reach.ipynb"
    >>> nbformat.write(nb, path)
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     check_parameters(path, {"period": "2026-Q1"})
    ... except PipelineError as error:
    ...     print(error)
    notebook 01_reach.ipynb: parameter 'period' is declared as int but the report passes str
    '2026-Q1'; annotate it `period: str`.
    """
    path = Path(notebook_path)
    declared = inspect_parameters(path).set_index("parameter")
    rows = []
    for name in [*parameters, *(p for p in declared.index if p not in parameters)]:
        value = parameters.get(name)
        if name not in declared.index:
            row = {"declared_type": "", "default": ""}
            problem = (
                f"parameter '{name}' is missing from the parameters cell; add "
                f"`{name}: {type(value).__name__} = ...`"
            )
        else:
            row = declared.loc[name, ["declared_type", "default"]].to_dict()
            accepted = _accepted_types(row["declared_type"])
            if name not in parameters:
                problem = (
                    f"parameter '{name}' is unknown to the report pipeline, which passes only "
                    f"{', '.join(parameters)}; remove it or make it a constant in a later cell"
                )
            elif row["declared_type"] == "None":
                problem = (
                    f"parameter '{name}' has no type annotation; write "
                    f"`{name}: {type(value).__name__} = {row['default']}`"
                )
            elif accepted is None:
                problem = (
                    f"parameter '{name}' is annotated `{row['declared_type']}`, which the "
                    f"pipeline cannot check; use one of {', '.join(_ANNOTATION_TYPES)}"
                )
            elif type(value) not in accepted:
                problem = (
                    f"parameter '{name}' is declared as {row['declared_type']} but the report "
                    f"passes {type(value).__name__} {value!r}; annotate it "
                    f"`{name}: {type(value).__name__}`"
                )
            else:
                problem = ""
        rows.append(
            {"notebook": path.name, "parameter": name, **row, "value": value, "problem": problem}
        )
    table = pd.DataFrame(rows, columns=PARAMETER_COLUMNS)
    problems = table.loc[table["problem"] != "", "problem"].tolist()
    if problems:
        raise PipelineError(f"notebook {path.name}: " + "; ".join(problems) + ".")
    return table
