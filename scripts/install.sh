#!/usr/bin/env bash
# Installs litellm-rust as a systemd service:
#   sudo scripts/install.sh [--binary dist/litellm-rust] [--port 4000] [--host 0.0.0.0] [--no-start] [--root DIR]
# Puts the binary in /usr/local/bin, writes /etc/litellm-rust/config.yaml (if absent) and an environment
# file for secrets, /etc/litellm-rust/env (mode 600, if absent), and a hardened unit. `systemctl reload
# litellm-rust` re-reads the config (SIGHUP); `systemctl stop` drains in-flight requests first (SIGTERM).
# --root DIR writes everything under DIR and skips systemctl (for packaging and tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
binary="$repo/dist/litellm-rust"
port=4000
host=0.0.0.0
start=1
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    --root) root="$2"; start=0; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "install.sh: no executable at $binary (run: npm run build)" >&2; exit 1; }

bin_dir="$root/usr/local/bin"
conf_dir="$root/etc/litellm-rust"
unit_dir="$root/etc/systemd/system"
mkdir -p "$bin_dir" "$conf_dir" "$unit_dir"
install -m 0755 "$binary" "$bin_dir/litellm-rust"

if [ ! -e "$conf_dir/config.yaml" ]; then
  install -m 0644 "$repo/config.yaml" "$conf_dir/config.yaml"
  echo "wrote $conf_dir/config.yaml"
fi
if [ ! -e "$conf_dir/env" ]; then
  umask 077
  cat > "$conf_dir/env" <<'ENV'
# Secrets for litellm-rust, read by systemd (mode 600). Reference them in config.yaml as os.environ/NAME.
# LITELLM_MASTER_KEY=sk-...
# ANTHROPIC_API_KEY=
# OPENAI_API_KEY=
# DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/litellm
# LITELLM_SALT_KEY=
ENV
  chmod 600 "$conf_dir/env"
  echo "wrote $conf_dir/env (mode 600)"
fi

sed -e "s#@BIN@#$bin_dir/litellm-rust#" -e "s#@CONFIG_DIR@#$conf_dir#g" -e "s#@PORT@#$port#" -e "s#@HOST@#$host#" \
  "$here/systemd/litellm-rust.service" > "$unit_dir/litellm-rust.service"
echo "wrote $unit_dir/litellm-rust.service"

if [ "$start" = 1 ]; then
  systemctl daemon-reload
  systemctl enable --now litellm-rust
  systemctl --no-pager status litellm-rust | head -5
fi
