import os

import pytest

from tests.fakes.fixtures import fake_model  # noqa: F401  (the loopback model server)
from tests.helpers import GIT_ENV, copy_example

os.environ.update(GIT_ENV)


@pytest.fixture
def example_repo(tmp_path):
    """A fresh git repository holding a copy of examples/analytics-stack."""
    return copy_example(tmp_path / "analytics-stack")
