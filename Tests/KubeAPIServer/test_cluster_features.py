"""The test server's model of what create/destroy/logs meet on real clusters: aggregated APIs
that are down, RBAC-like Forbidden answers, server-side apply conflicts, finalizers and
foreground deletion, init/sidecar/ephemeral containers and their logs. Real kubectl 1.37.

    python3 -m unittest test_cluster_features -v    (from Tests/KubeAPIServer)
"""

import json
import os
import unittest

from harness import KUBECTL, TestCluster

SMON = "servicemonitors.monitoring.coreos.com"


@unittest.skipUnless(os.access(KUBECTL, os.X_OK), f"{KUBECTL} missing: run scripts/install-tools.sh")
class ClusterTestCase(unittest.TestCase):
    crds = (SMON,)

    def setUp(self):
        self.cluster = TestCluster(ready_delay=0.2, crds=self.crds)
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        self.addCleanup(self.assert_no_server_errors)
        self.addCleanup(self.cluster.stop)

    def assert_no_server_errors(self):
        self.assertNotIn("Traceback", self.cluster.server_log())

    def apply(self, *docs, manager="platform", force=False, namespace=None):
        args = ["apply", "--server-side", f"--field-manager={manager}", "-f", "-"]
        if force:
            args.append("--force-conflicts")
        if namespace:
            args += ["-n", namespace]
        body = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(docs)})
        return self.cluster.kubectl(*args, input=body)


class AggregatedAPITests(ClusterTestCase):
    def test_an_unavailable_group_is_listed_answers_503_and_fails_api_resources(self):
        self.cluster.make_unavailable("metrics.k8s.io", "v1beta1")
        groups = json.loads(self.cluster.kubectl("get", "--raw", "/apis").stdout)
        self.assertIn("metrics.k8s.io", [g["name"] for g in groups["groups"]])
        down = self.cluster.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1")
        self.assertEqual(down.returncode, 1)
        self.assertIn("Error from server (ServiceUnavailable)", down.stderr)
        # what real kubectl does with a broken aggregated API: partial output, exit 1, even filtered
        resources = self.cluster.kubectl("api-resources", "--api-group=monitoring.coreos.com", "-o", "name")
        self.assertEqual(resources.returncode, 1, resources.stderr)
        self.assertIn("servicemonitors.monitoring.coreos.com", resources.stdout)
        self.assertIn("unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1",
                      resources.stderr)
        # the group's own discovery document still answers, and gets of other kinds work
        raw = self.cluster.kubectl("get", "--raw", "/apis/monitoring.coreos.com/v1")
        self.assertEqual(raw.returncode, 0, raw.stderr)
        self.assertEqual([r["name"] for r in json.loads(raw.stdout)["resources"]], ["servicemonitors"])
        self.assertEqual(self.cluster.kubectl("get", "namespaces", "-o", "name").returncode, 0)
        # an absent group is a 404 (kubectl: "Error from server (NotFound)")
        absent = self.cluster.kubectl("get", "--raw", "/apis/nothing.example.com/v1")
        self.assertEqual(absent.returncode, 1)
        self.assertIn("Error from server (NotFound)", absent.stderr)
        self.cluster.request("DELETE", "/_test/aggregated?group=metrics.k8s.io")
        cache = os.path.join(self.cluster.tmp, "kube-cache")
        self.assertEqual(self.cluster.kubectl("api-resources", "--cache-dir", cache + "-2",
                                              "-o", "name").returncode, 0)


class ForbiddenTests(ClusterTestCase):
    def test_forbid_answers_403_for_exactly_that_path(self):
        self.cluster.kubectl("create", "namespace", "dev")
        self.cluster.forbid("/api/v1/namespaces/dev", message='namespaces "dev" is forbidden: '
                            'User "ci" cannot get resource "namespaces" in API group ""')
        got = self.cluster.kubectl("get", "namespace", "dev", "-o", "json")
        self.assertEqual(got.returncode, 1)
        self.assertIn('Error from server (Forbidden): namespaces "dev" is forbidden', got.stderr)
        inside = self.cluster.kubectl("get", "configmaps", "-n", "dev", "-o", "json")
        self.assertEqual(inside.returncode, 0, inside.stderr)


