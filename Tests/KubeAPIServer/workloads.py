"""The workload controllers of the test API server (Python 3.11 standard library only).

Plays, in the server's controller thread, what kube-controller-manager, kube-scheduler and the
kubelet do for Deployments, ReplicaSets, Pods and Jobs, closely enough that kubectl and
`platform` see the states a real cluster shows (see README.md, "Workloads"):

- deployment controller: one ReplicaSet per pod template (pod-template-hash, revision
  annotations, ownerReferences), rolling steps that honour maxSurge/maxUnavailable (the rules of
  pkg/controller/deployment/rolling.go), Recreate, spec.paused, status for the observed
  generation and the Available/Progressing/ReplicaFailure conditions with the reasons
  pkg/controller/deployment/util writes (NewReplicaSetCreated, FoundNewReplicaSet,
  ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused,
  DeploymentResumed);
- replica set controller: counts only active pods (not terminating, not Failed/Succeeded),
  deletes surplus pods gracefully (deletionTimestamp, then gone), reports a failed pod creation
  (a quota, an admission denial) as ReplicaFailure/FailedCreate with the API's message;
- ResourceQuota: `spec.hard.pods` is enforced when a pod is created (403 "exceeded quota"),
  `status.used` kept up to date;
- scheduler: one node with `--node-cpu` CPUs; a pod whose CPU requests do not fit stays Pending
  with PodScheduled=False/Unschedulable and the scheduler's message;
- kubelet: Pending (ContainerCreating) -> Running -> Ready; image tags that fail (see
  `container_behaviour`), crash loops with a growing back-off, run-to-completion pods;
- job controller: a batch/v1 Job runs one pod at a time until it succeeds or `backoffLimit` is
  exceeded (conditions SuccessCriteriaMet/Complete or FailureTarget/Failed).

Pods created through the API with a `status.phase` (an Evicted, Succeeded or restarting pod a test
wants to exist) keep that status: no controller touches them.
"""

import base64
import calendar
import copy
import hashlib
import json
import re
import time

REVISION = "deployment.kubernetes.io/revision"
NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
NODE = "platform-test-node"
TERMINAL = ("Succeeded", "Failed")


# --------------------------------------------------------------------------------------------
# Small helpers shared with kube_apiserver.py


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def image_tag(image):
    last = (image or "").split("@")[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def template_hash(template):
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).digest()
    return "".join(NAME_CHARS[b % len(NAME_CHARS)] for b in digest[:10])


def owned_by(obj, uid):
    return any(r.get("uid") == uid for r in (obj.get("metadata") or {}).get("ownerReferences") or [])


def pod_ready(pod):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_active(pod):
    """kube-controller-manager's FilterActivePods: not terminating and not in a terminal phase."""
    return not (pod.get("metadata") or {}).get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in TERMINAL


def image_id(image):
    """What a kubelet reports as a container's imageID: REPOSITORY@sha256:DIGEST. A tag resolves to a
    digest of its own (here: the hash of the reference); a reference by digest keeps its digest, as a
    registry serves exactly those bytes (so a promoted digest runs as the same imageID)."""
    name, _, digest = image.partition("@")
    head, _, last = name.rpartition("/")
    repo = (head + "/" if head else "") + last.split(":", 1)[0]
    if not head:
        repo = "docker.io/library/" + repo
    if digest.startswith("sha256:"):
        return repo + "@" + digest
    return repo + "@sha256:" + hashlib.sha256(image.encode()).hexdigest()


def container_id(pod, container):
    data = (pod["metadata"]["uid"] + container.get("name", "")).encode()
    return "containerd://" + hashlib.sha256(data).hexdigest()


def cpu_millis(value):
    if value is None:
        return 0
    text = str(value)
    if text.endswith("m"):
        return int(float(text[:-1]))
    return int(float(text) * 1000)


def pod_cpu(pod):
    spec = pod.get("spec") or {}
    return sum(cpu_millis(((c.get("resources") or {}).get("requests") or {}).get("cpu"))
               for c in spec.get("containers") or [] if isinstance(c, dict))


