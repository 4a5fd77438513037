#!/usr/bin/python3
"""Drives mlkube with the Python `kubernetes` client (Debian python3-kubernetes): list with
selectors, create, strategic-merge patch, watch, delete. Exits non-zero on the first failure."""
import sys
import threading
import time

from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
apps = client.AppsV1Api()
ns = "default"


def pod(name, labels):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="python:3")]))


for i, app in enumerate(["train", "train", "serve"]):
    core.create_namespaced_pod(ns, pod(f"py-{i}", {"app": app}))

names = sorted(p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="app=train").items)
assert names == ["py-0", "py-1"], names
assert len(core.list_pod_for_all_namespaces(label_selector="app in (serve)").items) == 1

try:
    core.create_namespaced_pod(ns, pod("py-0", {}))
    raise AssertionError("duplicate create succeeded")
except client.exceptions.ApiException as e:
    assert e.status == 409, e.status

dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-deploy"),
    spec=client.V1DeploymentSpec(
        replicas=1,
        selector=client.V1LabelSelector(match_labels={"app": "py"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "py"}),
            spec=client.V1PodSpec(containers=[
                client.V1Container(name="server", image="mlserve:1",
                                   env=[client.V1EnvVar(name="A", value="1")])]))))
apps.create_namespaced_deployment(ns, dep)
# Strategic merge: adds an env var to the container matched by name, keeps the existing one.
apps.patch_namespaced_deployment("py-deploy", ns, {"spec": {"replicas": 3, "template": {"spec": {
    "containers": [{"name": "server", "env": [{"name": "B", "value": "2"}]}]}}}})
d = apps.read_namespaced_deployment("py-deploy", ns)
assert d.spec.replicas == 3, d.spec.replicas
envs = sorted(e.name for e in d.spec.template.spec.containers[0].env)
assert envs == ["A", "B"], envs
apps.patch_namespaced_deployment_scale("py-deploy", ns, {"spec": {"replicas": 4}})
assert apps.read_namespaced_deployment_scale("py-deploy", ns).spec.replicas == 4

events = []
rv = core.list_namespaced_pod(ns).metadata.resource_version


def watcher():
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_pod, ns, resource_version=rv, timeout_seconds=5):
        events.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED" and ev["object"].metadata.name == "py-2":
            w.stop()


t = threading.Thread(target=watcher)
t.start()
time.sleep(0.5)
core.patch_namespaced_pod("py-2", ns, {"metadata": {"labels": {"watched": "yes"}}})
core.delete_namespaced_pod("py-2", ns)
t.join(10)
assert ("MODIFIED", "py-2") in events and ("DELETED", "py-2") in events, events

for name in ["py-0", "py-1"]:
    core.delete_namespaced_pod(name, ns)
apps.delete_namespaced_deployment("py-deploy", ns)
# The Deployment's ReplicaSet and pods follow it out (background deletion by the garbage collector).
for _ in range(100):
    left = [p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="app").items]
    if not left:
        break
    time.sleep(0.1)
assert left == [], left
print("python client OK")
