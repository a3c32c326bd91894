#!/usr/bin/env python3
"""Static checks on docker/Dockerfile: the stages (bookworm build, bookworm-slim runtime last),
a non-root USER and a HEALTHCHECK in the final image, the entrypoint, COPY sources that exist,
and every apt-get package name resolvable with `apt-cache show` on this Debian 12 machine.
With --binary, the runtime stage must also install (directly or as a dependency) the Debian package
of every shared library the built binary links. CI proves the build steps themselves by building
the same preset. Usage: check_dockerfile.py DOCKERFILE [--binary AIC_PROXY]"""
import os
import re
import shlex
import shutil
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def instructions(path):
    """(KEYWORD, args) pairs with continuation lines joined and comments dropped."""
    out, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.lstrip().startswith("#"):  # comment inside a continued instruction
                continue
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            current += line
            keyword, _, args = current.strip().partition(" ")
            out.append((keyword.upper(), args.strip()))
            current = ""
    return out


def apt_packages(run_args):
    """Package names from `apt-get install ...` inside one RUN's shell text."""
    pkgs = []
    for cmd in re.split(r"&&|;|\|\|", run_args):
        words = shlex.split(cmd)
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            after = words[words.index("install") + 1:]
            pkgs += [w for w in after if not w.startswith("-")]
    return pkgs


# In every debian:bookworm-slim image (apt itself needs them).
SLIM_BASE = {"libc6", "libstdc++6", "libgcc-s1"}


def package_of(path):
    real = os.path.realpath(path)
    for candidate in (path, real, "/usr" + path, "/usr" + real):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def linked_packages(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = re.findall(r"=> (/\S+)", out) + re.findall(r"^\s*(/\S+)", out, re.M)
    return {p: package_of(p) for p in paths}


def depends(pkg):
    r = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts",
                        "--no-breaks", "--no-replaces", "--no-enhances", pkg], capture_output=True, text=True)
    return set(re.findall(r"^\s*\|?Depends: (\S+)", r.stdout, re.M))


def main():
    dockerfile = sys.argv[1]
    binary = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--binary" else None
    context = os.path.dirname(os.path.dirname(os.path.abspath(dockerfile)))
    stages = []  # dicts: name, base, ins
    for kw, args in instructions(dockerfile):
        if kw == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"name": name, "base": words[0], "ins": []})
        else:
            check(bool(stages), f"{kw} before the first FROM")
            if stages:
                stages[-1]["ins"].append((kw, args))
    by_name = {s["name"]: s for s in stages if s["name"]}

    def chain(stage):  # the stage and the stages it is built FROM, nearest first
        out = [stage]
        while out[-1]["base"] in by_name:
            out.append(by_name[out[-1]["base"]])
        return out

    def last(stage, kw):
        for s in chain(stage):
            found = [a for k, a in s["ins"] if k == kw]
            if found:
                return found[-1]
        return None

    check(len(stages) >= 2, "not a multi-stage build")
    build = by_name.get("build")
    check(build is not None and build["base"] == "debian:bookworm", "no 'FROM debian:bookworm AS build' stage")
    final = stages[-1]
    check(chain(final)[-1]["base"] == "debian:bookworm-slim", "the final image is not based on debian:bookworm-slim")
    user = last(final, "USER")
    check(user is not None and user.split(":")[0] not in ("0", "root"), f"final image USER is {user!r}, not non-root")
    hc = last(final, "HEALTHCHECK")
    check(hc is not None and "NONE" not in hc.upper() and "/_proxy/healthz" in hc,
          "final image has no HEALTHCHECK on /_proxy/healthz")
    check(last(final, "ENTRYPOINT") == '["aic-proxy"]', "ENTRYPOINT is not [\"aic-proxy\"]")
    cmd = last(final, "CMD") or ""
    check("--config" in cmd, "CMD does not pass --config")
    check("8080" in (last(final, "EXPOSE") or ""), "EXPOSE 8080 missing")
    check("tenant-sim" in by_name, "no tenant-sim target for the compose sim profile")
    if build:
        runs = " ".join(a for k, a in build["ins"] if k == "RUN")
        check("--preset release" in runs, "build stage does not use the release preset")
        check("strip" in runs, "build stage does not strip the binaries")

    # COPY sources from the context must exist (COPY --from copies between stages).
    for s in stages:
        for kw, args in s["ins"]:
            if kw == "COPY" and "--from=" not in args:
                words = args.split()
                for src in words[:-1]:
                    if src != "." and not src.startswith("--"):
                        check(os.path.exists(os.path.join(context, src)), f"COPY source {src} does not exist")

    # Every package name must exist in the Debian 12 archive this machine uses.
    packages = []
    for s in stages:
        for kw, args in s["ins"]:
            if kw == "RUN":
                packages += apt_packages(args)
    check(len(packages) >= 8, f"too few apt-get packages found: {packages}")
    if shutil.which("apt-cache") is None:
        print("SKIP: apt-cache not available to resolve", packages)
        return 77 if not failures else 1
    for p in packages:
        r = subprocess.run(["apt-cache", "show", "--no-all-versions", p], capture_output=True, text=True)
        check(r.returncode == 0 and f"Package: {p}" in r.stdout, f"apt package {p} not found by apt-cache show")

    if binary:
        runtime_pkgs = set()
        for s in chain(final):
            for kw, args in s["ins"]:
                if kw == "RUN":
                    runtime_pkgs |= set(apt_packages(args))
        provided = set(runtime_pkgs) | SLIM_BASE
        for p in runtime_pkgs:
            provided |= depends(p)
        for lib, pkg in linked_packages(binary).items():
            check(pkg is not None, f"{lib}: no Debian package owns it")
            if pkg:
                name = pkg.split(":")[0]
                check(name in provided, f"{lib} comes from {name}, which the runtime stage does not install")

    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("OK:", len(stages), "stages;", len(packages), "packages resolved:", " ".join(packages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
