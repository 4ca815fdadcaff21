"""The workload controllers (workloads.py) driven by the real kubectl.

    python3 -m unittest discover -s Tests/KubeAPIServer -p 'test_workloads.py' -v
"""

import json
import os
import subprocess
import time
import unittest

from harness import KUBECTL, TestCluster

NS = "shop"


def deployment(image="registry.example.com/web:1.0", replicas=2, surge=None, unavailable=None,
               cpu=None, deadline=None, paused=False):
    container = {"name": "web", "image": image, "ports": [{"containerPort": 8080}]}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                         "spec": {"containers": [container]}}}
    if surge is not None or unavailable is not None:
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {
            "maxSurge": surge if surge is not None else "25%",
            "maxUnavailable": unavailable if unavailable is not None else "25%"}}
    if deadline is not None:
        spec["progressDeadlineSeconds"] = deadline
    if paused:
        spec["paused"] = True
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS,
                         "labels": {"app.kubernetes.io/name": "web"}}, "spec": spec}


def pod(name, phase, reason=None, restarts=0, owner=None, labels=None):
    status = {"phase": phase}
    if reason:
        status["reason"] = reason
        status["message"] = "The node was low on resource: memory."
    if phase == "Running":
        status["conditions"] = [{"type": "Ready", "status": "True"}]
        status["containerStatuses"] = [{"name": "web", "ready": True, "restartCount": restarts,
                                        "image": "registry.example.com/web:1.0",
                                        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]
    meta = {"name": name, "namespace": NS,
            "labels": labels or {"app.kubernetes.io/name": "web"}}
    if owner:
        meta["ownerReferences"] = [owner]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1.0"}]},
            "status": status}


@unittest.skipUnless(os.access(KUBECTL, os.X_OK), f"{KUBECTL} missing: run scripts/install-tools.sh")
class WorkloadTestCase(unittest.TestCase):
    extra_args = ()

    def setUp(self):
        self.cluster = TestCluster(ready_delay=0.3, extra_args=self.extra_args)
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        self.addCleanup(lambda: self.assertNotIn("Traceback", self.cluster.server_log()))
        self.addCleanup(self.cluster.stop)
        self.kubectl("create", "namespace", NS)

    def kubectl(self, *args, input=None, ok=True):
        result = self.cluster.kubectl(*args, input=input)
        if ok:
            self.assertEqual(result.returncode, 0, f"kubectl {' '.join(args)}: {result.stderr}")
        return result

    def apply(self, obj):
        return self.kubectl("apply", "--server-side", "--field-manager=test", "-f", "-",
                            input=json.dumps(obj))

    def wait_for(self, what, predicate, timeout=15):
        value = self.cluster.wait_for(predicate, timeout=timeout)
        self.assertTrue(value, f"gave up waiting for {what}")
        return value

    def dep(self):
        return self.cluster.object("Deployment", NS, "web")

    def condition(self, obj, ctype):
        return next((c for c in (obj.get("status") or {}).get("conditions") or []
                     if c["type"] == ctype), None)

    def pods(self, active=True):
        pods = self.cluster.objects("Pod", NS)
        if active:
            pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        return pods

    def rolled_out(self, image):
        dep = self.dep()
        st = dep.get("status") or {}
        progressing = self.condition(dep, "Progressing") or {}
        return st.get("observedGeneration") == dep["metadata"]["generation"] and \
            st.get("updatedReplicas") == dep["spec"]["replicas"] == st.get("availableReplicas") \
            == st.get("replicas") and progressing.get("reason") == "NewReplicaSetAvailable" and \
            dep["spec"]["template"]["spec"]["containers"][0]["image"] == image


