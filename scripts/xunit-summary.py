#!/usr/bin/env python3
"""Reads the xUnit XML file `swift test --xunit-output` wrote and prints three lines:
the number of test cases, the number that failed, and the failed ones as a space-separated list of
`Module.Class/test` (what `swift test --filter` takes). Exits 1 when the file cannot be read."""
import sys
import xml.etree.ElementTree as ET


def main(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"xunit-summary: cannot read {path}: {error}", file=sys.stderr)
        return 1
    cases = list(root.iter("testcase"))
    failed = [f"{case.get('classname')}/{case.get('name')}" for case in cases
              if case.find("failure") is not None or case.find("error") is not None]
    print(len(cases))
    print(len(failed))
    print(" ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
