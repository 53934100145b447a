"""Where accepted events go. An in-memory store; production swaps in a queue writer."""

from collections import deque
from threading import Lock

from ingest.models import Event


class EventStore:
    def __init__(self, capacity: int = 10_000) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._lock = Lock()

    def add_many(self, events: list[Event]) -> int:
        with self._lock:
            self._events.extend(events)
        return len(events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


store = EventStore()
