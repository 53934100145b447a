"""The `unshare` sandbox's inside: run as `unshare --user --map-root-user --mount --net -- python -I
jail.py WORKDIR COMMAND WRITABLE...` (where bwrap is missing). In the new mount namespace it keeps
the WRITABLE folders writable, makes every other mount read-only, brings the loopback interface up (the
namespace has no other network), then becomes `sh -c COMMAND` in WORKDIR.

Standard library only, and nothing from surgeon: it runs under `python -I` in the namespace.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_RELATIME, MS_STRICTATIME = 1 << 21, 1 << 24
# Flags a user namespace may not drop when it remounts: they are kept as they are.
KEPT = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
# Kernel file systems whose files the mapped root cannot write anyway; some refuse a remount.
TOLERATED = ("/proc", "/sys")


def _unescape(path: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def _mount(libc: ctypes.CDLL, source: str | None, target: str, flags: int) -> None:
    src = None if source is None else os.fsencode(source)
    if libc.mount(src, os.fsencode(target), None, flags, None) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), target)


def _mounts() -> list[tuple[str, int]]:
    """(mount point, flags to keep) for every mount, parents first."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            fields = line.split()
            options = fields[5].split(",")
            found.append((_unescape(fields[4]), sum(KEPT.get(o, 0) for o in options)))
    return sorted(found, key=lambda item: item[0].count("/"))


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, 0x8913, request))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))  # SIOCSIFFLAGS, IFF_UP


def main(workdir: str, command: str, writable: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for folder in writable:
        _mount(libc, folder, folder, MS_BIND)  # its own mount, still writable after the others
    for point, kept in _mounts():
        if point in writable:
            continue
        try:
            _mount(libc, None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        except OSError as exc:
            if not point.startswith(TOLERATED):
                raise SystemExit(f"surgeon sandbox: cannot make {point} read-only: {exc.strerror}") from None
    try:
        _loopback_up()
    except OSError:
        pass  # no loopback then: the check still has no network
    os.chdir(workdir)
    os.execv("/bin/sh", ["sh", "-c", command])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
