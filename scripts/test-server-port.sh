# Sourced by the test-server scripts: how a throwaway server picks its loopback port.
#
# A server that a test stops and starts again on the same port (pause/resume, restart) must
# not take a port from the kernel's ephemeral range: while it is down, any client socket on
# the machine (a parallel test's connection, a harness asking the kernel for a free port) may
# be given that port as its local address, and the restart then fails with EADDRINUSE.
# So ports come from below the ephemeral range.

port_in_use() {  # <port>: 0 when something accepts connections on 127.0.0.1:<port>
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

random_server_port() {  # a port below the ephemeral range (and above 10000)
  local low=32768
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  [ "$low" -gt 12000 ] || low=32768  # a range starting too low: fall back to the default's
  echo $((10000 + RANDOM % (low - 10000)))
}
