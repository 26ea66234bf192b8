#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and relays it: this process's stdin goes to the terminal's
input, the terminal's output goes to this process's stdout. Exits with the command's exit status, or
128 + the signal that ended it. Used by the tests to drive the interactive prompts through a real
terminal (node-pty needs a native build).

Usage: pty-relay.py [--cols N] [--rows N] -- command [args...]
"""
import errno
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    args = sys.argv[1:]
    cols, rows = 200, 50
    while args and args[0] != "--":
        if args[0] == "--cols":
            cols = int(args[1])
        elif args[0] == "--rows":
            rows = int(args[1])
        else:
            sys.stderr.write("pty-relay: unknown option %s\n" % args[0])
            return 2
        args = args[2:]
    if not args or args[0] != "--" or len(args) < 2:
        sys.stderr.write("usage: pty-relay.py [--cols N] [--rows N] -- command [args...]\n")
        return 2
    command = args[1:]

    winsize = struct.pack("HHHH", rows, cols, 0, 0)
    pid, master = pty.fork()
    if pid == 0:
        # The size is set before the command starts, so its first look at the terminal sees it.
        fcntl.ioctl(0, termios.TIOCSWINSZ, winsize)
        try:
            os.execvp(command[0], command)
        except OSError as e:
            sys.stderr.write("pty-relay: cannot run %s: %s\n" % (command[0], e))
        os._exit(127)

    fcntl.ioctl(master, termios.TIOCSWINSZ, winsize)
    stdin_open = True
    while True:
        watched = [master] + ([0] if stdin_open else [])
        try:
            readable, _, _ = select.select(watched, [], [])
        except InterruptedError:
            continue
        if master in readable:
            try:
                data = os.read(master, 65536)
            except OSError as e:
                if e.errno != errno.EIO:  # EIO: the command and everything it started closed the terminal
                    raise
                data = b""
            if not data:
                break
            os.write(1, data)
        if 0 in readable:
            data = os.read(0, 65536)
            if data:
                os.write(master, data)
            else:
                stdin_open = False  # keep relaying output; the command may still be running
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 1


if __name__ == "__main__":
    sys.exit(main())
