#!/usr/bin/env bash
# Builds the real Kubernetes control plane the embedded AWS runs behind each EKS cluster:
# kube-apiserver and kube-controller-manager from Debian bookworm's `kubernetes` source package
# (v1.20.2, vendored, so it builds offline) with Debian's Go 1.19, and etcd from Debian's etcd-server.
# Only Debian's mirrors are reached, through apt-get with private state: the machine's apt lists,
# caches and installed packages stay untouched (no deb-src lines are added to the system).
#
# The binaries land in a cache outside the clone, keyed by this script's own hash, so that a change
# here rebuilds and every clone on the machine shares one build:
#   ${BATCH_ON_EKS_CACHE:-$HOME/.cache/batch-on-eks}/kubernetes-v1.20.2-<hash>/bin/
# local/kubernetes/binaries.py computes the same path. A present cache is reused at once.
set -euo pipefail

readonly KUBE_VERSION=1.20.2
readonly GO_VERSION=1.19
started=$SECONDS
script=$(readlink -f "${BASH_SOURCE[0]}")
hash=$(sha256sum "$script" | cut -c1-12)
cache=${BATCH_ON_EKS_CACHE:-$HOME/.cache/batch-on-eks}
dest=$cache/kubernetes-v$KUBE_VERSION-$hash

if [[ -x $dest/bin/kube-apiserver && -x $dest/bin/kube-controller-manager && -x $dest/bin/etcd ]]; then
  echo "kubernetes: reused $dest/bin ($((SECONDS - started))s)"
  exit 0
fi

# dpkg-source (dpkg-dev) unpacks the source and applies Debian's patches; a fresh machine lacks it.
if ! command -v dpkg-source >/dev/null; then
  echo "kubernetes: installing dpkg-dev (Debian) for dpkg-source" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
fi

mkdir -p "$cache"
# Work trees of builds that were killed (a build takes minutes; these are hours old) take gigabytes.
find "$cache" -maxdepth 1 -name '.build-kubernetes-*' -mmin +180 -exec rm -rf {} + 2>/dev/null || true
# The work tree sits beside the destination so the final rename is atomic (same filesystem).
work=$(mktemp -d "$cache/.build-kubernetes-XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
log=$work/build.log
fail() {
  cp "$log" "$cache/kubernetes-build-failed.log" 2>/dev/null || true
  echo "kubernetes: build failed: $*; the last lines of its log ($cache/kubernetes-build-failed.log):" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}

# --- a private apt: the machine's own Debian sources, plus their deb-src twins -------------------
# The private list also carries `deb` so that `apt-get download` works from lists fetched here, even
# on a machine whose own apt lists were never fetched (a fresh container).
apt_root=$work/apt
mkdir -p "$apt_root/sources.list.d" "$apt_root/lists/partial" "$apt_root/cache/archives/partial"
sources=$apt_root/sources.list.d/debian.sources
shopt -s nullglob
for file in /etc/apt/sources.list.d/*.sources; do
  # deb822 stanzas (paragraphs): keep the enabled bookworm ones, with both kinds of index.
  awk 'BEGIN { RS = ""; ORS = "\n\n" }
       /Suites:[^\n]*bookworm/ && !/Enabled:[ \t]*no/ {
         sub(/Types:[^\n]*/, "Types: deb deb-src"); print }' "$file" >>"$sources"
done
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $file ]] || continue
  # One-line format: `deb [options] URI suite components` gains a `deb-src` twin.
  awk '$1 == "deb" && /bookworm/ { print; $1 = "deb-src"; print }' "$file" \
    >>"$apt_root/sources.list.d/debian.list"
done
shopt -u nullglob
[[ -s $sources || -s $apt_root/sources.list.d/debian.list ]] \
  || fail "no Debian bookworm source found in /etc/apt/sources.list{,.d/}"

apt_options=(
  -o "Dir::Etc::SourceParts=$apt_root/sources.list.d"
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::State::Lists=$apt_root/lists"
  -o "Dir::Cache=$apt_root/cache"
  -o "Debug::NoLocking=true"
)
# As root apt downloads as the user _apt, who cannot write into this private tree: stay root.
[[ $EUID -eq 0 ]] && apt_options+=(-o "APT::Sandbox::User=root")
apt_get() { apt-get -q "${apt_options[@]}" "$@" >>"$log" 2>&1; }

