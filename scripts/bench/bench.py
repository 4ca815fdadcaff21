#!/usr/bin/env python3
"""The `make bench` harness (run by scripts/bench.sh, which builds the binaries first).

Every figure is a ratio against a reference measured in the same run, because these machines are
noisy: median of several runs after warm-up runs, subject and reference interleaved run by run so
that a slow phase of the machine hits both. Prints a table and writes JSON.

Timing: wall clock around posix_spawn + wait4 (no shell in between). Peak RSS, in one extra
untimed run per program:
  - programs that start no children: /usr/bin/time -f %M (its wait4 figure). Not our own wait4:
    Linux carries the spawning process's peak RSS over exec into the child's ru_maxrss, so from
    this Python harness every program would look at least as big as Python;
  - programs that do (platform running kubectl/git/terraform): VmHWM of platform's own pid,
    sampled from /proc every millisecond (wait4's figure would be the largest child's).

    bench.py --platform BIN --hello BIN --out DIR [--quick] [--only NAME,...]
"""
import argparse
import datetime
import json
import os
import platform as pyplatform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1024 * 1024


class BenchError(Exception):
    pass


class Sandbox:
    """An isolated HOME, git and terraform config, state folder; PATH with .tools/bin first."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="platform-bench-")
        self.home = os.path.join(self.root, "home")
        self.work = os.path.join(self.root, "work")
        for folder in (self.home, self.work, os.path.join(self.root, "state")):
            os.makedirs(folder)
        open(os.path.join(self.root, "terraformrc"), "w").close()
        self.env = {
            "PATH": os.path.join(ROOT, ".tools", "bin") + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
            "PLATFORM_STATE_DIR": os.path.join(self.root, "state"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.path.join(self.home, ".gitconfig"),
            "TF_CLI_CONFIG_FILE": os.path.join(self.root, "terraformrc"),
            "TF_IN_AUTOMATION": "1",
            "KUBECACHEDIR": os.path.join(self.root, "kubecache"),
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        }
        if os.environ.get("TMPDIR"):
            self.env["TMPDIR"] = os.environ["TMPDIR"]

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def which(program, env):
    if "/" in program:
        return program
    found = shutil.which(program, path=env.get("PATH"))
    if not found:
        raise BenchError(f"{program} not found on PATH")
    return found


def run_once(argv, env, cwd, sample_rss=False, stdout=os.devnull):
    """Runs argv; returns (seconds, status, ru_maxrss KiB, sampled VmHWM KiB or None, stderr text)."""
    errfile = tempfile.NamedTemporaryFile(prefix="bench-stderr-", delete=False)
    errfile.close()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, errfile.name, os.O_WRONLY | os.O_TRUNC, 0o644),
    ]
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(which(argv[0], env), argv, env, file_actions=actions)
    finally:
        os.chdir(previous)
    peak = [0]
    stop = threading.Event()
    sampler = None
    if sample_rss:
        def sample():
            path = f"/proc/{pid}/status"
            while not stop.is_set():
                try:
                    with open(path) as status:
                        for line in status:
                            if line.startswith("VmHWM:"):
                                peak[0] = max(peak[0], int(line.split()[1]))
                                break
                except OSError:
                    return
                time.sleep(0.001)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    _, wait_status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    stop.set()
    if sampler:
        sampler.join()
    with open(errfile.name, errors="replace") as f:
        stderr = f.read()
    os.unlink(errfile.name)
    return elapsed, os.waitstatus_to_exitcode(wait_status), usage.ru_maxrss, (peak[0] or None), stderr


class Case:
    """One program to time: argv, environment, folder, optional untimed setup before each run."""

    def __init__(self, label, argv, env, cwd, setup=None, children=True, expect=0, stdout=os.devnull):
        self.label, self.argv, self.env, self.cwd = label, argv, env, cwd
        self.setup, self.children, self.expect, self.stdout = setup, children, expect, stdout
        self.times = []
        self.rss_kib = None

    def run(self, record=True):
        if self.setup:
            self.setup()
        elapsed, status, maxrss, _, stderr = run_once(self.argv, self.env, self.cwd, stdout=self.stdout)
        if status != self.expect:
            raise BenchError(f"{' '.join(self.argv)} exited {status} (expected {self.expect}): {stderr.strip()[-2000:]}")
        if record:
            self.times.append(elapsed)

    def sample_rss(self):
        if self.setup:
            self.setup()
        if self.children:
            _, status, _, peak, stderr = run_once(self.argv, self.env, self.cwd, sample_rss=True, stdout=self.stdout)
            if status != self.expect:
                raise BenchError(f"{' '.join(self.argv)} exited {status}: {stderr.strip()[-2000:]}")
            self.rss_kib = peak
            return
        report = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False)
        report.close()
        argv = ["/usr/bin/time", "-f", "%M", "-o", report.name, which(self.argv[0], self.env)] + self.argv[1:]
        _, status, _, _, stderr = run_once(argv, self.env, self.cwd, stdout=self.stdout)
        with open(report.name) as f:
            text = f.read().strip().splitlines()
        os.unlink(report.name)
        if status != self.expect or not text or not text[-1].isdigit():
            raise BenchError(f"{' '.join(self.argv)} under /usr/bin/time exited {status}: {stderr.strip()[-2000:]}")
        self.rss_kib = int(text[-1])

    @property
    def median(self):
        return statistics.median(self.times)


def measure(cases, runs, warmup):
    """Warm-up, then `runs` rounds; each round runs every case once (interleaved)."""
    for _ in range(warmup):
        for case in cases:
            case.run(record=False)
    for _ in range(runs):
        for case in cases:
            case.run()


def figure(name, subject, reference, target, comparison="<=", value=None, unit="x", note="", rss_case=None):
    value = subject.median / reference.median if value is None else value
    ok = value <= target if comparison == "<=" else value >= target
    rss_case = rss_case or subject
    return {
        "name": name,
        "subject": " ".join(subject.argv) if subject.label is None else subject.label,
        "reference": " ".join(reference.argv) if reference.label is None else reference.label,
        "subject_median_ms": round(subject.median * 1000, 3),
        "reference_median_ms": round(reference.median * 1000, 3),
        "value": round(value, 4),
        "unit": unit,
        "target": f"{comparison} {target}{unit if unit != 'x' else 'x'}",
        "pass": ok,
        "runs": len(subject.times),
        "platform_peak_rss_mib": round(rss_case.rss_kib / 1024, 1) if rss_case.rss_kib else None,
        "rss_target_mib": 30,
        "rss_pass": (rss_case.rss_kib / 1024 <= 30) if rss_case.rss_kib else None,
        "reference_peak_rss_mib": round(reference.rss_kib / 1024, 1) if reference.rss_kib else None,
        "note": note,
    }


# --------------------------------------------------------------------------------------------
# Scenarios


def bench_startup(args, results):
    box = Sandbox()
    try:
        runs = 10 if args.quick else 30
        platform = Case("platform --version", [args.platform, "--version"], box.env, box.work, children=False)
        hello = Case("hello (Foundation, release)", [args.hello], box.env, box.work, children=False)
        kubectl = Case("kubectl version --client", ["kubectl", "version", "--client"], box.env, box.work,
                       children=False)
        measure([platform, hello, kubectl], runs, warmup=3)
        for case in (platform, hello, kubectl):
            case.sample_rss()
        results.append(figure("startup vs Foundation hello-world", platform, hello, 1.5))
        results.append(figure("startup vs kubectl version --client", platform, kubectl, 0.25))
    finally:
        box.remove()


def bench_spawn(args, results):
    box = Sandbox()
    try:
        runs = 10 if args.quick else 30
        n = 50 if args.quick else 200
        true = shutil.which("true", path=box.env["PATH"])
        exec0 = Case("platform __exec --repeat 0", [args.platform, "__exec", "--repeat", "0", "--", true],
                     box.env, box.work, children=False)
        exec1 = Case("platform __exec -- true", [args.platform, "__exec", "--", true], box.env, box.work)
        direct = Case("true", [true], box.env, box.work, children=False)
        execn = Case(f"platform __exec --repeat {n}", [args.platform, "__exec", "--repeat", str(n), "--", true],
                     box.env, box.work)
        measure([exec0, exec1, direct, execn], runs, warmup=3)
        exec1.sample_rss()
        direct.sample_rss()
        # Spawning `true` n times straight from here (posix_spawn + wait4), same runs.
        loops = []
        for _ in range(5 if args.quick else 10):
            start = time.perf_counter()
            for _ in range(n):
                pid = os.posix_spawn(true, [true], box.env)
                os.waitpid(pid, 0)
            loops.append((time.perf_counter() - start) / n)
        direct_each = statistics.median(loops)
        one_extra = exec1.median - exec0.median - direct.median
        each_extra = (execn.median - exec0.median) / n - direct_each
        # Reference for the ratio columns: the child run directly.
        results.append(dict(figure("spawn: one child through the CommandRunner", exec1, direct, 2.0,
                                   value=one_extra * 1000, unit=" ms extra",
                                   note="(platform __exec -- true) - (platform __exec --repeat 0) - (true run directly)")))
        per = Case(f"per child, {n} in a row", [], box.env, box.work)
        per.times = [(execn.median - exec0.median) / n]
        ref = Case(f"true spawned directly, {n} in a row", [], box.env, box.work)
        ref.times = [direct_each]
        results.append(figure("spawn: per child, amortised", per, ref, 2.0, value=each_extra * 1000,
                              unit=" ms extra", rss_case=exec1,
                              note=f"((__exec --repeat {n}) - (--repeat 0)) / {n} - posix_spawn+wait of true"))
    finally:
        box.remove()


def bench_scaffold(args, results):
    box = Sandbox()
    try:
        runs = 3 if args.quick else 5
        templates = os.path.join(box.root, "templates")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench", "make-template.py"), templates,
                        "--files", "1000", "--bytes", str(10_000_000)], check=True)
        out = os.path.join(box.root, "out")

        def clean():
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)

        platform = Case("platform scaffold (1000 files, 10 MB, git commit)",
                        [args.platform, "scaffold", "bench", "--template", os.path.join(templates, "platform"),
                         "--dir", out, "--quiet"], box.env, box.work, setup=clean)
        rendering = Case("platform scaffold --no-git (1000 files, 10 MB)",
                         [args.platform, "scaffold", "bench", "--template", os.path.join(templates, "platform"),
                          "--dir", out, "--quiet", "--no-git"], box.env, box.work, setup=clean)
        cookie = Case("cookiecutter --no-input (same files)",
                      ["cookiecutter", "--no-input", "-f", "-o", out, os.path.join(templates, "cookiecutter")],
                      box.env, box.work, setup=clean)
        cpgit = Case("cp -r + git init/add/commit",
                     ["bash", os.path.join(ROOT, "scripts", "bench", "cp-git.sh"), os.path.join(templates, "platform"),
                      os.path.join(out, "bench")], box.env, box.work, setup=clean)
        measure([platform, rendering, cookie, cpgit], runs, warmup=1)
        platform.sample_rss()
        rendering.sample_rss()
        # cookiecutter renders and writes files but makes no git repository: the like-for-like
        # figure is platform's rendering alone; the one with git is shown for completeness.
        results.append(figure("scaffold --no-git vs cookiecutter", rendering, cookie, 0.1,
                              note="target: >= 10x faster, i.e. time ratio <= 0.1; both render the same files, neither runs git"))
        results.append(figure("scaffold (with git) vs cookiecutter", platform, cookie, 0.1,
                              note="platform also runs git init/add/commit, which cookiecutter does not"))
        results.append(figure("scaffold vs cp -r + git", platform, cpgit, 2.0))
    finally:
        box.remove()


class ApiServer:
    """The project's test API server (Tests/KubeAPIServer) on a free port with its own kubeconfig."""

    def __init__(self, folder, extra=()):
        self.kubeconfig = os.path.join(folder, "kubeconfig")
        self.log = open(os.path.join(folder, "server.log"), "w")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "Tests", "KubeAPIServer", "kube_apiserver.py"), "--port", "0",
             "--kubeconfig", self.kubeconfig, "--ready-delay", "0.2", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise BenchError("the test API server did not start (see its log)")
        self.port = int(line)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


