#!/usr/bin/env python3
"""A small Kubernetes API server for tests (Python 3.11 standard library only).

It speaks enough of the Kubernetes REST API for the real kubectl 1.37 (discovery, OpenAPI v3,
CRUD, the four patch types, watch and watch-list, pod logs) and plays the deployment, replica set
and kubelet controllers in a background thread. See README.md in this folder.

    python3 kube_apiserver.py --port 0 --kubeconfig PATH [--ready-delay 0.3] [--crd NAME]...
                              [--log-lines 20] [--log-bytes N]

Prints one line, the port, once it serves; stops cleanly on SIGTERM/SIGINT.
"""

import argparse
import base64
import collections
import copy
import datetime
import hashlib
import http.server
import json
import os
import queue
import random
import re
import select
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

from workloads import (Workloads, container_id, image_id, image_tag, job_log_lines,
                       owned_by, pod_ready, run_to_completion, template_hash)

GIT_VERSION = "v1.37.0"
REVISION = "deployment.kubernetes.io/revision"
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"

CT_JSON = "application/json"
CT_APPLY = "application/apply-patch+yaml"
CT_SMP = "application/strategic-merge-patch+json"
CT_MERGE = "application/merge-patch+json"
CT_JSON_PATCH = "application/json-patch+json"

# --------------------------------------------------------------------------------------------
# Time helpers


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc3339_millis(t):
    ms = int((t - int(t)) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % ms


def rfc3339_nano(t):
    secs = int(t)
    nanos = int((t - secs) * 1e9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % nanos


def parse_time(s):
    s = s.strip().replace("Z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    if m and m.group(2):  # fromisoformat takes at most 6 fractional digits
        s = m.group(1) + m.group(2)[:7] + m.group(3)
    return datetime.datetime.fromisoformat(s).timestamp()


def human_age(seconds):
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def random_suffix(n=5):
    return "".join(random.choice(NAME_CHARS) for _ in range(n))


# --------------------------------------------------------------------------------------------
# Errors


REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
           415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            st["details"] = self.details
        return st


def not_found(kind, name):
    return ApiError(404, f'{kind.qualified} "{name}" not found', "NotFound",
                    {"name": name, "group": kind.group, "kind": kind.plural})


def invalid(kind, name, causes):
    text = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    if len(causes) > 1:
        text = "[" + text + "]"
    return ApiError(422, f'{kind.kind}{kind.dot_group} "{name}" is invalid: {text}', "Invalid",
                    {"name": name, "group": kind.group, "kind": kind.kind,
                     "causes": [{"reason": c.get("reason", "FieldValueInvalid"),
                                 "message": c["message"], "field": c["field"]} for c in causes]})


# --------------------------------------------------------------------------------------------
# Resource kinds


class Kind:
    def __init__(self, group, version, plural, kind, namespaced=True, short_names=(),
                 categories=(), subresources=("status",)):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.subresources = list(subresources)
        self.singular = kind.lower()

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self):
        return f"{self.group}/{self.plural}"

    @property
    def dot_group(self):
        return f".{self.group}" if self.group else ""

    @property
    def qualified(self):
        return self.plural + self.dot_group


BUILTIN_KINDS = [
    Kind("", "v1", "namespaces", "Namespace", False, ["ns"]),
    Kind("", "v1", "pods", "Pod", True, ["po"], ["all"], ["log", "status"]),
    Kind("", "v1", "services", "Service", True, ["svc"], ["all"]),
    Kind("", "v1", "configmaps", "ConfigMap", True, ["cm"], subresources=()),
    Kind("", "v1", "secrets", "Secret", True, subresources=()),
    Kind("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"], subresources=()),
    Kind("", "v1", "events", "Event", True, ["ev"], subresources=()),
    Kind("", "v1", "resourcequotas", "ResourceQuota", True, ["quota"]),
    Kind("apps", "v1", "deployments", "Deployment", True, ["deploy"], ["all"], ["scale", "status"]),
    Kind("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], ["all"], ["scale", "status"]),
    Kind("batch", "v1", "jobs", "Job", True, [], ["all"]),
    Kind("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"]),
    Kind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"]),
    Kind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"]),
    Kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ["hpa"], ["all"]),
    Kind("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
         False, ["crd", "crds"]),
]

# Well-known CRDs that --crd / POST /_test/crds can enable: name -> (kind, short names, categories)
KNOWN_CRDS = {
    "servicemonitors.monitoring.coreos.com": ("ServiceMonitor", ["smon"], ["prometheus-operator"]),
    "podmonitors.monitoring.coreos.com": ("PodMonitor", ["pmon"], ["prometheus-operator"]),
    "prometheusrules.monitoring.coreos.com": ("PrometheusRule", ["promrule"],
                                              ["prometheus-operator"]),
}


def crd_object(name):
    plural, _, group = name.partition(".")
    if not plural or not group:
        raise ApiError(400, f"invalid CRD name {name!r}: want PLURAL.GROUP")
    kind, short, categories = KNOWN_CRDS.get(name, (None, [], []))
    if kind is None:
        singular = plural[:-1] if plural.endswith("s") else plural
        kind = singular[:1].upper() + singular[1:]
    names = {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": kind + "List"}
    if short:
        names["shortNames"] = short
    if categories:
        names["categories"] = categories
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {"group": group, "names": names, "scope": "Namespaced",
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {
                                   "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
    }


# --------------------------------------------------------------------------------------------
# Selectors


def split_top(s, sep=","):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(s):
    """Returns a list of (key, op, values). Raises ApiError on syntax errors."""
    reqs = []
    for part in split_top(s or ""):
        m = re.match(r"^(\S+)\s+(in|notin)\s*\((.*)\)$", part)
        if m:
            values = [v.strip() for v in m.group(3).split(",") if v.strip()]
            reqs.append((m.group(1), m.group(2), values))
            continue
        m = re.match(r"^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$", part)
        if m:
            op = "!=" if m.group(2) == "!=" else "="
            reqs.append((m.group(1), op, [m.group(3)]))
            continue
        m = re.match(r"^(!?)([^=!\s()]+)$", part)
        if m:
            reqs.append((m.group(2), "!exists" if m.group(1) else "exists", []))
            continue
        raise ApiError(400, f'unable to parse requirement: invalid label selector "{s}"')
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        if op == "=" and (not present or labels[key] != values[0]):
            return False
        if op == "!=" and present and labels[key] == values[0]:
            return False
        if op == "in" and (not present or labels[key] not in values):
            return False
        if op == "notin" and present and labels[key] in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
    return True


def parse_field_selector(s):
    reqs = []
    for part in split_top(s or ""):
        m = re.match(r"^([\w.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not m:
            raise ApiError(400, f'invalid field selector "{s}"')
        reqs.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return reqs


def field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    return "" if cur is None else str(cur)


def fields_match(reqs, obj):
    return all((field_value(obj, path) == value) == eq for path, eq, value in reqs)


def selector_string(match_labels):
    return ",".join(f"{k}={v}" for k, v in sorted((match_labels or {}).items()))


# --------------------------------------------------------------------------------------------
# Merging: server-side apply (approximation), strategic merge patch, JSON merge patch, JSON patch

LIST_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
             "env": "name", "volumes": "name", "volumeMounts": "mountPath",
             "imagePullSecrets": "name", "conditions": "type", "ownerReferences": "uid",
             "hostAliases": "ip", "volumeDevices": "devicePath"}


def list_key(field, items):
    if field == "ports":
        if any(isinstance(i, dict) and "containerPort" in i for i in items):
            return "containerPort"
        return "port"
    return LIST_KEYS.get(field)


def keyed(items, key):
    return all(isinstance(i, dict) and key in i for i in items)


def apply_merge(base, applied, field=None):
    """Merges an applied configuration into an existing value (server-side apply, roughly)."""
    if isinstance(applied, dict) and isinstance(base, dict):
        out = dict(base)
        for k, v in applied.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = apply_merge(base.get(k), v, k)
        return out
    if isinstance(applied, list) and isinstance(base, list):
        key = list_key(field, applied + base)
        if key and keyed(applied, key) and keyed(base, key):
            out = list(base)
            for item in applied:
                idx = next((i for i, b in enumerate(out) if b[key] == item[key]), None)
                if idx is None:
                    out.append(copy.deepcopy(item))
                else:
                    out[idx] = apply_merge(out[idx], item, None)
            return out
    return copy.deepcopy(applied)


PROTECTED = {(): {"apiVersion", "kind", "metadata"}, ("metadata",): {"name", "namespace"}}


def apply_prune(obj, previous, applied, path=()):
    """Removes from obj what the manager applied before (previous) but no longer applies."""
    if isinstance(previous, dict) and isinstance(obj, dict):
        applied = applied if isinstance(applied, dict) else {}
        for k, pv in previous.items():
            if k not in obj or k in PROTECTED.get(path, ()):
                continue
            if k not in applied:
                del obj[k]
            else:
                obj[k] = apply_prune(obj[k], pv, applied[k], path + (k,))
        return obj
    if isinstance(previous, list) and isinstance(obj, list) and isinstance(applied, list) and path:
        key = list_key(path[-1], previous + applied + obj)
        if key and keyed(previous, key) and keyed(applied, key) and keyed(obj, key):
            now = {i[key]: i for i in applied}
            out = []
            for item in obj:
                before = next((p for p in previous if p[key] == item[key]), None)
                if before is None:
                    out.append(item)
                elif item[key] in now:
                    out.append(apply_prune(item, before, now[item[key]], path + ("[]",)))
            return out
    return obj


def field_set(value, field=None):
    """A FieldsV1-like description of an applied configuration, for managedFields."""
    if isinstance(value, dict):
        return {f"f:{k}": field_set(v, k) for k, v in value.items()}
    if isinstance(value, list):
        key = list_key(field, value)
        if key and keyed(value, key):
            return {"k:" + json.dumps({key: i[key]}, separators=(",", ":")): field_set(i)
                    for i in value}
    return {}


def strip_directives(value):
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value]
    return value


def strategic_merge(base, patch, field=None):
    if not isinstance(patch, dict):
        return strip_directives(copy.deepcopy(patch))
    if not isinstance(base, dict):
        base = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return strip_directives(copy.deepcopy(patch))
    if directive == "delete":
        return None
    out = dict(base)
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            out[name] = [x for x in out.get(name) or [] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            merged = strategic_merge(base.get(k), v, k)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            old = base.get(k) if isinstance(base.get(k), list) else []
            key = list_key(k, v + old)
            if key and all(isinstance(i, dict) for i in v) and keyed(old, key):
                if any(i.get("$patch") == "replace" for i in v):
                    out[k] = [strip_directives(i) for i in v if i.get("$patch") != "replace"]
                    continue
                items = list(old)
                for item in v:
                    if key not in item:
                        continue
                    idx = next((n for n, b in enumerate(items) if b[key] == item[key]), None)
                    if item.get("$patch") == "delete":
                        if idx is not None:
                            items.pop(idx)
                    elif idx is None:
                        items.append(strip_directives(copy.deepcopy(item)))
                    else:
                        items[idx] = strategic_merge(items[idx], item)
                out[k] = items
            elif k == "finalizers":
                out[k] = old + [x for x in v if x not in old]
            else:
                out[k] = strip_directives(copy.deepcopy(v))
        else:
            out[k] = v
    if isinstance(patch.get("$retainKeys"), list):
        keep = set(patch["$retainKeys"])
        out = {k: v for k, v in out.items() if k in keep}
    return out


def json_merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = json_merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)

    def parts(pointer):
        if pointer == "":
            return []
        if not pointer.startswith("/"):
            raise ValueError(f"invalid JSON pointer {pointer!r}")
        return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]

    def parent(root, ps):
        cur = root
        for p in ps[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    def get(root, pointer):
        cur = root
        for p in parts(pointer):
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    def remove(root, pointer):
        ps = parts(pointer)
        par = parent(root, ps)
        if isinstance(par, list):
            return par.pop(int(ps[-1]))
        return par.pop(ps[-1])

    def add(root, pointer, value):
        ps = parts(pointer)
        if not ps:
            return value
        par = parent(root, ps)
        if isinstance(par, list):
            if ps[-1] == "-":
                par.append(value)
            else:
                par.insert(int(ps[-1]), value)
        else:
            par[ps[-1]] = value
        return root

    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        try:
            if kind == "add":
                doc = add(doc, path, copy.deepcopy(op.get("value")))
            elif kind == "remove":
                remove(doc, path)
            elif kind == "replace":
                ps = parts(path)
                if not ps:
                    doc = copy.deepcopy(op.get("value"))
                else:
                    par = parent(doc, ps)
                    if isinstance(par, list):
                        par[int(ps[-1])] = copy.deepcopy(op.get("value"))
                    else:
                        if ps[-1] not in par:
                            raise KeyError(ps[-1])
                        par[ps[-1]] = copy.deepcopy(op.get("value"))
            elif kind == "move":
                value = remove(doc, op["from"])
                doc = add(doc, path, value)
            elif kind == "copy":
                doc = add(doc, path, copy.deepcopy(get(doc, op["from"])))
            elif kind == "test":
                if get(doc, path) != op.get("value"):
                    raise ValueError(f"testing value {path} failed")
            else:
                raise ValueError(f"unexpected kind of operation: {kind!r}")
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError(f"unable to apply {kind} operation at {path!r}: {e!r}") from None
    return doc


# --------------------------------------------------------------------------------------------
# Defaults and validation

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def default_pod_spec(spec):
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if not isinstance(c, dict):
            continue
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        c.setdefault("imagePullPolicy",
                     "Always" if image_tag(c.get("image")) in ("", "latest") else "IfNotPresent")
        c.setdefault("resources", {})
        for p in c.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            pr = c.get(probe)
            if isinstance(pr, dict):
                pr.setdefault("timeoutSeconds", 1)
                pr.setdefault("periodSeconds", 10)
                pr.setdefault("successThreshold", 1)
                pr.setdefault("failureThreshold", 3)
                if isinstance(pr.get("httpGet"), dict):
                    pr["httpGet"].setdefault("scheme", "HTTP")


def apply_defaults(kind, obj, cluster):
    meta = obj.setdefault("metadata", {})
    if kind.kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name")
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
    elif kind.kind in ("Deployment", "ReplicaSet"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        if kind.kind == "Deployment":
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {
                "maxUnavailable": "25%", "maxSurge": "25%"}})
        tmpl = spec.get("template")
        if isinstance(tmpl, dict):
            default_pod_spec(tmpl.setdefault("spec", {}))
    elif kind.kind == "Job":
        spec = obj.setdefault("spec", {})
        for k, v in (("backoffLimit", 6), ("completions", 1), ("parallelism", 1),
                     ("completionMode", "NonIndexed"), ("suspend", False),
                     ("manualSelector", False), ("podReplacementPolicy", "TerminatingOrFailed")):
            spec.setdefault(k, v)
        uid, name = meta.get("uid", ""), meta.get("name", "")
        job_labels = {"batch.kubernetes.io/controller-uid": uid,
                      "batch.kubernetes.io/job-name": name, "controller-uid": uid,
                      "job-name": name}
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        tmpl = spec.setdefault("template", {})
        labels = tmpl.setdefault("metadata", {}).setdefault("labels", {})
        for k, v in job_labels.items():
            labels.setdefault(k, v)
        meta.setdefault("labels", {})
        for k in ("batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name",
                  "controller-uid", "job-name"):
            meta["labels"].setdefault(k, job_labels[k])
        default_pod_spec(tmpl.setdefault("spec", {}))
    elif kind.kind == "Pod":
        spec = obj.setdefault("spec", {})
        default_pod_spec(spec)
        spec.setdefault("serviceAccountName", "default")
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", "BestEffort")
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
    elif kind.kind == "Service":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if "clusterIP" not in spec:
            spec["clusterIP"] = cluster.allocate_ip("service")
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                p.setdefault("targetPort", p.get("port"))
        obj.setdefault("status", {}).setdefault("loadBalancer", {})
    elif kind.kind == "Ingress":
        obj.setdefault("status", {}).setdefault("loadBalancer", {})
    elif kind.kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {})
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()


