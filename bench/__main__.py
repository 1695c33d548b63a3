"""`make bench` / `python -m bench [name ...]`: run the benchmarks on PostgreSQL.

Creates a fresh benchmark database (see bench/common.py) for each benchmark,
migrates it, runs every benchmark module of this package (a module with a ``run() -> list[dict]``
function, a ``TITLE`` and optional ``NOTES``; add a file to add a benchmark),
prints each table and writes it as a section of bench/RESULTS.md. A section is
replaced when its benchmark runs again; the other sections are kept.
"""

import importlib
import pkgutil
import re
import sys
import time
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


def discover(wanted: list[str]):
    """The benchmark modules in alphabetical order (all, or those named on the command line).
    Imports them, so Django must be set up first."""
    modules = [importlib.import_module(f"bench.{name}") for name in module_names() if not wanted or name in wanted]
    modules = [m for m in modules if callable(getattr(m, "run", None))]
    unknown = set(wanted) - {m.__name__.rsplit(".", 1)[1] for m in modules}
    if unknown:
        raise common.BenchError(f"No such benchmark: {', '.join(sorted(unknown))}")
    return modules


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
    url = common.bench_url()
    print(f"Benchmark database: {url} (dropped and created)")
    common.recreate_database(url)
    common.setup_django(url)
    modules = discover(argv)
    facts = common.machine_facts()
    sections = {}
    for index, module in enumerate(modules):
        name = module.__name__.rsplit(".", 1)[1]
        if index:
            common.fresh_database(url)
        print(f"\n== {name}: {module.TITLE}")
        start = time.perf_counter()
        rows = module.run()
        sections[name] = section(name, module, rows, facts, time.perf_counter() - start)
        print(sections[name])
        write_results({name: sections[name]})  # keep finished sections even if a later one fails
    print(f"Written to {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