RECORDER = """#!/usr/bin/env python3
# Records one tool call (argv, folder, TF_* environment, stdin) for the create benchmark's replay.
import json, os, sys
real, folder = sys.argv[1], sys.argv[2]
argv = sys.argv[3:]
index = len([n for n in os.listdir(folder) if n.endswith(".json")])
data = sys.stdin.buffer.read()
stdin_path = os.path.join(folder, "%03d.stdin" % index)
with open(stdin_path, "wb") as f:
    f.write(data)
env = {k: v for k, v in os.environ.items() if k.startswith("TF_")}
with open(os.path.join(folder, "%03d.json" % index), "w") as f:
    json.dump({"tool": os.path.basename(real), "argv": argv, "cwd": os.getcwd(), "env": env,
               "stdin": stdin_path if data else None}, f)
fd = os.open(stdin_path, os.O_RDONLY)
os.dup2(fd, 0)
os.execv(real, [real] + argv)
"""


def record_create(args, box, env, state, recording):
    """Runs `platform create` once with recording wrappers for kubectl and terraform first on PATH."""
    wrappers = os.path.join(box.root, "recorder-bin")
    os.makedirs(wrappers)
    os.makedirs(recording)
    recorder = os.path.join(box.root, "recorder.py")
    with open(recorder, "w") as f:
        f.write(RECORDER)
    for tool in ("kubectl", "terraform"):
        real = which(tool, env)
        with open(os.path.join(wrappers, tool), "w") as f:
            f.write("#!/bin/sh\nexec %s %s %s %s \"$@\"\n" % (sys.executable, recorder, real, recording))
        os.chmod(os.path.join(wrappers, tool), 0o755)
    recorded_env = dict(env, PATH=wrappers + ":" + env["PATH"], PLATFORM_STATE_DIR=state)
    _, status, _, _, stderr = run_once(CREATE_ARGV(args.platform), recorded_env, box.work)
    if status != 0:
        raise BenchError(f"platform create (recording run) exited {status}: {stderr[-2000:]}")
    calls = []
    for name in sorted(n for n in os.listdir(recording) if n.endswith(".json")):
        with open(os.path.join(recording, name)) as f:
            calls.append(json.load(f))
    return calls