class ApplyConflictTests(ClusterTestCase):
    NS = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "dev", "labels": {"app.kubernetes.io/managed-by": "platform"}}}

    def managers(self, obj, *path):
        out = []
        for entry in obj["metadata"].get("managedFields") or []:
            node = entry.get("fieldsV1") or {}
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                out.append(entry["manager"])
        return out

    def test_a_field_of_another_manager_with_another_value_conflicts_unless_forced(self):
        helm = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": "dev", "labels": {"app.kubernetes.io/managed-by": "Helm"}}})
        self.assertEqual(self.cluster.kubectl("create", "-f", "-", "--field-manager=helm",
                                              input=helm).returncode, 0)
        refused = self.apply(self.NS, manager="platform/shop")
        self.assertEqual(refused.returncode, 1)
        self.assertIn('Apply failed with 1 conflict: conflict with "helm" using v1: '
                      ".metadata.labels.app.kubernetes.io/managed-by", refused.stderr)
        self.assertIn("--force-conflicts", refused.stderr)  # kubectl's own hint for a 409 on apply
        ns = self.cluster.object("Namespace", None, "dev")
        self.assertEqual(ns["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm")

        forced = self.apply(self.NS, manager="platform/shop", force=True)
        self.assertEqual(forced.returncode, 0, forced.stderr)
        ns = self.cluster.object("Namespace", None, "dev")
        self.assertEqual(ns["metadata"]["labels"]["app.kubernetes.io/managed-by"], "platform")
        label = ("f:metadata", "f:labels", "f:app.kubernetes.io/managed-by")
        self.assertEqual(self.managers(ns, *label), ["platform/shop"])

    def test_the_same_value_is_shared_ownership_and_a_list_item_conflict_names_its_key(self):
        self.assertEqual(self.apply(self.NS, manager="platform/shop").returncode, 0)
        shared = self.apply(self.NS, manager="platform/cart")
        self.assertEqual(shared.returncode, 0, shared.stderr)
        ns = self.cluster.object("Namespace", None, "dev")
        self.assertEqual(sorted(self.managers(ns, "f:metadata", "f:labels",
                                              "f:app.kubernetes.io/managed-by")),
                         ["platform/cart", "platform/shop"])
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "dev"},
               "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                   "metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}
        self.assertEqual(self.apply(dep, manager="platform/web").returncode, 0)
        dep["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"
        other = self.apply(dep, manager="platform-deploy")
        self.assertEqual(other.returncode, 1)
        self.assertIn('conflict with "platform/web" using apps/v1: '
                      '.spec.template.spec.containers[name="web"].image', other.stderr)
        dry = self.cluster.kubectl("apply", "--server-side", "--field-manager=platform-deploy",
                                   "--dry-run=server", "-f", "-",
                                   input=json.dumps(dep))
        self.assertEqual(dry.returncode, 1, "a server-side dry run reports the conflict too")


class DeletionTests(ClusterTestCase):
    DEP = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "dev"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
               "metadata": {"labels": {"app": "web"}},
               "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}

    def setUp(self):
        super().setUp()
        self.cluster.kubectl("create", "namespace", "dev")

    def pods(self):
        return self.cluster.objects("Pod", "dev")

    def test_foreground_keeps_the_owner_until_its_pods_are_gone(self):
        self.assertEqual(self.apply(self.DEP).returncode, 0)
        self.assertTrue(self.cluster.wait_for(lambda: len(self.pods()) == 2))
        out = self.cluster.kubectl("delete", "deployment/web", "-n", "dev", "--cascade=foreground",
                                   "--wait=false")
        self.assertEqual(out.returncode, 0, out.stderr)
        dep = self.cluster.object("Deployment", "dev", "web")
        self.assertIsNotNone(dep["metadata"].get("deletionTimestamp"))
        self.assertEqual(dep["metadata"]["finalizers"], ["foregroundDeletion"])
        self.assertTrue(all(p["metadata"].get("deletionTimestamp") for p in self.pods()))
        self.assertTrue(self.cluster.wait_for(lambda: not self.cluster.objects(namespace="dev", kind="Deployment"),
                                              timeout=10))
        self.assertEqual(self.pods(), [])
        self.assertEqual(self.cluster.objects("ReplicaSet", "dev"), [])

    def test_background_returns_while_pods_still_terminate(self):
        self.assertEqual(self.apply(self.DEP).returncode, 0)
        self.assertTrue(self.cluster.wait_for(lambda: len(self.pods()) == 2))
        out = self.cluster.kubectl("delete", "deployment/web", "-n", "dev")  # kubectl's defaults
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIsNone(self.cluster.object("Deployment", "dev", "web"))
        self.assertTrue(self.pods() and all(p["metadata"].get("deletionTimestamp") for p in self.pods()))
        self.assertTrue(self.cluster.wait_for(lambda: not self.pods(), timeout=10))

    def test_a_finalizer_keeps_the_object_terminating_until_it_is_removed(self):
        ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "dev", "finalizers": ["example.com/lb"]},
               "spec": {}}
        self.assertEqual(self.apply(ing).returncode, 0)
        out = self.cluster.kubectl("delete", "ingress/web", "-n", "dev", "--timeout=1s")
        self.assertEqual(out.returncode, 1)
        self.assertIn("timed out waiting for the condition on ingresses/web", out.stderr)
        obj = self.cluster.object("Ingress", "dev", "web")
        self.assertIsNotNone(obj["metadata"].get("deletionTimestamp"))
        patch = self.cluster.kubectl("patch", "ingress", "web", "-n", "dev", "--type=merge",
                                     "-p", '{"metadata":{"finalizers":null}}')
        self.assertEqual(patch.returncode, 0, patch.stderr)
        self.assertTrue(self.cluster.wait_for(lambda: self.cluster.object("Ingress", "dev", "web") is None))


