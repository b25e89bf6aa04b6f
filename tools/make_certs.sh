#!/usr/bin/env bash
# Regenerate the test certificates bundled in fakeserver/certs/.
#
# A maintainer tool, never needed at run time: the output is committed.
# Run it from anywhere with the openssl command line (1.1.1 or later):
#
#     bash tools/make_certs.sh
#
# It writes:
#   ca.pem          the test CA's certificate (fakeserver.CA_FILE)
#   localhost.pem   the server certificate: localhost, 127.0.0.1, ::1
#   localhost.key   its private key (public on purpose: test use only)
#
# Both certificates use EC P-256 keys and ECDSA with SHA-256. They are valid
# from 2020 (fixed, so that a clock running late cannot reject them) to 2125;
# tests/server/test_tls.py fails when fewer than 20 years are left. The CA's key is
# thrown away once the server certificate is signed, and the CA's name
# constraints limit it to localhost and the loopback addresses, so nothing
# else can ever be made to chain to CA_FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

out=fakeserver/certs
not_before=20200101000000Z
not_after=21250101000000Z
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

touch "$work/index.txt"
cat >"$work/openssl.cnf" <<CNF
[req]
distinguished_name = req_dn
prompt = no

[req_dn]

[ca]
default_ca = test_ca

[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial  # unused: -rand_serial, but a value is required
default_md = sha256
policy = any_name
unique_subject = no

[any_name]
organizationName = supplied
commonName = supplied

[ca_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, @ca_names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ca_names]
permitted;DNS.0 = localhost
permitted;IP.0 = 127.0.0.0/255.0.0.0
permitted;IP.1 = ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff

[leaf_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF

# "openssl ca" rather than "openssl x509 -days": it can set fixed dates.
sign() {  # sign <csr> <out> <extensions> <openssl ca options...>
    local csr=$1 cert=$2 extensions=$3
    shift 3
    openssl ca -batch -config "$work/openssl.cnf" -keyfile "$work/ca.key" \
        -startdate "$not_before" -enddate "$not_after" -rand_serial -preserveDN \
        -notext -extensions "$extensions" -in "$csr" -out "$cert" "$@"
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key"
openssl req -config "$work/openssl.cnf" -new -key "$work/ca.key" \
    -subj "/O=fakeserver/CN=fakeserver test CA" -out "$work/ca.csr"
sign "$work/ca.csr" "$work/ca.pem" ca_ext -selfsign

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/localhost.key"
openssl req -config "$work/openssl.cnf" -new -key "$work/localhost.key" \
    -subj "/O=fakeserver/CN=localhost" -out "$work/localhost.csr"
sign "$work/localhost.csr" "$work/localhost.pem" leaf_ext -cert "$work/ca.pem"

openssl verify -x509_strict -CAfile "$work/ca.pem" "$work/localhost.pem"

mkdir -p "$out"
openssl x509 -in "$work/ca.pem" -out "$out/ca.pem"
openssl x509 -in "$work/localhost.pem" -out "$out/localhost.pem"
openssl pkey -in "$work/localhost.key" -out "$out/localhost.key"
chmod 644 "$out"/*  # package data every user can read; the key is no secret
echo "wrote $out/ca.pem, $out/localhost.pem and $out/localhost.key"
