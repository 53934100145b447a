"""Which model edits this repository best, measured on its own history: recent small commits become
tasks, each model runs the real edit loop on each in a throwaway worktree, and the results are scored,
ranked and kept in .git/surgeon/bench/.

    from surgeon.bench import Bench, BenchOptions
"""

from surgeon.bench.run import Bench, BenchOptions, default_models
from surgeon.bench.tasks import Task, pick_tasks

__all__ = ["Bench", "BenchOptions", "Task", "default_models", "pick_tasks"]
