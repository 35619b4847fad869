"""python -m bench [name ...] — run every benchmark module (bench/*.py with main()), or the named ones.

Each benchmark runs in its own interpreter, so one that sets up Django (or crashes)
cannot leak settings or state into the next.
"""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    names = []
    for info in pkgutil.iter_modules([str(HERE)]):
        if info.name.startswith("_"):
            continue
        source = (HERE / f"{info.name}.py").read_text()
        if "\ndef main(" in source:  # checked without importing: modules set up Django on import-time env
            names.append(info.name)
    return sorted(names)


def run_one(name: str) -> int:
    module = importlib.import_module(f"bench.{name}")
    result = module.main()
    return result if isinstance(result, int) else 0


def main(argv: list[str]) -> int:
    names = available()
    if argv in (["-h"], ["--help"]):
        print(__doc__.strip())
        print("benchmarks:", ", ".join(names))
        return 0
    unknown = [n for n in argv if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    if len(argv) == 1:
        return run_one(argv[0])
    status = 0
    for name in argv or names:
        print(f"=== bench {name}", flush=True)
        status |= subprocess.run([sys.executable, "-m", "bench", name], cwd=HERE.parent).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