def CREATE_ARGV(platform):
    return [platform, "create", "shop", "-e", "bench", "--image", "registry.example.com/shop:1.0", "--quiet"]


def write_replay(calls, env, recorded_state, replay_state, script):
    """The reference: the same kubectl and terraform commands, in the same order, from a shell script."""
    import shlex
    lines = ["#!/usr/bin/env bash", "# Generated by scripts/bench/bench.py: platform create's tool calls, replayed.",
             "set -euo pipefail"]
    workspace = None
    for call in calls:
        cwd = call["cwd"].replace(recorded_state, replay_state)
        if call["tool"] == "terraform" and workspace is None:
            workspace = cwd
            module = os.path.join(call["cwd"], "main.tf.json")
            lines.append(f"mkdir -p {shlex.quote(cwd)}")
            lines.append(f"cp {shlex.quote(module)} {shlex.quote(cwd)}/main.tf.json")
        exports = " ".join(f"{k}={shlex.quote(v.replace(recorded_state, replay_state))}"
                           for k, v in sorted(call["env"].items()))
        command = " ".join(shlex.quote(a) for a in [call["tool"]] + call["argv"])
        redirect = f" < {shlex.quote(call['stdin'])}" if call["stdin"] else " < /dev/null"
        lines.append(f"(cd {shlex.quote(cwd)} && {exports + ' ' if exports else ''}{command}{redirect} > /dev/null)")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(script, 0o755)


