#!/usr/bin/env bash
# Client tools the tests use that are not Python packages: kcat (a Kafka client that is not ours, to show that
# partners can produce to relais.intake.submissions.v1 with any client). Installed from Debian's packages.
# Usage: deploy/local/tools.sh install|status
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install() {
  if command -v kcat >/dev/null || command -v kafkacat >/dev/null; then
    return 0
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing kcat from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null
    command -v kcat >/dev/null || die "the kcat package did not provide kcat"
  else
    log "kcat not found and not root: install it (Debian: sudo apt-get install -y kcat); its test will be skipped"
  fi
}

status() {
  if command -v kcat >/dev/null; then echo "kcat: $(command -v kcat)"; else echo "kcat: not installed"; fi
}

case "${1:-install}" in
  install) install ;;
  status) status ;;
  *) die "usage: $0 install|status" ;;
esac
