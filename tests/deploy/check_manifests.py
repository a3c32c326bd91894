#!/usr/bin/env python3
"""Structural checks on docker/compose.yaml and docker/k8s/*.yaml: non-root, read-only, no
capabilities, probe paths, read-only secrets, the sidecar sharing the proxy's network namespace,
and loopback-only listeners in every shipped config. Usage: check_manifests.py SOURCE_DIR"""
import glob
import ipaddress
import json
import os
import sys

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML is not installed (Debian: python3-yaml)")
    sys.exit(77)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def loopback_only(cfg, where):
    for entry in cfg.get("listen", ["127.0.0.1:8080"]):
        if entry.startswith("unix:"):
            continue
        host = entry.rsplit(":", 1)[0].strip("[]")
        ok = host == "localhost"
        if not ok:
            try:
                ok = ipaddress.ip_address(host).is_loopback
            except ValueError:
                ok = False
        check(ok, f"{where}: listen {entry} is not loopback")


def non_root_user(user):
    return user is not None and str(user).split(":")[0] not in ("0", "root", "")


def check_compose(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    services = doc.get("services", {})
    for name in ("aic-proxy", "legacy-tool"):
        check(name in services, f"compose: service {name} missing")
    if failures:
        return
    proxy = services["aic-proxy"]
    check(proxy.get("build", {}).get("dockerfile") == "docker/Dockerfile", "compose: aic-proxy not built from docker/Dockerfile")
    check(non_root_user(proxy.get("user")), "compose: aic-proxy user is not non-root")
    check(proxy.get("read_only") is True, "compose: aic-proxy root filesystem not read-only")
    check("ALL" in proxy.get("cap_drop", []), "compose: aic-proxy does not drop ALL capabilities")
    check("ports" not in proxy, "compose: aic-proxy publishes ports (the sidecar is reached over loopback)")
    hc = proxy.get("healthcheck", {}).get("test", [])
    check(any("/_proxy/healthz" in str(t) for t in hc), "compose: aic-proxy healthcheck does not probe /_proxy/healthz")
    for vol in proxy.get("volumes", []):
        check(str(vol).endswith(":ro"), f"compose: aic-proxy volume {vol} is not read-only")
    check(set(proxy.get("secrets", [])) >= {"sa.jwk", "iga.secret"}, "compose: aic-proxy secrets missing")
    check(proxy.get("environment", {}).get("CREDENTIALS_DIRECTORY") == "/run/secrets",
          "compose: CREDENTIALS_DIRECTORY does not point at the secrets mount")
    for secret in ("sa.jwk", "iga.secret"):
        check("file" in doc.get("secrets", {}).get(secret, {}), f"compose: secret {secret} has no file")

    tool = services["legacy-tool"]
    check(tool.get("network_mode") == "service:aic-proxy", "compose: legacy-tool does not share aic-proxy's network")
    check(tool.get("depends_on", {}).get("aic-proxy", {}).get("condition") == "service_healthy",
          "compose: legacy-tool does not wait for a healthy proxy")
    check("localhost:8080" in json.dumps(tool.get("command")), "compose: legacy-tool does not call localhost:8080")

    sim = {n: s for n, s in services.items() if "sim" in s.get("profiles", [])}
    check("tenant-sim" in sim, "compose: no tenant-sim service in profile sim")
    builds = [s.get("build", {}) for s in sim.values()]
    check(any(b.get("target") == "tenant-sim" for b in builds), "compose: sim image not built from target tenant-sim")
    check(any("demo-setup" in (s.get("command") or []) for s in sim.values()), "compose: no demo-setup in profile sim")
    if "tenant-sim" in sim:
        nm = sim["tenant-sim"].get("network_mode", "")
        check(nm.startswith("service:") and nm[len("service:"):] in sim,
              "compose: tenant-sim does not share the sim proxy's network")
    for name, s in services.items():
        if s.get("image", "").startswith("aic-proxy") or name.startswith("aic-proxy"):
            check(s.get("read_only") is True and "ALL" in s.get("cap_drop", []), f"compose: {name} not locked down")


def probe_text(probe):
    if not probe:
        return ""
    if "exec" in probe:
        return " ".join(probe["exec"].get("command", []))
    if "httpGet" in probe:
        return probe["httpGet"].get("path", "")
    return ""


def check_k8s(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    where = os.path.basename(path)
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    check(len(deployments) == 1, f"{where}: expected one Deployment")
    for cm in (d for d in docs if d.get("kind") == "ConfigMap"):
        for key, text in cm.get("data", {}).items():
            if key.endswith(".json"):
                try:
                    loopback_only(json.loads(text), f"{where} ConfigMap {key}")
                except json.JSONDecodeError as e:
                    check(False, f"{where}: ConfigMap {key} is not JSON: {e}")
    if not deployments:
        return
    pod = deployments[0]["spec"]["template"]["spec"]
    check(pod.get("hostNetwork") is not True, f"{where}: hostNetwork would expose the proxy")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{where}: pod not runAsNonRoot")
    init = pod.get("initContainers", [])
    containers = pod.get("containers", [])
    proxies = [c for c in init + containers if c["name"] == "aic-proxy"]
    check(len(proxies) == 1, f"{where}: no aic-proxy sidecar")
    check(any(c["name"] != "aic-proxy" for c in containers), f"{where}: no app container beside the sidecar")
    for c in proxies:
        if c in init:
            check(c.get("restartPolicy") == "Always", f"{where}: init-container sidecar without restartPolicy Always")
    for c in init + containers:
        sc = c.get("securityContext", {})
        n = c["name"]
        check(sc.get("readOnlyRootFilesystem") is True, f"{where}: {n} root filesystem not read-only")
        check(sc.get("allowPrivilegeEscalation") is False, f"{where}: {n} allows privilege escalation")
        check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{where}: {n} does not drop ALL capabilities")
        check(sc.get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot")) is True,
              f"{where}: {n} may run as root")
    if not proxies:
        return
    proxy = proxies[0]
    check("/_proxy/readyz" in probe_text(proxy.get("readinessProbe")), f"{where}: readiness probe is not /_proxy/readyz")
    check("/_proxy/healthz" in probe_text(proxy.get("livenessProbe")), f"{where}: liveness probe is not /_proxy/healthz")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in proxy.get("volumeMounts", [])}
    secret_mount = mounts.get("/etc/aic-proxy/secrets")
    check(secret_mount is not None, f"{where}: no secret volume at /etc/aic-proxy/secrets")
    if secret_mount:
        check(secret_mount.get("readOnly") is True, f"{where}: secret mount not readOnly")
        vol = volumes.get(secret_mount["name"], {})
        check("secret" in vol, f"{where}: /etc/aic-proxy/secrets is not a Secret volume")
        mode = vol.get("secret", {}).get("defaultMode")
        # Readable by owner/group at most: no write or execute bits, nothing for others.
        check(isinstance(mode, int) and mode & 0o337 == 0 and mode & 0o400,
              f"{where}: secret defaultMode {mode!r} is not owner/group read-only")
    env = {e["name"]: e.get("value") for e in proxy.get("env", [])}
    check(env.get("CREDENTIALS_DIRECTORY") == "/etc/aic-proxy/secrets",
          f"{where}: CREDENTIALS_DIRECTORY does not point at the secret mount")
    for m in proxy.get("volumeMounts", []):
        check(m.get("readOnly") is True, f"{where}: mount {m['mountPath']} not readOnly")


def main():
    src = sys.argv[1]
    check_compose(os.path.join(src, "docker", "compose.yaml"))
    k8s = sorted(glob.glob(os.path.join(src, "docker", "k8s", "*.yaml")))
    check(bool(k8s), "no docker/k8s/*.yaml")
    for path in k8s:
        check_k8s(path)
    for cfg in ("docker/aic-proxy.json", "systemd/aic-proxy.json"):
        with open(os.path.join(src, cfg)) as f:
            loopback_only(json.load(f), cfg)
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