def bench_create(args, results):
    box = Sandbox()
    server = None
    try:
        server = ApiServer(box.root)
        env = dict(box.env, KUBECONFIG=server.kubeconfig)
        runs = 3 if args.quick else 7
        recorded_state = os.path.join(box.root, "state-recorded")
        calls = record_create(args, box, env, recorded_state, os.path.join(box.root, "recording"))
        replay_state = os.path.join(box.root, "state-script")
        script = os.path.join(box.root, "create-reference.sh")
        write_replay(calls, env, recorded_state, replay_state, script)
        first_state = os.path.join(box.root, "state-first")
        repeat_state = os.path.join(box.root, "state-repeat")

        def fresh(folder):
            return lambda: shutil.rmtree(folder, ignore_errors=True)

        first = Case("platform create (new workspace)", CREATE_ARGV(args.platform),
                     dict(env, PLATFORM_STATE_DIR=first_state), box.work, setup=fresh(first_state))
        reference = Case(f"the same {len(calls)} terraform/kubectl commands from bash", ["bash", script], env,
                         box.work, setup=fresh(replay_state))
        repeat = Case("platform create (unchanged, repeated)", CREATE_ARGV(args.platform),
                      dict(env, PLATFORM_STATE_DIR=repeat_state), box.work)
        measure([first, reference, repeat], runs, warmup=1)
        first.sample_rss()
        repeat.sample_rss()
        results.append(figure("create vs the same commands from a script", first, reference, 1.1))
        results.append(figure("create repeated (unchanged) vs first", repeat, first, 0.67, rss_case=repeat))
    finally:
        if server:
            server.stop()
        box.remove()


LOG_BYTES = 100_000_000


