#!/usr/bin/env python3
"""Writes the scaffold benchmark's template in two equivalent forms (deterministic, seeded):

    OUT/platform/       a platform template: template.json + FILES files, {{name}} placeholders
    OUT/cookiecutter/   the same files for cookiecutter: cookiecutter.json + {{cookiecutter.name}}/...

Both render to the same tree for the name "bench". Usage: make-template.py OUT [--files N] [--bytes N]
"""
import argparse
import json
import os
import random

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu service "
         "request handler config deploy release metrics health status").split()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--bytes", type=int, default=10_000_000)
    args = parser.parse_args()
    rng = random.Random(1000)
    per_file = args.bytes // args.files
    platform_root = os.path.join(args.out, "platform")
    cookie_root = os.path.join(args.out, "cookiecutter")
    os.makedirs(platform_root, exist_ok=True)
    os.makedirs(os.path.join(cookie_root, "{{cookiecutter.name}}"), exist_ok=True)
    with open(os.path.join(platform_root, "template.json"), "w") as f:
        json.dump({"description": "benchmark template: %d files, %d bytes" % (args.files, args.bytes)}, f)
    with open(os.path.join(cookie_root, "cookiecutter.json"), "w") as f:
        json.dump({"name": "bench"}, f)

    for index in range(args.files):
        folder = "pkg%02d" % (index // 50)
        # one folder in twenty carries the name, like src/NAME/ in the real templates
        if index // 50 == 0:
            folder = "{name}/" + folder
        relative = "%s/file%04d.txt" % (folder, index)
        lines = []
        size = 0
        while size < per_file:
            words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
            if rng.random() < 0.1:
                words.insert(rng.randint(0, len(words)), "{name}")
            line = " ".join(words) + "\n"
            lines.append(line)
            size += len(line)
        text = "".join(lines)
        for root, placeholder in ((platform_root, "{{name}}"), (os.path.join(cookie_root, "{{cookiecutter.name}}"),
                                                                 "{{cookiecutter.name}}")):
            path = os.path.join(root, relative.replace("{name}", placeholder))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text.replace("{name}", placeholder))


if __name__ == "__main__":
    main()
