#!/usr/bin/env python3
"""A stand-in for PID 1's notify socket (sd_notify(3)), for tests.

Binds an AF_UNIX datagram socket at argv[1] (mode 0666, so an unprivileged service user can
send), and for each datagram prints one JSON line: the text, the sender's pid from
SCM_CREDENTIALS, whether that pid was alive when the datagram was read (PID 1 looks up
/proc/<pid>/cgroup at that moment to attribute the message to a unit), its parent pid, and how
many file descriptors came with it. A BARRIER=1 datagram carries a pipe; systemd closes it to say
"processed". With --hold the fds are kept until a line arrives on stdin, so a test can look at the
sender while it waits. Node cannot do this itself: it has no AF_UNIX datagram sockets.
"""
import array, json, os, socket, sys

path = sys.argv[1]
hold = "--hold" in sys.argv[2:]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"bound": path}), flush=True)

def ppid_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None

while True:
    msg, anc, _flags, _addr = sock.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4 * 16))
    pid = uid = None
    fds = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, uid, _gid = array.array("i", data[:12])
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(array.array("i", data[: len(data) - len(data) % 4]))
    alive = pid is not None and os.path.exists(f"/proc/{pid}/cgroup")
    line = {"text": msg.decode(), "pid": pid, "uid": uid, "alive": alive, "ppid": ppid_of(pid) if alive else None, "fds": len(fds)}
    print(json.dumps(line), flush=True)
    if fds and hold:
        sys.stdin.readline()
    for fd in fds:
        os.close(fd)
