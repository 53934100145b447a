import os


def prepare(path):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o777)


def protect(path):
    os.chmod(path, 0o640)