def validate(kind, obj):
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    causes = []
    pattern = DNS_LABEL if kind.kind in ("Namespace", "Service") else DNS_SUBDOMAIN
    limit = 63 if pattern is DNS_LABEL else 253
    if not name:
        causes.append({"field": "metadata.name", "reason": "FieldValueRequired",
                       "message": "Required value: name or generateName is required"})
    elif not pattern.match(name) or len(name) > limit:
        what = "RFC 1123 label" if pattern is DNS_LABEL else "RFC 1123 subdomain"
        causes.append({"field": "metadata.name", "message":
                       f'Invalid value: "{name}": a lowercase {what} must consist of lower case '
                       "alphanumeric characters, '-' or '.', and must start and end with an "
                       "alphanumeric character"})
    for k, v in (meta.get("labels") or {}).items():
        if not isinstance(v, str) or len(v) > 63 or (v and not re.match(
                r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", v)):
            causes.append({"field": "metadata.labels", "message": f'Invalid value: "{v}": a '
                           "valid label must be an empty string or consist of alphanumeric "
                           "characters, '-', '_' or '.'"})
    if kind.kind in ("Deployment", "ReplicaSet"):
        spec = obj.get("spec") or {}
        sel = (spec.get("selector") or {}).get("matchLabels")
        tmpl = spec.get("template") or {}
        tlabels = (tmpl.get("metadata") or {}).get("labels") or {}
        if not spec.get("selector"):
            causes.append({"field": "spec.selector", "reason": "FieldValueRequired",
                           "message": "Required value"})
        elif sel and not all(tlabels.get(k) == v for k, v in sel.items()):
            causes.append({"field": "spec.template.metadata.labels", "message":
                           f"Invalid value: {json.dumps(tlabels)}: `selector` does not match "
                           "template `labels`"})
        causes += validate_containers("spec.template.spec", (tmpl.get("spec") or {}))
        if isinstance(spec.get("replicas"), int) and spec["replicas"] < 0:
            causes.append({"field": "spec.replicas", "message": f"Invalid value: "
                           f"{spec['replicas']}: must be greater than or equal to 0"})
    elif kind.kind == "Job":
        tspec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        causes += validate_containers("spec.template.spec", tspec)
        if tspec.get("restartPolicy") not in ("Never", "OnFailure"):
            causes.append({"field": "spec.template.spec.restartPolicy",
                           "reason": "FieldValueNotSupported", "message":
                           f'Unsupported value: "{tspec.get("restartPolicy", "Always")}": '
                           'supported values: "OnFailure", "Never"'})
    elif kind.kind == "Pod":
        causes += validate_containers("spec", obj.get("spec") or {})
    elif kind.kind == "Service":
        for i, p in enumerate((obj.get("spec") or {}).get("ports") or []):
            if not isinstance(p, dict) or not isinstance(p.get("port"), int):
                causes.append({"field": f"spec.ports[{i}].port", "reason": "FieldValueRequired",
                               "message": "Required value"})
    elif kind.kind == "ConfigMap":
        for k, v in (obj.get("data") or {}).items():
            if not isinstance(v, str):
                causes.append({"field": f"data[{k}]", "message": "Invalid value: must be a string"})
    if causes:
        raise invalid(kind, name, causes)


def check_immutable(kind, old, new):
    """A ConfigMap or Secret with `immutable: true` keeps its data and stays immutable
    (core/validation ValidateConfigMapUpdate / ValidateSecretUpdate)."""
    if old.get("immutable") is not True:
        return
    causes = []
    for field in ("data", "binaryData"):
        if (old.get(field) or {}) != (new.get(field) or {}):
            causes.append({"field": field, "reason": "FieldValueForbidden",
                           "message": "Forbidden: field is immutable when `immutable` is set"})
    if new.get("immutable") is not True:
        causes.append({"field": "immutable", "reason": "FieldValueForbidden",
                       "message": "Forbidden: field is immutable when `immutable` is set"})
    if causes:
        raise invalid(kind, old["metadata"]["name"], causes)


def validate_containers(prefix, pod_spec):
    causes = []
    containers = pod_spec.get("containers")
    if not containers:
        return [{"field": f"{prefix}.containers", "reason": "FieldValueRequired",
                 "message": "Required value"}]
    for i, c in enumerate(containers):
        if not isinstance(c, dict):
            causes.append({"field": f"{prefix}.containers[{i}]", "message": "Invalid value"})
            continue
        for f in ("name", "image"):
            if not c.get(f):
                causes.append({"field": f"{prefix}.containers[{i}].{f}",
                               "reason": "FieldValueRequired", "message": "Required value"})
    return causes


def content_equal(a, b):
    def strip(o):
        o = dict(o)
        meta = dict(o.get("metadata") or {})
        meta.pop("resourceVersion", None)
        meta.pop("managedFields", None)
        o["metadata"] = meta
        return o
    return strip(a) == strip(b)


# --------------------------------------------------------------------------------------------
# The cluster: store, watches, controllers


class Watcher:
    def __init__(self, kind, namespace, label_reqs, field_reqs):
        self.kind = kind
        self.namespace = namespace
        self.label_reqs = label_reqs
        self.field_reqs = field_reqs
        self.queue = queue.Queue()

    def matches(self, obj):
        meta = obj.get("metadata") or {}
        if self.namespace and meta.get("namespace") != self.namespace:
            return False
        return labels_match(self.label_reqs, meta.get("labels")) and \
            fields_match(self.field_reqs, obj)

    def offer(self, etype, obj, old):
        if etype == "MODIFIED" and old is not None:
            was, now = self.matches(old), self.matches(obj)
            if was and now:
                self.queue.put(("MODIFIED", obj))
            elif now:
                self.queue.put(("ADDED", obj))
            elif was:
                self.queue.put(("DELETED", obj))
        elif self.matches(obj):
            self.queue.put((etype, obj))


class Cluster:
    """All state. Stored objects are never mutated in place (copy, change, then store), so
    readers outside the lock (watch streams) can serialise them safely."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.RLock()
        self.rv = 0
        self.kinds = {k.key: k for k in BUILTIN_KINDS}
        self.objects = collections.defaultdict(dict)  # kind key -> {(ns, name): obj}
        self.watchers = set()
        self.history = collections.deque(maxlen=20000)  # (rv, kind key, type, obj, old)
        self.faults = []
        self.requests = []
        self.applied = {}  # (uid, manager) -> last applied configuration
        self.pod_sim = {}  # pod uid -> {"created": t, "ip": ip}
        self.workloads = Workloads(self)
        self.ip_counters = {"pod": 0, "service": 0}
        self.aggregated = {}  # group -> {"version", "status", "message"}: see unavailable_api()
        self.stopping = threading.Event()
        for ns in ("default", "kube-system", "kube-public"):
            self.create(self.kinds["/namespaces"], {"metadata": {"name": ns}}, "", "kube-apiserver")
        for name in opts.crd or []:
            self.enable_crd(name)

    # -- lookups

    def kind_for(self, group, version, plural):
        k = self.kinds.get(f"{group}/{plural}")
        if k and k.version == version:
            return k
        return None

    def kind_by_gvk(self, api_version, kind):
        for k in self.kinds.values():
            if k.api_version == api_version and k.kind == kind:
                return k
        return None

    def group_versions(self):
        gvs = collections.OrderedDict()
        for k in self.kinds.values():
            gvs.setdefault((k.group, k.version), []).append(k)
        return gvs

    def get(self, kind, ns, name):
        return self.objects[kind.key].get((ns or "", name))

    def list(self, kind, ns=None, label_reqs=(), field_reqs=()):
        out = []
        for (ons, _), obj in sorted(self.objects[kind.key].items()):
            if ns and ons != ns:
                continue
            if labels_match(label_reqs, obj["metadata"].get("labels")) and \
                    fields_match(field_reqs, obj):
                out.append(obj)
        return out

    def allocate_ip(self, pool):
        self.ip_counters[pool] += 1
        n = self.ip_counters[pool]
        base = "10.244" if pool == "pod" else "10.96"
        return f"{base}.{n // 250}.{n % 250 + 2}"

    # -- writes

    def _next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _emit(self, kind, etype, obj, old=None):
        self.history.append((self.rv, kind.key, etype, obj, old))
        for w in list(self.watchers):
            if w.kind.key == kind.key:
                w.offer(etype, obj, old)

    def _store(self, kind, obj):
        meta = obj["metadata"]
        self.objects[kind.key][(meta.get("namespace", ""), meta["name"])] = obj

    def check_namespace(self, kind, ns):
        if kind.namespaced and not self.get(self.kinds["/namespaces"], "", ns):
            raise ApiError(404, f'namespaces "{ns}" not found', "NotFound",
                           {"name": ns, "kind": "namespaces"})

    def create(self, kind, obj, ns, manager, dry_run=False, operation="Update", fields=None):
        obj = copy.deepcopy(obj)
        posted_phase = (obj.get("status") or {}).get("phase") if isinstance(obj, dict) else None
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        if kind.namespaced:
            meta["namespace"] = ns
            self.check_namespace(kind, ns)
        else:
            meta.pop("namespace", None)
        validate(kind, obj)
        if self.get(kind, ns if kind.namespaced else "", meta["name"]):
            raise ApiError(409, f'{kind.qualified} "{meta["name"]}" already exists',
                           "AlreadyExists", {"name": meta["name"], "group": kind.group,
                                             "kind": kind.plural})
        now = time.time()
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = rfc3339(now)
        for k in ("resourceVersion", "deletionTimestamp", "managedFields", "selfLink"):
            meta.pop(k, None)
        if "spec" in obj and kind.kind not in ("Namespace",):
            meta["generation"] = 1
        if kind.kind == "CustomResourceDefinition":
            self._crd_status(obj)
        apply_defaults(kind, obj, self)
        set_managed(obj, manager, operation, kind.api_version,
                    fields if fields is not None else field_set(strip_status(obj)), now)
        if kind.kind == "Pod":
            denied = self.workloads.admit_pod(obj, ns)
            if denied:
                raise ApiError(403, denied, "Forbidden", {"name": meta["name"], "kind": "pods"})
        if dry_run:
            return obj
        meta["resourceVersion"] = self._next_rv()
        self._store(kind, obj)
        if kind.kind == "Pod":
            # A pod posted with a phase keeps that status: no kubelet or controller touches it.
            fixed = bool(posted_phase) and manager != "kube-controller-manager"
            self.pod_sim[meta["uid"]] = {"created": now, "ip": self.allocate_ip("pod"),
                                         "fixed": fixed}
        if kind.kind == "CustomResourceDefinition":
            self._register_crd(obj)
        self._emit(kind, "ADDED", obj)
        return obj

    def update(self, kind, old, new, manager, dry_run=False, operation="Update", fields=None,
               subresource=None, released=()):
        """Stores new (a modified copy of old). Unchanged content is not written."""
        meta, ometa = new.setdefault("metadata", {}), old["metadata"]
        for k in ("uid", "creationTimestamp", "name", "namespace", "deletionTimestamp"):
            if k in ometa:
                meta[k] = ometa[k]
            else:
                meta.pop(k, None)
        new["apiVersion"], new["kind"] = kind.api_version, kind.kind
        if subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            if status is not None:
                new["status"] = status
            meta = new["metadata"]
        elif "status" in old and kind.kind != "Namespace":
            new["status"] = copy.deepcopy(old["status"])
        if kind.kind == "Service" and "clusterIP" in (old.get("spec") or {}):
            new.setdefault("spec", {}).setdefault("clusterIP", old["spec"]["clusterIP"])
        apply_defaults(kind, new, self)
        validate(kind, new)
        if kind.kind in ("ConfigMap", "Secret"):
            check_immutable(kind, old, new)
        if kind.kind in ("Deployment", "ReplicaSet"):
            if (old.get("spec") or {}).get("selector") != (new.get("spec") or {}).get("selector"):
                raise invalid(kind, meta["name"], [{"field": "spec.selector", "message":
                              "Invalid value: field is immutable"}])
        if "generation" in ometa:
            gen = ometa["generation"]
            meta["generation"] = gen + 1 if old.get("spec") != new.get("spec") else gen
        meta["managedFields"] = copy.deepcopy(ometa.get("managedFields") or [])
        release_fields(meta["managedFields"], released)
        changed = not content_equal(old, new)
        before = json.dumps(meta["managedFields"], sort_keys=True)
        set_managed(new, manager, operation, kind.api_version,
                    fields if fields is not None else None, time.time(), subresource,
                    keep_time=not changed)
        if not changed and json.dumps(meta["managedFields"], sort_keys=True) == before:
            return old
        if dry_run:
            meta["resourceVersion"] = ometa.get("resourceVersion")
            return new
        meta["resourceVersion"] = self._next_rv()
        self._store(kind, new)
        self._emit(kind, "MODIFIED", new, old)
        return new

    def delete(self, kind, ns, name, propagation="Background", dry_run=False):
        obj = self.get(kind, ns, name)
        if obj is None:
            raise not_found(kind, name)
        if dry_run:
            return obj
        return begin_delete(self, kind, obj, propagation)

    def _delete_obj(self, kind, obj, cascade):
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if self.objects[kind.key].get(key) is not obj:
            return
        del self.objects[kind.key][key]
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = self._next_rv()
        self._emit(kind, "DELETED", gone)
        uid = meta["uid"]
        self.pod_sim.pop(uid, None)
        for k in [k for k in self.applied if k[0] == uid]:
            del self.applied[k]
        if kind.kind == "CustomResourceDefinition":
            self._unregister_crd(obj)
        if not cascade:
            return
        for other_key, objs in list(self.objects.items()):
            other_kind = self.kinds.get(other_key)
            if other_kind is None:
                continue
            for o in list(objs.values()):
                om = o["metadata"]
                if owned_by(o, uid) or (kind.kind == "Namespace" and other_kind.namespaced
                                        and om.get("namespace") == meta["name"]):
                    self._delete_obj(other_kind, o, True)

    # -- CRDs

    def enable_crd(self, name):
        with self.lock:
            crds = self.kinds["apiextensions.k8s.io/customresourcedefinitions"]
            if self.get(crds, "", name) is None:
                self.create(crds, crd_object(name), "", "platform-test")

    def disable_crd(self, name):
        with self.lock:
            crds = self.kinds["apiextensions.k8s.io/customresourcedefinitions"]
            if self.get(crds, "", name) is not None:
                self.delete(crds, "", name)

    @staticmethod
    def _crd_status(obj):
        names = (obj.get("spec") or {}).get("names") or {}
        obj["status"] = {"acceptedNames": names, "storedVersions": [
            v.get("name") for v in (obj.get("spec") or {}).get("versions") or [] if v.get("storage")],
            "conditions": [{"type": t, "status": "True", "reason": r, "message": m,
                            "lastTransitionTime": rfc3339(time.time())}
                           for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                                           ("Established", "InitialNamesAccepted",
                                            "the initial names have been accepted"))]}

    def _register_crd(self, obj):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
        if not versions or not names.get("plural") or not names.get("kind"):
            return
        k = Kind(spec.get("group", ""), versions[0].get("name", "v1"), names["plural"],
                 names["kind"], spec.get("scope", "Namespaced") == "Namespaced",
                 names.get("shortNames") or [], names.get("categories") or [], subresources=())
        self.kinds[k.key] = k

    def _unregister_crd(self, obj):
        spec = obj.get("spec") or {}
        key = f"{spec.get('group', '')}/{(spec.get('names') or {}).get('plural', '')}"
        kind = self.kinds.pop(key, None)
        if kind:
            for o in list(self.objects[key].values()):
                self._delete_obj(kind, o, True)

    # -- faults and request log

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                m = (f.get("method") or "*").upper()
                if m not in ("*", method) or not path.startswith(f.get("pathPrefix") or ""):
                    continue
                if f.get("path") and path != f["path"]:
                    continue
                if f.get("count", 1) == 0:
                    continue
                if f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                return f
        return None

    # -- controllers

    def run_controllers(self):
        while not self.stopping.wait(0.05):
            try:
                with self.lock:
                    self.reconcile(time.time())
            except Exception:  # keep the controllers alive; a test will notice the symptom
                traceback.print_exc()

    def reconcile(self, now):
        self.workloads.reconcile(now)
        collect_garbage(self, now)

    def _write(self, kind, old, new):
        new["metadata"]["resourceVersion"] = self._next_rv()
        self._store(kind, new)
        self._emit(kind, "MODIFIED", new, old)
        return new


def strip_status(obj):
    return {k: v for k, v in obj.items() if k != "status"}


def set_managed(obj, manager, operation, api_version, fields, now, subresource=None,
                keep_time=False):
    meta = obj.setdefault("metadata", {})
    entries = meta.get("managedFields") or []
    prev = next((e for e in entries if e.get("manager") == manager and
                 e.get("operation") == operation and e.get("subresource") == subresource), None)
    if fields is None:
        fields = prev["fieldsV1"] if prev else {}
    entry = {"manager": manager, "operation": operation, "apiVersion": api_version,
             "time": prev["time"] if prev and keep_time else rfc3339(now),
             "fieldsType": "FieldsV1", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    meta["managedFields"] = [e for e in entries if e is not prev] + [entry]


# --------------------------------------------------------------------------------------------
# Discovery, OpenAPI, tables


def api_resource_list(cluster, group, version):
    kinds = [k for k in cluster.kinds.values() if k.group == group and k.version == version]
    if not kinds:
        return None
    resources = []
    for k in sorted(kinds, key=lambda k: k.plural):
        r = {"name": k.plural, "singularName": k.singular, "namespaced": k.namespaced,
             "kind": k.kind, "verbs": ALL_VERBS}
        if k.short_names:
            r["shortNames"] = k.short_names
        if k.categories:
            r["categories"] = k.categories
        resources.append(r)
        for sub in k.subresources:
            if sub == "log":
                resources.append({"name": f"{k.plural}/log", "singularName": "",
                                  "namespaced": True, "kind": "Pod", "verbs": ["get"]})
            elif sub == "scale":
                resources.append({"name": f"{k.plural}/scale", "singularName": "",
                                  "namespaced": k.namespaced, "group": "autoscaling",
                                  "version": "v1", "kind": "Scale",
                                  "verbs": ["get", "patch", "update"]})
            else:
                resources.append({"name": f"{k.plural}/{sub}", "singularName": "",
                                  "namespaced": k.namespaced, "kind": k.kind,
                                  "verbs": ["get", "patch", "update"]})
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": resources}


def api_group(cluster, group):
    versions = sorted({k.version for k in cluster.kinds.values() if k.group == group})
    if group in cluster.aggregated:
        versions = sorted(set(versions) | {cluster.aggregated[group]["version"]})
    if not versions:
        return None
    vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": vs,
            "preferredVersion": vs[0]}


def api_group_list(cluster):
    groups = []
    for g in dict.fromkeys([k.group for k in cluster.kinds.values() if k.group]
                           + list(cluster.aggregated)):
        grp = api_group(cluster, g)
        del grp["kind"], grp["apiVersion"]
        groups.append(grp)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def openapi_prefix(group, version):
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def schema_name(k):
    if not k.group:
        return f"io.k8s.api.core.v1.{k.kind}"
    if k.group.endswith(".k8s.io") or "." not in k.group:
        g = k.group[:-len(".k8s.io")] if k.group.endswith(".k8s.io") else k.group
        if k.group == "apiextensions.k8s.io":
            return f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.{k.kind}"
        return f"io.k8s.api.{g}.{k.version}.{k.kind}"
    return ".".join(reversed(k.group.split("."))) + f".{k.version}.{k.kind}"


def openapi_document(cluster, group, version):
    kinds = [k for k in cluster.kinds.values() if k.group == group and k.version == version]
    if not kinds:
        return None
    meta_ref = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    status_ref = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
    schemas = {
        meta_ref: {"type": "object", "description": "Standard object metadata.",
                   "x-kubernetes-preserve-unknown-fields": True},
        status_ref: {"type": "object", "description": "Status is a return value for calls.",
                     "x-kubernetes-preserve-unknown-fields": True,
                     "x-kubernetes-group-version-kind": [
                         {"group": "", "version": "v1", "kind": "Status"}]},
    }

    def ref(name):
        return {"$ref": f"#/components/schemas/{name}"}

    def body(name):
        return {"content": {"application/json": {"schema": ref(name)}}}

    def qparam(name, description):
        return {"name": name, "in": "query", "description": description,
                "schema": {"type": "string", "uniqueItems": True}}

    write_params = [qparam("dryRun", "When present, modifications are not persisted."),
                    qparam("fieldManager", "A name for the actor making changes."),
                    qparam("fieldValidation", "How to handle unknown or duplicate fields.")]
    paths = {}
    base = "/" + openapi_prefix(group, version)
    for k in kinds:
        name = schema_name(k)
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        schemas[name] = {
            "type": "object", "description": f"{k.kind} (schema is permissive in tests).",
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "metadata": {"allOf": [ref(meta_ref)], "default": {}}},
            "x-kubernetes-preserve-unknown-fields": True,
            "x-kubernetes-group-version-kind": [gvk]}
        schemas[name + "List"] = {
            "type": "object", "required": ["items"],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "items": {"type": "array", "items": ref(name)},
                           "metadata": {"type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True}},
            "x-kubernetes-group-version-kind": [dict(gvk, kind=k.kind + "List")]}
        scope = "Namespaced" if k.namespaced else ""
        ns_part = "/namespaces/{namespace}" if k.namespaced else ""
        op_id = lambda verb: f"{verb}{(k.group.split('.')[0] or 'core').capitalize()}" \
                             f"{k.version.capitalize()}{scope}{k.kind}"
        path_params = ([{"name": "namespace", "in": "path", "required": True,
                         "schema": {"type": "string", "uniqueItems": True}}]
                       if k.namespaced else [])
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref(name)}}}}
        paths[f"{base}{ns_part}/{k.plural}"] = {
            "get": {"operationId": op_id("list"), "responses": {"200": {
                "description": "OK", "content": {"application/json": {
                    "schema": ref(name + "List")}}}},
                    "x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk},
            "post": {"operationId": op_id("create"), "parameters": write_params,
                     "requestBody": body(name), "responses": dict(ok, **{"201": ok["200"]}),
                     "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk},
            "parameters": path_params}
        item_params = [{"name": "name", "in": "path", "required": True,
                        "schema": {"type": "string", "uniqueItems": True}}] + path_params
        # Strategic merge patch is accepted but not advertised: kubectl's client-side apply
        # would otherwise compute patches from these permissive schemas and warn; without it,
        # kubectl uses its compiled-in types (for CRDs a merge patch), as it should.
        patch_body = {"content": {ct: {"schema": {"type": "object"}} for ct in
                                  (CT_APPLY, CT_JSON_PATCH, CT_MERGE)}}
        paths[f"{base}{ns_part}/{k.plural}/{{name}}"] = {
            "get": {"operationId": op_id("read"), "responses": ok,
                    "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk},
            "put": {"operationId": op_id("replace"), "parameters": write_params,
                    "requestBody": body(name), "responses": ok,
                    "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk},
            "patch": {"operationId": op_id("patch"),
                      "parameters": write_params + [qparam("force", "Force apply.")],
                      "requestBody": patch_body, "responses": ok,
                      "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk},
            "delete": {"operationId": op_id("delete"), "responses": {"200": {
                "description": "OK", "content": {"application/json": {
                    "schema": ref(status_ref)}}}},
                       "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk},
            "parameters": item_params}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": paths, "components": {"schemas": schemas}}


def table_columns(kind):
    col = lambda name, typ="string", fmt="": {"name": name, "type": typ, "format": fmt,
                                              "description": name, "priority": 0}
    extra = {
        "Pod": [col("Ready"), col("Status"), col("Restarts", "string"), col("Age")],
        "Deployment": [col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"),
                       col("Age")],
        "ReplicaSet": [col("Desired", "integer"), col("Current", "integer"),
                       col("Ready", "integer"), col("Age")],
        "Service": [col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"),
                    col("Age")],
        "Namespace": [col("Status"), col("Age")],
        "ConfigMap": [col("Data", "integer"), col("Age")],
        "Ingress": [col("Class"), col("Hosts"), col("Address"), col("Ports"), col("Age")],
    }
    return [col("Name", "string", "name")] + extra.get(kind.kind, [col("Age")])


def table_cells(kind, obj, now):
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    try:
        age = human_age(now - parse_time(meta["creationTimestamp"]))
    except (KeyError, ValueError):
        age = "<unknown>"
    if kind.kind == "Pod":
        cs = status.get("containerStatuses") or []
        reason = status.get("phase", "Pending")
        for c in cs:
            w = (c.get("state") or {}).get("waiting")
            if w and w.get("reason"):
                reason = w["reason"]
        ready = sum(1 for c in cs if c.get("ready"))
        restarts = sum(c.get("restartCount", 0) for c in cs)
        return [meta["name"], f"{ready}/{len(spec.get('containers') or [])}", reason,
                str(restarts), age]
    if kind.kind == "Deployment":
        return [meta["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
                status.get("updatedReplicas", 0), status.get("availableReplicas", 0), age]
    if kind.kind == "ReplicaSet":
        return [meta["name"], spec.get("replicas", 1), status.get("replicas", 0),
                status.get("readyReplicas", 0), age]
    if kind.kind == "Service":
        ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}"
                         for p in spec.get("ports") or [])
        return [meta["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "None"),
                "<none>", ports or "<none>", age]
    if kind.kind == "Namespace":
        return [meta["name"], status.get("phase", "Active"), age]
    if kind.kind == "ConfigMap":
        return [meta["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age]
    if kind.kind == "Ingress":
        hosts = ",".join(r.get("host", "*") for r in spec.get("rules") or []) or "*"
        return [meta["name"], spec.get("ingressClassName", "<none>"), hosts, "",
                "443" if spec.get("tls") else "80", age]
    return [meta["name"], age]


def to_table(kind, objs, include, rv):
    now = time.time()
    rows = []
    for o in objs:
        row = {"cells": table_cells(kind, o, now)}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": o["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": table_columns(kind), "rows": rows}


# --------------------------------------------------------------------------------------------
# Aggregated APIs, SSA conflicts, finalizers, init containers (the create/destroy/logs half)


def unavailable_api(cluster, group, version):
    """An aggregated API whose backend is down (say metrics-server): the group is listed in
    /apis as the kube-aggregator lists every APIService, but /apis/G/V and everything under it
    answer 503 ServiceUnavailable. Real kubectl then prints 'unable to retrieve the complete list
    of server APIs: G/V: the server is currently unable to handle the request' and
    `kubectl api-resources` exits 1, whatever --api-group says."""
    api = cluster.aggregated.get(group)
    if api and api["version"] == version:
        raise ApiError(api.get("status", 503), api.get("message") or
                       "the server is currently unable to handle the request",
                       "ServiceUnavailable")


def field_leaves(fields, prefix=()):
    """The leaf paths of a FieldsV1 set: tuples of its keys ("f:spec", "k:{...}", ...)."""
    out = []
    for k, v in (fields or {}).items():
        if k == ".":
            continue
        if isinstance(v, dict) and any(key != "." for key in v):
            out += field_leaves(v, prefix + (k,))
        else:
            out.append(prefix + (k,))
    return out


def field_has(fields, path):
    node = fields
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
    return True


def value_at(obj, path):
    """The value at a FieldsV1 path in an object; a marker object when absent."""
    node = obj
    for k in path:
        if k.startswith("f:") and isinstance(node, dict) and k[2:] in node:
            node = node[k[2:]]
        elif k.startswith("k:") and isinstance(node, list):
            want = json.loads(k[2:])
            node = next((i for i in node if isinstance(i, dict) and
                         all(i.get(a) == b for a, b in want.items())), ABSENT)
            if node is ABSENT:
                return ABSENT
        else:
            return ABSENT
    return node


ABSENT = object()


def field_path_text(path):
    """How the API server names a field in a conflict: .metadata.labels.x, .spec.containers[name="a"]."""
    out = ""
    for k in path:
        if k.startswith("f:"):
            out += "." + k[2:]
        elif k.startswith("k:"):
            want = json.loads(k[2:])
            out += "[" + ",".join(f"{a}={json.dumps(b)}" for a, b in sorted(want.items())) + "]"
    return out


def apply_conflicts(old, applied, manager, fields):
    """Server-side apply's conflicts: fields this apply sets to a value other than the current one
    while another manager (by Apply or Update) owns them (structured-merge-diff's rule). Equal
    values are shared ownership, no conflict. Returns [(manager, apiVersion, path)]."""
    conflicts = []
    for entry in (old.get("metadata") or {}).get("managedFields") or []:
        other = entry.get("manager")
        if other == manager or entry.get("subresource"):
            continue
        owned = entry.get("fieldsV1") or {}
        for path in field_leaves(fields):
            if path[:2] in (("f:metadata", "f:name"), ("f:metadata", "f:namespace")) or \
                    path in (("f:apiVersion",), ("f:kind",)):
                continue
            if field_has(owned, path) and value_at(old, path) != value_at(applied, path):
                conflicts.append((other, entry.get("apiVersion", ""), path))
    return conflicts


def conflicts_error(kind, name, conflicts):
    """The 409 an apply with conflicts gets (without force), worded as the API server words it."""
    causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {v}',
               "field": field_path_text(p)} for m, v, p in conflicts]
    text = "\n".join(f'- {c["message"]}: {c["field"]}' for c in causes) if len(causes) > 1 else \
        f'{causes[0]["message"]}: {causes[0]["field"]}'
    count = f"{len(causes)} conflict" + ("s" if len(causes) > 1 else "")
    sep = ":\n" if len(causes) > 1 else ": "
    err = ApiError(409, f"Apply failed with {count}{sep}{text}", "Conflict",
                   {"name": name, "group": kind.group, "kind": kind.plural, "causes": causes})
    return err


def release_fields(entries, released):
    """--force-conflicts: the fields taken over leave their previous managers' sets."""
    for manager, path in released:
        for entry in entries:
            if entry.get("manager") != manager:
                continue
            node = entry.get("fieldsV1") or {}
            for k in path[:-1]:
                node = node.get(k) if isinstance(node, dict) else None
                if node is None:
                    break
            if isinstance(node, dict):
                node.pop(path[-1], None)


def dependents_of(cluster, uid):
    """(kind, object) pairs whose ownerReferences name uid."""
    out = []
    for key, objs in list(cluster.objects.items()):
        kind = cluster.kinds.get(key)
        if kind is None:
            continue
        out += [(kind, o) for o in list(objs.values()) if owned_by(o, uid)]
    return out


def begin_delete(cluster, kind, obj, propagation, dependent=False):
    """A DELETE as the API server and garbage collector do it. Without finalizers and without
    Foreground propagation the object goes at once (Background: its dependents too, Orphan:
    they stay). Otherwise it only gets a deletionTimestamp: Foreground adds the
    `foregroundDeletion` finalizer and deletes the dependents (foreground as well, as the
    garbage collector does for owners waiting for their dependents); collect_garbage() removes
    that finalizer once no dependent is left, and the object goes once no finalizer is left.
    A finalizer nobody removes keeps the object Terminating for ever. Pods deleted by a
    foreground cascade terminate gracefully (the kubelet removes them after --terminate-delay)."""
    meta = obj["metadata"]
    if meta.get("deletionTimestamp"):
        return obj
    finalizers = list(meta.get("finalizers") or [])
    graceful_pod = kind.kind == "Pod" and (dependent or propagation == "Foreground")
    if propagation == "Foreground" and kind.kind not in ("Namespace", "Pod"):
        finalizers.append("foregroundDeletion")
    if not finalizers and not graceful_pod:
        if propagation == "Orphan" or kind.kind in ("Namespace", "CustomResourceDefinition"):
            cluster._delete_obj(kind, obj, propagation != "Orphan")
            return obj
        # Background: the object goes now; the garbage collector deletes its dependents after it,
        # so their pods are still terminating when the DELETE (and kubectl's wait for it) returns.
        children = dependents_of(cluster, meta["uid"])
        cluster._delete_obj(kind, obj, False)
        for dkind, child in children:
            begin_delete(cluster, dkind, child, "Background", dependent=True)
        return obj
    now = time.time()
    new = copy.deepcopy(obj)
    grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds", 30) if graceful_pod else 0
    new["metadata"]["deletionTimestamp"] = rfc3339(now + grace)
    new["metadata"]["deletionGracePeriodSeconds"] = grace
    if finalizers:
        new["metadata"]["finalizers"] = finalizers
    if graceful_pod:
        cluster.pod_sim.setdefault(meta["uid"], {"created": now})["deleting"] = now
    stored = cluster._write(kind, obj, new)
    if propagation != "Orphan":
        for dkind, child in dependents_of(cluster, meta["uid"]):
            begin_delete(cluster, dkind, child, propagation, dependent=True)
    return stored


def collect_garbage(cluster, now):
    """Objects being deleted: `foregroundDeletion` leaves once no dependent is left; an object
    without finalizers goes (a terminating Pod is left to the kubelet)."""
    for key, objs in list(cluster.objects.items()):
        kind = cluster.kinds.get(key)
        if kind is None or kind.kind == "Namespace":
            continue
        for obj in list(objs.values()):
            meta = obj["metadata"]
            if not meta.get("deletionTimestamp"):
                continue
            finalizers = list(meta.get("finalizers") or [])
            if "foregroundDeletion" in finalizers and not dependents_of(cluster, meta["uid"]):
                new = copy.deepcopy(obj)
                finalizers.remove("foregroundDeletion")
                new["metadata"]["finalizers"] = finalizers
                if not finalizers:
                    new["metadata"].pop("finalizers")
                obj = cluster._write(kind, obj, new)
            if not finalizers and kind.kind != "Pod":
                cluster._delete_obj(kind, obj, True)


def cluster_test_control(handler, method, parts, query, body):
    """Test control for this section; True when it handled the request."""
    cluster = handler.cluster
    if parts == ["aggregated"] and method in ("POST", "DELETE"):
        group = query.get("group")
        if not group:
            raise ApiError(400, "group query parameter is required")
        with cluster.lock:
            if method == "POST":
                cluster.aggregated[group] = {"version": query.get("version") or "v1beta1",
                                             "status": int(query.get("status") or 503)}
            else:
                cluster.aggregated.pop(group, None)
        handler.send_json(200, {"group": group, "unavailable": method == "POST"})
        return True
    return False


# --------------------------------------------------------------------------------------------
# Pod logs


def container_log_state(pod, container):
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or []:
            if cs.get("name") == container:
                return cs
    return {}


def all_containers(pod):
    """Init containers (native sidecars among them), containers, ephemeral containers: every
    container the kubelet keeps a log for."""
    spec = pod.get("spec") or {}
    return [c for key in ("initContainers", "containers", "ephemeralContainers")
            for c in spec.get(key) or [] if isinstance(c, dict)]


def log_source_problem(pod, container, state, previous):
    """Why the kubelet has no log to serve (a 400 message), or None. An Evicted pod's containers
    were removed by the kubelet; --previous needs a terminated earlier instance."""
    status = pod.get("status") or {}
    name = pod["metadata"]["name"]
    if status.get("reason") == "Evicted":
        cid = state.get("containerID") or (((state.get("state") or {}).get("terminated") or {})
                                           .get("containerID")) or "containerd://" + "0" * 64
        return f"unable to retrieve container logs for {cid}"
    if previous and not (state.get("lastState") or {}).get("terminated"):
        return f'previous terminated container "{container}" in pod "{name}" not found'
    return None


def log_entries(cluster, pod, container, start, previous=False):
    """The deterministic backlog of a container: a list of (timestamp, text). The previous
    instance of a container that terminated with a non-zero exit code ends in its ERROR."""
    spec = next((c for c in all_containers(pod) if c.get("name") == container), {})
    last = (container_log_state(pod, container).get("lastState") or {}).get("terminated") or {}
    if previous and last.get("exitCode"):
        spec = dict(spec, image="previous:crash")
    port = next((p.get("containerPort") for p in spec.get("ports") or []
                 if isinstance(p, dict) and p.get("containerPort")), 8080)
    if image_tag(spec.get("image")) == "crash":
        texts = [f"INFO {container} starting", "INFO loading configuration from /etc/app",
                 "INFO connecting to database db:5432",
                 "ERROR fatal: dial tcp 10.96.0.20:5432: connect: connection refused"]
    else:
        n = max(1, cluster.opts.log_lines)
        texts = [f"INFO {container} started on port {port}"] + [
            f"INFO request {i} GET /healthz 200" for i in range(1, n)]
    step = 30.0
    out = []
    for i, text in enumerate(texts):
        ts = start - (len(texts) - 1 - i) * step + i * 0.001
        out.append((ts, f"{rfc3339_millis(ts)} {text}\n"))
    return out


BULK_WIDTH = 100


def bulk_line_parts(start):
    pre = f"{rfc3339_millis(start)} INFO request ".encode()
    suf_len = BULK_WIDTH - len(pre) - 12 - 1
    suf = (" GET /api/items 200 " + "." * BULK_WIDTH)[:suf_len].encode() + b"\n"
    return pre, suf


def bulk_chunks(start, total, first_line, stamp_prefix, limit):
    """Yields the --log-bytes backlog from line first_line on, in ~1 MiB chunks."""
    pre, suf = bulk_line_parts(start)
    nfull, rem = divmod(total, BULK_WIDTH)
    stamp = stamp_prefix.encode()
    fmt = stamp + pre + b"%012d" + suf
    sent = 0
    i = first_line
    per_chunk = 10000
    while i < nfull:
        j = min(nfull, i + per_chunk)
        data = b"".join([fmt % n for n in range(i, j)])
        i = j
        if limit is not None and sent + len(data) >= limit:
            yield data[:limit - sent]
            return
        sent += len(data)
        yield data
    if rem and first_line <= nfull:
        data = stamp + ((pre + b"%012d" % nfull + suf)[:rem - 1] + b"\n" if rem > 1 else b"\n")
        if limit is not None:
            data = data[:max(0, limit - sent)]
        yield data


# --------------------------------------------------------------------------------------------
# Protobuf request bodies. kubectl's typed commands (`kubectl create namespace|configmap|secret`)
# send application/vnd.kubernetes.protobuf; the few simple kinds below are decoded, others get 415.

CT_PROTOBUF = "application/vnd.kubernetes.protobuf"
PB_OWNER_REF = {1: ("kind", "str"), 3: ("name", "str"), 4: ("uid", "str"),
                5: ("apiVersion", "str"), 6: ("controller", "bool"),
                7: ("blockOwnerDeletion", "bool")}
PB_META = {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
           5: ("uid", "str"), 6: ("resourceVersion", "str"), 7: ("generation", "int"),
           11: ("labels", "map"), 12: ("annotations", "map"),
           13: ("ownerReferences", [PB_OWNER_REF]), 14: ("finalizers", ["str"])}
PB_KINDS = {
    "Namespace": {1: ("metadata", PB_META), 2: ("spec", {1: ("finalizers", ["str"])}),
                  3: ("status", {1: ("phase", "str")})},
    "ConfigMap": {1: ("metadata", PB_META), 2: ("data", "map"), 3: ("binaryData", "bmap"),
                  4: ("immutable", "bool")},
    "Secret": {1: ("metadata", PB_META), 2: ("data", "bmap"), 3: ("type", "str"),
               4: ("stringData", "map"), 5: ("immutable", "bool")},
    "ServiceAccount": {1: ("metadata", PB_META), 3: ("imagePullSecrets", [{1: ("name", "str")}]),
                       4: ("automountServiceAccountToken", "bool")},
}


def pb_fields(data):
    """Yields (field number, wire type, value) of a protobuf message."""
    i, n = 0, len(data)

    def varint():
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    while i < n:
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            yield field, wire, varint()
        elif wire == 2:
            length = varint()
            yield field, wire, data[i:i + length]
            i += length
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def pb_decode(data, schema):
    out = {}
    for field, _, value in pb_fields(data):
        if field not in schema:
            continue
        name, typ = schema[field]
        if typ == "str":
            out[name] = value.decode()
        elif typ in ("int", "bool"):
            out[name] = bool(value) if typ == "bool" else value
        elif typ in ("map", "bmap"):
            entry = {f: v for f, _, v in pb_fields(value)}
            v = entry.get(2, b"")
            out.setdefault(name, {})[entry.get(1, b"").decode()] = \
                base64.b64encode(v).decode() if typ == "bmap" else v.decode()
        elif isinstance(typ, list):
            item = typ[0]
            out.setdefault(name, []).append(value.decode() if item == "str"
                                            else pb_decode(value, item))
        elif isinstance(typ, dict):
            out[name] = pb_decode(value, typ)
    return out


def decode_protobuf(body):
    if not body.startswith(b"k8s\x00"):
        raise ApiError(400, "protobuf body without the k8s envelope")
    envelope = {f: v for f, _, v in pb_fields(body[4:])}
    type_meta = {f: v.decode() for f, _, v in pb_fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    schema = PB_KINDS.get(kind)
    if schema is None or api_version != "v1":
        raise ApiError(415, f"the test API server cannot decode protobuf for {api_version} "
                            f"{kind}; send JSON (for example kubectl apply -f)",
                       "UnsupportedMediaType")
    obj = pb_decode(envelope.get(2, b""), schema)
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj


# --------------------------------------------------------------------------------------------
# HTTP


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "platform-test-apiserver"

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    @property
    def cluster(self):
        return self.server.cluster

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- plumbing

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, code, obj, content_type=CT_JSON):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)

    def send_error_status(self, err):
        self.send_json(err.code, err.status())

    def start_chunked(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def end_chunked(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    def client_gone(self):
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True
        return False

    def dispatch(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query,
                                                             keep_blank_values=True).items()}
        try:
            body = self.read_body()
            if path.startswith("/_test/") or path == "/_test":
                return self.test_control(method, path, query, body)
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            with self.cluster.lock:
                self.cluster.requests.append({"method": method, "path": path,
                                              "query": parsed.query, "contentType": content_type})
            fault = self.cluster.take_fault(method, path)
            if fault:
                code = int(fault.get("status", 500))
                raise ApiError(code, fault.get("message") or
                               f"injected fault: {method} {path} failed with status {code}",
                               fault.get("reason"))
            self.route(method, path, query, body, content_type)
        except ApiError as e:
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug here: report it as a 500 and keep serving
            traceback.print_exc()
            try:
                self.send_error_status(ApiError(500, f"internal error: {e!r}"))
            except OSError:
                pass

    def route(self, method, path, query, body, content_type):
        cluster = self.cluster
        if path == "/version":
            return self.send_json(200, {
                "major": "1", "minor": "37", "emulationMajor": "1", "emulationMinor": "37",
                "minCompatibilityMajor": "1", "minCompatibilityMinor": "36",
                "gitVersion": GIT_VERSION, "gitCommit": "0" * 40, "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25.0",
                "compiler": "gc", "platform": "linux/amd64"})
        if path in ("/healthz", "/readyz", "/livez"):
            data = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            return self.wfile.write(data)
        with cluster.lock:
            if path == "/api":
                host = f"127.0.0.1:{self.server.server_address[1]}"
                return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                            "serverAddressByClientCIDRs": [
                                                {"clientCIDR": "0.0.0.0/0",
                                                 "serverAddress": host}]})
            if path == "/apis":
                return self.send_json(200, api_group_list(cluster))
            if path == "/openapi/v2":
                return self.serve_openapi_v2()
            if path == "/openapi/v3":
                return self.send_json(200, self.openapi_index())
            if path.startswith("/openapi/v3/"):
                seg = path[len("/openapi/v3/"):].split("/")
                doc = None
                if len(seg) == 2 and seg[0] == "api":
                    doc = openapi_document(cluster, "", seg[1])
                elif len(seg) == 3 and seg[0] == "apis":
                    doc = openapi_document(cluster, seg[1], seg[2])
                if doc is None:
                    raise ApiError(404, "the server could not find the requested resource")
                return self.send_json(200, doc)
        segs = path.strip("/").split("/")
        if segs[0] == "api" and len(segs) >= 2:
            group, version, rest = "", segs[1], segs[2:]
        elif segs[0] == "apis" and len(segs) >= 2:
            group = segs[1]
            if len(segs) == 2:
                with cluster.lock:
                    grp = api_group(cluster, group)
                if grp is None:
                    raise ApiError(404, "the server could not find the requested resource")
                return self.send_json(200, grp)
            version, rest = segs[2], segs[3:]
            with cluster.lock:
                unavailable_api(cluster, group, version)
        else:
            raise ApiError(404, "the server could not find the requested resource")
        with cluster.lock:
            if not rest:
                lst = api_resource_list(cluster, group, version)
                if lst is None:
                    raise ApiError(404, "the server could not find the requested resource")
                return self.send_json(200, lst)
            ns = None
            if rest[0] == "namespaces" and len(rest) >= 3:
                k = cluster.kind_for(group, version, rest[2])
                if k is not None and k.namespaced:
                    ns, rest = rest[1], rest[2:]
            kind = cluster.kind_for(group, version, rest[0])
        if kind is None or len(rest) > 3 or (kind.namespaced and ns is None and len(rest) > 1):
            raise ApiError(404, "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in kind.subresources:
            raise ApiError(404, "the server could not find the requested resource")
        scope_ns = ns if kind.namespaced else ""
        if name is None:
            if method == "GET":
                if query.get("watch") in ("true", "1"):
                    return self.serve_watch(kind, ns, query)
                return self.serve_list(kind, ns, query)
            if method == "POST":
                if kind.namespaced and ns is None:
                    raise ApiError(405, "the server does not allow this method on the "
                                        "requested resource")
                return self.serve_create(kind, scope_ns, query, body)
            if method == "DELETE":
                return self.serve_delete_collection(kind, ns, query, body)
            raise ApiError(405, "the server does not allow this method on the requested resource")
        if method == "GET" and sub == "log":
            return self.serve_logs(ns, name, query)
        if method == "GET" and query.get("watch") in ("true", "1"):
            query = dict(query, fieldSelector=f"metadata.name={name}")
            return self.serve_watch(kind, ns, query)
        if method == "GET":
            with cluster.lock:
                obj = cluster.get(kind, scope_ns, name)
                if obj is None:
                    raise not_found(kind, name)
                if sub == "scale":
                    return self.send_json(200, scale_of(obj))
                return self.send_object(kind, obj)
        if method == "PUT":
            return self.serve_update(kind, scope_ns, name, sub, query, body)
        if method == "PATCH":
            return self.serve_patch(kind, scope_ns, name, sub, query, body, content_type)
        if method == "DELETE" and sub is None:
            return self.serve_delete(kind, scope_ns, name, query, body)
        raise ApiError(405, "the server does not allow this method on the requested resource")

    def openapi_index(self):
        paths = {}
        for (group, version) in self.cluster.group_versions():
            doc = openapi_document(self.cluster, group, version)
            digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
            prefix = openapi_prefix(group, version)
            paths[prefix] = {"serverRelativeURL": f"/openapi/v3/{prefix}?hash={digest[:128]}"}
        return {"paths": paths}

    def serve_openapi_v2(self):
        # kubectl falls back to client-side validation against OpenAPI v2 for documents whose
        # kind does not advertise fieldValidation (a v1 List): an OpenAPI v2 document with no
        # definitions makes it skip that validation (the server validates).
        if "protobuf" in (self.headers.get("Accept") or ""):
            data = b"\x0a\x032.0"  # openapi_v2.Document{swagger: "2.0"}
            self.send_response(200)
            self.send_header("Content-Type",
                             "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        self.send_json(200, {"swagger": "2.0", "info": {"title": "Kubernetes",
                                                        "version": GIT_VERSION},
                             "paths": {}, "definitions": {}})

    def wants_table(self):
        return "as=Table" in (self.headers.get("Accept") or "")

    def send_object(self, kind, obj, code=200):
        if self.wants_table():
            include = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get(
                "includeObject", ["Metadata"])[-1]
            return self.send_json(code, to_table(kind, [obj], include,
                                                 obj["metadata"].get("resourceVersion", "")))
        self.send_json(code, obj)

    # -- reads

    def serve_list(self, kind, ns, query):
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"))
        with self.cluster.lock:
            items = self.cluster.list(kind, ns, labels, fields)
            rv = str(self.cluster.rv)
        if self.wants_table():
            return self.send_json(200, to_table(kind, items, query.get("includeObject",
                                                                       "Metadata"), rv))
        self.send_json(200, {"kind": kind.kind + "List", "apiVersion": kind.api_version,
                             "metadata": {"resourceVersion": rv}, "items": items})

    def serve_watch(self, kind, ns, query):
        cluster = self.cluster
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"))
        send_initial = query.get("sendInitialEvents") == "true"
        rv = query.get("resourceVersion", "")
        timeout = float(query.get("timeoutSeconds") or 0) or None
        table = self.wants_table()
        include = query.get("includeObject", "Metadata")
        watcher = Watcher(kind, ns, labels, fields)
        initial = []
        with cluster.lock:
            if send_initial or rv in ("", "0"):
                initial = [("ADDED", o) for o in cluster.list(kind, ns, labels, fields)]
            else:
                try:
                    since = int(rv)
                except ValueError:
                    raise ApiError(400, f'invalid resource version "{rv}"') from None
                for erv, key, etype, obj, old in cluster.history:
                    if erv > since and key == kind.key:
                        watcher.offer(etype, obj, old)
            current = str(cluster.rv)
            cluster.watchers.add(watcher)
        self.server.streams.add(self)
        deadline = time.time() + timeout if timeout else None

        def encode(etype, obj):
            if table and etype != "BOOKMARK":
                obj = to_table(kind, [obj], include, obj["metadata"].get("resourceVersion", ""))
            return json.dumps({"type": etype, "object": obj}).encode() + b"\n"

        try:
            self.start_chunked(CT_JSON)
            for etype, obj in initial:
                self.write_chunk(encode(etype, obj))
            if send_initial:
                self.write_chunk(encode("BOOKMARK", {
                    "kind": kind.kind, "apiVersion": kind.api_version,
                    "metadata": {"resourceVersion": current,
                                 "annotations": {INITIAL_EVENTS_END: "true"}}}))
            while not cluster.stopping.is_set():
                if deadline and time.time() >= deadline:
                    break
                try:
                    etype, obj = watcher.queue.get(timeout=0.2)
                except queue.Empty:
                    if self.client_gone():
                        return
                    continue
                self.write_chunk(encode(etype, obj))
            self.end_chunked()
        except OSError:
            pass
        finally:
            with cluster.lock:
                cluster.watchers.discard(watcher)
            self.server.streams.discard(self)

    # -- writes

    def parse_json(self, body):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == CT_PROTOBUF:
            try:
                return decode_protobuf(body)
            except (ValueError, IndexError, UnicodeDecodeError) as e:
                raise ApiError(400, f"cannot decode protobuf body: {e}") from None
        try:
            return json.loads(body or b"{}")
        except ValueError as e:
            raise ApiError(400, f"the body of the request was in an unknown format - accepted "
                                f"media types include: application/json (only JSON is "
                                f"understood by the test server): {e}") from None

    def manager(self, query, default_suffix=""):
        if query.get("fieldManager"):
            return query["fieldManager"]
        agent = (self.headers.get("User-Agent") or "unknown").split("/")[0]
        return agent + default_suffix

    def check_body(self, kind, obj, ns, name=None):
        if not isinstance(obj, dict):
            raise ApiError(400, "the body of the request must be a JSON object")
        api_version, k = obj.get("apiVersion"), obj.get("kind")
        if (api_version and api_version != kind.api_version) or (k and k != kind.kind):
            raise ApiError(400, f"the API version in the data ({api_version}) does not match "
                                f"the expected API version ({kind.api_version})"
                           if api_version != kind.api_version else
                           f"the kind in the data ({k}) does not match the expected kind "
                           f"({kind.kind})")
        meta = obj.get("metadata") or {}
        if kind.namespaced and meta.get("namespace") and meta["namespace"] != ns:
            raise ApiError(400, "the namespace of the provided object does not match the "
                                "namespace sent on the request")
        if name is not None and meta.get("name") and meta["name"] != name:
            raise ApiError(400, "the name of the object (%s) does not match the name on the URL "
                                "(%s)" % (meta["name"], name))

    def serve_create(self, kind, ns, query, body):
        obj = self.parse_json(body)
        self.check_body(kind, obj, ns)
        with self.cluster.lock:
            created = self.cluster.create(kind, obj, ns, self.manager(query),
                                          dry_run=query.get("dryRun") == "All")
        self.send_object(kind, created, 201)

    def serve_update(self, kind, ns, name, sub, query, body):
        obj = self.parse_json(body)
        dry = query.get("dryRun") == "All"
        with self.cluster.lock:
            old = self.cluster.get(kind, ns, name)
            if old is None:
                raise not_found(kind, name)
            if sub == "scale":
                new = copy.deepcopy(old)
                new["spec"]["replicas"] = (obj.get("spec") or {}).get("replicas", 0)
                res = self.cluster.update(kind, old, new, self.manager(query), dry)
                return self.send_json(200, scale_of(res))
            self.check_body(kind, obj, ns, name)
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(kind, name)
            res = self.cluster.update(kind, old, copy.deepcopy(obj), self.manager(query), dry,
                                      subresource=sub)
        self.send_object(kind, res)

    def serve_patch(self, kind, ns, name, sub, query, body, content_type):
        dry = query.get("dryRun") == "All"
        patch = self.parse_json(body)
        cluster = self.cluster
        with cluster.lock:
            old = cluster.get(kind, ns, name)
            if content_type == CT_APPLY:
                return self.serve_apply(kind, ns, name, sub, query, patch, old, dry)
            if old is None:
                raise not_found(kind, name)
            base = scale_of(old) if sub == "scale" else copy.deepcopy(old)
            try:
                if content_type == CT_SMP:
                    if kind.kind not in {k.kind for k in BUILTIN_KINDS}:
                        raise ApiError(415, "strategic merge patch is not supported for custom "
                                            "resources", "UnsupportedMediaType")
                    new = strategic_merge(base, patch)
                elif content_type == CT_MERGE:
                    new = json_merge_patch(base, patch)
                elif content_type == CT_JSON_PATCH:
                    if not isinstance(patch, list):
                        raise ApiError(400, "a JSON patch must be a list of operations")
                    new = json_patch(base, patch)
                else:
                    raise ApiError(415, f'the body of the request was in an unknown format - '
                                        f'accepted media types include: {CT_JSON_PATCH}, '
                                        f'{CT_MERGE}, {CT_APPLY}, {CT_SMP}',
                                   "UnsupportedMediaType")
            except ValueError as e:
                raise ApiError(422, str(e)) from None
            if not isinstance(new, dict):
                raise ApiError(422, "the patch did not produce an object")
            manager = self.manager(query)
            if sub == "scale":
                upd = copy.deepcopy(old)
                upd["spec"]["replicas"] = (new.get("spec") or {}).get("replicas", 0)
                res = cluster.update(kind, old, upd, manager, dry)
                return self.send_json(200, scale_of(res))
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(kind, name)
            res = cluster.update(kind, old, new, manager, dry, subresource=sub)
        self.send_object(kind, res)

    def serve_apply(self, kind, ns, name, sub, query, applied, old, dry):
        cluster = self.cluster
        self.check_body(kind, applied, ns, name)
        if not applied.get("apiVersion") or not applied.get("kind"):
            raise ApiError(400, "apiVersion and kind must be set in an apply patch")
        manager = query.get("fieldManager")
        if not manager:
            raise ApiError(422, "PATCH, application/apply-patch+yaml requires fieldManager "
                                "to be set", "Invalid")
        applied = copy.deepcopy(applied)
        applied.setdefault("metadata", {})["name"] = name
        fields = field_set(applied)
        if old is None:
            if sub:
                raise not_found(kind, name)
            obj = cluster.create(kind, applied, ns, manager, dry, "Apply", fields)
            if not dry:
                cluster.applied[(obj["metadata"]["uid"], manager)] = applied
            return self.send_object(kind, obj, 201)
        uid = old["metadata"]["uid"]
        previous = cluster.applied.get((uid, manager))
        base = copy.deepcopy(old)
        if previous is not None:
            base = apply_prune(base, previous, applied)
        new = apply_merge(base, applied)
        conflicts = apply_conflicts(old, applied, manager, fields)
        if conflicts and query.get("force") != "true":
            raise conflicts_error(kind, name, conflicts)
        res = cluster.update(kind, old, new, manager, dry, "Apply", fields, subresource=sub,
                             released=[(m, path) for m, _, path in conflicts])
        if not dry:
            cluster.applied[(uid, manager)] = applied
        self.send_object(kind, res)

    def delete_options(self, query, body):
        opts = {}
        if body:
            try:
                opts = json.loads(body)
            except ValueError:
                opts = {}
        policy = query.get("propagationPolicy") or opts.get("propagationPolicy") or "Background"
        dry = query.get("dryRun") == "All" or "All" in (opts.get("dryRun") or [])
        return policy, dry

    def serve_delete(self, kind, ns, name, query, body):
        policy, dry = self.delete_options(query, body)
        with self.cluster.lock:
            obj = self.cluster.delete(kind, ns, name, policy, dry)
        if kind.kind in ("Pod", "Namespace"):
            return self.send_object(kind, obj)
        self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                             "status": "Success", "details": {
                                 "name": name, "group": kind.group, "kind": kind.plural,
                                 "uid": obj["metadata"]["uid"]}})

    def serve_delete_collection(self, kind, ns, query, body):
        policy, dry = self.delete_options(query, body)
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"))
        with self.cluster.lock:
            items = self.cluster.list(kind, ns, labels, fields)
            for o in items:
                if not dry:
                    self.cluster._delete_obj(kind, o, policy != "Orphan")
            rv = str(self.cluster.rv)
        self.send_json(200, {"kind": kind.kind + "List", "apiVersion": kind.api_version,
                             "metadata": {"resourceVersion": rv}, "items": items})

    # -- logs

    def serve_logs(self, ns, name, query):
        cluster = self.cluster
        pods = cluster.kinds["/pods"]
        with cluster.lock:
            pod = cluster.get(pods, ns, name)
            if pod is None:
                raise not_found(pods, name)
            names = [c.get("name") for c in all_containers(pod)]
            container = query.get("container")
            if not container:
                if len(names) != 1:
                    raise ApiError(400, f"a container name must be specified for pod {name}, "
                                        f"choose one of: [{' '.join(names)}]")
                container = names[0]
            if container not in names:
                raise ApiError(400, f"container {container} is not valid for pod {name}")
            state = container_log_state(pod, container)
            previous = query.get("previous") == "true"
            problem = log_source_problem(pod, container, state, previous)
            if problem:
                raise ApiError(400, problem)
            restarts = state.get("restartCount", 0)
            waiting = ((state.get("state") or {}).get("waiting") or {}).get("reason")
            if previous:
                waiting = None
            elif waiting in ("ContainerCreating", "PodInitializing", "ImagePullBackOff",
                             "ErrImagePull") or not state:
                detail = "trying and failing to pull image" if waiting in (
                    "ImagePullBackOff", "ErrImagePull") else waiting or "ContainerCreating"
                raise ApiError(400, f'container "{container}" in pod "{name}" is waiting to '
                                    f"start: {detail}")
            sim = cluster.pod_sim.get(pod["metadata"]["uid"]) or {"created": time.time()}
            start = sim["created"] + cluster.opts.ready_delay
            uid = pod["metadata"]["uid"]
            crash = waiting == "CrashLoopBackOff"
            job = run_to_completion(pod)
            if job:
                begin = sim.get("scheduled", sim["created"]) + cluster.opts.ready_delay / 2
                job_lines, job_end, _ = job_log_lines(pod, container, begin)
        timestamps = query.get("timestamps") == "true"
        follow = query.get("follow") == "true" and not crash and not previous
        tail = int(query["tailLines"]) if query.get("tailLines") not in (None, "") else None
        limit = int(query["limitBytes"]) if query.get("limitBytes") else None
        since = None
        if query.get("sinceSeconds"):
            since = time.time() - int(query["sinceSeconds"])
        elif query.get("sinceTime"):
            since = parse_time(query["sinceTime"])
        self.start_chunked("text/plain")
        self.server.streams.add(self)
        sent = 0
        try:
            if job:
                # A run-to-completion container: its lines as they are written; a follow ends
                # when the container terminates.
                shown = 0
                while True:
                    now = time.time()
                    due = [(ts, text) for ts, text in job_lines if ts <= now]
                    if shown == 0:
                        if since is not None:
                            due = [e for e in due if e[0] >= since]
                        if tail is not None:
                            due = due[len(due) - tail:] if tail > 0 else []
                        shown = len([e for e in job_lines if e[0] <= now])
                        fresh = due
                    else:
                        fresh = [e for e in job_lines if e[0] <= now][shown:]
                        shown += len(fresh)
                    data = b"".join(((rfc3339_nano(ts) + " " if timestamps else "") + text
                                     + "\n").encode() for ts, text in fresh)
                    if data:
                        self.write_chunk(data)
                    if not follow or now >= job_end or cluster.stopping.is_set() or \
                            self.client_gone():
                        break
                    time.sleep(0.1)
                self.end_chunked()
                return
            if cluster.opts.log_bytes is not None and not crash:
                nlines = -(-cluster.opts.log_bytes // BULK_WIDTH)
                first = 0 if tail is None else max(0, nlines - tail)
                if since is not None and start < since:
                    first = nlines
                stamp = rfc3339_nano(start) + " " if timestamps else ""
                for chunk in bulk_chunks(start, cluster.opts.log_bytes, first, stamp, limit):
                    self.write_chunk(chunk)
                    sent += len(chunk)
                counter = nlines
            else:
                entries = log_entries(cluster, pod, container, start, previous)
                if since is not None:
                    entries = [e for e in entries if e[0] >= since]
                if tail is not None:
                    entries = entries[len(entries) - tail:] if tail > 0 else []
                data = b"".join(((rfc3339_nano(ts) + " " if timestamps else "") + text).encode()
                                for ts, text in entries)
                if limit is not None:
                    data = data[:limit]
                self.write_chunk(data)
                sent += len(data)
                counter = cluster.opts.log_lines
            while follow and not cluster.stopping.is_set():
                if limit is not None and sent >= limit:
                    break
                if self.client_gone():
                    return
                time.sleep(0.2)
                with cluster.lock:
                    current = cluster.get(pods, ns, name)
                    if current is None or current["metadata"]["uid"] != uid:
                        break
                    if container_log_state(current, container).get("restartCount", 0) != restarts:
                        break  # the container restarted: its log stream ends, as the kubelet's does
                now = time.time()
                text = f"{rfc3339_millis(now)} INFO request {counter} GET /healthz 200\n"
                counter += 1
                line = ((rfc3339_nano(now) + " " if timestamps else "") + text).encode()
                if limit is not None:
                    line = line[:limit - sent]
                self.write_chunk(line)
                sent += len(line)
            self.end_chunked()
        except OSError:
            pass
        finally:
            self.server.streams.discard(self)

    # -- test control

    def test_control(self, method, path, query, body):
        cluster = self.cluster
        parts = path.strip("/").split("/")[1:]
        if parts == ["crds"] and method in ("POST", "DELETE"):
            name = query.get("name")
            if not name:
                raise ApiError(400, "name query parameter is required")
            (cluster.enable_crd if method == "POST" else cluster.disable_crd)(name)
            return self.send_json(200, {"name": name, "enabled": method == "POST"})
        if parts == ["faults"]:
            with cluster.lock:
                if method == "POST":
                    fault = self.parse_json(body)
                    if not isinstance(fault, dict):
                        raise ApiError(400, "a fault is a JSON object")
                    fault.setdefault("count", 1)
                    fault.setdefault("status", 500)
                    cluster.faults.append(fault)
                elif method == "DELETE":
                    cluster.faults = []
                return self.send_json(200, {"faults": cluster.faults})
        if parts == ["state"] and method == "GET":
            with cluster.lock:
                objects = [o for key in sorted(cluster.objects)
                           for _, o in sorted(cluster.objects[key].items())]
                return self.send_json(200, {"resourceVersion": str(cluster.rv),
                                            "objects": objects})
        if parts == ["requests"]:
            with cluster.lock:
                if method == "DELETE":
                    cluster.requests = []
                return self.send_json(200, list(cluster.requests))
        if len(parts) == 4 and parts[0] == "pods" and parts[3] == "restarts" and method == "POST":
            # The pod's containers restarted this often before (e.g. OOM-killed last week).
            pods = cluster.kinds["/pods"]
            with cluster.lock:
                obj = cluster.get(pods, parts[1], parts[2])
                if obj is None:
                    raise not_found(pods, parts[2])
                cluster.pod_sim.setdefault(obj["metadata"]["uid"], {
                    "created": time.time(), "ip": cluster.allocate_ip("pod")})["base_restarts"] = \
                    int(query.get("count", "3"))
            return self.send_json(200, {"restarts": int(query.get("count", "3"))})
        if len(parts) == 4 and parts[0] == "pods" and parts[3] == "delete" and method == "POST":
            pods = cluster.kinds["/pods"]
            with cluster.lock:
                obj = cluster.delete(pods, parts[1], parts[2])
            return self.send_json(200, obj)
        if cluster_test_control(self, method, parts, query, body):
            return None
        raise ApiError(404, f"unknown test control endpoint {method} {path}")


def conflict(kind, name):
    return ApiError(409, f'Operation cannot be fulfilled on {kind.qualified} "{name}": the object '
                         "has been modified; please apply your changes to the latest version "
                         "and try again", "Conflict",
                    {"name": name, "group": kind.group, "kind": kind.plural})


def scale_of(obj):
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                              "creationTimestamp") if k in meta},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": status.get("replicas", 0),
                       "selector": selector_string((spec.get("selector") or {})
                                                   .get("matchLabels"))}}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, opts):
        super().__init__(("127.0.0.1", opts.port), Handler)
        self.opts = opts
        self.cluster = Cluster(opts)
        self.streams = set()