def bench_logs(args, results):
    box = Sandbox()
    server = None
    try:
        server = ApiServer(box.root, ["--log-bytes", str(LOG_BYTES)])
        env = dict(box.env, KUBECONFIG=server.kubeconfig)
        _, status, _, _, stderr = run_once(CREATE_ARGV(args.platform), env, box.work)
        if status != 0:
            raise BenchError(f"platform create exited {status}: {stderr[-2000:]}")
        pod = None
        for _ in range(100):
            listing = subprocess.run(["kubectl", "get", "pods", "-n", "bench", "-o", "json"], env=env,
                                     capture_output=True, text=True, check=True)
            items = [p for p in json.loads(listing.stdout)["items"]
                     if all(c.get("ready") for c in p.get("status", {}).get("containerStatuses", [{}]))
                     and p.get("status", {}).get("containerStatuses")]
            if items:
                pod = items[0]
                break
            time.sleep(0.1)
        if pod is None:
            raise BenchError("no ready pod for the logs benchmark")
        name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]["name"]
        lines = LOG_BYTES // 100
        runs = 3 if args.quick else 5
        platform = Case(f"platform logs --lines {lines} ({LOG_BYTES // 1_000_000} MB)",
                        [args.platform, "logs", "shop", "-e", "bench", "--lines", str(lines)], env, box.work)
        kubectl = Case(f"kubectl logs --tail={lines}",
                       ["kubectl", "logs", name, "-n", "bench", "-c", container, f"--tail={lines}"], env, box.work)
        measure([platform, kubectl], runs, warmup=1)
        platform.sample_rss()
        throughput = kubectl.median / platform.median
        results.append(figure("logs throughput vs kubectl logs", platform, kubectl, 0.95, comparison=">=",
                              value=throughput,
                              note=f"throughput ratio = kubectl time / platform time, {LOG_BYTES} bytes of log; "
                                   f"platform adds kubectl's '[pod/POD/CONTAINER] ' prefix per line"))
    finally:
        if server:
            server.stop()
        box.remove()


SCENARIOS = {
    "startup": bench_startup,
    "spawn": bench_spawn,
    "scaffold": bench_scaffold,
    "create": bench_create,
    "logs": bench_logs,
}


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
            memory = f"{kib / MIB:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {"os": f"{pyplatform.system()} {pyplatform.release()}", "cpu": cpu, "cores": os.cpu_count(),
            "memory": memory, "hostname": pyplatform.node()}


def tool_version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def print_table(results, stream):
    headers = ["figure", "platform ms", "reference ms", "value", "target", "ok", "platform RSS MiB (<= 30)",
               "reference RSS MiB"]
    rows = []
    for r in results:
        unit = "x" if r["unit"] == "x" else r["unit"]
        rows.append([r["name"], f"{r['subject_median_ms']:.2f}", f"{r['reference_median_ms']:.2f}",
                     f"{r['value']:.3f}{unit}", r["target"], "yes" if r["pass"] else "NO",
                     "-" if r["platform_peak_rss_mib"] is None else
                     f"{r['platform_peak_rss_mib']:.1f}" + ("" if r["rss_pass"] else " NO"),
                     "-" if r["reference_peak_rss_mib"] is None else f"{r['reference_peak_rss_mib']:.1f}"])
    widths = [max(len(str(row[i])) for row in rows + [headers]) for i in range(len(headers))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(headers), file=stream)
    print(line(["-" * w for w in widths]), file=stream)
    for row in rows:
        print(line(row), file=stream)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform", required=True)
    parser.add_argument("--hello", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="fewer runs (for trying the script out)")
    parser.add_argument("--only", default="", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    args = parser.parse_args()
    args.platform = os.path.abspath(args.platform)
    args.hello = os.path.abspath(args.hello)
    selected = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    unknown = [s for s in selected if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown}; known: {', '.join(SCENARIOS)}")

    results, failures = [], []
    for name in selected:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            SCENARIOS[name](args, results)
        except BenchError as error:
            failures.append({"scenario": name, "error": str(error)})
            print(f"bench: {name} FAILED: {error}", file=sys.stderr)
        print(f"bench: {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)

    now = datetime.datetime.now(datetime.timezone.utc)
    document = {
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "platform_binary": args.platform,
        "platform_version": tool_version([args.platform, "--version"]),
        "commit": tool_version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
        "reference_binary": args.hello,
        "kubectl": tool_version([os.path.join(ROOT, ".tools", "bin", "kubectl"), "version", "--client"]),
        "method": "median of runs after warm-up; subject and reference interleaved; ratios within one run",
        "figures": results,
        "failures": failures,
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "bench-" + now.strftime("%Y%m%dT%H%M%SZ") + ".json")
    with open(path, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    shutil.copyfile(path, os.path.join(args.out, "latest.json"))

    print(f"platform benchmarks, {document['date']}, {document['machine']['cpu']} x{document['machine']['cores']}")
    print(f"binary: {args.platform} ({document['platform_version']}, commit {document['commit']})")
    print()
    print_table(results, sys.stdout)
    print()
    print(f"JSON: {path}")
    for failure in failures:
        print(f"FAILED scenario {failure['scenario']}: {failure['error']}")
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
