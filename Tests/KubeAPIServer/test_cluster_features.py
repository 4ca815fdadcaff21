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


if __name__ == "__main__":
    unittest.main()
