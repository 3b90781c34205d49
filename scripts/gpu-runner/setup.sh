# Sourced by run.sh and gpu-check.sh: unpacks the runner (Node, the bundled CLI, ONNX Runtime)
# into $VDMZIP_RUNNER_WORK (default /tmp/vdmzip-gpu-runner) once per build, installs the Vulkan
# loader from the carried .debs where the system has none, and points Vulkan at the NVIDIA
# driver. Sets: runner_work (the unpacked app), runner_node (the node binary), runner_repo (the
# checkout around the runner, for models/default and fixtures; empty outside one).

runner_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runner_work=${VDMZIP_RUNNER_WORK:-/tmp/vdmzip-gpu-runner}
runner_node=$runner_work/node

runner_fail() {
  echo "vdmzip-gpu-runner: $*" >&2
  exit 1
}

# xz where it is installed, else Python's lzma (GPU hosts without xz still have Python).
runner_unxz() {
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" >"$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else
    runner_fail "cannot unpack $1: neither xz nor python3 is installed"
  fi
}

runner_unpack() {
  local build
  build=$(cat "$runner_here/app/build-id")
  if [ "$(cat "$runner_work/build-id" 2>/dev/null)" = "$build" ]; then return; fi
  rm -rf "$runner_work"
  mkdir -p "$runner_work"
  cp -R "$runner_here/app/." "$runner_work/"
  runner_unxz "$runner_here/node.xz" "$runner_node"
  chmod +x "$runner_node"
  local packed
  while IFS= read -r packed; do
    runner_unxz "$packed" "${packed%.xz}"
    rm "$packed"
  done < <(find "$runner_work/node_modules" -name '*.xz')
  # Written last: a half-unpacked folder is unpacked again.
  cp "$runner_here/app/build-id" "$runner_work/build-id"
}

runner_models() {
  # The runner sits at dist/gpu-runner of a checkout: the CLI's default model is the checkout's.
  runner_repo=$(cd "$runner_here/../.." && pwd)
  if [ -f "$runner_repo/models/default/model.json" ]; then
    ln -sfn "$runner_repo/models" "$runner_work/models"
  else
    runner_repo=
  fi
}

# Whether the dynamic linker knows every library the carried debs provide that Dawn may load.
runner_have_loader() {
  local cache lib
  cache=$(ldconfig -p 2>/dev/null) || return 1
  for lib in libvulkan.so.1 libEGL.so.1 libGL.so.1 libGLESv2.so.2 libOpenGL.so.0; do
    grep -F "$lib " <<<"$cache" >/dev/null || return 1
  done
}

runner_vulkan() {
  if ! runner_have_loader; then
    [ "$(id -u)" = 0 ] || runner_fail "the Vulkan loader (libvulkan.so.1) or its GL companions are missing, and installing them from $runner_here/debs needs root"
    local deb
    for deb in "$runner_here"/debs/*.deb; do dpkg -x "$deb" / || runner_fail "cannot unpack $deb"; done
    ldconfig
  fi
  # The NVIDIA container toolkit puts the driver's Vulkan ICD here, outside the loader's search path.
  local nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
}

runner_setup() {
  runner_unpack
  runner_models
  runner_vulkan
}
