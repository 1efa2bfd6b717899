#!/usr/bin/env bash
# Builds a busybox image for machines without a registry, from Debian's busybox-static, with umoci and skopeo
# (apt-get install busybox-static umoci skopeo), as a `docker save` archive:
#   examples/busybox-image.sh [OUT.tar] [NAME]      (default: busybox.tar, localhost/busybox:latest)
#   ./hypernetes image import busybox.tar
#   kubectl run bb --image=localhost/busybox --image-pull-policy=Never -- sleep 3600
set -euo pipefail
out=${1:-busybox.tar}
name=${2:-localhost/busybox:latest}
for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "busybox-image: $tool missing (apt-get install busybox-static umoci skopeo)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "busybox-image: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/oci"
umoci new --image "$work/oci:busybox"
umoci unpack --rootless --image "$work/oci:busybox" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
umoci repack --image "$work/oci:busybox" "$work/bundle"
umoci config --image "$work/oci:busybox" --config.cmd sh --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
rm -f "$out"
skopeo copy --quiet "oci:$work/oci:busybox" "docker-archive:$out:$name"
echo "wrote $out ($name)"
