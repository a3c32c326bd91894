#!/usr/bin/env python3
"""Every Catch2 TEST_CASE name must reach ctest whole.

catch_discover_tests hands each name to CMake as a list element, and CMake splits lists at ';'.
A name with a ';' becomes two tests whose filters match nothing, and ctest reports them Passed
without running a line: one such test failed for a session unnoticed. Names must not carry ';'.

Usage: check_test_names.py SOURCE_DIR"""
import pathlib
import re
import sys

# TEST_CASE( then one or more adjacent string literals (a name may be split over lines).
NAME = re.compile(r'\bTEST_CASE\s*\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def names(text):
    for m in NAME.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield line, "".join(LITERAL.findall(m.group(1)))


def main():
    root = pathlib.Path(sys.argv[1]) / "tests"
    bad, seen = [], 0
    for path in sorted(root.rglob("*.cpp")):
        for line, name in names(path.read_text(encoding="utf-8")):
            seen += 1
            if ";" in name:
                bad.append(f"{path.relative_to(root.parent)}:{line}: {name}")
    if seen == 0:
        print("no TEST_CASE found: is the path right?", file=sys.stderr)
        return 1
    for b in bad:
        print(f"';' in a test name (ctest would split it and run nothing): {b}", file=sys.stderr)
    print(f"{seen} test names checked, {len(bad)} with ';'")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
