#!/usr/bin/env python3
"""Checks the CI/CD files a template ships, as `platform scaffold --ci …` renders them.

    scripts/check-template-ci.py LANG/FRAMEWORK

For each of --ci github, gitlab and none it scaffolds a project with the platform binary
($PLATFORM, else .build/debug/platform) and checks:
  - only the chosen system's files are there (.github/workflows/ci.yml or .gitlab-ci.yml), and a Makefile
    with the targets test, run, image, push and deploy;
  - the pipeline file against the schema check-jsonschema bundles (vendor.github-workflows,
    vendor.gitlab-ci; no download);
  - the shell of every `run:` step (GitHub, bash) and every `script:`/`before_script:` (GitLab, sh) with
    shellcheck; a GitHub `run:` never holds a `${{ … }}` expression (those go through `env:`, so a
    branch name or commit message cannot inject shell code);
  - secrets only appear as `${{ secrets.NAME }}` in `env:` (GitHub) or as variables (GitLab): no
    literal credential, no unrendered placeholder;
  - the pipeline deploys to staging with `platform deploy … --yes -o json`, promotes to prod with
    `platform promote … --yes -o json`, and runs `platform upgrade --check`.
Prints "check-template-ci: LANG/FRAMEWORK ok" at the end; exits 1 on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = {"github": ".github/workflows/ci.yml", "gitlab": ".gitlab-ci.yml"}
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}
MAKE_TARGETS = ["test", "run", "image", "push", "deploy"]


class Failure(Exception):
    pass


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def shellcheck(script, shell, where):
    result = run(["shellcheck", "--shell", shell, "--severity", "style", "-"], input=script)
    if result.returncode != 0:
        raise Failure(f"shellcheck ({shell}) on {where}:\n{script}\n{result.stdout}{result.stderr}")


def github_scripts(document):
    for job_name, job in (document.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or []):
            if "run" in step:
                where = f"jobs.{job_name}.steps[{index}] ({step.get('name', 'unnamed')})"
                yield where, step["run"], step


def gitlab_scripts(document):
    for job_name, job in document.items():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            lines = job.get(key)
            if lines is None:
                continue
            if isinstance(lines, str):
                lines = [lines]
            yield f"{job_name}.{key}", "\n".join(lines) + "\n", job


def check_pipeline(system, path, text):
    result = run(["check-jsonschema", "--builtin-schema", SCHEMAS[system], path])
    if result.returncode != 0:
        raise Failure(f"{path} does not match {SCHEMAS[system]}:\n{result.stdout}{result.stderr}")
    document = yaml.safe_load(text)
    if re.search(r"\{\{\s*(name|name_snake|name_pascal|port|image_repository|ci)\s*\}\}", text):
        raise Failure(f"{path}: unrendered placeholder")
    if system == "github":
        scripts = list(github_scripts(document))
        for where, script, step in scripts:
            if "${{" in script:
                raise Failure(f"{path}: {where}: a ${{{{ }}}} expression inside run: (pass it through env:)")
            shellcheck(script, "bash", f"{path}: {where}")
        for line in text.splitlines():
            if "secrets." in line and not re.match(r"^\s+[A-Z_]+: \$\{\{ secrets\.[A-Z_]+ \}\}$", line):
                raise Failure(f"{path}: a secret used outside an env: entry: {line.strip()}")
    else:
        scripts = list(gitlab_scripts(document))
        for where, script, _ in scripts:
            shellcheck(script, "sh", f"{path}: {where}")
    shell = "\n".join(script for _, script, _ in scripts)
    if not re.search(r"platform deploy \S+ -e staging .*--yes -o json", shell.replace("\\\n", " ")):
        raise Failure(f"{path}: no 'platform deploy … -e staging … --yes -o json' step")
    if not re.search(r"platform promote \S+ --from staging --to prod .*--yes -o json", shell):
        raise Failure(f"{path}: no 'platform promote … --from staging --to prod … --yes -o json' step")
    if "platform upgrade --check" not in shell:
        raise Failure(f"{path}: no 'platform upgrade --check' step")
    if re.search(r"(?i)(password|token|secret)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{8,}", text):
        raise Failure(f"{path}: looks like a literal credential")
    return len(scripts)


def check_makefile(project):
    path = os.path.join(project, "Makefile")
    if not os.path.isfile(path):
        raise Failure("no Makefile")
    result = run(["make", "-C", project, "-n", *MAKE_TARGETS], env={**os.environ, "IMAGE_TAG": "abc123"})
    if result.returncode != 0:
        raise Failure(f"make -n {' '.join(MAKE_TARGETS)} failed:\n{result.stdout}{result.stderr}")
    if "platform deploy " not in result.stdout or ":abc123" not in result.stdout:
        raise Failure(f"make -n deploy does not run platform deploy with IMAGE_TAG:\n{result.stdout}")


def main():
    if len(sys.argv) != 2 or "/" not in sys.argv[1]:
        print("usage: check-template-ci.py LANG/FRAMEWORK", file=sys.stderr)
        return 2
    template = sys.argv[1]
    platform = os.environ.get("PLATFORM") or os.path.join(ROOT, ".build/debug/platform")
    with tempfile.TemporaryDirectory(prefix="check-template-ci.") as tmp:
        try:
            for system in ["github", "gitlab", "none"]:
                parent = os.path.join(tmp, system)
                os.mkdir(parent)
                result = run([platform, "scaffold", "demo-svc", "--template", template,
                              "--templates-dir", os.path.join(ROOT, "templates"), "--dir", parent,
                              "--ci", system, "--no-git"])
                if result.returncode != 0:
                    raise Failure(f"scaffold --ci {system} failed:\n{result.stderr}")
                project = os.path.join(parent, "demo-svc")
                for other, relative in FILES.items():
                    present = os.path.exists(os.path.join(project, relative))
                    if present != (other == system):
                        raise Failure(f"--ci {system}: {relative} is {'there' if present else 'missing'}")
                check_makefile(project)
                if system in FILES:
                    path = os.path.join(project, FILES[system])
                    with open(path) as handle:
                        count = check_pipeline(system, path, handle.read())
                    print(f"check-template-ci: {template}: --ci {system}: schema ok, {count} scripts pass shellcheck",
                          file=sys.stderr)
        except Failure as failure:
            print(f"check-template-ci: {template}: FAIL: {failure}", file=sys.stderr)
            return 1
    print(f"check-template-ci: {template} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