class RollingUpdateTests(WorkloadTestCase):
    def test_rolling_steps_honour_max_surge_and_max_unavailable(self):
        self.apply(deployment(replicas=4, surge=1, unavailable=0))
        self.wait_for("first rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        self.apply(deployment(image="registry.example.com/web:2.0", replicas=4, surge=1,
                              unavailable=0))
        most, fewest_ready = 0, 4
        deadline = time.time() + 20
        while time.time() < deadline and not self.rolled_out("registry.example.com/web:2.0"):
            pods = self.pods()
            most = max(most, len(pods))
            ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in p["status"].get("conditions") or [])]
            fewest_ready = min(fewest_ready, len(ready))
            time.sleep(0.02)
        self.assertTrue(self.rolled_out("registry.example.com/web:2.0"))
        self.assertEqual(most, 5)           # desired 4 + maxSurge 1, never more
        self.assertEqual(fewest_ready, 4)   # maxUnavailable 0: never fewer than 4 ready
        rss = sorted(self.cluster.objects("ReplicaSet", NS),
                     key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        self.assertEqual([r["spec"]["replicas"] for r in rss], [0, 4])
        uid = self.dep()["metadata"]["uid"]
        for rs in rss:
            self.assertEqual(rs["metadata"]["ownerReferences"][0]["uid"], uid)
            self.assertEqual(rs["metadata"]["labels"]["pod-template-hash"],
                             rs["metadata"]["name"].rsplit("-", 1)[1])
        new_hash = rss[1]["metadata"]["labels"]["pod-template-hash"]
        self.assertEqual({p["metadata"]["labels"]["pod-template-hash"] for p in self.pods()},
                         {new_hash})
        self.assertEqual(self.dep()["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2")

    def test_conditions_follow_the_controller(self):
        self.apply(deployment(image="registry.example.com/web:broken", replicas=2, deadline=2))
        dep = self.wait_for("the rollout to time out", lambda: (
            (self.condition(self.dep(), "Progressing") or {}).get("reason") ==
            "ProgressDeadlineExceeded") and self.dep())
        progressing = self.condition(dep, "Progressing")
        self.assertEqual(progressing["status"], "False")
        self.assertRegex(progressing["message"], r'^ReplicaSet "web-\w+" has timed out progressing\.$')
        self.assertEqual(self.condition(dep, "Available")["reason"], "MinimumReplicasUnavailable")
        self.assertEqual(dep["status"]["observedGeneration"], dep["metadata"]["generation"])
        self.assertEqual(dep["status"]["unavailableReplicas"], 2)
        # a new template: a new ReplicaSet, Progressing again, then complete
        self.apply(deployment(image="registry.example.com/web:2.0", replicas=2, deadline=2))
        self.wait_for("the new rollout", lambda: self.rolled_out("registry.example.com/web:2.0"))
        new_hash = self.pods()[0]["metadata"]["labels"]["pod-template-hash"]
        self.assertEqual(self.condition(self.dep(), "Progressing")["message"],
                         f'ReplicaSet "web-{new_hash}" has successfully progressed.')

    def test_paused_deployment_rolls_nothing_out_until_resumed(self):
        self.apply(deployment())
        self.wait_for("first rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        self.kubectl("rollout", "pause", "deployment/web", "-n", NS)
        self.apply(deployment(image="registry.example.com/web:2.0"))
        dep = self.wait_for("paused", lambda: (self.condition(self.dep(), "Progressing") or {})
                            .get("reason") == "DeploymentPaused" and self.dep())
        self.assertTrue(dep["spec"]["paused"])
        self.assertEqual(self.condition(dep, "Progressing")["status"], "Unknown")
        time.sleep(1)
        self.assertEqual(len(self.cluster.objects("ReplicaSet", NS)), 1)
        self.kubectl("rollout", "resume", "deployment/web", "-n", NS)
        self.wait_for("rollout after resume", lambda: self.rolled_out("registry.example.com/web:2.0"))

    def test_terminating_pods_have_a_deletion_timestamp_then_go(self):
        self.apply(deployment(replicas=3))
        self.wait_for("rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        self.kubectl("scale", "deployment/web", "--replicas=1", "-n", NS)
        terminating = self.wait_for("terminating pods", lambda: [
            p for p in self.pods(active=False) if p["metadata"].get("deletionTimestamp")])
        self.assertEqual(terminating[0]["metadata"]["deletionGracePeriodSeconds"], 30)
        self.wait_for("them gone", lambda: len(self.pods(active=False)) == 1)
        self.assertEqual(self.cluster.object("ReplicaSet", NS, self.cluster.objects(
            "ReplicaSet", NS)[0]["metadata"]["name"])["status"]["replicas"], 1)


class PodLifecycleTests(WorkloadTestCase):
    extra_args = ("--pull-fail-seconds", "2")

    def container(self, pod):
        return pod["status"]["containerStatuses"][0]

    def test_pending_running_ready(self):
        self.apply(deployment(replicas=1))
        seen = []
        deadline = time.time() + 10
        while time.time() < deadline and "ready" not in seen:
            for p in self.pods():
                st = p.get("status") or {}
                ready = any(c["type"] == "Ready" and c["status"] == "True"
                            for c in st.get("conditions") or [])
                state = "ready" if ready else st.get("phase", "").lower()
                if not seen or seen[-1] != state:
                    seen.append(state)
            time.sleep(0.01)
        self.assertEqual(seen, ["pending", "running", "ready"])

    def test_flaky_pulls_fail_then_recover(self):
        self.apply(deployment(image="registry.example.com/web:flaky", replicas=1))
        reasons = set()
        deadline = time.time() + 15
        while time.time() < deadline and not self.rolled_out("registry.example.com/web:flaky"):
            for p in self.pods():
                waiting = self.container(p)["state"].get("waiting") if p["status"].get(
                    "containerStatuses") else None
                if waiting:
                    reasons.add(waiting["reason"])
            time.sleep(0.05)
        self.assertTrue(self.rolled_out("registry.example.com/web:flaky"))
        self.assertTrue({"ErrImagePull", "ImagePullBackOff"} <= reasons, reasons)

    def test_never_pull_is_permanent(self):
        self.apply(deployment(image="registry.example.com/web:neverpull", replicas=1))
        pod = self.wait_for("ErrImageNeverPull", lambda: next(
            (p for p in self.pods() if p["status"].get("containerStatuses") and
             (self.container(p)["state"].get("waiting") or {}).get("reason") ==
             "ErrImageNeverPull"), None))
        self.assertEqual(pod["status"]["phase"], "Pending")

    def test_crash_loop_back_off_grows(self):
        self.apply(deployment(image="registry.example.com/web:crash", replicas=1))
        first = self.wait_for("a restart", lambda: next(
            (p for p in self.pods() if p["status"].get("containerStatuses") and
             self.container(p)["restartCount"] >= 1), None))
        time.sleep(3)
        pod = self.cluster.object("Pod", NS, first["metadata"]["name"])
        cs = self.container(pod)
        # back-offs of 0.5, 1, 2 s: at most 3 or 4 restarts in 3.5 s, not one every 0.5 s
        self.assertIn(cs["restartCount"], (2, 3, 4))
        self.assertEqual(cs["lastState"]["terminated"]["exitCode"], 1)
        self.assertFalse(cs["ready"])

    def test_crash_twice_then_ready(self):
        self.apply(deployment(image="registry.example.com/web:crash2", replicas=1))
        self.wait_for("rollout", lambda: self.rolled_out("registry.example.com/web:crash2"))
        pod = self.pods()[0]
        self.assertEqual(self.container(pod)["restartCount"], 2)
        self.assertTrue(self.container(pod)["ready"])

    def test_earlier_restarts_of_a_pod(self):
        self.apply(deployment(replicas=1))
        self.wait_for("rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        name = self.pods()[0]["metadata"]["name"]
        self.cluster.request("POST", f"/_test/pods/{NS}/{name}/restarts?count=3")
        pod = self.wait_for("restarts", lambda: (self.container(self.cluster.object(
            "Pod", NS, name))["restartCount"] == 3) and self.cluster.object("Pod", NS, name))
        self.assertEqual(self.container(pod)["lastState"]["terminated"]["reason"], "OOMKilled")
        self.assertTrue(self.container(pod)["ready"])

    def test_unschedulable_pod_stays_pending_with_the_schedulers_message(self):
        self.apply(deployment(replicas=1, cpu="8"))
        pod = self.wait_for("an unschedulable pod", lambda: next(iter(self.pods()), None))
        time.sleep(0.5)
        pod = self.cluster.object("Pod", NS, pod["metadata"]["name"])
        scheduled = self.condition(pod, "PodScheduled")
        self.assertEqual((scheduled["status"], scheduled["reason"]), ("False", "Unschedulable"))
        self.assertIn("Insufficient cpu", scheduled["message"])
        self.assertEqual(pod["status"]["phase"], "Pending")
        self.assertNotIn("nodeName", pod["spec"])

    def test_fixed_status_pods_are_left_alone(self):
        self.apply(deployment(replicas=1))
        self.wait_for("rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        rs = self.cluster.objects("ReplicaSet", NS)[0]
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"],
                 "uid": rs["metadata"]["uid"], "controller": True}
        for p in (pod("web-evicted", "Failed", reason="Evicted", owner=owner),
                  pod("migrate-abcde", "Succeeded", labels={"app.kubernetes.io/name": "web",
                                                            "job-name": "migrate"}),
                  pod("web-old", "Running", restarts=7)):
            self.kubectl("create", "-f", "-", input=json.dumps(p))
        time.sleep(1)
        evicted = self.cluster.object("Pod", NS, "web-evicted")
        self.assertEqual((evicted["status"]["phase"], evicted["status"]["reason"]), ("Failed", "Evicted"))
        self.assertEqual(self.cluster.object("Pod", NS, "migrate-abcde")["status"]["phase"], "Succeeded")
        old = self.cluster.object("Pod", NS, "web-old")
        self.assertEqual(self.container(old)["restartCount"], 7)
        # the ReplicaSet counts only its active pods: still one replica, none deleted
        rs = self.cluster.object("ReplicaSet", NS, rs["metadata"]["name"])
        self.assertEqual(rs["status"]["replicas"], 1)
        self.assertEqual(len([p for p in self.pods() if p["metadata"]["name"].startswith(
            rs["metadata"]["name"])]), 1)


class QuotaTests(WorkloadTestCase):
    def test_quota_stops_pod_creation_and_the_replica_set_says_why(self):
        self.apply({"apiVersion": "v1", "kind": "ResourceQuota",
                    "metadata": {"name": "pods", "namespace": NS}, "spec": {"hard": {"pods": "2"}}})
        self.apply(deployment(replicas=2))
        self.wait_for("rollout", lambda: self.rolled_out("registry.example.com/web:1.0"))
        quota = self.wait_for("quota status", lambda: (self.cluster.object(
            "ResourceQuota", NS, "pods").get("status") or {}).get("used") and
            self.cluster.object("ResourceQuota", NS, "pods"))
        self.assertEqual(quota["status"]["used"], {"pods": "2"})
        self.apply(deployment(image="registry.example.com/web:2.0", replicas=2))
        dep = self.wait_for("ReplicaFailure", lambda: self.condition(self.dep(), "ReplicaFailure")
                            and self.dep())
        failure = self.condition(dep, "ReplicaFailure")
        self.assertEqual((failure["status"], failure["reason"]), ("True", "FailedCreate"))
        self.assertRegex(failure["message"], r'^pods "web-\w+-\w+" is forbidden: exceeded quota: '
                                             r"pods, requested: pods=1, used: pods=2, limited: pods=2$")
        result = self.kubectl("run", "extra", "--image=x", "-n", NS, ok=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("exceeded quota", result.stderr)


class JobTests(WorkloadTestCase):
    def job(self, name, script, backoff=0):
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
                "spec": {"backoffLimit": backoff, "template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "run", "image": "registry.example.com/web:1.0",
                                    "command": ["sh", "-c", script]}]}}}}

    def job_pod(self, name):
        return self.wait_for("the job's pod", lambda: next(
            (p for p in self.cluster.objects("Pod", NS)
             if p["metadata"]["labels"].get("batch.kubernetes.io/job-name") == name), None))

    def test_job_succeeds_and_logs_follow_until_the_container_ends(self):
        self.apply(self.job("migrate", "echo one; sleep 1; echo two; exit 0"))
        pod = self.job_pod("migrate")
        self.assertEqual(pod["metadata"]["ownerReferences"][0]["kind"], "Job")
        self.wait_for("running", lambda: self.cluster.object(
            "Pod", NS, pod["metadata"]["name"])["status"]["phase"] == "Running")
        started = time.time()
        logs = self.kubectl("logs", "-f", pod["metadata"]["name"], "-n", NS)
        self.assertEqual(logs.stdout, "one\ntwo\n")
        self.assertLess(time.time() - started, 10)
        job = self.wait_for("complete", lambda: self.condition(
            self.cluster.object("Job", NS, "migrate"), "Complete") and
            self.cluster.object("Job", NS, "migrate"))
        self.assertEqual(job["status"]["succeeded"], 1)
        self.assertIn("completionTime", job["status"])
        done = self.cluster.object("Pod", NS, pod["metadata"]["name"])
        self.assertEqual(done["status"]["phase"], "Succeeded")
        term = done["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (0, "Completed"))
        wait = self.kubectl("wait", "--for=condition=complete", "job/migrate", "-n", NS,
                            "--timeout=5s")
        self.assertIn("condition met", wait.stdout)

    def test_job_fails_with_the_containers_exit_code(self):
        self.apply(self.job("broken", "echo starting; exit 3"))
        job = self.wait_for("failed", lambda: self.condition(
            self.cluster.object("Job", NS, "broken"), "Failed") and
            self.cluster.object("Job", NS, "broken"))
        self.assertEqual(self.condition(job, "Failed")["reason"], "BackoffLimitExceeded")
        self.assertEqual(job["status"]["failed"], 1)
        pods = [p for p in self.cluster.objects("Pod", NS)
                if p["metadata"]["labels"].get("job-name") == "broken"]
        self.assertEqual(len(pods), 1)
        term = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (3, "Error"))
        self.assertEqual(pods[0]["status"]["phase"], "Failed")
        self.assertEqual(self.kubectl("logs", pods[0]["metadata"]["name"], "-n", NS).stdout,
                         "starting\n")

    def test_job_retries_up_to_its_backoff_limit(self):
        self.apply(self.job("retry", "exit 1", backoff=1))
        job = self.wait_for("failed", lambda: self.condition(
            self.cluster.object("Job", NS, "retry"), "Failed") and
            self.cluster.object("Job", NS, "retry"))
        self.assertEqual(job["status"]["failed"], 2)

    def test_a_task_killed_by_sigkill_exits_137(self):
        self.apply(self.job("killed", "echo going; kill -9 $$"))
        self.wait_for("failed", lambda: self.condition(self.cluster.object("Job", NS, "killed"), "Failed"))
        pod = self.job_pod("killed")
        term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (137, "Error"))

    def test_a_job_past_its_deadline_fails_and_its_pod_is_deleted(self):
        job = self.job("slow", "sleep 60")
        job["spec"]["activeDeadlineSeconds"] = 1
        self.apply(job)
        pod = self.job_pod("slow")
        job = self.wait_for("DeadlineExceeded", lambda: self.condition(
            self.cluster.object("Job", NS, "slow"), "Failed") and self.cluster.object("Job", NS, "slow"))
        self.assertEqual(self.condition(job, "Failed")["reason"], "DeadlineExceeded")
        self.wait_for("pod deleted", lambda: (self.cluster.object("Pod", NS, pod["metadata"]["name"]) or
                                              {"metadata": {"deletionTimestamp": "gone"}})
                      ["metadata"].get("deletionTimestamp"))

    def test_a_job_whose_pod_the_quota_refuses_gets_a_failed_create_event(self):
        self.apply({"apiVersion": "v1", "kind": "ResourceQuota",
                    "metadata": {"name": "pods", "namespace": NS}, "spec": {"hard": {"pods": "0"}}})
        self.apply(self.job("blocked", "exit 0"))
        event = self.wait_for("FailedCreate", lambda: next(
            (e for e in self.cluster.objects("Event", NS)
             if e["involvedObject"]["name"] == "blocked" and e["reason"] == "FailedCreate"), None))
        self.assertEqual((event["type"], event["involvedObject"]["kind"]), ("Warning", "Job"))
        self.assertIn("exceeded quota", event["message"])
        self.assertTrue(event["message"].startswith("Error creating: pods "), event["message"])
        listed = self.kubectl("get", "events", "-n", NS, "-o", "json", "--field-selector",
                              "involvedObject.kind=Job,involvedObject.name=blocked")
        self.assertEqual([e["reason"] for e in json.loads(listed.stdout)["items"]], ["FailedCreate"])

    def test_job_needs_a_restart_policy_that_ends(self):
        bad = self.job("bad", "exit 0")
        bad["spec"]["template"]["spec"]["restartPolicy"] = "Always"
        result = self.kubectl("apply", "--server-side", "--field-manager=test", "-f", "-",
                              input=json.dumps(bad), ok=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("restartPolicy", result.stderr)


class ImageIDTest(unittest.TestCase):
    """The imageID a kubelet reports: a tag resolves to a digest; a reference by digest keeps it."""

    def test_tags_resolve_and_digests_stay(self):
        from workloads import image_id
        tagged = image_id("registry.example.com/shop:1.0.0")
        self.assertRegex(tagged, r"^registry\.example\.com/shop@sha256:[0-9a-f]{64}$")
        self.assertEqual(image_id("registry.example.com/shop:1.0.0"), tagged, "the same tag, the same digest")
        self.assertNotEqual(image_id("registry.example.com/shop:2.0.0"), tagged)
        digest = tagged.split("@", 1)[1]
        self.assertEqual(image_id("registry.example.com/shop@" + digest), tagged, "promoted by digest: same bits")
        self.assertEqual(image_id("registry.example.com/shop:1.0.0@" + digest), tagged)
        self.assertTrue(image_id("registry:5000/team/shop:1").startswith("registry:5000/team/shop@sha256:"))
        self.assertTrue(image_id("nginx:1.27").startswith("docker.io/library/nginx@sha256:"))


if __name__ == "__main__":
    unittest.main()
