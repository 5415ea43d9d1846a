#!/usr/bin/env python3
"""The README and docs/ stay navigable and their examples stay true.

Checks, for README.md, CHANGELOG.md and every Markdown file under docs/, plugins/, packaging/,
sdk/ and tests/:
- every relative link points at a file that exists, and every #anchor at a heading of that
  file (GitHub's anchor rule);
- every maturity date in the README's "Try it" trades that is meant to be accepted lies after
  today, so the demo never shows a rejection it does not announce.
Prints one line per problem (file:line: problem) and exits 1 when there is one.
"""
import datetime
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
problems = []


def slug(title):
    s = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return s.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        found, fence = set(), False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                fence = not fence
            elif not fence and re.match(r"^#{1,6} ", line):
                base, n = slug(line.split(" ", 1)[1]), 0
                while (base if n == 0 else f"{base}-{n}") in found:
                    n += 1
                found.add(base if n == 0 else f"{base}-{n}")
        cache[path] = found
    return cache[path]


def markdown_files():
    files = [root / "README.md", root / "CHANGELOG.md"]
    for folder in ("docs", "plugins", "packaging", "sdk", "tests", "etc"):
        files += sorted((root / folder).rglob("*.md"))
    return [f for f in files if f.is_file() and "node_modules" not in f.parts]


link = re.compile(r"\]\(([^)\s]+)\)")
for md in markdown_files():
    fence = False
    for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            fence = not fence
        if fence:
            continue
        for target in link.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            path_part, _, anchor = target.partition("#")
            dest = (md.parent / path_part).resolve() if path_part else md
            where = f"{md.relative_to(root)}:{number}"
            if not dest.exists():
                problems.append(f"{where}: link to {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}: link to {target}: no heading #{anchor} there")

readme = (root / "README.md").read_text(encoding="utf-8")
try_it = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
today = datetime.date.today()
for block in re.findall(r"```sh\n(.*?)```", try_it, re.S):
    for request in re.split(r"\ncurl ", block):
        if "-> 400" in request:  # announced as rejected
            continue
        for date in re.findall(r'"maturity_date":"(\d{4}-\d{2}-\d{2})"', request):
            if datetime.date.fromisoformat(date) <= today:
                problems.append(f"README.md: Try it: maturity date {date} is not after today "
                                f"({today}): the demo trade would be rejected or expired")

for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
