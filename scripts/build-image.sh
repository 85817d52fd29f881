#!/usr/bin/env bash
# Builds Fleet's container image (deploy/docker/Dockerfile) with podman, from Debian's
# packages only, and checks it with a short CartPole run inside:
#
#   scripts/build-image.sh [TAG=fleet:latest]
#
# Where no `debian:12` image can be pulled (no registry reachable, as on the project's
# build machines), the base is made here: a minimal Debian 12 root file system from
# debootstrap, imported into podman as localhost/debian:12. Needs root, and podman and
# debootstrap (installed from Debian when missing). docker works the same way with the
# Dockerfile where a registry is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-fleet:latest}
need=()
command -v podman > /dev/null || need+=(podman)
command -v debootstrap > /dev/null || need+=(debootstrap)
# the OCI runtime the check below was verified with (Debian's podman would pick crun)
command -v runc > /dev/null || need+=(runc)
if (( ${#need[@]} )); then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

if ! podman image exists localhost/debian:12 && ! podman image exists docker.io/library/debian:12; then
  if ! podman pull -q docker.io/library/debian:12 2> /dev/null; then
    echo "build-image.sh: no registry reachable; making debian:12 with debootstrap" >&2
    rootfs=$(mktemp -d /tmp/fleet-rootfs-XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > /tmp/fleet-debootstrap.log
    # the same suites as Debian's own image (security updates included)
    cat > "$rootfs/etc/apt/sources.list" << EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - localhost/debian:12
  fi
fi

# the build context is the tree as committed plus local changes; build outputs stay out
podman build --isolation=chroot --network=host -f deploy/docker/Dockerfile -t "$tag" \
  --ignorefile .dockerignore .
podman image ls "$tag"

# the check: a CartPole run inside the image, its summary read back. The resource limits
# are set explicitly at or below the host's: podman's defaults would raise RLIMIT_NOFILE
# and RLIMIT_NPROC above what a sandboxed host grants, and the runtime then refuses to
# start ("error setting rlimit type 7: operation not permitted").
podman run --runtime runc --rm --network=none --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 "$tag" sh -c \
  'fleet run /opt/fleet/configs/cartpole_ppo.yaml --run-dir /tmp/r --set learner.total_env_steps=100000 \
   > /tmp/out.txt 2>&1 || { cat /tmp/out.txt; exit 1; }; cat /tmp/r/summary.json'
