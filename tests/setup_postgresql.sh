#!/bin/sh
# PostgreSQL's server binaries for the PostgreSQL test lane (tests/pgcluster.py starts and
# stops a throwaway cluster of its own; no system service is started). Cheap when present:
# nothing to do if an initdb is found. Otherwise, as root with apt-get (CI, a fresh Debian),
# the Debian package is installed; anyone else is told how, and the lane is skipped (it fails
# on CI, where CI=true).
set -eu
for initdb in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$initdb" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server not found: its tests will be skipped (apt-get install postgresql)" >&2
    exit 0
fi
# Installing the package would start the cluster it creates: policy-rc.d (Debian's switch
# for package scripts) forbids starting services during the install, unless one is in place.
policy=/usr/sbin/policy-rc.d
ours=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
fi
status=0
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || status=$?
[ -n "$ours" ] && rm -f "$policy"
exit "$status"
