#!/usr/bin/env bash
# Builds the RPMs the tests install (integration/testdata/rpm/*.spec) with
# Debian's rpmbuild and signs them with a key made here, into OUT:
#   osbk-hello-1.0-1.noarch.rpm        signed, no scriptlet
#   osbk-hello-post-1.0-1.noarch.rpm   signed, a %post scriptlet
#   key.asc                            the signing key (public)
#   other-key.asc                      a key that signed nothing
set -euo pipefail
out=${1:?usage: test-rpms.sh OUT}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true; rm -rf "$work"' EXIT
export GNUPGHOME=$work/gnupg GPG_TTY=/dev/null
mkdir -m 700 "$GNUPGHOME"
gen() { gpg --batch --quiet --passphrase '' --quick-gen-key "$1" rsa2048 sign 1d; }
gen "osbuildkit test <sign@osbuildkit.invalid>"
gen "osbuildkit other <other@osbuildkit.invalid>"
gpg --batch --armor --export sign@osbuildkit.invalid >"$out/key.asc"
gpg --batch --armor --export other@osbuildkit.invalid >"$out/other-key.asc"
spec=$here/integration/testdata/rpm/osbk-hello.spec
build() { # NAME, extra rpmbuild arguments
	rpmbuild --quiet -bb --define "_topdir $work/$1" "${@:2}" "$spec" >/dev/null
	cp "$work/$1"/RPMS/noarch/*.rpm "$out/$1-1.0-1.noarch.rpm"
}
build osbk-hello
build osbk-hello-post --define "scriptlet 1"
rpmsign --quiet --define "__gpg $(command -v gpg)" --define "_gpg_name sign@osbuildkit.invalid" --addsign "$out"/*.rpm >/dev/null