class ContainerLogTests(ClusterTestCase):
    CRASHED = {"terminated": {"exitCode": 1, "reason": "Error"}}

    def post(self, name, status, init=()):
        spec = {"containers": [{"name": "web", "image": "web:1"}]}
        if init:
            spec["initContainers"] = [{"name": n, "image": "web-init:1"} for n in init]
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "dev"},
               "spec": spec, "status": status}
        out = self.cluster.kubectl("create", "-f", "-", input=json.dumps(pod))
        self.assertEqual(out.returncode, 0, out.stderr)

    def setUp(self):
        super().setUp()
        self.cluster.kubectl("create", "namespace", "dev")

    def test_init_containers_previous_and_evicted(self):
        waiting = {"waiting": {"reason": "PodInitializing"}}
        self.post("init", {"phase": "Pending", "initContainerStatuses": [
            {"name": "migrate", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": self.CRASHED}],
            "containerStatuses": [{"name": "web", "restartCount": 0, "state": waiting}]}, init=["migrate"])
        out = self.cluster.kubectl("logs", "init", "-n", "dev", "-c", "migrate")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("INFO migrate", out.stdout)
        main = self.cluster.kubectl("logs", "init", "-n", "dev", "-c", "web")
        self.assertEqual(main.returncode, 1)
        self.assertIn("is waiting to start: PodInitializing", main.stderr)

        self.post("restarted", {"phase": "Running", "containerStatuses": [
            {"name": "web", "restartCount": 7, "state": {"running": {}}, "lastState": self.CRASHED}]})
        now = self.cluster.kubectl("logs", "restarted", "-n", "dev")
        self.assertNotIn("ERROR", now.stdout)
        prev = self.cluster.kubectl("logs", "restarted", "-n", "dev", "--previous")
        self.assertEqual(prev.returncode, 0, prev.stderr)
        self.assertIn("ERROR fatal", prev.stdout)
        self.post("fresh", {"phase": "Running", "containerStatuses": [
            {"name": "web", "restartCount": 0, "state": {"running": {}}}]})
        none = self.cluster.kubectl("logs", "fresh", "-n", "dev", "--previous")
        self.assertEqual(none.returncode, 1)
        self.assertIn('previous terminated container "web" in pod "fresh" not found', none.stderr)

        self.post("evicted", {"phase": "Failed", "reason": "Evicted", "containerStatuses": [
            {"name": "web", "restartCount": 0, "state": self.CRASHED}]})
        gone = self.cluster.kubectl("logs", "evicted", "-n", "dev")
        self.assertEqual(gone.returncode, 1)
        self.assertIn("unable to retrieve container logs", gone.stderr)


if __name__ == "__main__":
    unittest.main()
