"""Index writers for large builds: a compressed posting pool, and a Whoosh
multi-process writer that can be interrupted, cancelled or killed safely.

Whoosh sorts postings in memory and spills sorted "runs" of pickled postings to
disk; a 100k-page build left several gigabytes of runs (7× the corpus). Runs are
written zlib-compressed here (level 1: cheap), which shrinks them several-fold.

Whoosh's MpWriter builds one segment per process (≈1.8× faster on two cores), but:
its ``cancel()`` only flags the parent's copies of the child processes, which then
wait on their job queue forever (the CLI would hang at exit); Ctrl-C reaches the
children, which print tracebacks; and if the parent is killed (kill -9), the
children are orphaned and wait forever. Here each child ignores SIGINT (the parent
handles Ctrl-C), asks the kernel to kill it when its parent dies (Linux), and
``cancel()`` terminates the children. A child that fails (a full disk) exits
quietly with the error number as its status; the parent notices it (instead of
waiting forever for it to take work, or committing without its documents) and
raises the error once.
"""

from __future__ import annotations

import ctypes
import errno
import os
import pickle
import queue
import signal
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any

from whoosh import writing
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import PostingPool, SegmentWriter

PROCS = min(2, os.cpu_count() or 1)
LIMIT_MB = 48  # each child's in-memory posting pool before it spills sorted runs
BATCH = 100  # documents handed to a child at a time
DEBUG_ENV = "FOCAL_SEARCH_DEBUG"  # as in cli.py: show a failing child's traceback
_PR_SET_PDEATHSIG = 1
_RUN_CHUNK = 4096  # postings pickled per compressed block


class CompressedPool(PostingPool):  # type: ignore[misc]  # whoosh is untyped here
    """Whoosh's posting pool with zlib-compressed runs (blocks of pickled postings)."""

    def _write_run(self, f: IO[bytes], items: Iterable[Any]) -> None:
        block: list[Any] = []
        try:
            for item in items:
                block.append(item)
                if len(block) >= _RUN_CHUNK:
                    _write_block(f, block)
                    block = []
            if block:
                _write_block(f, block)
        finally:
            f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                header = f.read(4)
                if len(header) < 4:
                    return
                size = int.from_bytes(header, "little")
                yield from pickle.loads(zlib.decompress(f.read(size)))
        finally:
            f.close()
            self._remove_run(path)


class CompressedSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's writer with the compressed pool (its ``poolclass`` argument is ignored)."""

    def __init__(self, ix: Any, limitmb: int = 128, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = CompressedPool(self._tempstorage, self.newsegment, limitmb=limitmb)


def _write_block(f: IO[bytes], block: list[Any]) -> None:
    data = zlib.compress(pickle.dumps(block, 2), 1)
    f.write(len(data).to_bytes(4, "little"))
    f.write(data)


class _ChildTask(SubWriterTask):  # type: ignore[misc]  # whoosh is untyped here
    parent_pid = 0

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent(self.parent_pid)
        # This is the child process: the sub-writer Whoosh builds here gets the
        # compressed pool (the name is looked up when the writer is created).
        writing.PostingPool = CompressedPool
        try:
            super().run()
        except Exception as err:  # reported once, by the parent (_check_children)
            if os.environ.get(DEBUG_ENV):
                raise
            code = getattr(err, "errno", None)
            sys.exit(code if isinstance(code, int) and 0 < code < 255 else 255)


def _check_children(tasks: list[Any]) -> None:
    """Raise the error of a child that has failed (its status is the error number)."""
    for task in tasks:
        code = task.exitcode
        if code is None or code == 0:
            continue
        if code < 0:
            raise OSError(errno.EIO, f"an indexing process was killed (signal {-code})")
        if code in errno.errorcode:
            raise OSError(code, os.strerror(code))
        raise OSError(errno.EIO, f"an indexing process failed (status {code})")


class _WatchedQueue:
    """The parent's end of the job queue: a put that gives up, with the child's error,
    when a child has died (nobody would ever take the job)."""

    def __init__(self, jobs: Any, tasks: list[Any]) -> None:
        self.jobs = jobs
        self.tasks = tasks

    def put(self, item: Any) -> None:
        while True:
            try:
                self.jobs.put(item, timeout=0.5)
                return
            except queue.Full:
                _check_children(self.tasks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jobs, name)


def _die_with_parent(parent_pid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: cancel() and normal exits still clean up
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


class InterruptibleMpWriter(MpWriter):  # type: ignore[misc]
    jobqueue: Any

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._jobs = self.jobqueue  # what the children read from
        self.jobqueue = _WatchedQueue(self._jobs, self.tasks)

    def _new_task(self) -> Any:
        task = _ChildTask(
            self.storage,
            self.indexname,
            self._jobs,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task.parent_pid = os.getpid()
        self.tasks.append(task)
        task.start()
        return task

    def _commit_toc(self, segments: Any) -> None:
        # Whoosh would commit without the segments of children that failed.
        _check_children(self.tasks)
        super()._commit_toc(segments)

    def cancel(self) -> None:
        # Stop the children first: Whoosh's cancel removes the temporary files a
        # child may still be reading, which made it die with a traceback. Their queued
        # jobs are abandoned: without cancel_join_thread, exit would block flushing
        # them into a pipe nobody reads.
        self.jobqueue.cancel_join_thread()
        self.resultqueue.cancel_join_thread()
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join(timeout=10)
        finally:
            super().cancel()


def parallel_writer(ix: Any) -> Any:
    """A writer indexing in ``PROCS`` processes, leaving one segment per process."""
    return InterruptibleMpWriter(
        ix, procs=PROCS, batchsize=BATCH, multisegment=True, limitmb=LIMIT_MB
    )
