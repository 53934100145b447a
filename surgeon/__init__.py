"""surgeon: a minimal-diff code editing agent."""

import time

__version__ = "0.1.0"
STARTED = time.perf_counter()  # when the process began loading surgeon: an edit's timings count from here
