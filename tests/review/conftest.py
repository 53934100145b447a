# corpus/ is review material (a small project with planted findings), not tests to run.
collect_ignore_glob = ["corpus/*"]
