"""Immutable ConfigMaps/Secrets and envFrom in pod templates, driven through the real kubectl.

    python3 -m unittest discover -s Tests/KubeAPIServer -p 'test_config_objects.py' -v
"""

import json
import unittest

from test_kube_apiserver import APPLY, NS, KubectlTestCase, deployment


def config_map(name, data, immutable=True):
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": NS}, "data": data}
    if immutable is not None:
        doc["immutable"] = immutable
    return doc


def waiting_reason(pod):
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return ((statuses[0].get("state") or {}).get("waiting") or {}).get("reason")


def with_env_from(dep, *sources):
    dep["spec"]["template"]["spec"]["containers"][0]["envFrom"] = list(sources)
    return dep


class ImmutableTests(KubectlTestCase):
    def setUp(self):
        super().setUp()
        self.kubectl("create", "namespace", NS)

    def test_immutable_configmap_data_cannot_change(self):
        self.kubectl("create", "-f", "-", input=json.dumps(config_map("v1", {"A": "1"})))
        # --force-conflicts: "kubectl create" owns data.A, so without it a real server answers with
        # the apply conflict before it gets to the immutability check.
        changed = self.kubectl(*APPLY, "--force-conflicts", input=json.dumps(config_map("v1", {"A": "2"})),
                               ok=False)
        self.assertNotEqual(changed.returncode, 0)
        self.assertIn("field is immutable when `immutable` is set", changed.stderr)
        self.assertEqual(self.cluster.object("ConfigMap", NS, "v1")["data"], {"A": "1"})

    def test_immutable_cannot_be_switched_off_but_same_content_applies(self):
        self.kubectl("create", "-f", "-", input=json.dumps(config_map("v1", {"A": "1"})))
        self.kubectl(*APPLY, input=json.dumps(config_map("v1", {"A": "1"})))
        off = self.kubectl(*APPLY, "--force-conflicts",
                           input=json.dumps(config_map("v1", {"A": "1"}, immutable=False)), ok=False)
        self.assertIn("immutable: Forbidden", off.stderr)
        self.assertTrue(self.cluster.object("ConfigMap", NS, "v1")["immutable"])

    def test_mutable_configmap_still_changes(self):
        self.kubectl(*APPLY, input=json.dumps(config_map("m", {"A": "1"}, immutable=None)))
        self.kubectl(*APPLY, input=json.dumps(config_map("m", {"A": "2"}, immutable=None)))
        self.assertEqual(self.cluster.object("ConfigMap", NS, "m")["data"], {"A": "2"})

    def test_immutable_secret_data_cannot_change_and_can_be_deleted(self):
        secret = {"apiVersion": "v1", "kind": "Secret", "immutable": True,
                  "metadata": {"name": "s1", "namespace": NS}, "stringData": {"K": "one"}}
        self.kubectl("create", "-f", "-", input=json.dumps(secret))
        secret["stringData"] = {"K": "two"}
        changed = self.kubectl(*APPLY, input=json.dumps(secret), ok=False)
        self.assertIn("field is immutable", changed.stderr)
        self.assertEqual(self.cluster.object("Secret", NS, "s1")["data"], {"K": "b25l"})
        self.kubectl("delete", "secret", "s1", "-n", NS)
        self.assertIsNone(self.cluster.object("Secret", NS, "s1"))


class EnvFromTests(KubectlTestCase):
    def setUp(self):
        super().setUp()
        self.kubectl("create", "namespace", NS)

    def pods_of(self, name):
        return [p for p in self.pods() if any(
            (s.get("configMapRef") or {}).get("name") == name
            for s in p["spec"]["containers"][0].get("envFrom") or [])]

    def test_new_config_reference_is_a_new_replicaset(self):
        self.kubectl("create", "-f", "-", input=json.dumps(config_map("web-vars-1", {"A": "1"})))
        self.kubectl("create", "-f", "-", input=json.dumps(config_map("web-vars-2", {"A": "2"})))
        self.kubectl(*APPLY, input=json.dumps(with_env_from(
            deployment(), {"configMapRef": {"name": "web-vars-1"}})))
        self.wait_rolled_out()
        first = {r["metadata"]["name"] for r in self.cluster.objects("ReplicaSet", NS)}
        self.kubectl(*APPLY, input=json.dumps(with_env_from(
            deployment(), {"configMapRef": {"name": "web-vars-2"}})))
        self.wait_rolled_out()
        replica_sets = {r["metadata"]["name"] for r in self.cluster.objects("ReplicaSet", NS)}
        self.assertEqual(len(replica_sets - first), 1)
        self.assertEqual(len(self.cluster.wait_for(
            lambda: len(self.pods()) == 2 and len(self.pods_of("web-vars-2")) == 2 and
            self.pods_of("web-vars-2"), timeout=5)), 2)

    def test_missing_config_map_is_create_container_config_error(self):
        self.deploy()
        self.wait_rolled_out()
        self.kubectl(*APPLY, input=json.dumps(with_env_from(
            deployment(), {"configMapRef": {"name": "absent"}})))
        stuck = self.cluster.wait_for(lambda: [
            p for p in self.pods_of("absent")
            if waiting_reason(p) == "CreateContainerConfigError"], timeout=5)
        waiting = stuck[0]["status"]["containerStatuses"][0]["state"]["waiting"]
        self.assertEqual(waiting["message"], 'configmap "absent" not found')
        self.assertEqual(stuck[0]["status"]["phase"], "Pending")
        self.assertNotEqual(self.rollout("1s").returncode, 0)

    def test_optional_missing_reference_starts(self):
        self.kubectl(*APPLY, input=json.dumps(with_env_from(
            deployment(), {"secretRef": {"name": "absent", "optional": True}})))
        self.wait_rolled_out()

    def test_crash_variable_from_secret_crash_loops(self):
        self.deploy()
        self.wait_rolled_out()
        secret = {"apiVersion": "v1", "kind": "Secret", "immutable": True,
                  "metadata": {"name": "web-secrets-1", "namespace": NS},
                  "stringData": {"KUBE_TEST_CRASH": "1"}}
        self.kubectl("create", "-f", "-", input=json.dumps(secret))
        self.kubectl(*APPLY, input=json.dumps(with_env_from(
            deployment(), {"secretRef": {"name": "web-secrets-1"}})))
        crashing = self.cluster.wait_for(lambda: [
            p for p in self.pods()
            if p["spec"]["containers"][0].get("envFrom") and
            waiting_reason(p) == "CrashLoopBackOff"], timeout=5)
        state = crashing[0]["status"]["containerStatuses"][0]["state"]["waiting"]
        self.assertEqual(state["reason"], "CrashLoopBackOff")
        old = [p for p in self.pods() if not p["spec"]["containers"][0].get("envFrom")]
        self.assertEqual(len(old), 2)  # the old pods keep serving
        self.assertTrue(all(p["status"]["containerStatuses"][0]["ready"] for p in old))


if __name__ == "__main__":
    unittest.main()
