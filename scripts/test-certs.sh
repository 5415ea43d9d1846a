#!/usr/bin/env bash
# A throwaway certificate authority for the TLS tests: one CA, a server certificate valid for
# 127.0.0.1, ::1 and localhost (librdkafka and libmongoc check host names), and a client
# certificate for mutual TLS, all in <dir>. Existing files are kept, so a test run can call it
# once per fixture and every test shares the same CA.
#
#   scripts/test-certs.sh <dir>
#
# Files: ca.pem ca.key server.pem server.key server-bundle.pem (cert + key, for servers that
# want one file) client.pem client.key other-ca.pem (an unrelated CA, for negative tests).
set -euo pipefail

dir=${1:?usage: $0 <dir>}
mkdir -p "$dir"
cd "$dir"

if [ -s server-bundle.pem ] && [ -s client.key ] && [ -s other-ca.pem ]; then
  exit 0
fi

days=30
subj() { echo "/O=TradeStore test/CN=$1"; }

openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "$(subj 'TradeStore test CA')" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

issue() {  # <name> <common name> <extensions>
  openssl req -newkey rsa:2048 -nodes -subj "$(subj "$2")" -keyout "$1.key" -out "$1.csr" \
    2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

issue server localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
issue client tradestore-client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "$(subj 'Unrelated CA')" \
  -keyout other-ca.key -out other-ca.pem 2>/dev/null

cat server.pem server.key >server-bundle.pem
chmod 600 ./*.key server-bundle.pem
chmod 644 ./*.pem
echo "test-certs: CA and certificates in $PWD" >&2