echo "kubernetes: building v$KUBE_VERSION into $dest (5 to 8 minutes on 2 cores)" >&2
apt_get update || fail "apt-get update (private lists)"

# --- the source, with Debian's patches applied -----------------------------------------------------
mkdir -p "$work/src"
(cd "$work/src" && apt_get source --download-only kubernetes) || fail "apt-get source kubernetes"
# bookworm's version is 1.20.5+really1.20.2-...: the 1.20.2 tree under a bumped number.
dsc=$(echo "$work"/src/kubernetes_*.dsc)
[[ -f $dsc && $dsc == *"$KUBE_VERSION"-* ]] || fail "no kubernetes $KUBE_VERSION source (.dsc) downloaded"
dpkg-source --no-check -x "$dsc" "$work/src/kubernetes" >>"$log" 2>&1 || fail "dpkg-source -x"

# --- the toolchain and etcd, unpacked into a private root (nothing is installed) ------------------
# rsync's libraries may be missing on a fresh machine; they are small, so they always come along.
mkdir -p "$work/debs" "$work/root"
(cd "$work/debs" && apt_get download "golang-$GO_VERSION-go" "golang-$GO_VERSION-src" \
  golang-github-modern-go-reflect2-dev etcd-server rsync libpopt0 libxxhash0 liblz4-1 libzstd1 libacl1 \
  libssl3) || fail "apt-get download"
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done

root=$work/root
goroot=$root/usr/lib/go-$GO_VERSION
[[ -x $goroot/bin/go ]] || fail "no go binary in $goroot"
mkdir -p "$work/bin"
# rsync runs from the private root with its libraries beside it; no other program sees them.
cat >"$work/bin/rsync" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" exec "$root/usr/bin/rsync" "\$@"
EOF
chmod +x "$work/bin/rsync"

# --- reflect2 1.0.1 (vendored) breaks under Go >= 1.18: the apiserver panics encoding JSON maps ----
# Debian's golang-github-modern-go-reflect2-dev (1.0.2) fixes it. go.mod and vendor/modules.txt
# name the version, and -mod=vendor refuses a vendor tree that disagrees with them.
tree=$work/src/kubernetes
reflect2=$root/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f $reflect2/reflect2.go ]] || fail "no reflect2 source in golang-github-modern-go-reflect2-dev"
rm -rf "$tree/vendor/github.com/modern-go/reflect2"
mkdir -p "$tree/vendor/github.com/modern-go/reflect2"
find "$reflect2" -maxdepth 1 -type f -name '*.go' ! -name '*_test.go' \
  -exec cp {} "$tree/vendor/github.com/modern-go/reflect2/" \;
cp "$reflect2/LICENSE" "$tree/vendor/github.com/modern-go/reflect2/" 2>/dev/null || true
sed -i 's|github.com/modern-go/reflect2 v1.0.1|github.com/modern-go/reflect2 v1.0.2|g' \
  "$tree/go.mod" "$tree/vendor/modules.txt"

# --- the build: offline, static, from the vendor tree ----------------------------------------------
(
  cd "$tree"
  export PATH="$work/bin:$goroot/bin:$PATH" GOROOT="$goroot" GOPROXY=off GOFLAGS=-mod=vendor \
    CGO_ENABLED=0 GO111MODULE=on GOCACHE="$work/go-cache" GOPATH="$work/gopath" \
    KUBE_GIT_VERSION="v$KUBE_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager"
) >>"$log" 2>&1 || fail "make WHAT=\"cmd/kube-apiserver cmd/kube-controller-manager\""

out=$work/out/bin
mkdir -p "$out"
for binary in kube-apiserver kube-controller-manager; do
  built=$(find "$tree/_output" -type f -name "$binary" -perm -u+x | head -n 1)
  [[ -n $built ]] || fail "make produced no $binary"
  cp "$built" "$out/$binary"
done
cp "$root/usr/bin/etcd" "$out/etcd"
"$out/kube-apiserver" --version >>"$log" 2>&1 || fail "the built kube-apiserver does not run"

# Publish atomically; a concurrent build that got there first wins and this one is dropped.
mv -T "$work/out" "$dest" 2>/dev/null || [[ -x $dest/bin/kube-apiserver ]] || fail "could not publish $dest"
echo "kubernetes: built $dest/bin in $((SECONDS - started))s"
