# Sourced by scripts/demo and scripts/test: make .venv, the one place podcaster's Python packages go.
# Debian and Ubuntu refuse pip installs into the system Python (PEP 668), and ship venv's pip in
# python3-venv, which a stock system lacks: it is installed when creating the venv fails for want of it.

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
    [ -x .venv/bin/python ] && return 0
    if ! python3 -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        command -v apt-get >/dev/null 2>&1 || { echo "python3 -m venv failed; install Python's venv module" >&2; return 1; }
        version="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python${version}-venv" || apt_install python3-venv
        python3 -m venv .venv
    fi
}
