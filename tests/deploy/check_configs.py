#!/usr/bin/env python3
"""The configs shipped with the deployment files pass `aic-proxy check` with the test-only
credentials supplied through $CREDENTIALS_DIRECTORY (as LoadCredential= and the secret mounts do),
name their secrets relatively, and the systemd unit loads exactly the credentials its config names.
Usage: check_configs.py AIC_PROXY_BINARY SOURCE_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SECRET_KEYS = ("key_file", "client_secret_file", "secret_file")


def secret_names(cfg):
    return {c[k] for c in cfg.get("credentials", {}).values() for k in SECRET_KEYS if k in c}


def main():
    binary, src = sys.argv[1], sys.argv[2]
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} is not built")
        return 1
    failures = []
    with tempfile.TemporaryDirectory() as work:
        creds = os.path.join(work, "credentials")
        shutil.copytree(os.path.join(src, "tests", "data", "config", "test-only-credentials"), creds)
        for name in os.listdir(creds):
            os.chmod(os.path.join(creds, name), 0o600)
        configs = {
            "systemd/aic-proxy.json": os.path.join(src, "systemd", "aic-proxy.json"),
            "docker/aic-proxy.json": os.path.join(src, "docker", "aic-proxy.json"),
        }
        try:
            import yaml

            with open(os.path.join(src, "docker", "k8s", "deployment.yaml")) as f:
                for doc in yaml.safe_load_all(f):
                    if doc and doc.get("kind") == "ConfigMap":
                        for key, text in doc.get("data", {}).items():
                            path = os.path.join(work, key)
                            with open(path, "w") as out:
                                out.write(text)
                            configs[f"k8s ConfigMap {key}"] = path
        except ImportError:
            print("note: PyYAML missing, the Kubernetes ConfigMap is not checked")

        env = dict(os.environ, CREDENTIALS_DIRECTORY=creds)
        for k in [k for k in env if k.startswith("AIC_")]:
            del env[k]
        for label, path in configs.items():
            with open(path) as f:
                cfg = json.load(f)
            for name in secret_names(cfg):
                if os.path.isabs(name):
                    failures.append(f"{label}: secret {name} is absolute; it must resolve in $CREDENTIALS_DIRECTORY")
            r = subprocess.run([binary, "check", "--config", path], env=env, capture_output=True, text=True,
                               timeout=60)
            if r.returncode != 0:
                failures.append(f"{label}: aic-proxy check exit {r.returncode}:\n{r.stdout}{r.stderr}")

    with open(os.path.join(src, "systemd", "aic-proxy.service")) as f:
        loaded = set(re.findall(r"^LoadCredential=([^:\s]+):", f.read(), re.M))
    with open(os.path.join(src, "systemd", "aic-proxy.json")) as f:
        named = secret_names(json.load(f))
    if loaded != named:
        failures.append(f"systemd: LoadCredential= names {sorted(loaded)} differ from the config's {sorted(named)}")

    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("OK:", ", ".join(configs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
