#!/usr/bin/env python3
"""Prints the shell commands of one install block of README.md, so tests run what the README
says rather than a copy of it that could drift.

A block is the first ```sh fence after a line starting with `<!-- install:NAME`. Backslash
continuations are joined: one command per output line.

Usage: readme_install.py NAME [README]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def commands(name, readme=os.path.join(HERE, "..", "..", "README.md")):
    text = open(readme).read()
    marker = re.search(r"^<!-- install:" + re.escape(name) + r"\b.*$", text, re.M)
    if not marker:
        raise ValueError(f"README has no <!-- install:{name} --> block")
    fence = re.compile(r"^```sh\n(.*?)^```$", re.M | re.S).search(text, marker.end())
    if not fence:
        raise ValueError(f"README's install:{name} marker is not followed by a ```sh block")
    joined = re.sub(r"\\\n\s*", "", fence.group(1))
    return [line.strip() for line in joined.splitlines() if line.strip()]


if __name__ == "__main__":
    try:
        for command in commands(*sys.argv[1:]):
            print(command)
    except (ValueError, TypeError) as e:
        print(f"readme_install: {e}", file=sys.stderr)
        sys.exit(1)
