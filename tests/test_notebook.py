"""notebooks/explore.ipynb runs top to bottom against a fresh crawl, so it never rots."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT
from tests.dataset_builds import demo_dataset

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, monkeypatch_module):
    demo = demo_dataset(tmp_path_factory)
    monkeypatch_module.setenv("QA_DATASET", str(demo))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return demo, notebook


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def outputs(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def test_the_checked_in_notebook_is_valid_and_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code), \
        "clear the notebook's outputs before committing it"


def test_the_notebook_runs_cleanly_on_a_crawled_dataset(executed):
    demo, notebook = executed
    assert not [output for output in outputs(notebook) if output.output_type == "error"]
    stderr = [output.text for output in outputs(notebook) if output.output_type == "stream" and output.name == "stderr"]
    assert not stderr, f"the notebook wrote to stderr: {stderr}"
    assert str(demo.resolve()) in outputs(notebook)[0].text  # it opened the dataset it was given


def test_the_notebook_answers_its_questions_with_plots(executed):
    _, notebook = executed
    plots = [output for output in outputs(notebook) if "image/png" in output.get("data", {})]
    assert len(plots) >= 2
    tables = "\n".join(output["data"].get("text/plain", "") for output in outputs(notebook)
                       if output.output_type == "execute_result")
    for column in ("specialty", "mean_days", "linked_from", "validation"):
        assert column in tables
    linked = next(output.text for output in outputs(notebook)
                  if output.output_type == "stream" and "Similar Q&A" in output.text)
    assert not linked.startswith("0 ")
