#!/usr/bin/env python3
"""Turn a callgrind profile of aic-proxy into the linker script that lays its executed code out
contiguously (src/app/hot-text.ld). Why: docs/architecture.md, "Executed code is laid out
together".

Usage: order.py BINARY LINK_MAP OUT.ld CALLGRIND_OUT...

Sections are listed in the order of the profiles that first ran them (collect gives the dump
taken at the end of start-up first), by name within one profile, so a regenerated list diffs
cleanly.

BINARY must be the file callgrind ran and LINK_MAP the map its link wrote (-Map). An address is
attributed to the input section (archive member + section name) that the map places around it;
every section with at least one executed instruction is hot. The script names each hot section
the way the linker sees it: `*(.text.<symbol>)` where -ffunction-sections gives a function its
own section, `*<archive>:<member>(.text)` where the whole object is one section (OpenSSL's)."""
import bisect
import collections
import os
import re
import subprocess
import sys

GENERIC = {".text", ".text.unlikely", ".text.startup", ".text.hot", ".text.exit"}


def function_addresses(binary):
    symbols = {}
    nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            symbols[parts[2]] = int(parts[0], 16)
    return symbols


def executed_addresses(binary, profile, symbols):
    """Instruction addresses of BINARY that callgrind saw run (--dump-instr=yes), as link-time
    addresses. Valgrind takes only the .text section for the binary's code, so what runs in
    .text.hot_ordered (the previous layout) shows under the object "???" and at run-time
    addresses. Each object's offset is measured: the most common difference between a
    function's lowest executed address and its address in the symbol table. Only functions the
    binary defines (SYMBOLS: name -> address) count, so other unknown code under "???" is left
    out."""
    runs = collections.defaultdict(lambda: collections.defaultdict(set))  # object -> fn -> addresses
    obj, fn = None, None
    with open(profile) as f:
        for line in f:
            if line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif obj in (binary, "???") and fn in symbols and line.startswith("0x"):
                runs[obj][fn].add(int(line.split()[0], 16))
    addresses = set()
    for obj, functions in runs.items():
        offsets = collections.Counter(min(a) - symbols[fn] for fn, a in functions.items())
        offset, agreeing = offsets.most_common(1)[0]
        if agreeing * 2 < len(functions):
            sys.exit(f"{binary} under {obj}: no load offset that most functions agree on")
        for fn, a in functions.items():
            addresses |= {x - offset for x in a}
    return addresses


def text_input_sections(link_map):
    """(address, size, section, object) of every code input section the map places."""
    sections = []
    pending = None  # GNU ld wraps a long section name onto its own line
    row = re.compile(r"^ (\.text\S*)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)")
    with open(link_map) as f:
        for line in f:
            name_only = re.match(r"^ (\.text\S*)\s*$", line)
            if name_only:
                pending = name_only.group(1)
                continue
            m = row.match(line)
            if m and (m.group(1) or pending):
                address, size = int(m.group(2), 16), int(m.group(3), 16)
                if address and size:
                    sections.append((address, size, m.group(1) or pending, m.group(4)))
            pending = None
    sections.sort()
    return sections


def pattern(section, obj):
    if section not in GENERIC:
        return f"*({section})"
    if "(" in obj:  # archive(member)
        archive, member = obj[:-1].split("(", 1)
        return f"*{archive.rsplit('/', 1)[-1]}:{member}({section})"
    return f"*{obj.rsplit('/', 1)[-1]}({section})"


def layout(sections, executed):
    """Patterns to list, one list per profile in EXECUTED (sets of link-time addresses), each
    section under the first profile that ran it, and the bytes of code that ran."""
    starts = [s[0] for s in sections]
    tier_of = {}  # section index -> first profile in which it ran
    for tier, addresses in enumerate(executed):
        for address in addresses:
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and address < starts[i] + sections[i][1]:
                tier_of.setdefault(i, tier)
    tiers, listed = [], set()
    for tier in range(len(executed)):
        patterns = {pattern(sections[i][2], sections[i][3]) for i, t in tier_of.items() if t == tier}
        tiers.append(sorted(patterns - listed))
        listed |= patterns
    return tiers, sum(sections[i][1] for i in tier_of)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    binary, link_map, out, profiles = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    sections = text_input_sections(link_map)
    symbols = function_addresses(binary)
    tiers, hot_bytes = layout(sections, [executed_addresses(binary, p, symbols) for p in profiles])
    if not hot_bytes:
        sys.exit(f"no executed address of {binary} falls in a code section of {link_map}")
    with open(out, "w") as f:
        f.write("/* Generated by tools/hot-text/collect; do not edit (rerun it instead).\n")
        f.write("   The code aic-proxy ran in the collect scenario, laid out ahead of the rest of\n")
        f.write("   .text: docs/architecture.md, \"Executed code is laid out together\".\n")
        f.write(f"   hot-bytes: {hot_bytes} */\n")
        f.write("SECTIONS\n{\n  .text.hot_ordered :\n  {\n")
        for profile, patterns in zip(profiles, tiers):
            f.write(f"    /* {os.path.basename(profile)} */\n")
            f.writelines(f"    {p}\n" for p in patterns)
        f.write("  }\n}\nINSERT BEFORE .text;\n")
    print(f"{out}: {sum(map(len, tiers))} sections ({' + '.join(str(len(t)) for t in tiers)} by "
          f"profile), {hot_bytes / 1024:.0f} KiB of the {sum(s[1] for s in sections) / 1024:.0f} "
          f"KiB of code ran")


if __name__ == "__main__":
    main()