def scaled(value, total, round_up):
    """intstr.GetScaledValueFromIntOrPercent: an int, or a percentage of `total`."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        exact = int(text[:-1]) * total / 100
        return int(-(-exact // 1)) if round_up else int(exact // 1)
    return int(text)


def surge_and_unavailable(spec, desired):
    """deploymentutil.ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 -> 1."""
    rolling = ((spec.get("strategy") or {}).get("rollingUpdate")) or {}
    surge = scaled(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, desired)


def condition(conditions, ctype):
    return next((c for c in conditions or [] if c.get("type") == ctype), None)


def set_condition(conditions, ctype, status, reason, message, now, update=True):
    """Replaces the condition of `ctype`; lastTransitionTime moves only when the status does,
    lastUpdateTime when `update` (the deployment controller's SetDeploymentCondition)."""
    prev = condition(conditions, ctype)
    stamp = rfc3339(now)
    if prev and prev.get("status") == status and prev.get("reason") == reason and \
            prev.get("message") == message and not update:
        return conditions
    new = {"type": ctype, "status": status,
           "lastUpdateTime": stamp if update or not prev else prev.get("lastUpdateTime", stamp),
           "lastTransitionTime": prev["lastTransitionTime"]
           if prev and prev.get("status") == status else stamp,
           "reason": reason, "message": message}
    return [c for c in conditions or [] if c.get("type") != ctype] + [new]


# --------------------------------------------------------------------------------------------
# What a container does, from its image tag (and, for run-to-completion pods, its command)

PULL_RETRY_BASE = 1.0    # seconds; the kubelet's image back-off starts at 10 s and doubles
PULL_RETRY_CAP = 5.0
CRASH_RUN = 0.3          # how long a crashing container runs before it exits 1


def container_behaviour(image):
    """The scripted behaviours (everything else pulls and runs fine):

    broken     every pull fails: ErrImagePull, then ImagePullBackOff, retried with back-off
    flaky      pulls fail (429 Too Many Requests) for --pull-fail-seconds, then succeed
    neverpull  ErrImageNeverPull (not present, pull policy Never): permanent
    crash      exits 1 after 0.3 s, restarted with a growing back-off (CrashLoopBackOff)
    crashN     crashes N times (e.g. crash2), then stays up and becomes ready
    """
    tag = image_tag(image)
    if tag == "broken":
        return {"pull": "broken"}
    if tag == "flaky":
        return {"pull": "flaky"}
    if tag == "neverpull":
        return {"pull": "never"}
    m = re.fullmatch(r"crash(\d*)", tag)
    if m:
        return {"crashes": int(m.group(1)) if m.group(1) else None}
    return {}


# A container whose environment (env or envFrom) sets this to "1" crash-loops like image tag crash.
CRASH_ENV = "KUBE_TEST_CRASH"


def resolve_env(cluster, pod):
    """What the kubelet does before it starts a pod's containers: envFrom and env valueFrom
    references to ConfigMaps and Secrets must exist (unless optional), else the container waits
    in CreateContainerConfigError. Returns (env per container name, error message or None)."""
    ns = pod["metadata"].get("namespace", "")
    env = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        values = {}
        for source in c.get("envFrom") or []:
            for field, kind_key, what in (("configMapRef", "/configmaps", "configmap"),
                                          ("secretRef", "/secrets", "secret")):
                ref = source.get(field)
                if not isinstance(ref, dict):
                    continue
                obj = cluster.get(cluster.kinds[kind_key], ns, ref.get("name", ""))
                if obj is None:
                    if ref.get("optional"):
                        continue
                    return None, f'{what} "{ref.get("name", "")}" not found'
                data = obj.get("data") or {}
                if what == "secret":
                    data = {k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()}
                prefix = source.get("prefix", "")
                values.update({prefix + k: v for k, v in data.items()})
        for e in c.get("env") or []:
            if isinstance(e, dict) and "value" in e:
                values[e.get("name")] = e["value"]
        env[c.get("name")] = values
    return env, None


def pull_state(kind, image, since, now, fail_for):
    """(waiting reason, message) while the image cannot be pulled, None once it is pulled."""
    if kind == "never":
        return ("ErrImageNeverPull",
                f'Container image "{image}" is not present with pull policy of Never')
    if kind == "flaky" and now >= since + fail_for:
        return None
    cause = ("429 Too Many Requests" if kind == "flaky" else "not found")
    t, attempt = since, 0
    while True:
        failing_until = t + 0.5
        if now < failing_until:
            return ("ErrImagePull", f'failed to pull and unpack image "{image}": failed to '
                                    f'resolve reference "{image}": {cause}')
        back = min(PULL_RETRY_BASE * 2 ** attempt, PULL_RETRY_CAP)
        if now < failing_until + back:
            return ("ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: '
                                        f'failed to pull and unpack image "{image}": {cause}')
        t, attempt = failing_until + back, attempt + 1


def crash_state(started, now, crashes, base):
    """Where a crash-looping container is at `now`: (state, since, restarts, last run)."""
    k, start, last = 0, started, None
    while True:
        if crashes is not None and k >= crashes:
            return ("up", start, k, last)
        end = start + CRASH_RUN
        if now < end:
            return ("running", start, k, last)
        back = min(base * 2 ** k, base * 16)
        if now < end + back:
            return ("backoff", end, k, (start, end))
        last = (start, end)
        start, k = end + back, k + 1


def run_script(container):
    """A run-to-completion container's steps from its command and args: `echo TEXT` prints,
    `sleep N` waits, `exit N` ends with that code, `kill -9 $$` ends killed (137) (a tiny subset
    of sh, enough for tests)."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    if words[:2] in (["sh", "-c"], ["/bin/sh", "-c"]):
        words = words[2:]
    text = " ".join(words)
    steps = []
    for part in re.split(r"\s*(?:;|&&|\n)\s*", text):
        m = re.fullmatch(r"echo\s+(.*)", part)
        if m:
            steps.append(("echo", m.group(1).strip("'\"")))
            continue
        m = re.fullmatch(r"sleep\s+([0-9.]+)", part)
        if m:
            steps.append(("sleep", float(m.group(1))))
            continue
        m = re.fullmatch(r"exit\s+(\d+)", part)
        if m:
            steps.append(("exit", int(m.group(1))))
            break
        if re.fullmatch(r"kill\s+-(?:9|KILL|s\s+KILL)\s+\$\$", part):
            steps.append(("exit", 137))    # killed by SIGKILL: 128 + 9, reason Error (not OOMKilled)
            break
        if part:
            steps.append(("echo", f"running {part}"))
    return steps


def script_timeline(steps, started):
    """[(time, line)], finish time, exit code of a run-to-completion container."""
    t, lines, code = started, [], 0
    for op, arg in steps:
        if op == "echo":
            lines.append((t, arg))
            t += 0.001
        elif op == "sleep":
            t += arg
        elif op == "exit":
            code = arg
            break
    return lines, max(t, started + 0.2), code


def run_to_completion(pod):
    return ((pod.get("spec") or {}).get("restartPolicy") or "Always") != "Always"


# --------------------------------------------------------------------------------------------
# The controllers


class Workloads:
    def __init__(self, cluster):
        self.c = cluster
        self.last_progress = {}  # deployment uid -> time of the last progress (float)
        self.paused = {}         # deployment uid -> was paused at the last sync
        self.events = {}         # deployment uid -> (reason, message) of a new/found ReplicaSet

    def kind(self, key):
        return self.c.kinds[key]

    # -- admission (called by Cluster.create for every new pod)

    def admit_pod(self, pod, ns):
        """The message of a 403 when a ResourceQuota of `ns` has no room for the pod, else None."""
        quotas = self.c.kinds.get("/resourcequotas")
        if quotas is None:
            return None
        for quota in self.c.list(quotas, ns):
            hard = (quota.get("spec") or {}).get("hard") or {}
            if "pods" not in hard:
                continue
            limit = int(hard["pods"])
            used = self.pods_counted(ns)
            if used + 1 > limit:
                name = (pod.get("metadata") or {}).get("name") or ""
                return (f'pods "{name}" is forbidden: exceeded quota: '
                        f'{quota["metadata"]["name"]}, requested: pods=1, used: pods={used}, '
                        f"limited: pods={limit}")
        return None

    def pods_counted(self, ns):
        """Pods a quota counts: every pod that is not in a terminal phase (terminating ones too)."""
        return sum(1 for p in self.c.list(self.kind("/pods"), ns)
                   if (p.get("status") or {}).get("phase") not in TERMINAL)

    # -- the loop

    def reconcile(self, now):
        pods, rss, deps = (self.kind(k) for k in ("/pods", "apps/replicasets", "apps/deployments"))
        jobs = self.c.kinds.get("batch/jobs")
        for pod in list(self.c.objects[pods.key].values()):
            self.kubelet(pods, pod, now)
        for dep in list(self.c.objects[deps.key].values()):
            self.sync_deployment(deps, rss, dep, now)
        for rs in list(self.c.objects[rss.key].values()):
            self.sync_replicaset(rss, pods, rs, now)
        if jobs is not None:
            for job in list(self.c.objects[jobs.key].values()):
                self.sync_job(jobs, pods, job, now)
        for dep in list(self.c.objects[deps.key].values()):
            self.deployment_status(deps, rss, dep, now)
        quotas = self.c.kinds.get("/resourcequotas")
        if quotas is not None:
            for quota in list(self.c.objects[quotas.key].values()):
                self.quota_status(quotas, quota)

    # -- scheduler + kubelet

    def kubelet(self, pods, pod, now):
        uid = pod["metadata"]["uid"]
        sim = self.c.pod_sim.setdefault(uid, {"created": now, "ip": self.c.allocate_ip("pod")})
        if sim.get("fixed"):
            return
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            if now >= sim.setdefault("deleting", now) + self.c.opts.terminate_delay:
                self.c._delete_obj(pods, pod, True)
            return
        new = copy.deepcopy(pod)
        spec = new.setdefault("spec", {})
        if not spec.get("nodeName"):
            reason = self.unschedulable(pod)
            if reason is None:
                spec["nodeName"] = NODE
                sim["scheduled"] = now
        elif "scheduled" not in sim:
            sim["scheduled"] = sim["created"]
        new["status"] = self.pod_status(new, sim, now)
        if new != pod:
            self.c._write(pods, pod, new)

    def unschedulable(self, pod):
        want = pod_cpu(pod)
        if want == 0:
            return None
        ns_pods = [p for (_, _), p in self.c.objects[self.kind("/pods").key].items()]
        used = sum(pod_cpu(p) for p in ns_pods if (p.get("spec") or {}).get("nodeName") == NODE
                   and (p.get("status") or {}).get("phase") not in TERMINAL)
        if used + want > cpu_millis(self.c.opts.node_cpu):
            return "Insufficient cpu"
        return None

    def pod_status(self, pod, sim, now):
        spec = pod.get("spec") or {}
        meta = pod["metadata"]
        delay = self.c.opts.ready_delay
        created_s = rfc3339(sim["created"])
        if "scheduled" not in sim:
            return {"phase": "Pending", "qosClass": qos(spec), "conditions": [{
                "type": "PodScheduled", "status": "False", "lastProbeTime": None,
                "lastTransitionTime": created_s, "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes "
                           "are available: 1 No preemption victims found for incoming pod."}]}
        scheduled = sim["scheduled"]
        started_at = scheduled + delay / 2      # image pulled, container started
        ready_at = scheduled + delay            # readiness probe passes
        statuses, phase, completed = [], "Running" if now >= started_at else "Pending", False
        exit_codes = []
        if "env" not in sim and now >= started_at:  # resolved when the containers start, then kept
            env, error = resolve_env(self.c, pod)
            sim["config_error"] = error
            if error is None:
                sim["env"] = env
        for c in spec.get("containers") or []:
            image = c.get("image", "")
            behaviour = container_behaviour(image)
            if (sim.get("env") or {}).get(c.get("name"), {}).get(CRASH_ENV) == "1":
                behaviour = {"crashes": None}
            up = True
            st = {"name": c.get("name"), "image": image, "imageID": "", "ready": False,
                  "restartCount": sim.get("base_restarts", 0), "started": False,
                  "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}
            if sim.get("base_restarts"):
                st["lastState"] = {"terminated": {
                    "exitCode": 137, "reason": "OOMKilled",
                    "startedAt": rfc3339(sim["created"] - 7 * 86400),
                    "finishedAt": rfc3339(sim["created"] - 7 * 86400 + 60),
                    "containerID": container_id(pod, c)}}
            begin = started_at
            if now >= started_at and behaviour.get("pull"):
                pulled = pull_state(behaviour["pull"], image, started_at, now,
                                    self.c.opts.pull_fail_seconds)
                if pulled is not None:
                    st["state"] = {"waiting": {"reason": pulled[0], "message": pulled[1]}}
                    statuses.append(st)
                    phase = "Pending"
                    continue
                begin = started_at + self.c.opts.pull_fail_seconds
            if now < begin:
                statuses.append(st)
                phase = "Pending" if phase == "Pending" or now < started_at else phase
                continue
            if sim.get("config_error"):
                st["state"] = {"waiting": {"reason": "CreateContainerConfigError",
                                           "message": sim["config_error"]}}
                statuses.append(st)
                phase = "Pending"
                continue
            st.update({"imageID": image_id(image), "containerID": container_id(pod, c)})
            if run_to_completion(pod):
                _, finished, code = script_timeline(run_script(c), begin)
                if now >= finished:
                    st["state"] = {"terminated": {
                        "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                        "startedAt": rfc3339(begin), "finishedAt": rfc3339(finished),
                        "containerID": container_id(pod, c)}}
                    exit_codes.append(code)
                else:
                    st.update({"started": True, "ready": True,
                               "state": {"running": {"startedAt": rfc3339(begin)}}})
                statuses.append(st)
                continue
            if "crashes" in behaviour:
                state, since, restarts, last = crash_state(begin, now, behaviour["crashes"],
                                                           self.c.opts.crash_backoff)
                st["restartCount"] += restarts
                if last is not None:
                    st["lastState"] = {"terminated": {
                        "exitCode": 1, "reason": "Error", "startedAt": rfc3339(last[0]),
                        "finishedAt": rfc3339(last[1]), "containerID": container_id(pod, c)}}
                if state == "backoff":
                    st["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                               f"back-off {int(min(self.c.opts.crash_backoff * 2 ** restarts, self.c.opts.crash_backoff * 16) * 20)}s "
                                               f"restarting failed container={c.get('name')} "
                                               f"pod={meta['name']}_{meta.get('namespace')}"
                                               f"({meta['uid']})"}}
                    statuses.append(st)
                    continue
                begin = since
                up = state == "up"
            st.update({"started": True, "state": {"running": {"startedAt": rfc3339(begin)}}})
            st["ready"] = up and now >= max(begin + delay / 2, ready_at)
            statuses.append(st)
        if exit_codes and len(exit_codes) == len(statuses):
            phase = "Succeeded" if all(code == 0 for code in exit_codes) else "Failed"
            completed = True
        all_ok = bool(statuses) and all(s["ready"] for s in statuses) and not completed
        not_ready = [s["name"] for s in statuses if not s["ready"]]
        started = now >= started_at
        started_s = rfc3339(started_at if started else sim["created"])
        ready_s = rfc3339(ready_at) if all_ok else created_s

        def cond(ctype, ok, stamp, reason=None):
            out = {"type": ctype, "status": "True" if ok else "False", "lastProbeTime": None,
                   "lastTransitionTime": stamp}
            if not ok and reason:
                out["reason"] = reason
                if reason != "PodCompleted":
                    out["message"] = f"containers with unready status: [{' '.join(not_ready)}]"
            return out

        unready_reason = "PodCompleted" if completed else "ContainersNotReady"
        status = {"phase": phase, "conditions": [
            cond("PodReadyToStartContainers", started, started_s),
            cond("Initialized", True, created_s),
            cond("Ready", all_ok, ready_s, unready_reason),
            cond("ContainersReady", all_ok, ready_s, unready_reason),
            cond("PodScheduled", True, rfc3339(scheduled))],
            "hostIP": "192.168.49.2", "hostIPs": [{"ip": "192.168.49.2"}],
            "startTime": rfc3339(scheduled), "containerStatuses": statuses, "qosClass": qos(spec)}
        if started:
            status["podIP"] = sim["ip"]
            status["podIPs"] = [{"ip": sim["ip"]}]
        return status

    # -- deployment controller

    def sync_deployment(self, deps, rss, dep, now):
        meta, spec = dep["metadata"], dep.get("spec") or {}
        if meta.get("deletionTimestamp"):
            return  # being deleted: the controllers leave it (and its pods) to the garbage collector
        ns, uid = meta["namespace"], meta["uid"]
        desired = spec.get("replicas", 1)
        template = spec.get("template") or {}
        h = template_hash(template)
        owned = [rs for rs in self.c.list(rss, ns) if owned_by(rs, uid)]
        revision = lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
        max_rev = max((revision(rs) for rs in owned), default=0)
        new = next((rs for rs in owned if (rs["metadata"].get("labels") or {})
                    .get("pod-template-hash") == h), None)
        surge, unavailable = surge_and_unavailable(spec, desired)
        paused = bool(spec.get("paused"))
        if paused:
            # A paused Deployment is only scaled; no new ReplicaSet is created (sync.go).
            if new is not None and new["spec"].get("replicas") != desired and not [
                    rs for rs in owned if rs is not new and rs["spec"].get("replicas")]:
                self.scale(rss, new, desired, desired + surge)
            return
        event = None
        if new is None:
            tmpl = copy.deepcopy(template)
            tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = h
            rs = {"metadata": {
                "name": f"{meta['name']}-{h}", "labels": dict(tmpl["metadata"]["labels"]),
                "annotations": {REVISION: str(max_rev + 1),
                                "deployment.kubernetes.io/desired-replicas": str(desired),
                                "deployment.kubernetes.io/max-replicas": str(desired + surge)},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": meta["name"], "uid": uid, "controller": True,
                                     "blockOwnerDeletion": True}]},
                "spec": {"replicas": 0, "selector": selector, "template": tmpl,
                         "minReadySeconds": spec.get("minReadySeconds", 0)}}
            existing = self.c.get(rss, ns, rs["metadata"]["name"])
            if existing is not None:  # a leftover with our name: adopt it by replacing it
                self.c._delete_obj(rss, existing, True)
            new = self.c.create(rss, rs, ns, "kube-controller-manager")
            owned.append(new)
            event = ("NewReplicaSetCreated", f'Created new replica set "{new["metadata"]["name"]}"')
        elif revision(new) < max_rev:  # back to an older template: it gets the next revision
            upd = copy.deepcopy(new)
            upd["metadata"]["annotations"][REVISION] = str(max_rev + 1)
            new = self.c._write(rss, new, upd)
            event = ("FoundNewReplicaSet", f'Found new replica set "{new["metadata"]["name"]}"')
        if event:
            self.last_progress[uid] = now
            self.events[uid] = event
        rev = str(revision(new))
        if (meta.get("annotations") or {}).get(REVISION) != rev:
            upd = copy.deepcopy(dep)
            upd["metadata"].setdefault("annotations", {})[REVISION] = rev
            dep = self.c._write(deps, dep, upd)
        old = sorted((rs for rs in owned if rs["metadata"]["uid"] != new["metadata"]["uid"]),
                     key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        reps = lambda rs: (rs.get("spec") or {}).get("replicas", 0)
        avail = lambda rs: (rs.get("status") or {}).get("availableReplicas", 0)
        strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
        if strategy == "Recreate":
            for rs in old:
                if reps(rs):
                    self.scale(rss, rs, 0, desired)
            pods = self.kind("/pods")
            old_pods = [p for p in self.c.list(pods, ns)
                        if any(owned_by(p, rs["metadata"]["uid"]) for rs in old)]
            if not old_pods and reps(new) != desired:
                self.scale(rss, new, desired, desired)
            return
        # rolling.go reconcileNewReplicaSet
        if reps(new) > desired:
            new = self.scale(rss, new, desired, desired + surge)
        elif reps(new) < desired:
            current = sum(reps(rs) for rs in owned if rs["metadata"]["uid"] != new["metadata"]["uid"]) + reps(new)
            max_total = desired + surge
            if current < max_total:
                new = self.scale(rss, new, min(reps(new) + max_total - current, desired),
                                 desired + surge)
        # rolling.go reconcileOldReplicaSets
        if sum(reps(rs) for rs in old) == 0:
            return
        all_count = sum(reps(rs) for rs in old) + reps(new)
        min_available = desired - unavailable
        new_unavailable = reps(new) - avail(new)
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return
        cleaned = 0
        for i, rs in enumerate(old):  # cleanupUnhealthyReplicas: unavailable old pods go first
            if cleaned >= max_scaled_down or reps(rs) == avail(rs) or not reps(rs):
                continue
            down = min(max_scaled_down - cleaned, reps(rs) - avail(rs))
            old[i] = self.scale(rss, rs, reps(rs) - down, desired + surge)
            cleaned += down
        # scaleDownOldReplicaSetsForRollingUpdate
        available = sum(avail(rs) for rs in old) + avail(new)
        if available <= min_available:
            return
        total = available - min_available
        done = 0
        for i, rs in enumerate(old):
            if done >= total:
                break
            if not reps(rs):
                continue
            down = min(reps(rs), total - done)
            old[i] = self.scale(rss, rs, reps(rs) - down, desired + surge)
            done += down

    def scale(self, rss, rs, replicas, max_replicas):
        if (rs.get("spec") or {}).get("replicas") == replicas:
            return rs
        upd = copy.deepcopy(rs)
        upd["spec"]["replicas"] = replicas
        ann = upd["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str(replicas if replicas else
                                                               ann.get("deployment.kubernetes.io/desired-replicas", "0"))
        ann["deployment.kubernetes.io/max-replicas"] = str(max_replicas)
        upd["metadata"]["generation"] = upd["metadata"].get("generation", 1) + 1
        return self.c._write(rss, rs, upd)

    def deployment_status(self, deps, rss, dep, now):
        meta, spec = dep["metadata"], dep.get("spec") or {}
        ns, uid = meta["namespace"], meta["uid"]
        desired = spec.get("replicas", 1)
        _, unavailable = surge_and_unavailable(spec, desired)
        h = template_hash(spec.get("template") or {})
        owned = [rs for rs in self.c.list(rss, ns) if owned_by(rs, uid)]
        new = next((rs for rs in owned if (rs["metadata"].get("labels") or {})
                    .get("pod-template-hash") == h), None)
        st = lambda rs, k: (rs.get("status") or {}).get(k, 0)
        replicas = sum(st(rs, "replicas") for rs in owned)
        updated = st(new, "replicas") if new else 0
        ready = sum(st(rs, "readyReplicas") for rs in owned)
        available = sum(st(rs, "availableReplicas") for rs in owned)
        old_status = dep.get("status") or {}
        conds = copy.deepcopy(old_status.get("conditions") or [])
        rs_name = new["metadata"]["name"] if new else meta["name"]
        if available >= desired - unavailable:
            conds = set_condition(conds, "Available", "True", "MinimumReplicasAvailable",
                                  "Deployment has minimum availability.", now, update=False)
        else:
            conds = set_condition(conds, "Available", "False", "MinimumReplicasUnavailable",
                                  "Deployment does not have minimum availability.", now,
                                  update=False)
        failure = next((condition((rs.get("status") or {}).get("conditions"), "ReplicaFailure")
                        for rs in owned if condition((rs.get("status") or {}).get("conditions"),
                                                     "ReplicaFailure")), None)
        if failure:
            conds = set_condition(conds, "ReplicaFailure", failure["status"], failure["reason"],
                                  failure["message"], now, update=False)
        else:
            conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
        progressing = condition(conds, "Progressing")
        paused = bool(spec.get("paused"))
        was_paused = self.paused.get(uid, False)
        self.paused[uid] = paused
        events = self.events
        if paused:
            if not progressing or progressing.get("reason") != "DeploymentPaused":
                conds = set_condition(conds, "Progressing", "Unknown", "DeploymentPaused",
                                      "Deployment is paused", now)
        elif was_paused or (progressing and progressing.get("reason") == "DeploymentPaused"):
            conds = set_condition(conds, "Progressing", "Unknown", "DeploymentResumed",
                                  "Deployment is resumed", now)
            self.last_progress[uid] = now
        elif uid in events:
            reason, message = events.pop(uid)
            conds = set_condition(conds, "Progressing", "True", reason, message, now)
        else:
            old_old = old_status.get("replicas", 0) - old_status.get("updatedReplicas", 0)
            complete = updated == desired and replicas == desired and available == desired
            moved = updated > old_status.get("updatedReplicas", 0) or \
                (replicas - updated) < old_old or ready > old_status.get("readyReplicas", 0) or \
                available > old_status.get("availableReplicas", 0)
            deadline = spec.get("progressDeadlineSeconds")
            since = self.last_progress.setdefault(uid, now)
            if complete:
                if not progressing or progressing.get("reason") != "NewReplicaSetAvailable":
                    conds = set_condition(conds, "Progressing", "True", "NewReplicaSetAvailable",
                                          f'ReplicaSet "{rs_name}" has successfully progressed.',
                                          now)
            elif moved:
                conds = set_condition(conds, "Progressing", "True", "ReplicaSetUpdated",
                                      f'ReplicaSet "{rs_name}" is progressing.', now)
                self.last_progress[uid] = now
            elif progressing is None:
                conds = set_condition(conds, "Progressing", "True", "ReplicaSetUpdated",
                                      f'ReplicaSet "{rs_name}" is progressing.', now)
                self.last_progress[uid] = now
            elif deadline is not None and progressing.get("reason") not in (
                    "NewReplicaSetAvailable", "ProgressDeadlineExceeded") and \
                    now - since > deadline:
                conds = set_condition(conds, "Progressing", "False", "ProgressDeadlineExceeded",
                                      f'ReplicaSet "{rs_name}" has timed out progressing.', now)
        order = {"Available": 0, "Progressing": 1, "ReplicaFailure": 2}
        conds.sort(key=lambda c: order.get(c.get("type"), 9))
        status = {"observedGeneration": meta.get("generation", 1), "replicas": replicas,
                  "updatedReplicas": updated, "readyReplicas": ready,
                  "availableReplicas": available,
                  "unavailableReplicas": max(desired - available, 0), "conditions": conds}
        status = {k: v for k, v in status.items() if v != 0 or k == "observedGeneration"}
        if status != old_status:
            upd = copy.deepcopy(dep)
            upd["status"] = status
            self.c._write(deps, dep, upd)

    # -- replica set controller

    def sync_replicaset(self, rss, pods, rs, now):
        meta, spec = rs["metadata"], rs.get("spec") or {}
        if meta.get("deletionTimestamp"):
            return  # being deleted: the controllers leave it (and its pods) to the garbage collector
        ns, uid = meta["namespace"], meta["uid"]
        want = spec.get("replicas", 1)
        mine = [p for p in self.c.list(pods, ns) if owned_by(p, uid)]
        active = [p for p in mine if pod_active(p)]
        tmpl = spec.get("template") or {}
        failure = None
        while len(active) < want:
            pod = {"metadata": {
                "generateName": meta["name"] + "-",
                "labels": dict((tmpl.get("metadata") or {}).get("labels") or {}),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                     "name": meta["name"], "uid": uid, "controller": True,
                                     "blockOwnerDeletion": True}]},
                "spec": copy.deepcopy(tmpl.get("spec") or {})}
            if (tmpl.get("metadata") or {}).get("annotations"):
                pod["metadata"]["annotations"] = dict(tmpl["metadata"]["annotations"])
            try:
                active.append(self.c.create(pods, pod, ns, "kube-controller-manager"))
            except Exception as e:  # a quota or admission denial: the ReplicaSet reports it
                failure = str(getattr(e, "message", e))
                break
        if len(active) > want:
            # controller.ActivePods ranking: unscheduled, pending, not ready, newest go first
            active.sort(key=lambda p: (bool((p.get("spec") or {}).get("nodeName")),
                                       (p.get("status") or {}).get("phase") == "Running",
                                       pod_ready(p), -self.c.pod_sim.get(
                                           p["metadata"]["uid"], {}).get("created", 0)))
            for p in active[:len(active) - want]:
                self.terminate(pods, p, now)
            active = active[len(active) - want:]
        ready = sum(1 for p in active if pod_ready(p))
        status = {"replicas": len(active), "observedGeneration": meta.get("generation", 1)}
        if active:
            status["fullyLabeledReplicas"] = len(active)
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        conds = (rs.get("status") or {}).get("conditions") or []
        if failure:
            conds = set_condition(conds, "ReplicaFailure", "True", "FailedCreate", failure, now,
                                  update=False)
        elif len(active) >= want:
            conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
        if conds:
            status["conditions"] = conds
        if status != rs.get("status"):
            upd = copy.deepcopy(rs)
            upd["status"] = status
            self.c._write(rss, rs, upd)

    def terminate(self, pods, pod, now):
        """Graceful deletion: deletionTimestamp (now + grace period), gone after --terminate-delay."""
        if pod["metadata"].get("deletionTimestamp"):
            return
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        upd = copy.deepcopy(pod)
        upd["metadata"]["deletionTimestamp"] = rfc3339(now + grace)
        upd["metadata"]["deletionGracePeriodSeconds"] = grace
        self.c.pod_sim.setdefault(pod["metadata"]["uid"], {"created": now})["deleting"] = now
        self.c._write(pods, pod, upd)

    # -- job controller

    def sync_job(self, jobs, pods, job, now):
        meta, spec = job["metadata"], job.get("spec") or {}
        ns, uid = meta["namespace"], meta["uid"]
        status = copy.deepcopy(job.get("status") or {})
        conds = status.get("conditions") or []
        finished = any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                       for c in conds)
        mine = [p for p in self.c.list(pods, ns) if owned_by(p, uid)]
        active = [p for p in mine if pod_active(p)]
        succeeded = sum(1 for p in mine if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in mine if (p.get("status") or {}).get("phase") == "Failed")
        limit = spec.get("backoffLimit", 6)
        completions = spec.get("completions", 1) or 1
        deadline = spec.get("activeDeadlineSeconds")
        started = (calendar.timegm(time.strptime(status["startTime"], "%Y-%m-%dT%H:%M:%SZ"))
                   if status.get("startTime") else None)
        if not finished and not spec.get("suspend"):
            if deadline is not None and started is not None and now >= started + float(deadline):
                # the job controller's DeadlineExceeded: active pods are deleted, the Job fails
                message = "Job was active longer than specified deadline"
                conds = set_condition(conds, "FailureTarget", "True", "DeadlineExceeded", message, now)
                conds = set_condition(conds, "Failed", "True", "DeadlineExceeded", message, now)
                for p in active:
                    self.terminate(pods, p, now)
            elif succeeded >= completions:
                conds = set_condition(conds, "SuccessCriteriaMet", "True", "CompletionsReached",
                                      "Reached expected number of succeeded pods", now)
                conds = set_condition(conds, "Complete", "True", "CompletionsReached",
                                      "Reached expected number of succeeded pods", now)
                status["completionTime"] = rfc3339(now)
            elif failed > limit:
                message = "Job has reached the specified backoff limit"
                conds = set_condition(conds, "FailureTarget", "True", "BackoffLimitExceeded",
                                      message, now)
                conds = set_condition(conds, "Failed", "True", "BackoffLimitExceeded", message, now)
                for p in active:
                    self.terminate(pods, p, now)
            elif not active:
                tmpl = spec.get("template") or {}
                pod = {"metadata": {
                    "generateName": meta["name"] + "-",
                    "labels": dict((tmpl.get("metadata") or {}).get("labels") or {}),
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                         "name": meta["name"], "uid": uid, "controller": True,
                                         "blockOwnerDeletion": True}]},
                    "spec": copy.deepcopy(tmpl.get("spec") or {})}
                try:
                    active.append(self.c.create(pods, pod, ns, "kube-controller-manager"))
                except Exception as error:   # a quota, an admission webhook: retried, and told
                    self.job_event(job, "FailedCreate", f"Error creating: {getattr(error, 'message', error)}", now)
                status.setdefault("startTime", rfc3339(now))
        status["active"] = len([p for p in active if pod_active(p)])
        status["ready"] = sum(1 for p in active if pod_ready(p))
        status["succeeded"] = succeeded
        status["failed"] = failed
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        if conds:
            status["conditions"] = conds
        status = {k: v for k, v in status.items()
                  if v != 0 or k in ("ready", "terminating")}
        if status != job.get("status"):
            upd = copy.deepcopy(job)
            upd["status"] = status
            self.c._write(jobs, job, upd)

    def job_event(self, job, reason, message, now):
        """The Warning Event the job controller records on the Job (`kubectl describe job` shows
        it): one per reason, its count raised on each repeat, as the event recorder aggregates."""
        events = self.c.kinds.get("/events")
        if events is None:
            return
        meta = job["metadata"]
        name = f"{meta['name']}.{reason.lower()}"
        found = self.c.get(events, meta["namespace"], name)
        if found is not None:
            upd = copy.deepcopy(found)
            upd["count"] = int(found.get("count") or 1) + 1
            upd["lastTimestamp"] = rfc3339(now)
            upd["message"] = message
            self.c._write(events, found, upd)
            return
        self.c.create(events, {
            "metadata": {"name": name},
            "involvedObject": {"kind": "Job", "apiVersion": "batch/v1", "name": meta["name"],
                               "namespace": meta["namespace"], "uid": meta["uid"]},
            "reason": reason, "message": message, "type": "Warning", "count": 1,
            "source": {"component": "job-controller"},
            "firstTimestamp": rfc3339(now), "lastTimestamp": rfc3339(now)},
            meta["namespace"], "kube-controller-manager")

    # -- quota status

    def quota_status(self, quotas, quota):
        hard = (quota.get("spec") or {}).get("hard") or {}
        used = {}
        if "pods" in hard:
            used["pods"] = str(self.pods_counted(quota["metadata"]["namespace"]))
        status = {"hard": dict(hard), "used": used}
        if status != quota.get("status"):
            upd = copy.deepcopy(quota)
            upd["status"] = status
            self.c._write(quotas, quota, upd)


def qos(spec):
    resources = any(c.get("resources") for c in spec.get("containers") or [] if isinstance(c, dict))
    return "Burstable" if resources else "BestEffort"


def job_log_lines(pod, container, started):
    """The (time, text) lines of a run-to-completion container and when it finishes."""
    spec = next((c for c in (pod.get("spec") or {}).get("containers") or []
                 if c.get("name") == container), {})
    lines, finished, code = script_timeline(run_script(spec), started)
    return lines, finished, code
