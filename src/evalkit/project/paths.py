"""How a notebook opened interactively finds its evaluation, and where it writes.

The report notebooks' parameters cell leaves ``config_path`` and ``output_dir`` empty; their
first code cell calls :func:`notebook_paths`, which returns the report's values unchanged (the
pipeline passes both) and otherwise finds the evaluation (:func:`find_evaluation`: the
``EVALKIT_CONFIG`` variable, else the ``evalkit.yml`` project file found upward from the working
folder, else the demo of the source tree) and a folder for the page's outputs outside the
repository (:func:`interactive_output_dir`). See docs/jupyterlab.md.

This module sits at the bottom layer, beside the config, and imports nothing of the pipeline:
a notebook's kernel, forked from the report's warm kernel server, imports only what it uses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import platformdirs
import pydantic
import yaml

import evalkit
from evalkit.config import Text, _check, _describe, _problems_message
from evalkit.errors import ConfigError

__all__ = [
    "CONFIG_VARIABLE",
    "PROJECT_FILE",
    "find_evaluation",
    "interactive_output_dir",
    "notebook_paths",
]

#: Environment variable naming the evaluation.yml a notebook opened interactively reads.
CONFIG_VARIABLE = "EVALKIT_CONFIG"
#: The project file found upward from the working folder: ``evaluation:`` (the evaluation.yml,
#: relative to the project file) and, optionally, ``outputs:`` (where interactive runs write).
PROJECT_FILE = "evalkit.yml"


class _ProjectFile(pydantic.BaseModel):
    """``evalkit.yml``: the evaluation a folder's notebooks read, and where they write."""

    model_config = pydantic.ConfigDict(extra="forbid")

    evaluation: Annotated[
        Text, pydantic.Field(description="the evaluation.yml, relative to this file")
    ]
    outputs: Text | None = None


def _project_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    return None


def _read_project(path: Path) -> _ProjectFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping (evaluation: path/to/evaluation.yml), "
            f"got {_describe(raw)}."
        )
    checked, problems = _check(_ProjectFile, raw)
    if checked is None:
        raise ConfigError(_problems_message(path, problems))
    assert isinstance(checked, _ProjectFile)
    return checked


def _demo_config() -> Path:
    return Path(evalkit.__file__).resolve().parents[2] / "data" / "demo" / "evaluation.yml"


def find_evaluation(config_path: str = "", *, start: str | Path | None = None) -> Path:
    """The evaluation.yml a notebook reads.

    In order: ``config_path`` when given; the :data:`CONFIG_VARIABLE` environment variable;
    the ``evaluation:`` of the nearest :data:`PROJECT_FILE` in ``start`` (default: the working
    folder) or a folder above it; the demo evaluation of the source tree (``data/demo``).

    Raises
    ------
    ConfigError
        If the file found does not exist, the project file is malformed, or nothing is found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "evaluation.yml").write_text("name: Demo\\ndata_dir: .\\n")
    >>> _ = (root / "evalkit.yml").write_text("evaluation: evaluation.yml\\n")
    >>> (root / "notebooks").mkdir()
    >>> find_evaluation(start=root / "notebooks") == root / "evaluation.yml"
    True
    """
    if config_path:
        return _existing(Path(config_path).expanduser(), "config_path")
    if os.environ.get(CONFIG_VARIABLE):
        return _existing(Path(os.environ[CONFIG_VARIABLE]).expanduser(), CONFIG_VARIABLE)
    here = Path(start).resolve() if start is not None else Path.cwd()
    project = _project_file(here)
    if project is not None:
        found = project.parent / _read_project(project).evaluation
        return _existing(found.resolve(), f"evaluation in {project}")
    demo = _demo_config()
    if demo.is_file():
        return demo
    raise ConfigError(
        f"no evaluation to read: set {CONFIG_VARIABLE}=path/to/evaluation.yml, or write an "
        f"{PROJECT_FILE} (evaluation: path/to/evaluation.yml) in {here} or a folder above it."
    )


def _existing(path: Path, given: str) -> Path:
    if not path.is_file():
        raise ConfigError(f"{path} (from {given}): no such file; name an evaluation.yml.")
    return path


def interactive_output_dir(
    config_path: str | Path, notebook: str, period: str = "latest", site: str = "all"
) -> Path:
    """Where a notebook run interactively writes its outputs (outside the repository).

    The nearest :data:`PROJECT_FILE`'s ``outputs:`` folder if it names one, else the user's
    cache folder (``~/.cache/evalkit`` on Linux), then ``interactive/<evaluation folder>/
    <period>/<site>/<notebook>``. Every page of one evaluation, period and site writes beside
    the others, so the summary reads the key figures they recorded.

    Examples
    --------
    >>> path = interactive_output_dir("/work/lw/evaluation.yml", "05_summary", "2026-Q2")
    >>> path.parts[-5:]
    ('interactive', 'lw', '2026-Q2', 'all', '05_summary')
    """
    project = _project_file(Path.cwd())
    outputs = _read_project(project).outputs if project is not None else None
    if outputs:
        assert project is not None
        base = (project.parent / Path(outputs).expanduser()).resolve()
    else:
        base = Path(platformdirs.user_cache_dir("evalkit")) / "interactive"
    evaluation = Path(config_path).resolve().parent.name or "evaluation"
    folder = re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-") or "all"
    return base / evaluation / period / folder / notebook


def notebook_paths(
    notebook: str,
    config_path: str = "",
    output_dir: str = "",
    period: str = "latest",
    site: str = "all",
) -> tuple[str, str]:
    """A notebook's ``config_path`` and ``output_dir``, found when left at their defaults.

    The report passes both, and they are returned as given. A notebook opened in JupyterLab
    leaves them empty: the evaluation is :func:`find_evaluation`'s and the output folder
    :func:`interactive_output_dir`'s (created).

    Parameters
    ----------
    notebook : str
        The notebook's name, e.g. ``"00_data_quality"``.
    config_path, output_dir : str
        The parameters as the parameters cell (or papermill) set them.
    period, site : str
        The report parameters, naming the interactive output folder.

    Returns
    -------
    (str, str)
        The evaluation.yml and the output folder.

    Examples
    --------
    >>> notebook_paths("00_data_quality", "/e/evaluation.yml", "/out/00_data_quality")
    ('/e/evaluation.yml', '/out/00_data_quality')
    """
    config = config_path or str(find_evaluation())
    if output_dir:
        return config, output_dir
    folder = interactive_output_dir(config, notebook, period, site)
    folder.mkdir(parents=True, exist_ok=True)
    return config, str(folder)
