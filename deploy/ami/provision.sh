#!/bin/sh
# Turns a Debian 12 machine into an LTM agent image: Java 17 runtime, ffmpeg, ltm.jar, the start script and the
# systemd unit the user-data starts. Run as root on the build instance (Packer runs it; so can you by hand:
# copy ltm.jar, ltm-agent-start and ltm-agent.service to /tmp/ltm-ami/ first).
set -eu
src="${1:-/tmp/ltm-ami}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends openjdk-17-jre-headless ffmpeg curl ca-certificates cloud-init
apt-get clean
rm -rf /var/lib/apt/lists/*

id ltm >/dev/null 2>&1 || useradd --system --home-dir /var/lib/ltm --shell /usr/sbin/nologin ltm
install -d -o root -g root -m 0755 /opt/ltm /opt/ltm/bin
install -o root -g root -m 0644 "$src/ltm.jar" /opt/ltm/ltm.jar
install -o root -g root -m 0755 "$src/ltm-agent-start" /opt/ltm/bin/ltm-agent-start
install -o root -g root -m 0644 "$src/ltm-agent.service" /etc/systemd/system/ltm-agent.service
install -d -o ltm -g ltm -m 0750 /var/lib/ltm
systemctl daemon-reload
# Started by each machine's user-data; enabled at boot only for a stopped warm machine started again (the unit's
# conditions skip it unless /run/ltm/agent.env or /var/lib/ltm/agent/standby.env exists).
systemctl enable ltm-agent.service

# A smoke check of what was installed, so a broken image fails its build, not a customer's start.
java -version
ffmpeg -hide_banner -version | head -1
java -cp /opt/ltm/ltm.jar io.ltm.Main agent --help 2>&1 | grep -q "usage: ltm agent"
# Fresh identity for every instance booted from the image.
cloud-init clean --logs
rm -f /etc/ssh/ssh_host_* /root/.ssh/authorized_keys /home/admin/.ssh/authorized_keys
