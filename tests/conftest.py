import os

import pytest
from hypothesis import settings

from tests.fakes.fixtures import fake_model  # noqa: F401  (the loopback model server)
from tests.helpers import GIT_ENV, copy_example

os.environ.update(GIT_ENV)

# In CI the property tests run the same examples every time (a red build is a change's doing, not
# the dice's); elsewhere they explore, and SURGEON_PROPERTY_SCALE runs more of them.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def example_repo(tmp_path):
    """A fresh git repository holding a copy of examples/analytics-stack."""
    return copy_example(tmp_path / "analytics-stack")
