#!/usr/bin/env python3
"""Checks dashboards/deploy/*.yaml offline (no cluster here): the YAML parses,
and the pieces that must agree do: one agent per node with host PIDs, exactly
the capabilities of the systemd unit, non-root, the BTF mount, the
prometheus.io annotations naming the port iotaxd listens on, and the
ServiceMonitor finding the Service that finds the pods.

usage: check_manifests.py DAEMONSET_YAML SERVICEMONITOR_YAML SYSTEMD_UNIT
Prints one line per problem; exit 1 when there is any."""
import sys

import yaml


def main(daemonset_path, servicemonitor_path, unit_path):
    problems = []

    def expect(cond, what):
        if not cond:
            problems.append(what)

    docs = [d for d in yaml.safe_load_all(open(daemonset_path)) if d]
    by_kind = {d["kind"]: d for d in docs}
    expect(set(by_kind) == {"Namespace", "DaemonSet", "Service"}, f"kinds: {sorted(by_kind)}")
    ns = by_kind["Namespace"]["metadata"]["name"]
    ds = by_kind["DaemonSet"]
    svc = by_kind["Service"]
    expect(ds["apiVersion"] == "apps/v1", "DaemonSet apiVersion apps/v1")
    expect(ds["metadata"]["namespace"] == ns and svc["metadata"]["namespace"] == ns, "one namespace")
    pod = ds["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    expect(all(pod_labels.get(k) == v for k, v in ds["spec"]["selector"]["matchLabels"].items()),
           "DaemonSet selector matches its pods")
    spec = pod["spec"]
    expect(spec.get("hostPID") is True, "hostPID: true (the node's processes and PIDs)")
    expect(not spec.get("hostNetwork"), "no hostNetwork: the pod IP is scraped")
    expect(not spec.get("automountServiceAccountToken", True), "no API token")
    expect(spec.get("securityContext", {}).get("runAsNonRoot") is True, "runAsNonRoot")
    expect(spec.get("securityContext", {}).get("runAsUser", 0) != 0, "a non-root runAsUser")
    containers = spec["containers"]
    expect(len(containers) == 1, "one container")
    c = containers[0]
    sc = c.get("securityContext", {})
    expect(not sc.get("privileged"), "not privileged")
    caps = sc.get("capabilities", {})
    expect(caps.get("drop") == ["ALL"], "capabilities drop ALL")
    unit_caps = set()
    for line in open(unit_path):
        if line.startswith("AmbientCapabilities="):
            unit_caps = {x.removeprefix("CAP_") for x in line.split("=", 1)[1].split()}
    expect(unit_caps == {"BPF", "PERFMON"}, f"systemd unit ambient capabilities {sorted(unit_caps)}")
    expect(set(caps.get("add", [])) == unit_caps, f"capabilities add {caps.get('add')} == the unit's {sorted(unit_caps)}")
    expect(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    expect("metrics" in ports, "a container port named metrics")
    port = ports.get("metrics")
    expect(f"--listen=0.0.0.0:{port}" in c.get("args", []), f"iotaxd --listen=0.0.0.0:{port}")
    expect(any(a.startswith("--comm=") or a.startswith("--pid=") for a in c.get("args", [])), "a target (--comm)")
    ann = pod["metadata"].get("annotations", {})
    expect(ann.get("prometheus.io/scrape") == "true", "prometheus.io/scrape: \"true\"")
    expect(ann.get("prometheus.io/port") == str(port), f"prometheus.io/port: \"{port}\"")
    expect(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path: /metrics")
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    btf = [n for n, v in vols.items() if v.get("hostPath", {}).get("path") == "/sys/kernel/btf"]
    expect(len(btf) == 1, "a hostPath volume for /sys/kernel/btf")
    if btf:
        m = mounts.get(btf[0], {})
        expect(m.get("mountPath") == "/sys/kernel/btf" and m.get("readOnly") is True, "/sys/kernel/btf mounted read-only")
    for probe in ("livenessProbe", "readinessProbe"):
        expect(c.get(probe, {}).get("httpGet", {}).get("path") == "/healthz", f"{probe} on /healthz")
    expect("memory" in c.get("resources", {}).get("limits", {}), "a memory limit")

    # Service -> pods, ServiceMonitor -> Service.
    expect(all(pod_labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service selects the pods")
    svc_ports = {p["name"]: p for p in svc["spec"]["ports"]}
    expect("metrics" in svc_ports and svc_ports["metrics"]["port"] == port, "Service port metrics")
    sms = [d for d in yaml.safe_load_all(open(servicemonitor_path)) if d]
    expect(len(sms) == 1 and sms[0]["kind"] == "ServiceMonitor", "one ServiceMonitor")
    sm = sms[0]
    expect(sm["apiVersion"] == "monitoring.coreos.com/v1", "ServiceMonitor apiVersion")
    expect(all(svc["metadata"]["labels"].get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items()),
           "ServiceMonitor selects the Service")
    expect(ns in sm["spec"].get("namespaceSelector", {}).get("matchNames", []), "ServiceMonitor namespace")
    eps = sm["spec"]["endpoints"]
    expect(len(eps) == 1 and eps[0]["port"] == "metrics" and eps[0].get("path") == "/metrics", "endpoint port metrics")
    expect(svc["metadata"]["name"].startswith("iotax"), "job label (Service name) matches the alerts' job=~\"iotax.*\"")

    for p in problems:
        print("problem:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
