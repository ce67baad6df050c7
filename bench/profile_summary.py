"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) written by bind_bench --profile.

    python bench/profile_summary.py bench/results/profile-...txt [--top 25] [--match WORD ...]

Prints the share of samples spent in (inclusive) and on (self) each function, so the cost of a
request can be split into its parts without a flame-graph viewer.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*?)(?::(?P<line>\d+))?\)$")


def load(paths: list[Path]) -> list[tuple[list[str], int]]:
    stacks = []
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            stacks.append((stack.split(";"), int(count)))
    return stacks


def name(frame: str) -> str:
    """``func (file)`` without the line number, so one function is one row."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m.group('func')} ({file})"


def _outside(frames: list[str]) -> str:
    """A coarse label for a sample that never reached our code."""
    joined = ";".join(frames)
    for word, label in (("serialize_response", "fastapi: response validation/serialization"),
                        ("solve_dependencies", "fastapi: dependencies"),
                        ("_run_sync_endpoint", "fastapi: endpoint wrapper"),
                        ("WorkerThread.run", "threadpool hand-off"),
                        ("httptools_impl", "uvicorn: HTTP protocol"),
                        ("starlette", "starlette: middleware/routing"),
                        ("fastapi", "fastapi: routing"),
                        ("asyncio", "event loop")):
        if word in joined:
            return label
    return frames[-1] if frames else "?"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--innermost", default="sparkcodes/",
                   help="also attribute each sample to its innermost frame whose file contains "
                        "this (default sparkcodes/: which line of our code the time is under)")
    p.add_argument("--match", nargs="*", default=[],
                   help="also print the inclusive share of frames containing these words")
    args = p.parse_args()
    stacks = load(args.files)
    total = sum(c for _, c in stacks)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        names = [name(f) for f in frames]
        for n in set(names):
            inclusive[n] += count
        own[names[-1]] += count
    print(f"{total} samples")
    print(f"\n-- inclusive (top {args.top})")
    for n, c in inclusive.most_common(args.top):
        print(f"{100 * c / total:6.1f}%  {n}")
    print(f"\n-- self (top {args.top})")
    for n, c in own.most_common(args.top):
        print(f"{100 * c / total:6.1f}%  {n}")
    if args.innermost:
        under: Counter[str] = Counter()
        for frames, count in stacks:
            label = None
            for frame in reversed(frames):
                if args.innermost in frame:
                    label = name(frame)
                    break
            if label is None:
                label = "(none) " + _outside(frames)
            under[label] += count
        print(f"\n-- by innermost frame in {args.innermost!r} (with everything it calls)")
        for n, c in under.most_common(args.top):
            print(f"{100 * c / total:6.1f}%  {n}")
    for word in args.match:
        c = sum(cnt for frames, cnt in stacks if any(word in f for f in frames))
        print(f"\n{100 * c / total:6.1f}%  of samples have a frame matching {word!r}")


if __name__ == "__main__":
    main()
