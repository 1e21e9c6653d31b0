#!/usr/bin/env python3
"""Mutation testing of shardsim's test suite: one change at a time to product
code, rebuild, run the tests that should notice, count the mutants killed.

  python3 tests/mutate/mutate.py [--check] [--only ID,...] [--build DIR] [--keep]

Mutants are listed in tests/mutate/mutants.txt (format there). The source tree
is copied (git ls-files) into a scratch directory, built once, then each
mutant is applied to the copy, rebuilt incrementally, its CTest regex run
(timeout 600 s), and the file restored: the working tree is never touched.
A mutant is killed when the build fails or any selected test fails.
--check only verifies that every mutant's original text occurs exactly once
(exit 1 naming the stale ones). Prints one line per mutant and the score
("mutation score: K/N killed (P %)"); exit 0 when every mutant applied.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse(path):
    """Blocks separated by lines '---'; fields 'key: value'; 'from:'/'to:'
    may span lines up to the next key (a literal, no escapes)."""
    muts, cur, key = [], {}, None
    for raw in open(path, encoding="utf-8").read().split("\n"):
        if raw.startswith("#") and key not in ("from", "to"):
            continue
        if raw.strip() == "---":
            if cur:
                muts.append(cur)
            cur, key = {}, None
            continue
        head = raw.split(":", 1)[0]
        if head in ("id", "file", "tests", "why", "from", "to") and ":" in raw:
            key = head
            val = raw.split(":", 1)[1]
            cur[key] = val[1:] if val.startswith(" ") else val
        elif key in ("from", "to"):
            cur[key] += "\n" + raw
        elif raw.strip():
            sys.exit(f"{path}: unexpected line: {raw!r}")
    if cur:
        muts.append(cur)
    for m in muts:
        for k in ("id", "file", "tests", "from", "to"):
            if k not in m:
                sys.exit(f"{path}: mutant {m.get('id', '?')}: missing '{k}:'")
        for k in ("from", "to"):
            m[k] = m[k].rstrip("\n")
    return muts


def check(muts, root):
    stale = []
    for m in muts:
        p = os.path.join(root, m["file"])
        n = open(p, encoding="utf-8").read().count(m["from"]) if os.path.exists(p) else 0
        if n != 1:
            stale.append(f"{m['id']}: {m['file']}: original text found {n} times (want 1)")
    return stale


def run(cmd, cwd, timeout=None):
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode
    except subprocess.TimeoutExpired:
        return -1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    ap.add_argument("--jobs", default="2")
    a = ap.parse_args()
    muts = parse(os.path.join(HERE, "mutants.txt"))
    if a.only:
        want = set(a.only.split(","))
        muts = [m for m in muts if m["id"] in want]
    stale = check(muts, ROOT)
    if stale:
        print("\n".join(stale), file=sys.stderr)
        return 1
    ids = [m["id"] for m in muts]
    if len(set(ids)) != len(ids):
        sys.exit("mutants.txt: duplicate ids")
    if a.check:
        folders = sorted({m["file"].split("/")[0] for m in muts})
        print(f"{len(muts)} mutants apply, in {len(folders)} folders: {' '.join(folders)}")
        return 0
    scratch = tempfile.mkdtemp(prefix="ss-mutate-")
    # the copy must see ../shared like the tree does
    src = os.path.join(scratch, "src")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        d = os.path.join(src, os.path.dirname(f))
        os.makedirs(d, exist_ok=True)
        if os.path.isfile(os.path.join(ROOT, f)):
            shutil.copy2(os.path.join(ROOT, f), os.path.join(src, f))
    os.symlink(os.path.join(os.path.dirname(ROOT), "shared"), os.path.join(scratch, "shared"))
    build = os.path.join(src, "build")
    t0 = time.time()
    if run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], src) or \
       run(["cmake", "--build", build, "-j", a.jobs], src):
        sys.exit("mutate: the unmutated tree does not build")
    killed, survivors = 0, []
    for m in muts:
        p = os.path.join(src, m["file"])
        orig = open(p, encoding="utf-8").read()
        open(p, "w", encoding="utf-8").write(orig.replace(m["from"], m["to"], 1))
        if run(["cmake", "--build", build, "-j", a.jobs], src):
            verdict = "killed (build)"
        else:
            rc = run(["ctest", "-j", a.jobs, "-R", m["tests"], "--timeout", "600"], build,
                     timeout=1800)
            verdict = "killed" if rc != 0 else "SURVIVED"
        open(p, "w", encoding="utf-8").write(orig)
        os.utime(p)  # newer than the mutant's objects: the next build recompiles it
        if verdict.startswith("killed"):
            killed += 1
        else:
            survivors.append(m["id"])
        print(f"{m['id']:<28} {m['file']:<34} {verdict}", flush=True)
    n = len(muts)
    print(f"mutation score: {killed}/{n} killed ({100.0 * killed / n:.1f} %) in "
          f"{time.time() - t0:.0f} s")
    if survivors:
        print("survivors: " + " ".join(survivors))
    if not a.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
