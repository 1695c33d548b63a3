"""`make bench` / `python -m bench [name ...]`: run the benchmarks on PostgreSQL.

Creates a fresh benchmark database (see bench/common.py) for each benchmark,
migrates it, runs every benchmark module of this package (a module with a
``run(size=None) -> list[dict]`` function, a ``TITLE``, optional ``NOTES`` and a
``SIZES`` table; add a file to add a benchmark), prints each table and writes it
as a section of bench/RESULTS.md. A section is replaced when its benchmark runs
again; the other sections are kept.

A benchmark that fails (an error, a wrong result its own checks catch, even a
module that no longer imports) is reported with its traceback and the others
still run; its section of RESULTS.md keeps the previous figures. At the end the
failed ones are named and the exit status is 1.

BENCH_SIZE=tiny runs every benchmark at its tiny size (seconds each) and writes
nothing to RESULTS.md: a quick check that they all still work.
"""

import importlib
import pkgutil
import re
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

import bench
from bench import common

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (`python -m bench`); each section is replaced when its benchmark runs again.\n"
    "Figures depend on the machine: compare runs on the same machine only.\n"
)


def module_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def load(name: str):
    """The module bench.<name> if it is a benchmark (it has ``run``), else None (a helper such as
    common or data). Imports it, so Django must be set up first."""
    module = importlib.import_module(f"bench.{name}")
    return module if callable(getattr(module, "run", None)) else None


def section(name: str, module, rows: list[dict], facts: dict, seconds: float) -> str:
    machine = " · ".join(f"{k} {v}" for k, v in facts.items())
    notes = getattr(module, "NOTES", "")
    return (
        f"<!-- bench:{name} -->\n## {module.TITLE}\n\n"
        f"Run {datetime.now():%Y-%m-%d %H:%M} · {machine} · took {seconds:.0f} s\n\n"
        f"{common.markdown_table(rows)}\n" + (f"\n{notes}\n" if notes else "") + f"<!-- /bench:{name} -->\n"
    )


def write_results(sections: dict[str, str]) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    for name, body in sections.items():
        pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->\n?", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _: body, text)
        else:
            text = text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text)


def main(argv: list[str]) -> None:
    unknown = set(argv) - set(module_names())
    if unknown:  # before dropping anything
        raise common.BenchError(f"No such benchmark: {', '.join(sorted(unknown))}")
    size = common.size_name()
    url = common.bench_url()
    print(f"Benchmark database: {url} (dropped and created); size {size}")
    common.recreate_database(url)
    common.setup_django(url)
    facts = common.machine_facts()
    ran, failed, written = [], [], []
    for name in module_names():
        if argv and name not in argv:
            continue
        start = time.perf_counter()
        try:
            module = load(name)
            if module is None:
                if argv:
                    raise common.BenchError(f"bench/{name}.py has no run(): not a benchmark")
                continue
            if ran:
                common.fresh_database(url)
            ran.append(name)
            print(f"\n== {name}: {module.TITLE}")
            rows = module.run(size)
        except (Exception, common.BenchError):  # not KeyboardInterrupt: Ctrl+C stops the suite
            traceback.print_exc()
            print(f"\n== {name}: FAILED after {time.perf_counter() - start:.0f} s (see above); going on", flush=True)
            failed.append(name)
            continue
        body = section(name, module, rows, facts, time.perf_counter() - start)
        print(body)
        if size == "full":
            write_results({name: body})  # at once: finished sections stay even if a later one fails
            written.append(name)
    if size != "full":
        print(f"Size {size}: nothing written to {RESULTS}")
    elif written:
        print(f"Written to {RESULTS}: {', '.join(written)}")
    if failed:
        raise common.BenchError(f"FAILED: {', '.join(failed)} ({len(failed)} of {len(set(ran) | set(failed))} "
                                f"benchmarks; their sections of RESULTS.md were not replaced)")


if __name__ == "__main__":
    main(sys.argv[1:])
