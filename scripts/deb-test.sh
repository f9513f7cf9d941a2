#!/usr/bin/env bash
# The Debian package end to end, as root (CI runs it from scripts/test.sh):
# build it (scripts/deb.sh), check its file list and conffiles, install it with
# dpkg -i, use what it installed (routetop --version, man -w, the bash
# completion, systemd-analyze verify on the unit), remove it (only the
# conffile stays), purge it (nothing stays, saved state included).
# Needs dpkg, man-db and systemd (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "deb-test: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
if dpkg-query -W -f '${Status}' routetop 2>/dev/null | grep -q installed; then
  fail "a routetop package is installed on this machine already; dpkg --purge routetop first"
fi

deb=$(scripts/deb.sh)
echo "deb-test: $deb ($(stat -c %s "$deb") bytes)"

# Exactly these files, nothing else (directories aside).
want="./etc/routetop/routetop.toml
./usr/bin/routetop
./usr/lib/systemd/system/routetop.service
./usr/share/bash-completion/completions/routetop
./usr/share/doc/routetop/LICENSE-THIRD-PARTY.md
./usr/share/doc/routetop/README.md
./usr/share/doc/routetop/copyright
./usr/share/fish/vendor_completions.d/routetop.fish
./usr/share/man/man1/routetop.1.gz
./usr/share/routetop/grafana/routetop.json
./usr/share/routetop/prometheus.yml
./usr/share/routetop/routetop.rules.yml
./usr/share/routetop/web-config.example.yml
./usr/share/zsh/vendor-completions/_routetop"
got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") || true; fail "the package's file list differs (- wanted, + got)"; }
[ "$(dpkg-deb -f "$deb" Package)" = routetop ] || fail "package name"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/routetop/routetop.toml ] \
  || fail "conffiles should be /etc/routetop/routetop.toml alone"

dpkg -i "$deb" >/dev/null
for f in $want; do
  [ -f "${f#.}" ] || fail "dpkg -i did not install ${f#.} (a path-exclude in /etc/dpkg/dpkg.cfg.d/?)"
done
version=$(dpkg-deb -f "$deb" Version)
first=$(routetop --version | head -n 1)
case "$first" in
  "routetop ${version%-*} (rev "*", built "*")") ;;
  *) fail "routetop --version says: $first" ;;
esac
[ "$(command -v routetop)" = /usr/bin/routetop ] || fail "routetop is not /usr/bin/routetop"
[ "$(man -w routetop)" = /usr/share/man/man1/routetop.1.gz ] || fail "man -w routetop: $(man -w routetop 2>&1)"
MANPAGER=cat MANWIDTH=80 man routetop 2>/dev/null | grep -q '^EXIT STATUS' || fail "man routetop has no EXIT STATUS"
completion=$(bash -c 'source /usr/share/bash-completion/completions/routetop
  COMP_WORDS=(routetop --gen); COMP_CWORD=1
  _routetop routetop --gen routetop; echo "${COMPREPLY[*]}"')
[ "$completion" = --generate ] || fail "bash completion of --gen: '$completion'"
verify=$(systemd-analyze verify /usr/lib/systemd/system/routetop.service 2>&1) \
  || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
grep -q '^ExecStart=/usr/bin/routetop --headless --metrics ${LISTEN} --state ${STATE_DIRECTORY}/state $LOGS$' \
  /usr/lib/systemd/system/routetop.service || fail "the unit's ExecStart"

# What a running service leaves: saved state under DynamicUser's layout.
mkdir -p /var/lib/private/routetop
echo state > /var/lib/private/routetop/state
ln -sfn private/routetop /var/lib/routetop

dpkg -r routetop >/dev/null
[ "$(dpkg-query -W -f '${Status}' routetop)" = "deinstall ok config-files" ] || fail "after dpkg -r: $(dpkg-query -W -f '${Status}' routetop)"
for f in $want; do
  f=${f#.}
  if [ "$f" = /etc/routetop/routetop.toml ]; then
    [ -f "$f" ] || fail "dpkg -r removed the conffile $f"
  else
    [ ! -e "$f" ] || fail "dpkg -r left $f"
  fi
done

dpkg --purge routetop >/dev/null
if dpkg-query -W routetop >/dev/null 2>&1; then fail "dpkg still knows routetop after --purge"; fi
for f in $want /etc/routetop /usr/share/routetop /usr/share/doc/routetop /var/lib/routetop /var/lib/private/routetop; do
  f=${f#.}
  [ ! -e "$f" ] && [ ! -L "$f" ] || fail "dpkg --purge left $f"
done
# Nor anything of systemd's bookkeeping (deb-systemd-helper's state, a mask).
left=$(find /etc/systemd /var/lib/systemd -name 'routetop*' 2>/dev/null || true)
[ -z "$left" ] || fail "dpkg --purge left $left"
echo "deb-test: installed, used, removed and purged cleanly"
