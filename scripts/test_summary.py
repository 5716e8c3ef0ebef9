#!/usr/bin/env python3
"""Counts test cases from Bazel's Build Event Protocol (JSON) files.

Each test target's JUnit XML (test.xml) gives its test cases; a target that
failed without XML (build failure, crash, timeout) counts as one failure.
Extra result lines "PASS name" / "FAIL name" (from non-Bazel checks such as
the fuzzers) may be given in a plain file with --extra.

Prints the failing targets, then one closing line:
    N passed, N failed, N skipped
and exits 1 if anything failed or nothing ran.
"""
import argparse
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def count_xml(path):
    """Returns (passed, failed, skipped) test cases in a JUnit XML file."""
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def read_bep(path):
    """Yields (label, status, xml_path or None) per test attempt's final run."""
    results = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            event = json.loads(line)
            if "testResult" in event.get("id", {}):
                ident = event["id"]["testResult"]
                key = (ident["label"], ident.get("run", 1), ident.get("shard", 1))
                payload = event.get("testResult", {})
                xml = None
                for out in payload.get("testActionOutput", []):
                    if out.get("name") == "test.xml" and "uri" in out:
                        xml = urllib.parse.urlparse(out["uri"]).path
                # Later attempts (flaky retries) replace earlier ones.
                results[key] = (payload.get("status", "FAILED"), xml)
            elif "testSummary" in event.get("id", {}):
                label = event["id"]["testSummary"]["label"]
                status = event.get("testSummary", {}).get("overallStatus", "")
                if status in ("FAILED_TO_BUILD", "NO_STATUS") and not any(
                        k[0] == label for k in results):
                    results[(label, 1, 1)] = ("FAILED", None)
            elif "aborted" in event and "targetCompleted" in event.get("id", {}):
                label = event["id"]["targetCompleted"]["label"]
                results.setdefault((label, 1, 1), ("FAILED", None))
    for (label, _, _), (status, xml) in sorted(results.items()):
        yield label, status, xml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bep", nargs="*", help="BEP JSON files")
    parser.add_argument("--extra", action="append", default=[],
                        help="file with PASS/FAIL <name> lines")
    args = parser.parse_args()

    passed = failed = skipped = 0
    failures = []
    for bep in args.bep:
        try:
            entries = list(read_bep(bep))
        except FileNotFoundError:
            failures.append(f"{bep}: no build event file (bazel did not run)")
            failed += 1
            continue
        for label, status, xml in entries:
            p = f = s = 0
            if xml:
                try:
                    p, f, s = count_xml(xml)
                except (OSError, ET.ParseError):
                    pass
            if status != "PASSED" and f == 0:
                f = 1  # crashed, timed out or failed to build: no case failed
            if status != "PASSED":
                failures.append(f"{label} ({status})")
            passed += p
            failed += f
            skipped += s
    for extra in args.extra:
        try:
            with open(extra, encoding="utf-8") as lines:
                for line in lines:
                    verdict, _, name = line.strip().partition(" ")
                    if verdict == "PASS":
                        passed += 1
                    elif verdict == "FAIL":
                        failed += 1
                        failures.append(name)
        except FileNotFoundError:
            pass

    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
