#!/usr/bin/env python3
"""The shipped build's two memory promises (docs/architecture.md):

1. "The release build links its libraries in": the binary needs glibc and nothing else. Any
   other shared library (libm came back once through std::to_chars(double)) costs resident
   memory in every start.
2. "Executed code is laid out together": the linker script src/app/hot-text.ld still finds
   the code it lists. When functions are renamed or moved, its patterns stop matching and the
   executed code spreads over .text again, which no other test would notice.

Usage: check_release_layout.py BINARY LINK_MAP HOT_TEXT_LD"""
import platform
import re
import subprocess
import sys

GLIBC = re.compile(r"libc\.so\.6|ld-linux[-\w]*\.so\.\d")  # the C library and the dynamic loader
MIN_COVERAGE = 0.8  # of the executed code that hot-text.ld listed when it was generated
MAX_UNMATCHED = 0.15  # of its patterns; OpenSSL's objects keep the bytes up when ours are renamed


def hot_section_patterns(link_map_text):
    """(patterns, patterns that matched no input section) of .text.hot_ordered in a GNU ld map,
    where each pattern line (' *(...)') is followed by the input sections it placed."""
    lines = link_map_text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(".text.hot_ordered")), None)
    if start is None:
        return 0, 0
    patterns = unmatched = 0
    placed = True
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break  # the next output section
        if re.match(r"^ \*(?!fill\*)\S*\(", line):
            unmatched += not placed
            patterns += 1
            placed = False
        elif line.startswith(" .text"):
            placed = True
    return patterns, unmatched + (not placed)


def main():
    binary, link_map, hot_text = sys.argv[1:4]
    failures = []

    dynamic = subprocess.run(["readelf", "-dW", binary], capture_output=True, text=True, check=True)
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", dynamic.stdout))
    if not needed:
        failures.append(f"{binary}: no NEEDED entries read (is it the release build?)")
    for lib in sorted(lib for lib in needed if not GLIBC.fullmatch(lib)):
        failures.append(f"{binary} needs {lib}; the release build links everything but glibc in")

    recorded = re.search(r"hot-bytes: (\d+)", open(hot_text).read())
    if not recorded:
        failures.append(f"{hot_text}: no 'hot-bytes:' line; regenerate it with tools/hot-text/collect")
    map_text = open(link_map).read()
    placed = re.search(r"^\.text\.hot_ordered\s+0x[0-9a-f]+\s+0x([0-9a-f]+)", map_text, re.M)
    if not placed:
        failures.append(f"{link_map}: no .text.hot_ordered output section; is {hot_text} linked?")
    if recorded and placed and platform.machine() != "x86_64":
        # The list was collected on x86_64; elsewhere OpenSSL's assembler objects have other names.
        print(f"hot text: not checked on {platform.machine()} (the list names x86_64 objects)")
    elif recorded and placed:
        listed, found = int(recorded.group(1)), int(placed.group(1), 16)
        print(f"hot text: {found} bytes placed, {listed} listed ({found / listed:.0%})")
        patterns, unmatched = hot_section_patterns(map_text)
        print(f"hot text: {unmatched} of {patterns} patterns match nothing")
        if found < MIN_COVERAGE * listed or unmatched > MAX_UNMATCHED * patterns:
            failures.append(f"{hot_text} has gone stale: it places {found} of the {listed} bytes of "
                            f"code it listed, and {unmatched} of its {patterns} patterns match "
                            f"nothing; rerun tools/hot-text/collect and commit the result")

    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("OK: needs only", " ".join(sorted(needed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
