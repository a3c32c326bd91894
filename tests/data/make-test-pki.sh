#!/bin/sh
# Generates the test PKI into $1: a trusted CA and a server certificate for "localhost" only (so
# 127.0.0.1 fails host-name verification), and a rogue CA with its own "localhost" certificate
# (so a test can show an untrusted upstream is refused). Run by CMake at configure time; the
# files never enter the repository and never expire mid-run.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
[ -f .done ] && exit 0
gen_ca() {  # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 30 \
    -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
}
gen_leaf() {  # ca name
  openssl req -newkey rsa:2048 -nodes -keyout "$2.key" -out "$2.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -out "$2.pem" -days 30 \
    -extfile "$2.ext" 2>/dev/null
  rm -f "$2.csr" "$2.ext"
}
gen_ca ca "aic-proxy test CA"
gen_leaf ca localhost
gen_ca rogue-ca "rogue CA"
gen_leaf rogue-ca rogue-localhost
touch .done