def write_kubeconfig(path, port):
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: platform-test
  cluster:
    server: http://127.0.0.1:{port}
contexts:
- name: platform-test
  context:
    cluster: platform-test
    user: platform-test
current-context: platform-test
users:
- name: platform-test
  user: {{}}
preferences: {{}}
"""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Kubernetes test API server for platform tests.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--ready-delay", type=float, default=0.3)
    p.add_argument("--crd", action="append", default=[])
    p.add_argument("--log-lines", type=int, default=20)
    p.add_argument("--log-bytes", type=int, default=None)
    p.add_argument("--terminate-delay", type=float, default=0.3,
                   help="seconds a deleted pod stays Terminating (deletionTimestamp set)")
    p.add_argument("--pull-fail-seconds", type=float, default=3.0,
                   help="how long pulls of an image tagged 'flaky' fail before they succeed")
    p.add_argument("--crash-backoff", type=float, default=0.5,
                   help="first crash-loop back-off in seconds (doubles, at most 16x)")
    p.add_argument("--node-cpu", default="4", help="CPU the one node offers to pod requests")
    p.add_argument("--verbose", action="store_true", help="log requests to stderr")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="exit when the process that started the server goes away")
    return p.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv)
    server = Server(opts)
    port = server.server_address[1]
    write_kubeconfig(opts.kubeconfig, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.cluster.run_controllers, daemon=True).start()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    parent = os.getppid()
    while not stop.wait(0.5):
        if opts.exit_with_parent and os.getppid() != parent:
            break
    server.cluster.stopping.set()
    server.shutdown()
    deadline = time.time() + 2
    while server.streams and time.time() < deadline:  # let streams write their last chunk
        time.sleep(0.05)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
