#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The source side of `ckpt migrate`, for host tests of the destination.

Sends images to a `ckpt migrate --listen` as the source does after its
checkpoints: each but the last as a pre-copy round, the last as the last
image, then prints the destination's answer: "err=E pid=P msg=M".  The
frames are those of migrate.c (host byte order, same build).

    migrate_source.py PORT IMAGE... [--cut-last N]
"""

import argparse
import socket
import struct
import sys
import time

MAGIC = b'CKPTMIG1'
PREDUMP, LAST = 1, 2


def connect(port):
    """Connect to the listener on 127.0.0.1:port, waiting for it (5 s)."""
    for _ in range(100):
        try:
            return socket.create_connection(('127.0.0.1', port))
        except OSError:
            time.sleep(0.05)
    sys.exit('migrate_source: nothing listens on port %d' % port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('port', type=int)
    ap.add_argument('images', nargs='+')
    ap.add_argument('--cut-last', type=int, metavar='N',
                    help='close the connection after N bytes of the last')
    args = ap.parse_args()
    sk = connect(args.port)
    for rnd, path in enumerate(args.images):
        with open(path, 'rb') as f:
            data = f.read()
        last = rnd == len(args.images) - 1
        sk.sendall(struct.pack('=8sIIQ', MAGIC, LAST if last else PREDUMP,
                               rnd, len(data)))
        if last and args.cut_last is not None:
            sk.sendall(data[:args.cut_last])
            sk.close()
            return
        sk.sendall(data)
    reply = b''
    while len(reply) < 256:
        got = sk.recv(256 - len(reply))
        if not got:
            sys.exit('migrate_source: no answer')
        reply += got
    magic, err, pid = struct.unpack_from('=8sii', reply)
    if magic != MAGIC:
        sys.exit('migrate_source: a bad answer')
    msg = reply[16:].split(b'\0')[0].decode(errors='replace')
    print('err=%d pid=%d msg=%s' % (err, pid, msg))


if __name__ == '__main__':
    main()
