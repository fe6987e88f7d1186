"""Runs a command in a pseudo-terminal, as a person's terminal would: pty-run.py COLUMNS ROWS COMMAND...

What the test writes to this script's standard input is typed into the terminal (control characters
included: \x03 is Ctrl+C, \x04 Ctrl+D); what the command shows is written to standard output as the
terminal received it. Exits with the command's exit code. Python's own pty module is on every
machine the project runs on, so the tests need nothing built.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios

columns, rows, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, terminal = pty.fork()
if pid == 0:
    fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    os.execvp(command[0], command)

typing = True
while True:
    ready, _, _ = select.select([terminal] + ([sys.stdin.fileno()] if typing else []), [], [])
    if terminal in ready:
        try:
            shown = os.read(terminal, 65536)
        except OSError:  # EIO: the command and everything holding the terminal have exited
            shown = b""
        if not shown:
            break
        os.write(sys.stdout.fileno(), shown)
    if sys.stdin.fileno() in ready:
        typed = os.read(sys.stdin.fileno(), 65536)
        if typed:
            os.write(terminal, typed)
        else:
            # The test stopped typing; the terminal stays open until the command exits.
            typing = False

_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
