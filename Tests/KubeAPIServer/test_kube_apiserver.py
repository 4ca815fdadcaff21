"""Drives the real kubectl (1.37, from scripts/install-tools.sh) against the test API server.

    python3 -m unittest discover -s Tests/KubeAPIServer -v
"""

import json
import os
import signal
import subprocess
import time
import unittest

from harness import KUBECTL, TestCluster

SMON = "servicemonitors.monitoring.coreos.com"
NS = "shop"
LABEL = "app.kubernetes.io/name=web"


def deployment(image="registry.example.com/web:1.0", replicas=2, env=None, deadline=None):
    container = {
        "name": "app", "image": image,
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": env if env is not None else [{"name": "MODE", "value": "prod"}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                          "initialDelaySeconds": 5},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                      "limits": {"memory": "128Mi"}},
    }
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                         "spec": {"containers": [container]}}}
    if deadline is not None:
        spec["progressDeadlineSeconds"] = deadline
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS,
                         "labels": {"app.kubernetes.io/name": "web",
                                    "app.kubernetes.io/managed-by": "platform"}},
            "spec": spec}


def manifest(monitor=True, **kwargs):
    items = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        deployment(**kwargs),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
         "spec": {"selector": {"app.kubernetes.io/name": "web"},
                  "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "web", "namespace": NS},
         "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [{
             "path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    ]
    if monitor:
        items.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                      "metadata": {"name": "web", "namespace": NS},
                      "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                               "endpoints": [{"port": "http", "path": "/metrics"}]}})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


APPLY = ("apply", "--server-side", "--field-manager=platform", "-f", "-")


@unittest.skipUnless(os.access(KUBECTL, os.X_OK), f"{KUBECTL} missing: run scripts/install-tools.sh")
class KubectlTestCase(unittest.TestCase):
    crds = (SMON,)

    def setUp(self):
        self.cluster = TestCluster(ready_delay=0.2, crds=self.crds)
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        self.addCleanup(self.assert_no_server_errors)
        self.addCleanup(self.cluster.stop)

    def assert_no_server_errors(self):
        self.assertNotIn("Traceback", self.cluster.server_log())

    def kubectl(self, *args, input=None, ok=True, quiet=True, timeout=30):
        result = self.cluster.kubectl(*args, input=input, timeout=timeout)
        if ok:
            self.assertEqual(result.returncode, 0, f"kubectl {' '.join(args)} failed:\n"
                             f"{result.stderr}\nserver log:\n{self.cluster.server_log()}")
        if ok and quiet:
            self.assertEqual(result.stderr, "", f"kubectl {' '.join(args)} wrote to stderr")
        return result

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def deploy(self, **kwargs):
        return self.kubectl(*APPLY, input=manifest(**kwargs))

    def pods(self):
        return self.kubectl_json("get", "pods", "-l", LABEL, "-n", NS)["items"]

    def rollout(self, timeout="10s"):
        return self.cluster.kubectl("rollout", "status", "deployment/web", "-n", NS,
                                    f"--timeout={timeout}")

    def wait_rolled_out(self):
        result = self.rollout()
        self.assertEqual(result.returncode, 0, result.stderr)


class DiscoveryTests(KubectlTestCase):
    crds = ()

    def test_version(self):
        version = self.kubectl_json("version")
        self.assertEqual(version["serverVersion"]["gitVersion"], "v1.37.0")
        self.assertTrue(version["clientVersion"]["gitVersion"].startswith("v1.37."))

    def test_api_resources(self):
        out = self.kubectl("api-resources").stdout
        for line in ("deployments", "deploy", "pods", "services", "svc", "ingresses",
                     "configmaps", "namespaces", "replicasets", "customresourcedefinitions"):
            self.assertIn(line, out)
        names = self.kubectl("api-resources", "-o", "name").stdout.split()
        self.assertIn("deployments.apps", names)
        self.assertNotIn("deployments/status", names)

    def test_crd_absent_then_enabled_at_runtime(self):
        args = ("api-resources", "--api-group=monitoring.coreos.com", "-o", "name")
        self.assertEqual(self.kubectl(*args).stdout, "")
        self.cluster.enable_crd(SMON)
        self.assertEqual(self.kubectl(*args).stdout, SMON + "\n")
        crds = self.kubectl_json("get", "crd")["items"]
        self.assertEqual([c["metadata"]["name"] for c in crds], [SMON])

    def test_crd_from_command_line(self):
        with TestCluster(crds=[SMON]) as other:
            result = other.kubectl("api-resources", "--api-group=monitoring.coreos.com", "-o",
                                   "name")
            self.assertEqual((result.returncode, result.stdout), (0, SMON + "\n"))

    def test_apply_without_crd_fails_for_servicemonitor_only(self):
        result = self.kubectl(*APPLY, input=manifest(), ok=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"',
                      result.stderr)
        self.assertIn("deployment.apps/web serverside-applied", result.stdout)
        self.assertIsNotNone(self.cluster.object("Deployment", NS, "web"))


class ApplyTests(KubectlTestCase):
    def test_apply_list_is_idempotent(self):
        out = self.deploy().stdout.splitlines()
        self.assertEqual(out, ["namespace/shop serverside-applied",
                               "deployment.apps/web serverside-applied",
                               "service/web serverside-applied",
                               "ingress.networking.k8s.io/web serverside-applied",
                               "servicemonitor.monitoring.coreos.com/web serverside-applied"])
        dep = self.kubectl_json("get", "deployment", "web", "-n", NS)
        self.assertEqual(dep["metadata"]["generation"], 1)
        self.wait_rolled_out()
        before = self.cluster.object("Deployment", NS, "web")["metadata"]
        self.deploy()
        after = self.cluster.object("Deployment", NS, "web")["metadata"]
        self.assertEqual(after["generation"], 1)
        self.assertEqual(after["resourceVersion"], before["resourceVersion"])
        self.assertEqual([m["manager"] for m in after["managedFields"]
                          if m["operation"] == "Apply"], ["platform"])
        self.assertEqual(self.cluster.object("ServiceMonitor", NS, "web")["spec"]["endpoints"],
                         [{"port": "http", "path": "/metrics"}])

    def test_dry_run_server_stores_nothing(self):
        self.kubectl("create", "namespace", NS)
        before = self.cluster.state()["resourceVersion"]
        out = self.kubectl(*APPLY, "--dry-run=server", input=manifest()).stdout
        self.assertIn("deployment.apps/web serverside-applied (server dry run)", out)
        self.assertEqual(self.cluster.state()["resourceVersion"], before)
        self.assertIsNone(self.cluster.object("Deployment", NS, "web"))
        applies = [r for r in self.cluster.requests() if r["method"] == "PATCH"]
        self.assertTrue(applies and all("dryRun=All" in r["query"] for r in applies))
        self.assertTrue(all(r["contentType"] == "application/apply-patch+yaml" for r in applies))

    def test_apply_changes_bump_generation_and_prune_removed_fields(self):
        self.deploy()
        self.deploy(env=[{"name": "LEVEL", "value": "debug"}])
        dep = self.cluster.object("Deployment", NS, "web")
        self.assertEqual(dep["metadata"]["generation"], 2)
        env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
        self.assertEqual(env, [{"name": "LEVEL", "value": "debug"}])

    def test_configmap_apply_and_get(self):
        self.kubectl("create", "namespace", NS)
        cm = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "settings", "namespace": NS}, "data": {"a": "1"}}
        out = self.kubectl(*APPLY, input=json.dumps(cm)).stdout
        self.assertEqual(out, "configmap/settings serverside-applied\n")
        got = self.kubectl_json("get", "configmap", "settings", "-n", NS)
        self.assertEqual(got["data"], {"a": "1"})
        listed = self.kubectl_json("get", "configmaps", "-n", NS)
        self.assertEqual([c["metadata"]["name"] for c in listed["items"]], ["settings"])

    def test_secret_string_data(self):
        secret = {"apiVersion": "v1", "kind": "Secret",
                  "metadata": {"name": "creds", "namespace": "default"},
                  "stringData": {"password": "hunter2"}}
        self.kubectl(*APPLY, input=json.dumps(secret))
        got = self.kubectl_json("get", "secret", "creds", "-n", "default")
        self.assertEqual((got["type"], got["data"]), ("Opaque", {"password": "aHVudGVyMg=="}))
        self.kubectl("create", "secret", "generic", "other", "--from-literal=k=v", "-n",
                     "default")
        self.assertEqual(self.cluster.object("Secret", "default", "other")["data"], {"k": "dg=="})

    def test_invalid_object_is_rejected(self):
        bad = deployment()
        bad["spec"]["template"]["metadata"]["labels"] = {"other": "x"}
        self.kubectl("create", "namespace", NS)
        result = self.kubectl(*APPLY, input=json.dumps(bad), ok=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is invalid", result.stderr)
        self.assertIn("`selector` does not match template `labels`", result.stderr)

    def test_client_side_apply_and_wait(self):
        self.kubectl("create", "namespace", NS)
        out = self.kubectl("apply", "-f", "-", input=json.dumps(deployment())).stdout
        self.assertEqual(out, "deployment.apps/web created\n")
        out = self.kubectl("apply", "-f", "-", input=json.dumps(deployment(replicas=3))).stdout
        self.assertEqual(out, "deployment.apps/web configured\n")
        self.kubectl("wait", "--for=condition=Available", "deployment/web", "-n", NS,
                     "--timeout=10s")
        self.assertEqual(self.cluster.object("Deployment", NS, "web")["spec"]["replicas"], 3)

    def test_patch_types(self):
        self.deploy()
        self.kubectl("patch", "deployment", "web", "-n", NS, "--type=merge", "-p",
                     '{"metadata":{"labels":{"tier":"front"}}}')
        self.kubectl("patch", "deployment", "web", "-n", NS, "--type=json", "-p",
                     '[{"op":"replace","path":"/spec/replicas","value":3}]')
        self.kubectl("patch", "deployment", "web", "-n", NS, "-p",
                     '{"spec":{"template":{"spec":{"containers":[{"name":"app",'
                     '"env":[{"name":"EXTRA","value":"1"}]}]}}}}')
        dep = self.cluster.object("Deployment", NS, "web")
        self.assertEqual(dep["metadata"]["labels"]["tier"], "front")
        self.assertEqual(dep["spec"]["replicas"], 3)
        env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
        self.assertEqual([e["name"] for e in env], ["MODE", "EXTRA"])
        self.assertEqual(dep["metadata"]["generation"], 3)


class RolloutTests(KubectlTestCase):
    def test_good_image_rolls_out(self):
        self.deploy()
        start = time.time()
        self.wait_rolled_out()
        self.assertLess(time.time() - start, 5)
        pods = self.pods()
        self.assertEqual(len(pods), 2)
        for pod in pods:
            self.assertEqual(pod["status"]["phase"], "Running")
            self.assertTrue(pod["status"]["containerStatuses"][0]["ready"])
            self.assertIn("pod-template-hash", pod["metadata"]["labels"])
        dep = self.kubectl_json("get", "deployment", "web", "-n", NS)
        self.assertEqual(dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1")
        status = dep["status"]
        self.assertEqual((status["replicas"], status["readyReplicas"],
                          status["availableReplicas"], status["updatedReplicas"]), (2, 2, 2, 2))
        progressing = [c for c in status["conditions"] if c["type"] == "Progressing"][0]
        self.assertEqual(progressing["reason"], "NewReplicaSetAvailable")

    def test_broken_image_keeps_old_pods(self):
        self.deploy()
        self.wait_rolled_out()
        self.kubectl("set", "image", "deployment/web", "app=registry.example.com/web:broken",
                     "-n", NS)
        result = self.rollout("3s")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("timed out", result.stderr)
        pods = self.pods()
        waiting = [p for p in pods if p["status"]["containerStatuses"][0]["state"].get("waiting")]
        # maxSurge 25% of 2 rounds up to 1 and maxUnavailable 25% down to 0: one new pod, and
        # both old ones keep serving (the deployment controller's rolling step).
        self.assertEqual(len(waiting), 1)
        for pod in waiting:
            state = pod["status"]["containerStatuses"][0]["state"]["waiting"]
            self.assertEqual(state["reason"], "ImagePullBackOff")
            self.assertIn('"registry.example.com/web:broken"', state["message"])
            self.assertEqual(pod["status"]["phase"], "Pending")
        ready = [p for p in pods if p["status"]["containerStatuses"][0]["ready"]]
        self.assertEqual({p["spec"]["containers"][0]["image"] for p in ready},
                         {"registry.example.com/web:1.0"})
        self.assertEqual(len(ready), 2)
        dep = self.kubectl_json("get", "deployment", "web", "-n", NS)
        self.assertEqual(dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2")
        # rolling back reuses the first replica set under a new revision
        self.kubectl("rollout", "undo", "deployment/web", "-n", NS)
        self.wait_rolled_out()
        rss = self.kubectl_json("get", "rs", "-n", NS)["items"]
        revisions = sorted((r["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                            r["spec"]["replicas"]) for r in rss)
        self.assertEqual(revisions, [("2", 0), ("3", 2)])

    def test_crash_image_via_apply(self):
        self.deploy()
        self.wait_rolled_out()
        self.deploy(image="registry.example.com/web:crash")
        restarted = lambda: [p for p in self.cluster.objects("Pod", NS)
                             if p["status"]["containerStatuses"][0]["restartCount"] > 0]
        self.assertEqual(len(self.cluster.wait_for(lambda: len(restarted()) == 1 and
                                                   restarted(), timeout=3)), 1)
        crashing = [p for p in self.pods()
                    if p["spec"]["containers"][0]["image"].endswith(":crash")]
        self.assertEqual(len(crashing), 1)  # one surge pod; the old pods keep serving
        for pod in crashing:
            cs = self.cluster.wait_for(lambda: next(
                (c for p in self.cluster.objects("Pod", NS) if p["metadata"]["name"] ==
                 pod["metadata"]["name"] for c in p["status"]["containerStatuses"]
                 if c["state"].get("waiting")), None), timeout=5)
            self.assertEqual(cs["state"]["waiting"]["reason"], "CrashLoopBackOff")
            self.assertGreater(cs["restartCount"], 0)
            self.assertFalse(cs["ready"])
            self.assertEqual(pod["status"]["phase"], "Running")
        logs = self.kubectl("logs", crashing[0]["metadata"]["name"], "-n", NS).stdout
        self.assertIn("ERROR", logs.splitlines()[-1])
        self.assertNotEqual(self.rollout("1s").returncode, 0)

    def test_progress_deadline_exceeded(self):
        self.deploy(image="registry.example.com/web:broken", deadline=1)
        result = self.rollout("10s")
        self.assertEqual(result.returncode, 1)
        self.assertIn("exceeded its progress deadline", result.stderr)

    def test_scale(self):
        self.deploy()
        self.wait_rolled_out()
        self.kubectl("scale", "deployment/web", "--replicas=3", "-n", NS)
        self.wait_rolled_out()
        self.assertEqual(len(self.pods()), 3)
        self.kubectl("scale", "deployment/web", "--replicas=1", "-n", NS)
        self.wait_rolled_out()
        # The two surplus pods terminate gracefully: deletionTimestamp first, then gone.
        live = [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]
        self.assertEqual(len(live), 1)
        self.assertEqual(len(self.cluster.wait_for(lambda: len(self.pods()) == 1 and self.pods())), 1)

    def test_human_readable_get(self):
        self.deploy()
        self.wait_rolled_out()
        out = self.kubectl("get", "deploy,rs,pods,svc", "-n", NS).stdout
        self.assertIn("deployment.apps/web", out)
        self.assertRegex(out, r"deployment\.apps/web\s+2/2\s+2\s+2")
        self.assertIn("Running", out)


class LogTests(KubectlTestCase):
    def setUp(self):
        super().setUp()
        self.deploy()
        self.wait_rolled_out()
        self.pod = sorted(p["metadata"]["name"] for p in self.pods())[0]

    def logs(self, *args):
        return self.kubectl("logs", *args, "-n", NS).stdout.splitlines()

    def test_tail_timestamps_since_container(self):
        everything = self.logs(self.pod)
        self.assertEqual(len(everything), 20)
        self.assertIn("INFO app started on port 8080", everything[0])
        self.assertEqual(self.logs(self.pod, "--tail=5"), everything[-5:])
        stamped = self.logs(self.pod, "--tail=2", "--timestamps")
        self.assertEqual(len(stamped), 2)
        self.assertRegex(stamped[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")
        self.assertEqual(stamped[1].split(" ", 1)[1], everything[-1])
        self.assertEqual(len(self.logs(self.pod, "--since=1h")), 20)
        recent = self.logs(self.pod, "--since=2m")
        self.assertTrue(0 < len(recent) < 20, recent)
        self.assertEqual(self.logs(self.pod, "-c", "app", "--tail=1"), everything[-1:])
        result = self.cluster.kubectl("logs", "missing-pod", "-n", NS)
        self.assertEqual(result.returncode, 1)
        self.assertIn('pods "missing-pod" not found', result.stderr)

    def test_selector_with_prefix(self):
        lines = self.logs("-l", LABEL, "--prefix", "--tail=3")
        self.assertEqual(len(lines), 6)
        pods = {line.split("]")[0] for line in lines}
        self.assertEqual(len(pods), 2)
        self.assertTrue(all(p.startswith("[pod/web-") and p.endswith("/app") for p in pods))

    def test_follow_ends_when_pod_deleted(self):
        proc = self.cluster.kubectl_popen("logs", "-f", self.pod, "-n", NS, "--tail=1")
        time.sleep(1.0)
        self.cluster.delete_pod(NS, self.pod)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail("kubectl logs -f did not end when the pod was deleted")
        self.assertEqual(proc.returncode, 0, err)
        lines = out.splitlines()
        self.assertGreaterEqual(len(lines), 4)
        self.assertIn("request 20 GET /healthz 200", lines[1])

    def test_watch_streams(self):
        proc = self.cluster.kubectl_popen("get", "pods", "-n", NS, "-w", "-o", "json")
        watching = lambda: [r for r in self.cluster.requests() if "watch=true" in r["query"]]
        self.assertTrue(self.cluster.wait_for(watching, timeout=5))
        self.kubectl("scale", "deployment/web", "--replicas=3", "-n", NS)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=5)
        decoder, objects, text = json.JSONDecoder(), [], out.strip()
        while text:
            obj, end = decoder.raw_decode(text)
            objects.append(obj)
            text = text[end:].strip()
        names = {o["metadata"]["name"] for o in objects}
        self.assertEqual(len(names), 3, names)
        self.assertTrue(any(o["status"]["phase"] == "Running" and o["metadata"]["name"]
                            not in {p for p in [self.pod]} for o in objects))


class BulkLogTests(KubectlTestCase):
    crds = ()

    def test_log_bytes(self):
        with TestCluster(log_bytes=3_000_001) as cluster:
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
                   "spec": {"containers": [{"name": "app", "image": "x:1"}]}}
            result = cluster.kubectl(*APPLY, input=json.dumps(pod))
            self.assertEqual(result.returncode, 0, result.stderr)
            cluster.kubectl("wait", "--for=condition=Ready", "pod/big", "--timeout=5s")
            full = subprocess.run(f"{KUBECTL} logs big | wc -c", shell=True, capture_output=True,
                                  text=True, env=dict(os.environ, **cluster.env()))
            self.assertEqual(full.stdout.strip(), "3000001")
            tail = cluster.kubectl("logs", "big", "--tail=2").stdout.splitlines()
            self.assertEqual(len(tail), 2)
            self.assertIn("INFO request", tail[0])


class DeleteTests(KubectlTestCase):
    def test_delete_deployment_cascades(self):
        self.deploy()
        self.wait_rolled_out()
        out = self.kubectl("delete", "deployment", "web", "-n", NS).stdout
        self.assertEqual(out, 'deployment.apps "web" deleted from shop namespace\n'
                         if "from" in out else 'deployment.apps "web" deleted\n')
        self.assertEqual(self.cluster.objects("ReplicaSet", NS), [])
        # background cascade: the pods terminate gracefully after the DELETE returned
        pods = self.cluster.objects("Pod", NS)
        self.assertTrue(all(p["metadata"].get("deletionTimestamp") for p in pods))
        self.assertTrue(self.cluster.wait_for(lambda: self.cluster.objects("Pod", NS) == []))
        self.assertIsNotNone(self.cluster.object("Service", NS, "web"))

    def test_delete_namespace_removes_everything(self):
        self.deploy()
        self.wait_rolled_out()
        self.kubectl("create", "configmap", "settings", "--from-literal=a=1", "-n", NS)
        self.kubectl("delete", "namespace", NS, timeout=15)
        left = [o for o in self.cluster.state()["objects"]
                if o["metadata"].get("namespace") == NS or o["metadata"]["name"] == NS]
        self.assertEqual(left, [])
        result = self.kubectl("get", "deployment", "web", "-n", NS, ok=False)
        self.assertEqual(result.returncode, 1)
        # kubectl looks up the namespace after a NotFound, as against a real cluster
        self.assertIn('namespaces "shop" not found', result.stderr)

    def test_delete_missing_with_ignore_not_found(self):
        self.kubectl("delete", "deployment", "nope", "-n", "default", "--ignore-not-found")
        result = self.kubectl("delete", "deployment", "nope", "-n", "default", ok=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn('deployments.apps "nope" not found', result.stderr)

    def test_delete_by_label(self):
        self.kubectl("create", "namespace", NS)
        for name in ("a", "b", "c"):
            self.kubectl("create", "configmap", name, "-n", NS)
        self.kubectl("label", "configmap", "a", "b", "group=x", "-n", NS)
        self.kubectl("delete", "configmap", "-l", "group in (x)", "-n", NS)
        self.assertEqual([c["metadata"]["name"] for c in self.cluster.objects("ConfigMap", NS)],
                         ["c"])


class FaultAndLifecycleTests(KubectlTestCase):
    def test_fault_on_patch(self):
        self.cluster.fault(method="PATCH", path_prefix="/apis/apps/v1", status=500,
                           message="etcd is on fire")
        result = self.kubectl(*APPLY, input=manifest(), ok=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("etcd is on fire", result.stderr)
        self.assertIsNone(self.cluster.object("Deployment", NS, "web"))
        self.deploy()  # the fault was used up
        self.assertIsNotNone(self.cluster.object("Deployment", NS, "web"))

    def test_forever_fault_and_clear(self):
        self.cluster.fault(method="GET", path_prefix="/api/v1/namespaces/default/configmaps",
                           status=503, count=-1)
        for _ in range(2):
            self.assertEqual(self.kubectl("get", "cm", "-n", "default", ok=False).returncode, 1)
        self.cluster.clear_faults()
        result = self.kubectl("get", "cm", "-n", "default", quiet=False)
        self.assertEqual(result.stderr, "No resources found in default namespace.\n")

    def test_sigint_exits_cleanly(self):
        self.cluster.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.cluster.proc.wait(5), 0)

    def test_sigterm_with_open_watch_exits_cleanly(self):
        watch = self.cluster.kubectl_popen("get", "pods", "-A", "-w")
        time.sleep(0.5)
        self.assertEqual(self.cluster.stop(), 0)
        watch.kill()
        watch.communicate()
        result = self.cluster.kubectl("get", "pods", "--request-timeout=2s")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"The connection to the server 127.0.0.1:{self.cluster.port} was refused",
                      result.stderr)


if __name__ == "__main__":
    unittest.main()
