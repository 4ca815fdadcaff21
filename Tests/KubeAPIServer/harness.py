"""Starts the Kubernetes test API server for a test and talks to it.

    with TestCluster(ready_delay=0.2) as cluster:
        result = cluster.kubectl("get", "pods", "-A", "-o", "json")
        cluster.enable_crd("servicemonitors.monitoring.coreos.com")
        cluster.fault(method="PATCH", path_prefix="/apis/apps/v1", status=500)
        objects = cluster.objects(kind="Deployment", namespace="shop")
"""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "kube_apiserver.py")
REPO = os.path.dirname(os.path.dirname(HERE))
KUBECTL = os.environ.get("PLATFORM_TEST_KUBECTL") or os.path.join(REPO, ".tools", "bin", "kubectl")


class TestCluster:
    """A running test API server on a free port, with its own kubeconfig and kubectl cache."""

    def __init__(self, ready_delay=0.2, crds=(), log_lines=None, log_bytes=None, extra_args=(),
                 start_timeout=10.0):
        self.ready_delay = ready_delay
        self.crds = list(crds)
        self.log_lines = log_lines
        self.log_bytes = log_bytes
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.tmp = None

    # -- lifecycle

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="kube-apiserver-test-")
        self.kubeconfig = os.path.join(self.tmp, "kubeconfig")
        os.makedirs(os.path.join(self.tmp, "home"))
        args = [sys.executable, SERVER, "--port", "0", "--kubeconfig", self.kubeconfig,
                "--ready-delay", str(self.ready_delay), "--exit-with-parent"]
        for crd in self.crds:
            args += ["--crd", crd]
        if self.log_lines is not None:
            args += ["--log-lines", str(self.log_lines)]
        if self.log_bytes is not None:
            args += ["--log-bytes", str(self.log_bytes)]
        args += self.extra_args
        self.server_log_path = os.path.join(self.tmp, "server.log")
        with open(self.server_log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
        line = self._read_line(self.start_timeout)
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"test API server did not start (first line {line!r}); "
                               f"log:\n{self.server_log()}")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_line(self, timeout):
        deadline = time.time() + timeout
        data = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in data and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            chunk = os.read(fd, 64)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").split("\n")[0]

    def stop(self, timeout=5.0):
        """SIGTERM, then wait; returns the exit code (or None when it was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode

    def cleanup(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def server_log(self):
        try:
            with open(self.server_log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- kubectl

    def env(self):
        """The environment variables a kubectl run against this server needs."""
        return {"KUBECONFIG": self.kubeconfig,
                "KUBECACHEDIR": os.path.join(self.tmp, "kube-cache"),
                "HOME": os.path.join(self.tmp, "home")}

    def kubectl(self, *args, input=None, timeout=30):
        env = dict(os.environ)
        env.update(self.env())
        return subprocess.run([KUBECTL, *args], input=input, capture_output=True, text=True,
                              env=env, timeout=timeout)

    def kubectl_popen(self, *args):
        env = dict(os.environ)
        env.update(self.env())
        return subprocess.Popen([KUBECTL, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)

    # -- HTTP and test control

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode()}") from None

    def state(self):
        return self.request("GET", "/_test/state")

    def objects(self, kind=None, namespace=None, name=None):
        return [o for o in self.state()["objects"]
                if (kind is None or o["kind"] == kind)
                and (namespace is None or o["metadata"].get("namespace") == namespace)
                and (name is None or o["metadata"]["name"] == name)]

    def object(self, kind, namespace, name):
        found = self.objects(kind, namespace, name)
        return found[0] if found else None

    def enable_crd(self, name):
        return self.request("POST", f"/_test/crds?name={name}")

    def disable_crd(self, name):
        return self.request("DELETE", f"/_test/crds?name={name}")

    def fault(self, method=None, path_prefix=None, status=500, count=1, message=None):
        fault = {"status": status, "count": count}
        if method:
            fault["method"] = method
        if path_prefix:
            fault["pathPrefix"] = path_prefix
        if message:
            fault["message"] = message
        return self.request("POST", "/_test/faults", fault)

    def forbid(self, path, method="GET", message=None):
        """Requests to exactly `path` answer 403 Forbidden (RBAC-like)."""
        return self.request("POST", "/_test/faults", {
            "method": method, "path": path, "status": 403, "count": -1, "reason": "Forbidden",
            "message": message or f"forbidden: User \"ci\" cannot {method.lower()} {path}"})

    def make_unavailable(self, group, version="v1beta1"):
        """An aggregated API group that is listed in /apis but answers 503."""
        return self.request("POST", f"/_test/aggregated?group={group}&version={version}")

    def clear_faults(self):
        return self.request("DELETE", "/_test/faults")

    def requests(self):
        return self.request("GET", "/_test/requests")

    def delete_pod(self, namespace, name):
        return self.request("POST", f"/_test/pods/{namespace}/{name}/delete")

    def wait_for(self, predicate, timeout=5.0, interval=0.05):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        return predicate()
