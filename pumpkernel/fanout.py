"""Fan a function out over items: in this process, in local worker processes, or on a Dask cluster.

Theory of operation
-------------------
``fan_out(fn, items, processes=..., dask_address=...)`` returns
``[fn(item) for item in items]``, in input order, computed one of three ways:

* ``processes=1``: here, one after the other (no pool, nothing pickled);
* otherwise, without ``dask_address``: a ``ProcessPoolExecutor`` of
  ``processes`` workers (default: ``os.cpu_count()``);
* with ``dask_address`` (``tcp://host:8786``): a ``dask.distributed.Client``
  connected to that scheduler submits one task per item (``pure=False``:
  every item runs, none is taken from a cache) and gathers the results; the
  client is closed afterwards, the cluster is left running.  Dask is imported
  only on this path (the ``dist`` extra); without an address it is never
  imported.

``fn`` and the items must pickle (a module-level function and plain data) for
the two parallel ways, and ``fn`` must be deterministic in its item for the
three ways to agree: the callers (``pumpkernel simulate``, the deep
hostile-event runs) seed every random draw from the item.  ``on_done(index)``
is called in this process as each result arrives (progress bars), in
completion order.  An exception in ``fn`` is raised here: at the failing item
for the serial way, as the failed result arrives for the parallel ways.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def fan_out(
    fn: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    processes: int | None = None,
    dask_address: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[Result]:
    """``[fn(item) for item in items]`` in input order (see module docstring)."""
    done = on_done or (lambda index: None)
    if dask_address is not None:
        return _on_dask(fn, items, dask_address, done)
    workers = max(1, processes if processes is not None else os.cpu_count() or 1)
    if workers == 1 or len(items) <= 1:
        results = []
        for index, item in enumerate(items):
            results.append(fn(item))
            done(index)
        return results
    slots: list[Any] = [None] * len(items)
    with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures: dict[Future[Result], int] = {pool.submit(fn, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            slots[index] = future.result()
            done(index)
    return slots


def _on_dask(
    fn: Callable[[Item], Result], items: Sequence[Item], address: str, done: Callable[[int], None]
) -> list[Result]:
    import importlib

    distributed: Any = importlib.import_module("dask.distributed")
    client = distributed.Client(address)
    try:
        futures = client.map(fn, list(items), pure=False)
        index_of = {future.key: index for index, future in enumerate(futures)}
        slots: list[Any] = [None] * len(items)
        for future in distributed.as_completed(futures):
            index = index_of[future.key]
            slots[index] = future.result()
            done(index)
        return slots
    finally:
        client.close()
