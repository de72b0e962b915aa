#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write synthetic checkpoint images for the ckpt host tests.

The image describes one process: HEADER, TREE, then its objects (CRED,
two FILEs, FILES, FS, SIGHAND, an MM with two VMAs, one PAGES record and
its MM_END), TASK, X86_REGS, X86_XSTATE, its two SIGPENDING queues and
the TRAILER.  It is well-formed, not runnable.

A variant damages it in one precise way; the damage is made before the
TRAILER is computed unless it is the point, so that each variant is
caught by the check it is about and not by the checksum.

The record layouts are written out here by hand from
include/uapi/linux/checkpoint.h, independently of ckpt's C code, so the
tests cross-check the two readings of the ABI.  The record numbers and
identification constants are taken from the header itself.

    mkimage.py [--variant NAME] FILE     write an image ('-': stdout)
    mkimage.py --list                     list the variants
    mkimage.py --all DIR                  write DIR/VARIANT.img for each
    mkimage.py --flips STEP DIR           write DIR/flip-N.img: the good
                                          image with byte N inverted, for
                                          N = 0, STEP, 2*STEP, ...
    mkimage.py --cuts DIR                 write DIR/cut-N.img: the good image
                                          cut after N bytes, at every 8-byte
                                          boundary (every 512 bytes inside
                                          page contents) and a few others
    mkimage.py --expect-pages             the page lines of `ckpt show
                                          --pages` for the good image
    mkimage.py --selftest                 check the CRC and the layouts

The images are of format version 1 (16-byte FILES entries, whole FILE
paths) unless a variant says otherwise; --format-version 2 turns the one
written (with --all: each good variant; with --flips: the good image)
into version 2, its FILE paths sharing their beginning with the last
FILE path, as the kernel writes them.
    mkimage.py --chain DIR                write DIR/A.img, B.img (incremental,
                                          on A), C.img (on B), variants
                                          with PAGES_CRC and damaged
                                          copies, for ckpt merge
    mkimage.py --chain-flips STEP DIR     B and C with a byte inverted every
                                          STEP bytes, their TRAILER fixed
    mkimage.py --check-merged FILE        check that FILE, the merge of C,
                                          B and A, holds the right pages
    mkimage.py --check-refs REFS COPY FILE...
                                          check that REFS, a merge by
                                          reference (ckpt merge --refs),
                                          holds the pages of COPY, the
                                          same merge by copy, in FILE 0,
                                          1, ... (the PARENTs, then IMAGE)
"""

import argparse
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UAPI = os.path.join(HERE, '..', '..', '..', 'include', 'uapi', 'linux',
                    'checkpoint.h')


def read_uapi(path):
    """Record numbers and constants, from the header itself."""
    with open(path) as f:
        text = f.read()
    recs = text[text.index('#define __CKPT_REC_MAPPER'):
                text.index('enum ckpt_rec_type')]
    rec = {name: int(nr) for name, nr in
           re.findall(r'FN\((\w+),\s*(\d+)\)', recs)}
    consts = {}
    for name in ('CKPT_IMAGE_MAGIC', 'CKPT_IMAGE_VERSION',
                 'CKPT_ARCH_X86_64', 'CKPT_REC_MAX_LEN', 'CKPT_PAGES_MAX'):
        m = re.search(r'#define\s+%s\s+\(?(0x[0-9a-fA-F]+|\d+)'
                      r'(?:ULL|U)?(?:\s*<<\s*(\d+))?' % name, text)
        if not m:
            sys.exit('mkimage: %s not found in %s' % (name, path))
        value = int(m.group(1), 0)
        if m.group(2):
            value <<= int(m.group(2))
        consts[name] = value
    return rec, consts


REC, CONST = read_uapi(UAPI)
PAGE_SIZE = 4096
XSTATE_SIZE = 832          # legacy area, XSAVE header, AVX
XFEATURES = 0x7            # x87, SSE, AVX
XSTATE_OFFSETS = [0, 160, 576] + [0] * 29
PID = 100
VMA_TEXT = (0x400000, 0x401000)
VMA_STACK = (0x7ffffffde000, 0x7ffffffff000)

# objrefs: any unique ids in 1..INT_MAX; the kernel numbers from 1
REFS = dict(cred=1, exe=2, tty=3, files=4, fs=5, sighand=6, mm=7)
SPARSE_REFS = dict(cred=0x7FFFFFFF, exe=1000, tty=64, files=65, fs=128,
                   sighand=3, mm=2)

# Sizes of the fixed parts, as the header defines them
SIZES = {
    'HEADER': 256, 'TRAILER': 16, 'TREE': 8, 'TASK': 160, 'CRED': 88,
    'MM': 648, 'VMA': 40, 'PAGES': 16, 'MM_END': 8, 'FILE': 72,
    'FILES': 8, 'FS': 16, 'SIGHAND': 2056, 'SIGPENDING': 8,
    'X86_REGS': 216, 'X86_XSTATE': 16, 'PROCESS': 272, 'SECCOMP': 16, 'UTS': 136,
    'PTY': 72,
    'IPC_NS': 40, 'MSG_QUEUE': 72, 'MSG': 16, 'SEM_ARRAY': 56, 'SEM_UNDO': 8,
    'PIPE': 16, 'FILE_DATA': 16, 'LOCK': 32,
    'TIMENS': 16, 'NETNS': 16, 'USERNS': 16,
    'EVENTFD': 16, 'TIMERFD': 32, 'SIGNALFD': 8, 'EPOLL': 8, 'INOTIFY': 8,
    'SHMEM': 16, 'SHMEM_END': 8, 'SYSV_SHM': 40,
    'ITIMERS': 48, 'POSIX_TIMERS': 8, 'SIGALTSTACK': 24, 'CPUTIME': 40,
    'THREAD_CPUTIME': 24, 'SCHED': 32,
    'UNIX_SK': 80, 'UNIX_SKB': 32, 'INET_SK': 120, 'NETLINK_SK': 40,
    'TCP_STREAM': 72, 'UDP_DGRAM': 48,
    'NETDEV': 72, 'NET_ADDR': 88, 'NET_ROUTE': 72,
    'MNTNS': 8, 'MOUNT': 56, 'TMPFS': 8, 'TMPFS_NODE': 64, 'TMPFS_XATTR': 8,
    'CGROUPNS': 8, 'CGROUP': 24, 'MQ_NS': 24, 'MQUEUE': 64, 'INODE_ATTR': 40,
    'FOWN': 24, 'SCHED_DL': 32, 'X86_CPUID': 8, 'PAGES_COW': 16,
    'X86_VDSO': 16, 'CHAIN': 16, 'PAGES_PARENT': 16, 'PAGES_CRC': 8,
    'PAGES_FILE': 32,
}
# The NETNS of earlier kernels: flags and 4 zero bytes
NETNS_V1_SIZE = 8
# The INODE_ATTR of earlier kernels: no mode and __pad
INODE_ATTR_V1_SIZE = 32

# --- CRC-32C (Castagnoli), written independently of ckpt's crc32c.c ---

def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def image_crc(data):
    """The TRAILER's checksum: the standard CRC-32C of data.

    That is the kernel's ~crc32c(~0, data, len); the one place to change
    if the convention changes.
    """
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# --- records ---

def pad8(b):
    return b + b'\0' * (-len(b) % 8)


class Record:
    def __init__(self, name, payload, rtype=None, hdr_len=None):
        self.name = name
        self.payload = payload
        self.rtype = REC[name] if rtype is None else rtype
        self.hdr_len = hdr_len      # a lie about the length, if not None

    def bytes(self):
        length = len(self.payload) if self.hdr_len is None else self.hdr_len
        return struct.pack('<II', self.rtype, length) + self.payload


def header(magic=None, version=None, nr_tasks=1, page_size=PAGE_SIZE,
           offsets=XSTATE_OFFSETS, flags=0):
    release = b'6.12.0-ckpt'.ljust(64, b'\0')
    return Record('HEADER', struct.pack(
        '<QIIIIQQQ64sQII32I',
        CONST['CKPT_IMAGE_MAGIC'] if magic is None else magic,
        1 if version is None else version,
        CONST['CKPT_ARCH_X86_64'], page_size, flags,
        1795435200123456789, 123456789012, 123456789999,
        release, XFEATURES, XSTATE_SIZE, nr_tasks, *offsets))


TREE_ZOMBIE, TREE_STOPPED, TREE_EXITED = 0x1, 0x2, 0x8


def tree(tasks):
    """A TREE of (pid, tgid, ppid) tuples, which may go on with flags,
    pgid, sid, exit_code and exit_signal (0 if left out)."""
    body = struct.pack('<II', len(tasks), 0)
    for t in tasks:
        body += struct.pack('<8I', *(tuple(t) + (0,) * 5)[:8])
    return Record('TREE', body)


def cred(objref, groups=(4, 24, 27)):
    body = struct.pack('<I8II5QII', objref,
                       1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
                       0, 0, 0, 0, 0x1ffffffffff, 0, len(groups), 0)
    body += struct.pack('<%dI' % len(groups), *groups)
    return Record('CRED', pad8(body))


def file(objref, kind, mode, path, f_flags=0o100000, rdev=0, size=0,
         terminate=True, obj_ref=0, ino=1234, mtime=(1700000000, 5),
         shared=0):
    """A FILE; from format version 2 on, shared leading bytes of the path
    are those of the last FILE path and left out of the record."""
    path = path.encode() + (b'\0' if terminate else b'')
    body = struct.pack('<IIIIQQQIIQIIII', objref, kind, f_flags, mode,
                       0, size, mtime[0], mtime[1], rdev, ino, 0xFFFFFFFF,
                       len(path), obj_ref, shared)
    return Record('FILE', pad8(body + path[shared:]))


def files(objref, fds, version=1):
    """A FILES of (fd, file_ref, flags) entries: 16 bytes each in format
    version 1, 8 from version 2 on (CKPT_FD2_CLOEXEC in fd)."""
    body = struct.pack('<II', objref, len(fds))
    for fd, ref, flags in fds:
        if version < 2:
            body += struct.pack('<IIII', fd, ref, flags, 0)
        else:
            body += struct.pack('<II', fd | (flags & 1) << 31, ref)
    return Record('FILES', body)


def format_v2(version=2, exe_shared=0, tty_shared=1, files_version=None,
              fds=None, exe_path='/usr/bin/sleeper'):
    """An edit: the good image in format version 2 (or the given one): its
    FILES entries of 8 bytes, its tty's FILE sharing the leading "/" (or
    tty_shared bytes) of the path before it, exe_path."""
    r = REFS

    def edit(records):
        records[find(records, 'HEADER')] = header(version=version)
        records[find(records, 'FILE')] = file(
            r['exe'], 1, 0o100755, exe_path, size=16384,
            shared=exe_shared)
        records[find(records, 'FILE', 1)] = file(
            r['tty'], 4, 0o20620, '/dev/pts/0', f_flags=0o102002,
            rdev=(136 << 8) | 0, shared=tty_shared)
        records[find(records, 'FILES')] = files(
            r['files'], fds or [(0, r['tty'], 0), (1, r['tty'], 0),
                                (2, r['tty'], 1)],
            version if files_version is None else files_version)
    return edit


def fs(objref, cwd='/root', umask=0o022, root='/'):
    cwd = cwd.encode() + b'\0'
    root = root.encode() + b'\0'
    return Record('FS', pad8(struct.pack('<IIII', objref, umask, len(cwd),
                                         len(root)) + cwd + root))


def sighand(objref):
    actions = [(0, 0, 0, 0)] * 64
    actions[1] = (0x401136, 0x14000004, 0x401000, 0)   # SIGINT
    actions[12] = (1, 0, 0, 0)                         # SIGPIPE ignored
    body = struct.pack('<II', objref, 64)
    for a in actions:
        body += struct.pack('<QQQQ', *a)
    return Record('SIGHAND', body)


def mm(objref, nr_vmas, exe_file_ref):
    auxv = [33, 0x7ffff7fc1000, 6, PAGE_SIZE, 9, 0x401020, 0, 0]
    body = struct.pack('<IIII', objref, nr_vmas, exe_file_ref, 0)
    body += struct.pack('<13Q',
                        0x400000, 0x401000, 0x403000, 0x404000,
                        0x405000, 0x426000, 0x7ffffffde000,
                        0x7fffffffe100, 0x7fffffffe120,
                        0x7fffffffe120, 0x7fffffffef00,
                        0x7ffff7fff000, 0x7ffff7fc1000)
    body += struct.pack('<IIII', 1, 0x12345678, len(auxv), 0)
    body += struct.pack('<64Q', *(auxv + [0] * (64 - len(auxv))))
    return Record('MM', body)


def vma(start, end, kind, flags, file_ref=0, pgoff=0, cow_mm_ref=0):
    return Record('VMA', struct.pack('<QQQIIII', start, end, pgoff, kind,
                                     flags, file_ref, cow_mm_ref))


def pages(addr, nr):
    data = b''.join(bytes([(i + j) & 0xFF for j in range(PAGE_SIZE)])
                    for i in range(nr))
    return Record('PAGES', struct.pack('<QII', addr, nr, 0) + data)


def pages_crc(of, crc=None):
    """The PAGES_CRC after the PAGES of: the CRC-32C of its contents,
    marked CKPT_REC_OPTIONAL as the kernel writes it."""
    value = image_crc(of.payload[SIZES['PAGES']:]) if crc is None else crc
    return Record('PAGES_CRC', struct.pack('<II', value, 0),
                  rtype=REC['PAGES_CRC'] | REC_OPTIONAL)


def add_pages_crc(records):
    """A PAGES_CRC after each PAGES."""
    for i in reversed(range(len(records))):
        if records[i].name == 'PAGES':
            records.insert(i + 1, pages_crc(records[i]))
    return records


def with_pages_crc(records):
    """An image of CHECKPOINT_LAZY: a PAGES_CRC after each PAGES."""
    add_pages_crc(records)
    h = bytearray(records[0].payload)
    struct.pack_into('<I', h, 20, struct.unpack_from('<I', h, 20)[0] |
                     CHECKPOINT_LAZY)
    records[0].payload = bytes(h)


def pages_cow(addr, nr, mm_ref):
    return Record('PAGES_COW', struct.pack('<QII', addr, nr, mm_ref))


def mm_end(nr_pages):
    return Record('MM_END', struct.pack('<Q', nr_pages))


def shmem(objref, size, seals=0):
    return Record('SHMEM', struct.pack('<IIQ', objref, seals, size))


def shmem_end(nr_pages):
    return Record('SHMEM_END', struct.pack('<Q', nr_pages))


def sysv_shm(objref, shmid, key, size, mode=0o640, ids=(0, 0, 0, 0)):
    return Record('SYSV_SHM', struct.pack('<IIII4IQ', objref, shmid, key,
                                          mode, *ids, size))


# Shared memory (good-shared-memory): a SHMEM object with one page, a SysV
# segment with no page, and a VMA mapping each, between text and stack
SHM_REFS = dict(shmem=8, sysv=9)
VMA_SHMEM = (0x10000000, 0x10003000)
VMA_SYSV = (0x20000000, 0x20002000)


def shared_memory(records, shmem_pages=None, sysv_contents=True,
                  shmem_vma_ref=SHM_REFS['shmem']):
    at = find(records, 'SIGHAND') + 1
    objs = [shmem(SHM_REFS['shmem'], 3 * PAGE_SIZE),
            shmem_pages or pages(PAGE_SIZE, 1), shmem_end(1),
            sysv_shm(SHM_REFS['sysv'], 5, 0x1234, 2 * PAGE_SIZE)]
    if sysv_contents:
        objs += [shmem(0, 2 * PAGE_SIZE), shmem_end(0)]
    records[at:at] = objs
    records[find(records, 'MM')] = mm(REFS['mm'], 4, REFS['exe'])
    at = find(records, 'VMA') + 1
    records[at:at] = [vma(*VMA_SHMEM, kind=6, flags=0x3,
                          file_ref=shmem_vma_ref),
                      vma(*VMA_SYSV, kind=7, flags=0x1,
                          file_ref=SHM_REFS['sysv'])]


def task(pid, cred_ref=REFS['cred'], mm_ref=REFS['mm'],
         files_ref=REFS['files'], fs_ref=REFS['fs'],
         sighand_ref=REFS['sighand'], pad=0):
    restart = struct.pack('<IIQQ', 1, 1, 0x7fffffffe000,
                          123456789999 + 5 * 10**9) + b'\0' * 8
    body = struct.pack('<10I5Q16sQIIIIII', pid, cred_ref, mm_ref, files_ref,
                       fs_ref, sighand_ref, 17, 0, 0, 1,
                       1 << 9, 0, 0x7ffff7d8ca10, 0x7ffff7d8ca20, 24,
                       b'sleeper'.ljust(16, b'\0'),
                       0x7ffff7d8c9e0, 32, 0x53053053, 0, 0,
                       1, pad) + restart
    return Record('TASK', body)


def process(flags=0, nofile=(1024, 4096)):
    inf = (1 << 64) - 1
    rlim = [(inf, inf)] * 16
    rlim[3] = (8 << 20, inf)       # RLIMIT_STACK
    rlim[7] = nofile               # RLIMIT_NOFILE
    body = struct.pack('<II', flags, 16)
    for cur, max_ in rlim:
        body += struct.pack('<QQ', cur, max_)
    body += struct.pack('<II', 0, 0)   # ctty_ref, ctty_pgrp
    return Record('PROCESS', body)


def sigaltstack(sp=0x7ffff7ff0000, size=65536, flags=1 << 31):
    return Record('SIGALTSTACK', struct.pack('<QQII', sp, size, flags, 0))


def itimers(real=(800000000, 1000000000), virt=(0, 0), prof=(5000000, 0)):
    return Record('ITIMERS', struct.pack('<6Q', *real, *virt, *prof))


def posix_timers(next_id, timers):
    body = struct.pack('<II', next_id, len(timers))
    for tid, clock, notify, signo, value, left, interval in timers:
        body += struct.pack('<IIIIQQQII', tid, clock, notify, signo, value,
                            left, interval, 0, 0)
    return Record('POSIX_TIMERS', body)


GOOD_TIMERS = [(0, 1, 0, 34, 0x7171, 50000000, 100000000),
               (2, 7, 1, 0, 0, 99000000000, 0)]


def cputime(sum_exec=1500000000, utime=1200000000, stime=300000000,
            cutime=100000000, cstime=0):
    return Record('CPUTIME', struct.pack('<5Q', sum_exec, utime, stime,
                                         cutime, cstime))


def thread_cputime(sum_exec=900000000, utime=700000000, stime=200000000):
    return Record('THREAD_CPUTIME', struct.pack('<3Q', sum_exec, utime,
                                                stime))


SCHED_POLICY = dict(NORMAL=0, FIFO=1, RR=2, BATCH=3, IDLE=5, DEADLINE=6)
SCHED_RESET_ON_FORK = 0x1
IOPRIO_RT, IOPRIO_BE = 1, 2


def ioprio(cls, level):
    return cls << 13 | level


def sched(policy='NORMAL', flags=0, nice=0, rt_priority=0,
          prio=ioprio(IOPRIO_BE, 4), nr_cpus=16, cpus=(0, 1, 2, 3, 8),
          timer_slack_ns=50000, nr_words=None):
    """A SCHED record: its CPU affinity in nr_cpus bits of 64-bit words."""
    if nr_words is None:
        nr_words = (nr_cpus + 63) // 64
    words = [0] * max(nr_words, (max(cpus, default=0) + 64) // 64)
    for cpu in cpus:
        words[cpu // 64] |= 1 << (cpu % 64)
    body = struct.pack('<IIiIIIQ', SCHED_POLICY.get(policy, policy), flags,
                       nice, rt_priority, prio, nr_cpus, timer_slack_ns)
    body += struct.pack('<%dQ' % nr_words, *words[:nr_words])
    return Record('SCHED', body)


# A real-time thread on 130 CPUs: three words, the last one partly used
GOOD_RT_CPUS = (0, 1, 2, 64) + tuple(range(66, 130))

SCHED_DL_RECLAIM, SCHED_DL_OVERRUN = 0x2, 0x4


def sched_dl(runtime_ns=10000000, deadline_ns=30000000,
             period_ns=100000000, flags=SCHED_DL_RECLAIM | SCHED_DL_OVERRUN,
             pad=0):
    """The SCHED_DL after a SCHED of policy DEADLINE: its times, then
    the SCHED_FLAG_* bits it keeps."""
    return Record('SCHED_DL', struct.pack('<3QII', runtime_ns, deadline_ns,
                                          period_ns, flags, pad))


# A deadline thread (good-sched-deadline): its SCHED, then its SCHED_DL
GOOD_SCHED_DL = [sched('DEADLINE', SCHED_RESET_ON_FORK, nice=2,
                       timer_slack_ns=0), sched_dl()]


def x86_regs():
    regs = list(range(1, 28))
    regs[16] = 0x401136        # ip
    regs[17] = 0x33            # cs
    regs[18] = 0x246           # flags
    regs[19] = 0x7fffffffe000  # sp
    regs[20] = 0x2b            # ss
    return Record('X86_REGS', struct.pack('<27Q', *regs))


def x86_xstate(size=XSTATE_SIZE):
    area = bytearray(size)
    struct.pack_into('<H', area, 0, 0x37F)       # fcw
    struct.pack_into('<I', area, 24, 0x1F80)     # mxcsr
    if size >= 520:
        struct.pack_into('<Q', area, 512, 0x3)   # xstate_bv
    return Record('X86_XSTATE', pad8(struct.pack('<QII', XFEATURES, size, 0)
                                     + bytes(area)))


# In a record header's type: a reader that does not know it may skip it
REC_OPTIONAL = 1 << 31
# (leaf, subleaf, reg, value): CPUID.1:ECX and CPUID.7.0:EBX
GOOD_CPUID = [(1, 0, 2, 0x7ffafbff), (7, 0, 1, 0x029c6fbf)]


def x86_cpuid(regs=GOOD_CPUID):
    body = struct.pack('<II', len(regs), 0)
    for r in regs:
        body += struct.pack('<4I', *r)
    return Record('X86_CPUID', body)


# (name, offset): entry points of a 64-bit vDSO of two pages
GOOD_VDSO_SYMS = [('__vdso_clock_gettime', 0xa40),
                  ('__vdso_gettimeofday', 0xc00), ('__vdso_time', 0xc20),
                  ('__vdso_getcpu', 0x1c40)]


def x86_vdso(syms=GOOD_VDSO_SYMS, size=2 * PAGE_SIZE,
             vvar_size=4 * PAGE_SIZE, crc=0x1234abcd):
    """An X86_VDSO, marked CKPT_REC_OPTIONAL as the kernel writes it;
    a name of 32 bytes has no NUL."""
    body = struct.pack('<4I', crc, size, vvar_size, len(syms))
    for name, offset in syms:
        body += struct.pack('<32sII', name.encode(), offset, 0)
    return Record('X86_VDSO', body, rtype=REC['X86_VDSO'] | REC_OPTIONAL)


def sigpending(shared, infos):
    body = struct.pack('<II', shared, len(infos))
    for signo, code, pid, uid in infos:
        info = bytearray(128)
        struct.pack_into('<iiiiII', info, 0, signo, 0, code, 0, pid, uid)
        body += bytes(info)
    return Record('SIGPENDING', body)


def trailer(crc, nr_records, size):
    return Record('TRAILER', struct.pack('<IIQ', crc, nr_records, size))


def good_records(refs=REFS):
    r = refs
    return [
        header(),
        tree([(PID, PID, 0)]),
        cred(r['cred']),
        file(r['exe'], 1, 0o100755, '/usr/bin/sleeper', size=16384),
        file(r['tty'], 4, 0o20620, '/dev/pts/0', f_flags=0o102002,
             rdev=(136 << 8) | 0),
        files(r['files'], [(0, r['tty'], 0), (1, r['tty'], 0),
                           (2, r['tty'], 1)]),
        fs(r['fs']),
        sighand(r['sighand']),
        mm(r['mm'], 2, r['exe']),
        vma(*VMA_TEXT, kind=2, flags=0x5, file_ref=r['exe']),
        vma(*VMA_STACK, kind=1, flags=0xb),
        pages(VMA_STACK[1] - 2 * PAGE_SIZE, 2),
        mm_end(2),
        task(PID, r['cred'], r['mm'], r['files'], r['fs'], r['sighand']),
        process(),
        x86_regs(),
        x86_xstate(),
        sigpending(0, [(10, 0, 1, 0)]),
        sigpending(1, []),
    ]


def serialize(records, fix_trailer=None):
    """The records, then a correct TRAILER (fix_trailer may spoil it)."""
    body = b''.join(r.bytes() for r in records)
    t = dict(crc=image_crc(body), nr_records=len(records), size=len(body))
    if fix_trailer:
        fix_trailer(t)
    return body + trailer(**t).bytes()


def find(records, name, nth=0):
    return [i for i, r in enumerate(records) if r.name == name][nth]


def replace(name, new, nth=0):
    def edit(records):
        records[find(records, name, nth)] = new
    return edit


def drop(name, nth=0):
    def edit(records):
        del records[find(records, name, nth)]
    return edit


def insert_after(name, new):
    new = new if isinstance(new, list) else [new]

    def edit(records):
        at = find(records, name) + 1
        records[at:at] = new
    return edit


def patch_record(name, offset, fmt, value):
    def edit(records):
        r = records[find(records, name)]
        p = bytearray(r.payload)
        struct.pack_into(fmt, p, offset, value)
        r.payload = bytes(p)
    return edit


def lie_len(name, length):
    def edit(records):
        records[find(records, name)].hdr_len = length
    return edit


def move_after(name, after):
    def edit(records):
        r = records.pop(find(records, name))
        records.insert(find(records, after) + 1, r)
    return edit


def swap(a, b):
    def edit(records):
        i, j = find(records, a), find(records, b)
        records[i], records[j] = records[j], records[i]
    return edit


def userns(flags=0, uid=((0, 100000, 1000),), gid=((0, 100000, 1000),)):
    payload = struct.pack('<IIII', flags, len(uid), len(gid), 0)
    for e in uid + gid:
        payload += struct.pack('<III', *e)
    payload += b'\0' * (-len(payload) % 8)
    return Record('USERNS', payload)


def cgroupns(flags=0, nr=1):
    return Record('CGROUPNS', struct.pack('<II', flags, nr))


def cgroup(cid, parent, name, pids=(), files=(), lens=None, pad=0):
    """A CGROUP: its processes, its name, then its files, (FILE, VALUE)
    pairs or the bytes they take; lens (procs, name, files) are lies."""
    name = name.encode() + b'\0'
    if not isinstance(files, bytes):
        files = b''.join(f.encode() + b'\0' + v.encode() + b'\0'
                         for f, v in files)
    lens = dict(dict(procs=len(pids), name=len(name), files=len(files)),
                **(lens or {}))
    body = struct.pack('<IIIIH3H', cid, parent, lens['procs'], lens['files'],
                       lens['name'], pad, 0, 0)
    body += struct.pack('<%dI' % len(pids), *pids) + name + files
    return Record('CGROUP', pad8(body))


# The cgroups of the namespace: the process in /init, limits around it
GOOD_CGROUP_SVC_FILES = [('cgroup.subtree_control', 'memory'),
                         ('memory.max', 'max')]
GOOD_CGROUPS = [
    cgroup(1, 0, '', files=[('cgroup.subtree_control', 'cpu io memory pids')]),
    cgroup(2, 1, 'init', pids=[PID], files=[
        ('cgroup.subtree_control', ''), ('cpu.max', '50000 100000'),
        ('io.max', '8:0 rbps=1048576 wbps=max riops=max wiops=max\n'
                   '8:16 rbps=max wbps=2097152 riops=max wiops=max'),
        ('memory.max', '1048576'), ('pids.max', '64')]),
    cgroup(3, 1, 'svc', files=GOOD_CGROUP_SVC_FILES),
    cgroup(4, 3, 'web', files=[('memory.high', '524288'),
                               ('memory.oom.group', '1')]),
    cgroup(5, 3, 'empty'),
]


def cgroup_records(at=None, new=None, nr=None, extra=()):
    """A CGROUPNS and GOOD_CGROUPS, the one at index at replaced by new
    (a list: inserted), extra appended; nr is its nr_cgroups if not
    their number."""
    cgs = list(GOOD_CGROUPS)
    if at is not None:
        cgs[at:at + 1] = new if isinstance(new, list) else [new]
    cgs += list(extra)
    return [cgroupns(nr=len(cgs) if nr is None else nr), *cgs]


# A chain of cgroups whose path is longer than ckpt shows (4095 bytes)
DEEP_CGROUPS = [cgroup(1, 0, '', pids=[PID])] + [
    cgroup(i, i - 1, 'd%02d' % i + 'x' * 252) for i in range(2, 22)]


def with_zombie(edit):
    """edit, in an image whose TREE has a zombie child, pid PID + 1."""
    def zombie(records):
        records[find(records, 'HEADER')] = header(nr_tasks=2)
        records[find(records, 'TREE')] = tree([(PID, PID, 0),
                                               (PID + 1, PID + 1, PID,
                                                TREE_ZOMBIE)])
        edit(records)
    return zombie


def tasks_of(entries):
    """An edit: the TREE of entries (tree()), the HEADER's nr_tasks, and
    after the good task's records those of the others, which share its
    objects; a leader's with a PROCESS."""
    def edit(records):
        records[find(records, 'HEADER')] = header(nr_tasks=len(entries))
        records[find(records, 'TREE')] = tree(entries)
        for pid, tgid in ((e[0], e[1]) for e in entries[1:]):
            records += [task(pid), *([process()] if pid == tgid else []),
                        x86_regs(), x86_xstate(), sigpending(0, []),
                        sigpending(1, [])]
    return edit


# A process whose leader exited while its thread runs (good-exited-leader):
# the leader has all its records, and the exit status of exit(42)
EXIT_42 = 42 << 8
GOOD_EXITED_TREE = [(PID, PID, 0, TREE_EXITED, 0, 0, EXIT_42),
                    (PID + 1, PID, 0)]


def sparse_refs(records):
    records[:] = good_records(SPARSE_REFS)


# Sockets (good-tcp): a listener, and two connections to it from outside
FILE_INET = 19
INET_STATE = dict(CLOSED=0, LISTEN=1, CONNECTED=2, STREAM=3)
INET_BOUND, INET_NODELAY, INET_CORK = 1 << 0, 1 << 4, 1 << 11
TCP_STATE = dict(ESTABLISHED=1, SYN_SENT=2, FIN_WAIT1=4, FIN_WAIT2=5,
                 CLOSE_WAIT=8, LAST_ACK=9, CLOSING=11)
TCP_ALL = 0x7              # WSCALE | SACK | TSTAMP
SOCK_REFS = dict(listener=20, conn=21, conn6=22)


def anon_file(objref, kind, mode=0o140777, f_flags=0o2):
    return Record('FILE', struct.pack('<IIIIQQQIIQIIII', objref, kind,
                                      f_flags, mode, 0, 0, 0, 0, 0, 0,
                                      0xFFFFFFFF, 0, 0, 0))


def inet_addr(family, addr):
    a = bytes(addr)
    return a.ljust(16, b'\0') if family == 2 else a


def inet_sk(state, flags, family=2, protocol=6, src=(127, 0, 0, 1),
            sport=8080, dst=(0, 0, 0, 0), dport=0, backlog=0, nr_queued=0):
    stype = 1 if protocol == 6 else 2
    return Record('INET_SK', struct.pack(
        '<6IHHI16s16s8I16sII', family, stype, protocol, INET_STATE[state],
        flags, backlog, sport, dport, 0, inet_addr(family, src),
        inet_addr(family, dst), 212992, 131072, 0, 0, 0, 0, 0, 0xFFFFFFFF,
        b'', nr_queued, 0))


def pending(family=2, dst=(10, 0, 0, 3), dport=40002):
    """A connection a listener has not accepted: no FILE."""
    return [inet_sk('STREAM', INET_BOUND, family=family, dst=dst,
                    dport=dport),
            tcp_stream(inq=b'GET /')]


def tcp_stream(state='ESTABLISHED', flags=TCP_ALL, inq=b'', outq=b'',
               unsent_len=0, mss_clamp=65483, wscale=(7, 7), pad=0,
               snd_wnd=65536, max_window=65536, rcv_wnd=65536,
               inq_len=None):
    body = struct.pack(
        '<8IBBH9I', TCP_STATE[state], flags, 1000000, 2000000 + len(inq),
        len(inq) if inq_len is None else inq_len, len(outq), unsent_len,
        mss_clamp, wscale[0], wscale[1], 0, 123456, 2000000, snd_wnd,
        max_window, rcv_wnd, 2000000, 0, 0, pad)
    return Record('TCP_STREAM', pad8(body + inq + outq))


def udp_dgram(family=2, data=b'ping', saddr=(10, 0, 0, 2), sport=5353,
              daddr=(127, 0, 0, 1), dport=53, length=None, pad=0):
    body = struct.pack('<IIHHI16s16s', family,
                       len(data) if length is None else length, sport, dport,
                       pad, inet_addr(family, saddr), inet_addr(family, daddr))
    return Record('UDP_DGRAM', pad8(body + data))


UDP_REFS = dict(udp=23, udp6=24)


def udp_sockets(records, dgrams=None, dgrams6=None):
    """Two UDP sockets after the SIGHAND, with datagrams queued: dgrams
    (a list) replaces the first one's records after its FILE, dgrams6 the
    IPv6 one's."""
    if dgrams is None:
        dgrams = [inet_sk('CLOSED', INET_BOUND, protocol=17, sport=53,
                          nr_queued=2),
                  udp_dgram(), udp_dgram(data=b'', sport=5354)]
    if dgrams6 is None:
        dgrams6 = [inet_sk('CLOSED', INET_BOUND, family=10, protocol=17,
                           src=[0] * 16, sport=53, nr_queued=2),
                   udp_dgram(family=10, saddr=[0xfe, 0x80] + [0] * 13 + [2],
                             daddr=[0] * 15 + [1], data=b'x' * 20),
                   udp_dgram()]
    at = find(records, 'SIGHAND') + 1
    records[at:at] = [anon_file(UDP_REFS['udp'], FILE_INET), *dgrams,
                      anon_file(UDP_REFS['udp6'], FILE_INET), *dgrams6]


def sockets(records, conn=None, listener=None):
    """Three sockets after the SIGHAND: a listener with a connection it has
    not accepted, and two connections.  conn (a list) replaces the first
    connection's TCP_STREAM, listener (a list) the listener's records."""
    r = SOCK_REFS
    first = tcp_stream(inq=b'hello', outq=b'world, again!', unsent_len=6)
    if listener is None:
        listener = [inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=1),
                    *pending()]
    objs = [anon_file(r['listener'], FILE_INET), *listener,
            anon_file(r['conn'], FILE_INET),
            inet_sk('STREAM', INET_BOUND | INET_NODELAY | INET_CORK,
                    sport=8080, dst=(10, 0, 0, 2), dport=40000)]
    objs += [first] if conn is None else conn
    objs += [anon_file(r['conn6'], FILE_INET),
             inet_sk('STREAM', INET_BOUND, family=10,
                     src=[0] * 15 + [1], sport=8081,
                     dst=[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2],
                     dport=40001),
             tcp_stream(state='FIN_WAIT2', flags=0, wscale=(0, 0))]
    at = find(records, 'SIGHAND') + 1
    records[at:at] = objs


# The network namespace (good-netns): a veth pair inside it, a veth whose
# peer is outside, addresses on one of them and on the loopback, two
# routes; then a USERNS, which comes after all of them
NETNS_LO_UP = 0x1
NETDEV_UP, NETDEV_PEER_UP, NETDEV_PEER_OUT = 0x1, 0x2, 0x4
SYSCTL = dict(SOMAXCONN=0, IP_LOCAL_PORT_RANGE=1, IP_UNPRIV_PORT_START=2,
              IP_DEFAULT_TTL=3, TCP_ECN=12)
GOOD_SYSCTLS = [(SYSCTL['SOMAXCONN'], 4096),
                (SYSCTL['IP_LOCAL_PORT_RANGE'], 32768 | 60999 << 16),
                (SYSCTL['TCP_ECN'], 2)]
IFA_F_PERMANENT = 0x80
RTN = dict(unicast=1, local=2, blackhole=6)
RTPROT_KERNEL, RTPROT_STATIC = 2, 4
RT_TABLE_MAIN, RT_TABLE_LOCAL = 254, 255
V6_NET = [0xfd, 0, 0, 0, 0, 0, 0, 1] + [0] * 8


def netns(flags=NETNS_LO_UP, sysctls=GOOD_SYSCTLS, nr_devs=2, nr_addrs=3,
          nr_routes=2, nr_sysctls=None):
    body = struct.pack('<IHHII', flags, nr_devs,
                       len(sysctls) if nr_sysctls is None else nr_sysctls,
                       nr_addrs, nr_routes)
    for sid, value in sysctls:
        body += struct.pack('<II', sid, value)
    return Record('NETNS', body)


def netdev(ifindex, name, peer_ifindex, peer_name,
           flags=NETDEV_UP | NETDEV_PEER_UP, addr=(2, 0, 0, 0, 0, 1),
           peer_addr=(2, 0, 0, 0, 0, 2), mtu=1500, kind=1):
    return Record('NETDEV', struct.pack(
        '<6I8s8s16s16s', kind, flags, ifindex, mtu, peer_ifindex, mtu,
        bytes(addr), bytes(peer_addr), name.encode(), peer_name.encode()))


def net_addr(ifindex, family, local, prefixlen, broadcast=(), label='',
             scope=0, flags=IFA_F_PERMANENT, lft=(0xFFFFFFFF, 0xFFFFFFFF)):
    return Record('NET_ADDR', struct.pack(
        '<IBBBBIIII16s16s16s16s', ifindex, family, prefixlen, scope, 0,
        flags, *lft, 0, bytes(local), bytes(local), bytes(broadcast),
        label.encode()))


def net_route(family=2, dst=(), dst_len=0, gateway=(), oif=0,
              table=RT_TABLE_MAIN, protocol=RTPROT_STATIC, scope=0,
              rtype=RTN['unicast'], priority=0, flags=0, prefsrc=()):
    return Record('NET_ROUTE', struct.pack(
        '<8BIIII16s16s16s', family, dst_len, 0, protocol, scope, rtype, 0,
        0, table, oif, priority, flags, bytes(dst), bytes(gateway),
        bytes(prefsrc)))


GOOD_NETDEVS = [netdev(2, 'veth0', 3, 'veth1'),
                netdev(4, 'eth0', 0, 'vethc0', flags=NETDEV_UP | NETDEV_PEER_OUT,
                       addr=(2, 0, 0, 0, 0, 3), peer_addr=(2, 0, 0, 0, 0, 4))]
GOOD_NET_ADDRS = [net_addr(4, 2, (10, 0, 0, 2), 24, broadcast=(10, 0, 0, 255),
                           label='eth0'),
                  net_addr(4, 10, V6_NET[:15] + [2], 64),
                  net_addr(1, 2, (127, 0, 0, 2), 8, scope=254, label='lo')]
GOOD_NET_ROUTES = [net_route(gateway=(10, 0, 0, 1), oif=4, priority=100),
                   net_route(family=10, dst=V6_NET, dst_len=64,
                             rtype=RTN['blackhole'], priority=1024)]


def network(ns=None, devs=GOOD_NETDEVS, addrs=GOOD_NET_ADDRS,
            routes=GOOD_NET_ROUTES):
    """An edit inserting a NETNS and its records after the TREE, then a
    USERNS; ns replaces the NETNS, devs, addrs and routes its records."""
    return insert_after('TREE', [ns or netns(), *devs, *addrs, *routes,
                                 userns()])


# The mount namespace (good-mntns): a read-only root and /data bound from
# outside, proc and devpts mounted anew, binds of part of /data, of the
# devpts (a slave of it) and of the root (a peer of it); after the USERNS,
# as the MNTNS comes after the other namespaces
MOUNT_KIND = dict(EXTERNAL=1, NEW=2, BIND=3)
MNT = dict(RDONLY=0x1, NOSUID=0x2, NODEV=0x4, NOEXEC=0x8, NOATIME=0x10,
           NODIRATIME=0x20, RELATIME=0x40, NOSYMFOLLOW=0x80, SB_RDONLY=0x100)
MNT_SHARED, MNT_SLAVE, MNT_UNBINDABLE = 0x1, 0x2, 0x4
MNT_RO = MNT['RDONLY'] | MNT['RELATIME'] | MNT['SB_RDONLY']


def mntns(nr_mounts, pad=0):
    return Record('MNTNS', struct.pack('<II', nr_mounts, pad))


def mount(mid, parent, kind, mountpoint, root='/', source='none',
          options='', fstype='', flags=MNT['RELATIME'], propagation=0,
          peer_group=0, master=0, source_id=0, lens=None, pad=0):
    """A MOUNT: its fixed part, then mountpoint, root, source and options,
    each NUL-terminated; lens (a dict) lies about some of their lengths."""
    strings = [x.encode() + b'\0' for x in (mountpoint, root, source,
                                            options)]
    n = dict(zip(('mountpoint', 'root', 'source', 'options'),
                 map(len, strings)))
    n.update(lens or {})
    body = struct.pack('<IIIIHHIIHHHHI16s', mid, parent, source_id, flags,
                       MOUNT_KIND.get(kind, kind), propagation, peer_group,
                       master, n['mountpoint'], n['root'], n['source'],
                       n['options'], pad, fstype.encode())
    return Record('MOUNT', pad8(body + b''.join(strings)))


def proc_mount(mid=2, parent=1, mountpoint='/proc', **kw):
    """A MOUNT of kind NEW of proc, as GOOD_MOUNTS[1], with changes."""
    args = dict(source='proc', fstype='proc', options='hidepid=2',
                flags=MNT['NOSUID'] | MNT['NODEV'] | MNT['NOEXEC'] |
                MNT['RELATIME'])
    args.update(kw)
    return mount(mid, parent, kw.pop('kind', 'NEW'), mountpoint,
                 **{k: v for k, v in args.items() if k != 'kind'})


GOOD_MOUNTS = [
    mount(1, 0, 'EXTERNAL', '/', root='/srv/ct1/rootfs', source='/dev/sda1',
          fstype='ext4', flags=MNT_RO, propagation=MNT_SHARED, peer_group=1),
    proc_mount(),
    mount(3, 1, 'EXTERNAL', '/data', root='/volumes/data', source='/dev/sdb1',
          fstype='xfs', flags=MNT['NOATIME'], propagation=MNT_SLAVE),
    mount(4, 1, 'NEW', '/dev/pts', source='devpts', fstype='devpts',
          flags=MNT['NOSUID'] | MNT['NOEXEC'] | MNT['RELATIME'],
          options='gid=5,mode=620,ptmxmode=666', propagation=MNT_SHARED,
          peer_group=2),
    mount(5, 3, 'BIND', '/cache', root='/cache', source='/dev/sdb1',
          fstype='xfs', flags=MNT['RDONLY'] | MNT['NOATIME'], source_id=3,
          propagation=MNT_UNBINDABLE),
    mount(6, 1, 'BIND', '/run/pts', source='devpts', fstype='devpts',
          flags=MNT['NOSUID'] | MNT['NOEXEC'] | MNT['RELATIME'], source_id=4,
          propagation=MNT_SHARED | MNT_SLAVE, peer_group=3, master=2),
    mount(7, 1, 'BIND', '/mnt', root='/home', source='/dev/sda1',
          fstype='ext4', flags=MNT_RO, source_id=1, propagation=MNT_SHARED,
          peer_group=1),
]


def ipc_ns(nr_msg=0, nr_sem=0, nr_shm=0):
    """An IPC_NS with the default limits of Linux 6.12."""
    return Record('IPC_NS', struct.pack('<10I', nr_msg, nr_sem, 8192, 16384,
                                        32000, 32000, 1024000000, 500, 32000,
                                        nr_shm))


def file_data(offset, data, pad=0):
    return Record('FILE_DATA', pad8(struct.pack('<QII', offset, len(data), pad)
                                    + data))


# The contents of two new tmpfs mounts (good-tmpfs), after the IPC
# namespace and its shared memory segment: in the first, a directory and
# a regular file with a hole, both with extended attributes, a FIFO, two
# device nodes, a symbolic link and a hard link; in the second, only its
# root
S_IF = dict(DIR=0o040000, REG=0o100000, LNK=0o120000, FIFO=0o010000,
            CHR=0o020000, BLK=0o060000, SOCK=0o140000)


def tmpfs(mount_id, pad=0):
    return Record('TMPFS', struct.pack('<II', mount_id, pad))


def tmpfs_node(path, kind='DIR', perm=0o755, uid=0, gid=0, rdev=0, size=0,
               atime=(1700000000, 5), mtime=(1700000100, 999999999), link=0,
               target=None, lens=None, pad=0):
    """A TMPFS_NODE: its fixed part, then its path and target (a symbolic
    link's or a hard link's), NUL-terminated; lens (a dict) lies about
    their lengths."""
    strings = [path.encode() + b'\0',
               b'' if target is None else target.encode() + b'\0']
    n = dict(path=len(strings[0]), target=len(strings[1]))
    n.update(lens or {})
    body = struct.pack('<IIIIQQQIIIHHII', S_IF.get(kind, kind) | perm, uid,
                       gid, rdev, size, atime[0], mtime[0], atime[1],
                       mtime[1], link, n['path'], n['target'], pad, 0)
    return Record('TMPFS_NODE', pad8(body + b''.join(strings)))


def tmpfs_xattr(name, value, lens=None, pad=0):
    """A TMPFS_XATTR: name_len, __pad, value_len, then the name,
    NUL-terminated, and the value; lens (a dict) lies about their
    lengths."""
    strings = [name.encode() + b'\0', value]
    n = dict(name=len(strings[0]), value=len(value))
    n.update(lens or {})
    return Record('TMPFS_XATTR', pad8(struct.pack('<HHI', n['name'], pad,
                                                  n['value'])
                                      + b''.join(strings)))


# security.capability: struct vfs_cap_data, revision 2, cap_net_bind_service
FILE_CAPS = struct.pack('<5I', 0x02000001, 1 << 10, 0, 0, 0)


# POSIX ACLs: the xattr format of posix_acl_xattr.h, a_version 2, then
# entries (e_tag, e_perm, e_id), e_id -1 but for named users and groups
ACL_ACCESS = 'system.posix_acl_access'
ACL_DEFAULT = 'system.posix_acl_default'
ACL_TAG = dict(USER_OBJ=0x01, USER=0x02, GROUP_OBJ=0x04, GROUP=0x08,
               MASK=0x10, OTHER=0x20)
ACL_UNDEFINED_ID = 0xFFFFFFFF


def posix_acl(entries, version=2, extra=b''):
    """The value of an ACL's xattr: entries are (tag, perm) or (tag, perm,
    id), a tag by name or number; extra bytes follow them."""
    body = struct.pack('<I', version)
    for tag, perm, *ident in entries:
        body += struct.pack('<HHI', ACL_TAG.get(tag, tag), perm,
                            ident[0] if ident else ACL_UNDEFINED_ID)
    return body + extra


# user 1001 may read the file too (as ckpt_mntns_test's ct_acl)
FILE_ACL = [('USER_OBJ', 6), ('USER', 4, 1001), ('GROUP_OBJ', 4),
            ('MASK', 4), ('OTHER', 0)]
# group 1000 may read the directory (0755), and what is made in it
DIR_ACL = [('USER_OBJ', 7), ('GROUP_OBJ', 5), ('GROUP', 5, 1000),
           ('MASK', 5), ('OTHER', 5)]
DIR_DEFAULT_ACL = [('USER_OBJ', 7), ('GROUP_OBJ', 5), ('GROUP', 7, 1000),
                   ('MASK', 7), ('OTHER', 5)]
# group 6 is named in the FIFO's (0600) ACL, but the mask leaves it nothing
FIFO_ACL = [('USER_OBJ', 6), ('GROUP_OBJ', 0), ('GROUP', 6, 6), ('MASK', 0),
            ('OTHER', 0)]
# the least an ACL has
MINIMAL_ACL = [('USER_OBJ', 6), ('GROUP_OBJ', 0), ('OTHER', 0)]


def acl_xattr(entries, default=False, **kw):
    return tmpfs_xattr(ACL_DEFAULT if default else ACL_ACCESS,
                       posix_acl(entries, **kw))


def new_encode_dev(major, minor):
    return (minor & 0xff) | major << 8 | (minor & ~0xff) << 12


TMPFS_ROOT = tmpfs_node('/', perm=0o1777)
GOOD_TMPFS_NODES = [
    TMPFS_ROOT,
    tmpfs_node('/dir', uid=1000, gid=1000),
    tmpfs_xattr('trusted.overlay.opaque', b'y'),
    tmpfs_node('/file', 'REG', 0o644, uid=1000, gid=1000, size=10000),
    file_data(0, b'hello, tmpfs\n'),
    file_data(8192, b'tail'),
    tmpfs_xattr('user.comment', b'a "note"'),
    tmpfs_xattr('security.capability', FILE_CAPS),
    tmpfs_node('/fifo', 'FIFO', 0o600),
    tmpfs_node('/null', 'CHR', 0o666, rdev=new_encode_dev(1, 3)),
    tmpfs_node('/disk', 'BLK', 0o660, gid=6, rdev=new_encode_dev(259, 65536)),
    tmpfs_node('/dir/link', 'LNK', 0o777, uid=1000, gid=1000,
               target='../file'),
    tmpfs_node('/dir/hard', 'REG', 0o644, uid=1000, gid=1000, link=1,
               target='/file'),
]
TMPFS_OPTS = MNT['NOSUID'] | MNT['NODEV'] | MNT['RELATIME']
TMPFS_MOUNTS = [
    mount(8, 1, 'NEW', '/tmp', source='tmpfs', fstype='tmpfs',
          flags=TMPFS_OPTS, options='size=65536k,mode=1777'),
    mount(9, 1, 'NEW', '/run', source='tmpfs', fstype='tmpfs',
          flags=TMPFS_OPTS, options='mode=755,uid=0,gid=0'),
]


def tmpfs_nodes(at=None, node=None, extra=()):
    """GOOD_TMPFS_NODES with the record at index at (or the TMPFS_NODE of
    path at) replaced by node (a list of records: inserted), extra
    appended."""
    nodes = list(GOOD_TMPFS_NODES)
    if isinstance(at, str):
        at = [i for i, r in enumerate(nodes) if r.name == 'TMPFS_NODE' and
              r.payload[64:].split(b'\0')[0] == at.encode()][0]
    if at is not None:
        nodes[at:at + 1] = node if isinstance(node, list) else [node]
    return nodes + list(extra)


def ipc_segment():
    """An IPC_NS with one shared memory segment, without pages."""
    return [ipc_ns(nr_shm=1), sysv_shm(SHM_REFS['sysv'], 5, 0x1234,
                                       2 * PAGE_SIZE),
            shmem(0, 2 * PAGE_SIZE), shmem_end(0)]


def tmpfs_namespace(nodes=None, blocks=None, ipc=None, after=()):
    """An edit inserting a USERNS, a MNTNS with GOOD_MOUNTS and
    TMPFS_MOUNTS, an IPC_NS with a segment, then a TMPFS of each tmpfs:
    nodes (a list) replaces the first one's records after its TMPFS,
    blocks all of them, ipc the IPC_NS's records; after follows them."""
    mounts = GOOD_MOUNTS + TMPFS_MOUNTS
    if blocks is None:
        blocks = [tmpfs(8), *(GOOD_TMPFS_NODES if nodes is None else nodes),
                  tmpfs(9), tmpfs_node('/')]
    return insert_after('TREE', [userns(), mntns(len(mounts)), *mounts,
                                 *(ipc_segment() if ipc is None else ipc),
                                 *blocks, *after])


# POSIX message queues (good-mqueue): after the IPC_NS's System V objects
# (a message queue with one message, a shared memory segment), an MQ_NS
# and two queues, one with messages of several priorities and a
# mq_notify(3) registration, and a FILE of the task that has it open
SIGEV = dict(SIGNAL=0, NONE=1, THREAD=2)
SIGUSR2 = 12
FILE_MQUEUE = 21
MQ_REFS = dict(file=10)
O_RDWR_NONBLOCK = 0o4002


def msg_queue(msqid, key, qnum, qbytes=16384, mode=0o600):
    return Record('MSG_QUEUE', struct.pack('<8I5Q', msqid, key, 0, 0, 0, 0,
                                           mode, 0, 1700000000, 0,
                                           1700000000, qbytes, qnum))


def msg(mtype, text, length=None):
    """A MSG: the mtype of a System V message, or the priority of a POSIX
    one; length lies about the text's."""
    return Record('MSG', pad8(struct.pack(
        '<QQ', mtype, len(text) if length is None else length) + text))


def mq_ns(nr_queues=2, queues_max=256, msg_max=10, msgsize_max=8192,
          msg_default=10, msgsize_default=8192):
    """An MQ_NS with the fs.mqueue defaults of Linux 6.12."""
    return Record('MQ_NS', struct.pack('<6I', nr_queues, queues_max, msg_max,
                                       msgsize_max, msg_default,
                                       msgsize_default))


def mqueue(name, curmsgs=0, maxmsg=10, msgsize=1024, uid=1000, gid=1000,
           mode=0o640, notify_pid=0, notify=0, signo=0, value=0,
           name_len=None, pad=0):
    """An MQUEUE: its fixed part, then its name, NUL-terminated; name_len
    lies about its length."""
    n = name.encode() + b'\0'
    return Record('MQUEUE', pad8(struct.pack(
        '<IIIIQQQIIIIQ', uid, gid, mode,
        len(n) if name_len is None else name_len, maxmsg, msgsize, curmsgs,
        notify_pid, notify, signo, pad, value) + n))


def mq_queue(name, msgs=(), **kw):
    """An MQUEUE and its messages, (priority, text) in receive order."""
    kw.setdefault('curmsgs', len(msgs))
    return [mqueue(name, **kw), *(msg(p, t) for p, t in msgs)]


GOOD_MQ_JOBS = [(31, b'urgent'), (7, b'first of 7'), (7, b'second of 7'),
                (0, b'')]
GOOD_MQUEUES = [
    *mq_queue('jobs', GOOD_MQ_JOBS, notify_pid=PID, notify=SIGEV['SIGNAL'],
              signo=SIGUSR2, value=0x5eed),
    *mq_queue('log.1', [(3, b'x' * 1024)], maxmsg=1, mode=0o600, uid=0,
              gid=0),
]


def mq_records(queues=None, ns=None):
    """An MQ_NS (ns) and its queues (queues, a list of records)."""
    queues = GOOD_MQUEUES if queues is None else queues
    nr = sum(1 for r in queues if r.name == 'MQUEUE')
    return [mq_ns(nr) if ns is None else ns, *queues]


def ipc_with_mqueues(queues=None, ns=None):
    """An IPC_NS with a System V message queue and a segment, then an
    MQ_NS (ns) and its queues (queues, a list of records)."""
    return [ipc_ns(nr_msg=1, nr_shm=1), msg_queue(3, 0x4d51, 1),
            msg(1, b'System V'), *ipc_segment()[1:], *mq_records(queues, ns)]


def mq_file(path='/jobs', f_flags=O_RDWR_NONBLOCK, mode=0o100640):
    """A FILE of kind MQUEUE: an open queue."""
    return file(MQ_REFS['file'], FILE_MQUEUE, mode, path, f_flags=f_flags)


def mqueue_namespace(queues=None, ns=None, ipc=None, open_file=mq_file()):
    """An edit inserting, after the TREE, the IPC namespace of
    ipc_with_mqueues(queues, ns) (or ipc, a list of records), and
    open_file (by default the queue /jobs, opened O_RDWR|O_NONBLOCK;
    None: none) as the task's fd 3."""
    def edit(records):
        at = find(records, 'TREE') + 1
        records[at:at] = ipc_with_mqueues(queues, ns) if ipc is None else ipc
        if open_file is None:
            return
        at = find(records, 'FILES')
        records.insert(at, open_file)
        records[at + 1] = files(REFS['files'], [
            (0, REFS['tty'], 0), (1, REFS['tty'], 0), (2, REFS['tty'], 1),
            (3, MQ_REFS['file'], 1)])
    return edit


def mq_queues(at, new):
    """GOOD_MQUEUES, the record at index at replaced by new (a list:
    inserted)."""
    queues = list(GOOD_MQUEUES)
    queues[at:at + 1] = new if isinstance(new, list) else [new]
    return queues


# A file unlinked while open (good-unlinked): its first open file, with
# its owner and times, its contents with a hole and two extended
# attributes, then a second open file of it, the task's fds 3 and 4
FILE_KIND = dict(REG=1, UNLINKED=7)
UNLINKED_REFS = dict(first=10, second=11)
O_RDWR_LARGEFILE = 0o100002


def inode_attr(uid=1000, gid=1000, atime=(1700000000, 5),
               mtime=(1700000100, 999999999), mode=0o640, pad=0, v1=False):
    """An INODE_ATTR: the owner, times and permission bits of an unlinked
    file or of a pty's slave node; a time's seconds may be negative
    (s64).  v1: an earlier kernel's, without mode and __pad."""
    body = struct.pack('<IIqqIIII', uid, gid, atime[0], mtime[0], atime[1],
                       mtime[1], mode, pad)
    return Record('INODE_ATTR', body[:INODE_ATTR_V1_SIZE] if v1 else body)


def unlinked_file(objref=UNLINKED_REFS['first'], obj_ref=0, size=10000,
                  kind='UNLINKED'):
    """A FILE of an unlinked file in /tmp: its first open file (obj_ref
    0), or another one naming it."""
    return file(objref, FILE_KIND[kind], 0o100640, '/tmp',
                f_flags=O_RDWR_LARGEFILE, size=size, obj_ref=obj_ref)


GOOD_UNLINKED = [
    unlinked_file(),
    inode_attr(),
    file_data(0, b'hello, unlinked\n'),
    file_data(8192, b'tail'),
    tmpfs_xattr('user.color', b'blue'),
    tmpfs_xattr('security.capability', FILE_CAPS),
    unlinked_file(UNLINKED_REFS['second'], obj_ref=UNLINKED_REFS['first']),
]
# The same from a kernel without INODE_ATTR: no owner, times or xattrs
GOOD_UNLINKED_V1 = [GOOD_UNLINKED[0], *GOOD_UNLINKED[2:4],
                    GOOD_UNLINKED[-1]]


def unlinked_records(at=None, new=None, recs=None, extra_at_end=()):
    """GOOD_UNLINKED (or recs), the record at index at replaced by new
    (a list: inserted), extra_at_end appended."""
    recs = list(GOOD_UNLINKED if recs is None else recs)
    if at is not None:
        recs[at:at + 1] = new if isinstance(new, list) else [new]
    return recs + list(extra_at_end)


def unlinked(recs=None):
    """An edit inserting recs (by default GOOD_UNLINKED) before the FILES,
    each FILE among them one more fd of the task, from 3."""
    recs = GOOD_UNLINKED if recs is None else recs

    def edit(records):
        at = find(records, 'FILES')
        records[at:at] = recs
        refs = [struct.unpack_from('<I', r.payload)[0] for r in recs
                if r.name == 'FILE']
        records[find(records, 'FILES')] = files(REFS['files'], [
            (0, REFS['tty'], 0), (1, REFS['tty'], 0), (2, REFS['tty'], 1),
            *((3 + i, ref, 0) for i, ref in enumerate(refs))])
    return edit


# The O_ASYNC owners of files (good-fown): an eventfd, a memfd with its
# contents and another open file of it, each followed by its FOWN; a
# file and a directory under /proc/PID of the task (kind PROC_PID); the
# task leads its process group.  FOWNs also end an unlinked file's
# records (good-fown-unlinked) and a listener's (good-fown-tcp).
FILE_KIND.update(EVENTFD=9, MEMFD=14, PROC_PID=22)
FOWN_REFS = dict(eventfd=30, memfd=31, memfd2=32, proc=33, procdir=34)
F_OWNER = dict(TID=0, PID=1, PGRP=2)
FOWN_ASYNC = 0x1
O_DIRECTORY_LARGEFILE = 0o300000


def fown(pid=PID, owner='PID', signum=0, fd=3, flags=FOWN_ASYNC, pad=0):
    """A FOWN: the owner pid of type owner (F_OWNER_*, or a number), the
    signal of F_SETSIG, the descriptor of O_ASYNC (-1: none)."""
    return Record('FOWN', struct.pack('<IIIiII', pid, F_OWNER.get(owner, owner),
                                      signum, fd, flags, pad))


def eventfd(count=5, flags=0):
    return Record('EVENTFD', struct.pack('<QII', count, flags, 0))


def memfd_file(objref=FOWN_REFS['memfd'], obj_ref=0, f_flags=O_RDWR_LARGEFILE,
               size=2 * PAGE_SIZE):
    return file(objref, FILE_KIND['MEMFD'], 0o100777, '/memfd:ring',
                f_flags=f_flags, size=size, obj_ref=obj_ref)


def proc_file(objref=FOWN_REFS['proc'], path='/proc/%d/status' % PID,
              mode=0o100444, pid=PID, size=0, obj_ref=0, f_flags=0o100000):
    return file(objref, FILE_KIND['PROC_PID'], mode, path, f_flags=f_flags,
                size=size, obj_ref=obj_ref, ino=pid, mtime=(0, 0))


GOOD_FOWN = [
    anon_file(FOWN_REFS['eventfd'], FILE_KIND['EVENTFD'], mode=0o600),
    eventfd(),
    fown(),
    memfd_file(),
    shmem(0, 2 * PAGE_SIZE, seals=1),
    pages(0, 1),
    shmem_end(1),
    fown(owner='TID', signum=34, fd=4, flags=0),
    memfd_file(FOWN_REFS['memfd2'], obj_ref=FOWN_REFS['memfd'],
               f_flags=0o100000),
    fown(owner='PGRP', signum=29, fd=5),
    proc_file(),
    proc_file(FOWN_REFS['procdir'], '/proc/%d' % PID, 0o40555,
              f_flags=O_DIRECTORY_LARGEFILE),
]


def fown_records(at=None, new=None, recs=None):
    """GOOD_FOWN (or recs), the record at index at replaced by new (a
    list: inserted)."""
    recs = list(GOOD_FOWN if recs is None else recs)
    if at is not None:
        recs[at:at + 1] = new if isinstance(new, list) else [new]
    return recs


def fowns(recs=None, pgid=PID):
    """An edit: the TREE's task in process group pgid, and recs (by
    default GOOD_FOWN) before the FILES, each FILE among them one more fd
    of the task, from 3."""
    add = unlinked(GOOD_FOWN if recs is None else recs)

    def edit(records):
        records[find(records, 'TREE')] = tree([(PID, PID, 0, 0, pgid)])
        add(records)
    return edit


def fown_listener(extra):
    """A listener of good-tcp, its connection not accepted, then extra."""
    return lambda r: sockets(r, listener=[
        inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=1), *pending(),
        *extra])


# A pty pair (good-pty): its PTY, the INODE_ATTR of its slave's /dev/pts
# node, then the FILEs of its master and of its slave, the task's fds 3
# and 4; an earlier kernel's image has no INODE_ATTR (good-pty-v1)
FILE_KIND.update(PTY_MASTER=16, PTY_SLAVE=17)
PTY_REFS = dict(pty=40, master=41, slave=42)
# ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO...|IEXTEN
TERMIOS = (0o2400, 0o5, 0o277, 0o105073, 38400, 38400)
TERMIOS_CC = bytes([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23,
                    22, 0, 0, 0])


def pty(objref=PTY_REFS['pty'], index=3, flags=0, path='/dev/ptmx',
        winsize=(24, 80, 0, 0)):
    path = path.encode() + b'\0'
    body = struct.pack('<4I4H6I19s5x', objref, index, flags, len(path),
                       *winsize, *TERMIOS, TERMIOS_CC)
    return Record('PTY', pad8(body + path))


def pty_file(side, objref=None, obj_ref=PTY_REFS['pty'], index=3):
    """The FILE of a pty's master ('MASTER') or slave ('SLAVE')."""
    if side == 'MASTER':
        mode, path, rdev = 0o20666, '/dev/ptmx', new_encode_dev(5, 2)
    else:
        mode, path = 0o20620, '/dev/pts/%d' % index
        rdev = new_encode_dev(136, index)
    return file(PTY_REFS[side.lower()] if objref is None else objref,
                FILE_KIND['PTY_' + side], mode, path,
                f_flags=O_RDWR_LARGEFILE, rdev=rdev, obj_ref=obj_ref)


# The slave's node: tty group, mode 0620
PTY_ATTR = inode_attr(gid=5, mode=0o620)
GOOD_PTY = [pty(), PTY_ATTR, pty_file('MASTER'), pty_file('SLAVE')]
GOOD_PTY_V1 = [GOOD_PTY[0], *GOOD_PTY[2:]]
# A container's console (good-pty-orphan): its master was outside the
# tasks (CKPT_PTY_ORPHAN), only the slave /dev/pts/0 is a FILE, fd 3
PTY_ORPHAN = 1 << 2
GOOD_PTY_ORPHAN = [pty(index=0, flags=PTY_ORPHAN), PTY_ATTR,
                   pty_file('SLAVE', index=0)]


# Hung-up terminals (good-tty-hungup): no path, position or object, a
# character device; the first one has an O_ASYNC owner, the task's fds 3
# and 4
FILE_KIND.update(TTY_HUNGUP=23)
HUNGUP_REFS = dict(tty=43, tty2=44)


def hungup_file(objref=HUNGUP_REFS['tty'], mode=0o20620,
                f_flags=O_RDWR_LARGEFILE, pos=0, obj_ref=0, path=b'',
                path_len=None):
    """The FILE of a hung-up terminal, as the kernel writes it: no size,
    mtime, rdev or ino; path (bytes, padded here) and path_len may lie."""
    body = struct.pack('<IIIIQQQIIQIIII', objref, FILE_KIND['TTY_HUNGUP'],
                       f_flags, mode, pos, 0, 0, 0, 0, 0, 0xFFFFFFFF,
                       len(path) if path_len is None else path_len, obj_ref,
                       0)
    return Record('FILE', pad8(body + path))


GOOD_HUNGUP = [hungup_file(), fown(signum=29, fd=3),
               hungup_file(HUNGUP_REFS['tty2'], mode=0o20600,
                           f_flags=0o104000)]


# A frozen cgroup (good-cgroupns-frozen): /svc/web frozen, /svc/empty not
FROZEN_WEB = cgroup(4, 3, 'web', files=[('memory.high', '524288'),
                                        ('memory.oom.group', '1'),
                                        ('cgroup.freeze', '1')])
FROZEN_CGROUPS = [cgroupns(nr=5), *GOOD_CGROUPS[:3], FROZEN_WEB,
                  cgroup(5, 3, 'empty', files=[('cgroup.freeze', '0')])]


def cgroup_namespace(ns=None, after=()):
    """An edit inserting a USERNS, a CGROUPNS and its CGROUPs (or ns, a
    list of records in their place) and a MNTNS with the root MOUNT after
    the TREE, then the records after."""
    ns = cgroup_records() if ns is None else ns
    return insert_after('TREE', [userns(), *ns, mntns(1), GOOD_MOUNTS[0],
                                 *after])


def mount_namespace(mounts=GOOD_MOUNTS, ns=None, edit=None):
    """An edit inserting a USERNS, then a MNTNS and its MOUNTs, after the
    TREE; ns replaces the MNTNS, edit (index, MOUNT) one of the MOUNTs."""
    mounts = list(mounts)
    if edit:
        mounts[edit[0]] = edit[1]
    return insert_after('TREE', [userns(), ns or mntns(len(mounts)),
                                 *mounts])


# Copy-on-write sharing (good-pages-cow): a child, pid PID + 1, forked from
# the good process, whose own MM shares pages of the stack with it
COW_MM = 8
COW_PAGES = VMA_STACK[1] - 2 * PAGE_SIZE


def forked_child(stack=None, cow=None, nr_pages=2, text=None):
    """An edit: the good process and a child with its own MM, which has
    the text VMA (or text), the stack VMA (or stack) forked from the
    good MM, the records cow (a PAGES_COW of the stack's two pages by
    default) and an MM_END of nr_pages."""
    if stack is None:
        stack = vma(*VMA_STACK, kind=1, flags=0xb, cow_mm_ref=REFS['mm'])
    if text is None:
        text = vma(*VMA_TEXT, kind=2, flags=0x5, file_ref=REFS['exe'])
    if cow is None:
        cow = [pages_cow(COW_PAGES, 2, REFS['mm'])]

    def edit(records):
        records[find(records, 'HEADER')] = header(nr_tasks=2)
        records[find(records, 'TREE')] = tree([(PID, PID, 0),
                                               (PID + 1, PID + 1, PID)])
        records += [mm(COW_MM, 2, REFS['exe']), text, stack, *cow,
                    mm_end(nr_pages), task(PID + 1, mm_ref=COW_MM), process(),
                    x86_regs(), x86_xstate(), sigpending(0, []),
                    sigpending(1, [])]
    return edit


def split_stack(records):
    """The good MM's stack in two VMAs, apart where its two pages meet,
    each page in its own PAGES."""
    at = find(records, 'VMA', 1)
    records[find(records, 'MM')] = mm(REFS['mm'], 3, REFS['exe'])
    records[at:at + 1] = [vma(VMA_STACK[0], COW_PAGES + PAGE_SIZE, kind=1,
                              flags=0xb),
                          vma(COW_PAGES + PAGE_SIZE, VMA_STACK[1], kind=1,
                              flags=0x3)]
    records[find(records, 'PAGES'):find(records, 'PAGES') + 1] = [
        pages(COW_PAGES, 1), pages(COW_PAGES + PAGE_SIZE, 1)]


# name: (edit of the records, edit of the trailer, edit of the bytes);
# the names of the variants that are valid images start with "good"
# --- incremental images: CHAIN and PAGES_PARENT ---

REC_OPTIONAL = 1 << 31
CHECKPOINT_KILL, CHECKPOINT_TRACK, CHECKPOINT_INCREMENTAL = 1, 1 << 5, 1 << 6
CHECKPOINT_PREDUMP = 1 << 7
CHECKPOINT_LAZY = 1 << 9
CHAIN_IDS = dict(A=0x1111222233334444, B=0x5555666677778888,
                 C=0x99990000AAAABBBB)


def chain_rec(cid, parent):
    """A CHAIN; optional when the image is complete, as the kernel writes
    it."""
    rtype = REC['CHAIN'] | (0 if parent else REC_OPTIONAL)
    return Record('CHAIN', struct.pack('<QQ', cid, parent), rtype=rtype)


def pages_parent(addr, nr, mm_ref):
    return Record('PAGES_PARENT', struct.pack('<QII', addr, nr, mm_ref))


def pages_file(addr, offset, nr, crc, n, pad=0):
    """A PAGES_FILE: nr pages at addr whose contents are at offset in
    file n (restart(2)'s "pages:n"), of CRC-32C crc."""
    return Record('PAGES_FILE', struct.pack('<QQIIII', addr, offset, nr, crc,
                                            n, pad))


def good_pages_file(at=COW_PAGES, nr=(1, 1), offsets=(0x1000, 0x3000),
                    pad=0, extra=()):
    """An edit: the good image's PAGES of two pages as two PAGES_FILE of
    nr[0] and nr[1] pages, at at and after, in files 0 and 1."""
    def edit(records):
        first = pages_file(at, offsets[0], nr[0], 0x086019ac, 0, pad)
        second = pages_file(at + nr[0] * PAGE_SIZE, offsets[1], nr[1],
                            0x12345678, 1)
        records[find(records, 'PAGES'):find(records, 'PAGES') + 1] = \
            [first, second, *extra]
    return edit


def chain_edit(new_pages):
    """An edit: the good image made incremental (child of image A), its
    PAGES replaced by new_pages."""
    def edit(records):
        records[find(records, 'PAGES')] = new_pages
        records.insert(1, chain_rec(CHAIN_IDS['B'], CHAIN_IDS['A']))
    return edit


VARIANTS = {
    'good': (None, None, None),
    'good-sparse-objrefs': (sparse_refs, None, None),
    'good-shared-memory': (shared_memory, None, None),
    'shmem-pages-beyond-size': (lambda r: shared_memory(
        r, shmem_pages=pages(3 * PAGE_SIZE, 1)), None, None),
    'shmem-vma-names-a-file': (lambda r: shared_memory(
        r, shmem_vma_ref=REFS['exe']), None, None),
    'good-userns': (insert_after('TREE', userns(1, gid=((0, 100000, 1000),
                                                        (1000, 5000, 1)))),
                    None, None),
    'userns-empty-extent': (insert_after('TREE', userns(
        gid=((0, 100000, 0),))), None, None),
    'userns-twice': (insert_after('TREE', [userns(), userns()]), None, None),
    'sysv-shm-without-contents': (lambda r: shared_memory(
        r, sysv_contents=False), None, None),
    'bad-magic': (replace('HEADER', header(magic=0x1122334455667788)),
                  None, None),
    'bad-version': (replace('HEADER', header(
        version=CONST['CKPT_IMAGE_VERSION'] + 1)), None, None),
    'good-format-v2': (format_v2(), None, None),
    'v2-path-shared-whole': (format_v2(tty_shared=11), None, None),
    'v2-path-shared-first': (format_v2(exe_shared=1), None, None),
    'v1-path-shared': (format_v2(version=1, files_version=1), None, None),
    'v2-files-v1-entries': (format_v2(files_version=1), None, None),
    'v2-files-order': (format_v2(fds=[(1, REFS['tty'], 0),
                                      (0, REFS['tty'], 1)]), None, None),
    'good-format-v2-shared': (format_v2(exe_path='/dev/sleeper',
                                        tty_shared=5), None, None),
    'good-format-v2-unshared': (format_v2(tty_shared=0), None, None),
    'v2-path-shared-long': (format_v2(exe_path='/bin/s', tty_shared=8),
                            None, None),
    'v2-files-order-cloexec': (format_v2(fds=[
        (0, REFS['tty'], 0), (0, REFS['tty'], 1)]), None, None),
    'v2-files-ref-zero': (format_v2(files_version=2, fds=[
        (0, REFS['tty'], 0), (1, REFS['tty'], 0), (2, REFS['tty'], 1),
        (3, 0, 0)]), None, None),
    'version-0': (replace('HEADER', header(version=0)), None, None),
    # checkpoint(2)'s CHECKPOINT_VERSION(2) bits are never in the header
    'header-flags-version': (replace('HEADER', header(flags=2 << 24)),
                             None, None),
    'bad-page-size': (replace('HEADER', header(page_size=8192)), None, None),
    'bad-xstate-offset': (replace('HEADER', header(
        offsets=[0, 160, 576, 640] + [0] * 28)), None, None),
    'header-not-first': (swap('HEADER', 'TREE'), None, None),
    'unknown-type': (insert_after('TREE', Record('TREE', b'\0' * 8,
                                                 rtype=99)), None, None),
    'huge-len': (lie_len('CRED', 0x7ffffff8), None, None),
    'unaligned-len': (lie_len('CRED', 13), None, None),
    'short-task': (replace('TASK', Record('TASK', b'\0' * 8)), None, None),
    'crc-mismatch': (None, None, 'flip-page-byte'),
    'bad-objref': (replace('TASK', task(PID, cred_ref=42)), None, None),
    'wrong-kind-ref': (replace('TASK', task(PID, mm_ref=REFS['cred'])),
                       None, None),
    'objref-zero': (replace('CRED', cred(0)), None, None),
    'objref-twice': (replace('FS', fs(REFS['cred'])), None, None),
    'ref-before-definition': (move_after('FILES', 'CRED'), None, None),
    'missing-mm-end': (drop('MM_END'), None, None),
    'mm-end-count': (replace('MM_END', mm_end(3)), None, None),
    'missing-vma': (drop('VMA', 1), None, None),
    'pages-outside-vma': (replace('PAGES', pages(0x500000, 1)), None, None),
    'overlapping-vmas': (replace('VMA', vma(0x400000, 0x402000, 1, 3), 1),
                         None, None),
    'good-pages-cow': (forked_child(cow=[
        pages(COW_PAGES, 1), pages_cow(COW_PAGES + PAGE_SIZE, 1, REFS['mm'])]),
        None, None),
    'good-pages-cow-split': (lambda r: (split_stack(r), forked_child()(r)),
                             None, None),
    'pages-cow-nr-pages-0': (forked_child(
        cow=[pages_cow(COW_PAGES, 0, REFS['mm'])]), None, None),
    'pages-cow-nr-pages-max': (forked_child(
        cow=[pages_cow(COW_PAGES, (1 << 20) + 1, REFS['mm'])]), None, None),
    'pages-cow-len': (forked_child(cow=[Record('PAGES_COW', struct.pack(
        '<QIIQ', COW_PAGES, 2, REFS['mm'], 0))]), None, None),
    'pages-cow-mm-ref-0': (forked_child(cow=[pages_cow(COW_PAGES, 2, 0)]),
                           None, None),
    'pages-cow-own-mm': (forked_child(cow=[pages_cow(COW_PAGES, 2, COW_MM)]),
                         None, None),
    'pages-cow-not-mm': (forked_child(
        cow=[pages_cow(COW_PAGES, 2, REFS['cred'])]), None, None),
    'pages-cow-file-vma': (forked_child(
        cow=[pages_cow(VMA_TEXT[0], 1, REFS['mm'])], nr_pages=1), None, None),
    'pages-cow-outside-vma': (forked_child(
        cow=[pages_cow(0x500000, 1, REFS['mm'])], nr_pages=1), None, None),
    'pages-cow-outside-other-mm': (forked_child(
        stack=vma(VMA_STACK[0] - 16 * PAGE_SIZE, VMA_STACK[1], kind=1,
                  flags=0xb, cow_mm_ref=REFS['mm']),
        cow=[pages_cow(VMA_STACK[0] - PAGE_SIZE, 2, REFS['mm'])]), None, None),
    'pages-cow-unaligned': (forked_child(
        cow=[pages_cow(COW_PAGES + 8, 1, REFS['mm'])], nr_pages=1),
        None, None),
    'pages-cow-then-lower-pages': (forked_child(
        cow=[pages_cow(COW_PAGES + PAGE_SIZE, 1, REFS['mm']),
             pages(COW_PAGES, 1)]), None, None),
    'pages-cow-mm-end-count': (forked_child(nr_pages=1), None, None),
    'pages-cow-in-shmem': (lambda r: shared_memory(
        r, shmem_pages=pages_cow(PAGE_SIZE, 1, REFS['mm'])), None, None),
    'good-x86-vdso': (insert_after('HEADER', [x86_cpuid(), x86_vdso()]),
                      None, None),
    'good-x86-cpuid': (insert_after('HEADER', x86_cpuid()), None, None),
    'x86-vdso-nr-syms-0': (insert_after('HEADER', [x86_cpuid(),
                                                   x86_vdso(syms=[])]),
                           None, None),
    'x86-vdso-name-not-terminated': (insert_after('HEADER', [
        x86_cpuid(), x86_vdso(syms=GOOD_VDSO_SYMS[:1] + [('x' * 32, 0)])]),
        None, None),
    'x86-vdso-name-empty': (insert_after('HEADER', [
        x86_cpuid(), x86_vdso(syms=[('', 0)])]), None, None),
    'x86-vdso-offset': (insert_after('HEADER', [
        x86_cpuid(), x86_vdso(syms=[('__vdso_time', 2 * PAGE_SIZE)])]),
        None, None),
    'x86-vdso-size': (insert_after('HEADER', [
        x86_cpuid(), x86_vdso(size=PAGE_SIZE + 8)]), None, None),
    'x86-vdso-without-cpuid': (insert_after('HEADER', x86_vdso()),
                               None, None),
    'x86-vdso-twice': (insert_after('HEADER', [x86_cpuid(), x86_vdso(),
                                               x86_vdso()]), None, None),
    'vma-cow-not-anon': (forked_child(text=vma(
        *VMA_TEXT, kind=2, flags=0x5, file_ref=REFS['exe'],
        cow_mm_ref=REFS['mm'])), None, None),
    'vma-cow-own-mm': (forked_child(stack=vma(
        *VMA_STACK, kind=1, flags=0xb, cow_mm_ref=COW_MM)), None, None),
    'vma-cow-undefined': (forked_child(stack=vma(
        *VMA_STACK, kind=1, flags=0xb, cow_mm_ref=42)), None, None),
    'vma-cow-not-mm': (forked_child(stack=vma(
        *VMA_STACK, kind=1, flags=0xb, cow_mm_ref=REFS['files'])), None, None),
    'nonzero-pad': (replace('TASK', task(PID, pad=1)), None, None),
    'path-not-terminated': (replace('FILE', file(REFS['exe'], 1, 0o100755,
                                                 '/usr/bin/sleeper',
                                                 terminate=False)),
                            None, None),
    'file-kind-mode': (replace('FILE', file(REFS['exe'], 1, 0o40755,
                                            '/usr')), None, None),
    'relative-cwd': (replace('FS', fs(REFS['fs'], cwd='root')), None, None),
    'tree-count': (replace('TREE', tree([(PID, PID, 0), (PID + 1, PID + 1,
                                                         PID)])),
                   None, None),
    'good-exited-leader': (tasks_of(GOOD_EXITED_TREE), None, None),
    'tree-exited-thread': (tasks_of([(PID, PID, 0), (PID + 1, PID, 0,
                                                     TREE_EXITED)]),
                           None, None),
    'tree-exited-last': (tasks_of([(PID, PID, 0), (PID + 1, PID + 1, PID,
                                                   TREE_EXITED)]),
                         None, None),
    'tree-exited-alone': (tasks_of([(PID, PID, 0, TREE_EXITED)]), None, None),
    'tree-exited-then-child': (tasks_of([
        (PID, PID, 0, TREE_EXITED), (PID + 1, PID + 1, PID),
        (PID + 2, PID, 0)]), None, None),
    'tree-exited-zombie': (tasks_of([
        (PID, PID, 0), (PID + 1, PID + 1, PID, TREE_EXITED | TREE_ZOMBIE),
        (PID + 2, PID + 1, PID)]), None, None),
    'tree-exited-stopped': (tasks_of([(PID, PID, 0,
                                       TREE_EXITED | TREE_STOPPED),
                                      (PID + 1, PID, 0)]), None, None),
    'tree-exited-exit-code': (tasks_of([(PID, PID, 0, TREE_EXITED, 0, 0,
                                         0x10000), (PID + 1, PID, 0)]),
                              None, None),
    'tree-exited-exit-signal': (tasks_of([(PID, PID, 0, TREE_EXITED, 0, 0,
                                           EXIT_42, 17), (PID + 1, PID, 0)]),
                                None, None),
    'tree-exit-code-running': (tasks_of([(PID, PID, 0, 0, 0, 0, EXIT_42),
                                         (PID + 1, PID, 0)]), None, None),
    'cred-len-zero': (replace('CRED', Record('CRED', b'')), None, None),
    'task-pid': (replace('TASK', task(PID + 1)), None, None),
    'sigpending-own-twice': (replace('SIGPENDING', sigpending(0, []), 1), None, None),
    'missing-process': (drop('PROCESS'), None, None),
    'rlimit-soft-above-hard': (replace('PROCESS', process(nofile=(8192, 4096))),
                               None, None),
    'xstate-size': (replace('X86_XSTATE', x86_xstate(576)), None, None),
    'good-tcp': (sockets, None, None),
    'tcp-stream-missing': (lambda r: sockets(r, conn=[]), None, None),
    'tcp-stream-twice': (lambda r: sockets(
        r, conn=[tcp_stream(), tcp_stream()]), None, None),
    'tcp-stream-after-listener': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', INET_BOUND), tcp_stream()]),
        None, None),
    'inet-stream-of-udp': (lambda r: sockets(
        r, listener=[inet_sk('STREAM', INET_BOUND, protocol=17)]),
        None, None),
    'inet-listen-not-bound': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', 0)]), None, None),
    'inet-pending-missing': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=2),
                     *pending()]), None, None),
    'inet-pending-listener': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=1),
                     inet_sk('LISTEN', INET_BOUND)]), None, None),
    'inet-pending-family': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=1),
                     *pending(family=10, dst=[0] * 15 + [3])]), None, None),
    'inet-queued-not-listener': (lambda r: sockets(
        r, listener=[inet_sk('STREAM', INET_BOUND, nr_queued=1),
                     tcp_stream()]), None, None),
    'inet-queued-backlog': (lambda r: sockets(
        r, listener=[inet_sk('LISTEN', INET_BOUND, backlog=0, nr_queued=2),
                     *pending(), *pending()]), None, None),
    'tcp-stream-state': (lambda r: sockets(
        r, conn=[tcp_stream(state='SYN_SENT')]), None, None),
    'tcp-stream-flags': (lambda r: sockets(
        r, conn=[tcp_stream(flags=0x8)]), None, None),
    'tcp-stream-len': (lambda r: sockets(
        r, conn=[tcp_stream(inq=b'hello', inq_len=13)]), None, None),
    'tcp-stream-padding': (lambda r: sockets(
        r, conn=[Record('TCP_STREAM', tcp_stream(inq=b'hello').payload[:-1]
                        + b'\1')]), None, None),
    'tcp-stream-unsent': (lambda r: sockets(
        r, conn=[tcp_stream(outq=b'abc', unsent_len=4)]), None, None),
    'tcp-stream-fin-wait2-outq': (lambda r: sockets(
        r, conn=[tcp_stream(state='FIN_WAIT2', outq=b'abc')]), None, None),
    'tcp-stream-mss': (lambda r: sockets(
        r, conn=[tcp_stream(mss_clamp=65536)]), None, None),
    'tcp-stream-wscale': (lambda r: sockets(
        r, conn=[tcp_stream(wscale=(7, 15))]), None, None),
    'tcp-stream-pad': (lambda r: sockets(
        r, conn=[tcp_stream(pad=1)]), None, None),
    'tcp-stream-max-window': (lambda r: sockets(
        r, conn=[tcp_stream(max_window=65535)]), None, None),
    'tcp-stream-rcv-wnd': (lambda r: sockets(
        r, conn=[tcp_stream(rcv_wnd=1 << 31)]), None, None),
    'good-udp': (udp_sockets, None, None),
    'udp-dgram-missing': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=2),
                   udp_dgram()]), None, None),
    'udp-dgram-unqueued': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17), udp_dgram()]),
        None, None),
    'udp-dgram-after-tcp': (lambda r: sockets(
        r, conn=[tcp_stream(), udp_dgram()]), None, None),
    'udp-dgram-v6-on-v4': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=1),
                   udp_dgram(family=10, saddr=[0] * 15 + [1],
                             daddr=[0] * 15 + [1])]), None, None),
    'udp-dgram-len': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=1),
                   udp_dgram(data=b'x' * 65536)]), None, None),
    'udp-dgram-short': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=1),
                   udp_dgram(length=12)]), None, None),
    'udp-dgram-pad': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=1),
                   udp_dgram(pad=1)]), None, None),
    'udp-dgram-v4-addr': (lambda r: udp_sockets(
        r, dgrams=[inet_sk('CLOSED', 0, protocol=17, nr_queued=1),
                   udp_dgram(saddr=[10, 0, 0, 2, 1])]), None, None),
    'good-netns': (network(), None, None),
    'good-netns-v1': (network(ns=Record('NETNS', struct.pack(
        '<II', NETNS_LO_UP, 0)), devs=[], addrs=[], routes=[]), None, None),
    'netns-v1-pad': (network(ns=Record('NETNS', struct.pack(
        '<II', NETNS_LO_UP, 1)), devs=[], addrs=[], routes=[]), None, None),
    'netns-sysctl-id': (network(ns=netns(sysctls=[(0, 4096), (13, 1)])),
                        None, None),
    'netns-sysctl-twice': (network(ns=netns(sysctls=[(0, 4096), (0, 128)])),
                           None, None),
    'netns-sysctl-range': (network(ns=netns(sysctls=[
        (SYSCTL['IP_DEFAULT_TTL'], 0)])), None, None),
    'netns-port-range': (network(ns=netns(sysctls=[
        (SYSCTL['IP_UNPRIV_PORT_START'], 1024),
        (SYSCTL['IP_LOCAL_PORT_RANGE'], 1000 | 2000 << 16)])), None, None),
    'netns-sysctls-len': (network(ns=netns(nr_sysctls=4)), None, None),
    'netns-too-many-devs': (network(ns=netns(nr_devs=257)), None, None),
    'netdev-missing': (network(ns=netns(nr_devs=3)), None, None),
    'netdev-outside-netns': (insert_after('TREE', GOOD_NETDEVS[0]),
                             None, None),
    'netdev-ifindex-twice': (network(devs=[
        GOOD_NETDEVS[0], netdev(3, 'eth0', 0, 'vethc0',
                                flags=NETDEV_PEER_OUT)]), None, None),
    'netdev-peer-out-index': (network(devs=[
        GOOD_NETDEVS[0], netdev(4, 'eth0', 5, 'vethc0',
                                flags=NETDEV_PEER_OUT)]), None, None),
    'netdev-name': (network(devs=[netdev(2, 'veth:0', 3, 'veth1'),
                                  GOOD_NETDEVS[1]]), None, None),
    'netdev-same-names': (network(devs=[netdev(2, 'veth0', 3, 'veth0'),
                                        GOOD_NETDEVS[1]]), None, None),
    'net-addr-ifindex': (network(addrs=GOOD_NET_ADDRS[:2] + [
        net_addr(9, 2, (10, 0, 1, 2), 24)]), None, None),
    'net-addr-ifindex-zero': (network(addrs=GOOD_NET_ADDRS[:2] + [
        net_addr(0, 2, (10, 0, 1, 2), 24)]), None, None),
    'net-addr-prefix': (network(addrs=GOOD_NET_ADDRS[:2] + [
        net_addr(4, 2, (10, 0, 1, 2), 33)]), None, None),
    'net-addr-v6-label': (network(addrs=GOOD_NET_ADDRS[:2] + [
        net_addr(4, 10, V6_NET[:15] + [3], 64, label='eth0')]), None, None),
    'net-route-before-addr': (network(addrs=GOOD_NET_ADDRS[:2],
                                      routes=[*GOOD_NET_ROUTES,
                                              GOOD_NET_ADDRS[2]]),
                              None, None),
    'net-route-kernel': (network(routes=GOOD_NET_ROUTES[:1] + [
        net_route(protocol=RTPROT_KERNEL)]), None, None),
    'net-route-local-table': (network(routes=GOOD_NET_ROUTES[:1] + [
        net_route(table=RT_TABLE_LOCAL)]), None, None),
    'net-route-type': (network(routes=GOOD_NET_ROUTES[:1] + [
        net_route(rtype=RTN['local'])]), None, None),
    'net-route-oif': (network(routes=GOOD_NET_ROUTES[:1] + [
        net_route(oif=7)]), None, None),
    'net-route-v4-addr': (network(routes=GOOD_NET_ROUTES[:1] + [
        net_route(gateway=(10, 0, 0, 1, 1))]), None, None),
    'good-mntns': (mount_namespace(), None, None),
    'good-mntns-root-only': (mount_namespace(GOOD_MOUNTS[:1]), None, None),
    'good-mntns-before-ipc': (insert_after('TREE', [mntns(1), GOOD_MOUNTS[0],
                                                    ipc_ns()]), None, None),
    'mntns-after-ipc': (insert_after('TREE', [ipc_ns(), mntns(1),
                                              GOOD_MOUNTS[0]]), None, None),
    'mntns-no-mounts': (mount_namespace(ns=mntns(0)), None, None),
    'mntns-too-many-mounts': (mount_namespace(ns=mntns(1025)), None, None),
    'mntns-pad': (mount_namespace(ns=mntns(7, pad=1)), None, None),
    'mntns-before-userns': (insert_after('TREE', [mntns(7), *GOOD_MOUNTS,
                                                  userns()]), None, None),
    'mntns-twice': (insert_after('TREE', [mntns(1), GOOD_MOUNTS[0],
                                          mntns(1), GOOD_MOUNTS[0]]),
                    None, None),
    'good-cgroupns': (cgroup_namespace(after=[ipc_ns()]), None, None),
    'good-cgroupns-only': (insert_after('TREE', [cgroupns(), cgroup(
        1, 0, '', pids=[PID])]), None, None),
    'good-cgroupns-zombie': (with_zombie(cgroup_namespace()), None, None),
    'good-cgroupns-deep': (cgroup_namespace([cgroupns(nr=len(DEEP_CGROUPS)),
                                             *DEEP_CGROUPS]), None, None),
    'cgroupns-flags': (cgroup_namespace([cgroupns(flags=1)]), None, None),
    'cgroupns-nr-zero': (cgroup_namespace([cgroupns(nr=0)]), None, None),
    'cgroupns-nr-too-many': (cgroup_namespace([cgroupns(nr=1025)]),
                             None, None),
    'cgroupns-len': (cgroup_namespace([Record('CGROUPNS', b'\0' * 16)]),
                     None, None),
    'cgroupns-short': (cgroup_namespace([Record('CGROUPNS', b'')]),
                       None, None),
    'cgroupns-twice': (cgroup_namespace(cgroup_records() * 2), None, None),
    'cgroupns-before-userns': (insert_after('TREE', [*cgroup_records(),
                                                     userns()]), None, None),
    'cgroupns-after-mntns': (cgroup_namespace([], after=[cgroupns()]),
                             None, None),
    'cgroupns-after-ipc': (insert_after('TREE', [ipc_ns(), cgroupns()]),
                           None, None),
    'cgroupns-after-task': (lambda r: r.append(cgroupns()), None, None),
    'cgroup-missing': (cgroup_namespace(cgroup_records(nr=6)), None, None),
    'cgroup-extra': (cgroup_namespace(cgroup_records(nr=4)), None, None),
    'cgroup-outside-cgroupns': (insert_after('TREE', GOOD_CGROUPS[0]),
                                None, None),
    'cgroup-id-rank': (cgroup_namespace(cgroup_records(2, cgroup(
        4, 1, 'svc'))), None, None),
    'cgroup-root-parent': (cgroup_namespace(cgroup_records(0, cgroup(
        1, 1, ''))), None, None),
    'cgroup-parent-later': (cgroup_namespace(cgroup_records(3, cgroup(
        4, 4, 'web'))), None, None),
    'cgroup-parent-zero': (cgroup_namespace(cgroup_records(3, cgroup(
        4, 0, 'web'))), None, None),
    'cgroup-pad': (cgroup_namespace(cgroup_records(2, cgroup(
        3, 1, 'svc', pad=1))), None, None),
    'cgroup-root-name': (cgroup_namespace(cgroup_records(0, cgroup(
        1, 0, 'root'))), None, None),
    'cgroup-name-empty': (cgroup_namespace(cgroup_records(2, cgroup(
        3, 1, ''))), None, None),
    'cgroup-name-slash': (cgroup_namespace(cgroup_records(2, cgroup(
        3, 1, 'a/b'))), None, None),
    'cgroup-name-dotdot': (cgroup_namespace(cgroup_records(2, cgroup(
        3, 1, '..'))), None, None),
    'cgroup-name-len-zero': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', lens=dict(name=0)))), None, None),
    'cgroup-name-too-long': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'x' * 256))), None, None),
    'cgroup-name-not-terminated': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', lens=dict(name=5)))), None, None),
    'cgroup-past-len': (cgroup_namespace(cgroup_records(2, cgroup(
        3, 1, 'svc', files=GOOD_CGROUP_SVC_FILES, lens=dict(files=200)))),
        None, None),
    'cgroup-files-too-long': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', lens=dict(files=16385)))), None, None),
    'cgroup-procs-too-many': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', lens=dict(procs=2)))), None, None),
    'cgroup-files-not-terminated': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=b'memory.max\0max'))), None, None),
    'cgroup-file-no-value': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=b'memory.max\0'))), None, None),
    'cgroup-file-unknown': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=[('memory.current', '0')]))), None, None),
    'cgroup-file-type': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=[('cgroup.type', 'domain')]))), None, None),
    'cgroup-file-value-newline': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=[('memory.max', '1\n2')]))), None, None),
    'cgroup-file-value-too-long': (cgroup_namespace(cgroup_records(
        4, cgroup(5, 3, 'empty', files=[('memory.max', '1' * 4096)]))),
        None, None),
    'cgroup-pid-unknown': (cgroup_namespace(cgroup_records(1, cgroup(
        2, 1, 'init', pids=[PID + 1]))), None, None),
    'cgroup-pid-twice': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', pids=[PID]))), None, None),
    'cgroup-pid-zombie': (with_zombie(cgroup_namespace(cgroup_records(
        4, cgroup(5, 3, 'empty', pids=[PID + 1])))), None, None),
    'cgroup-process-missing': (cgroup_namespace(cgroup_records(1, cgroup(
        2, 1, 'init'))), None, None),
    'good-cgroupns-frozen': (cgroup_namespace(FROZEN_CGROUPS), None, None),
    'cgroup-freeze-value': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=[('cgroup.freeze', 'frozen')]))), None, None),
    'cgroup-freeze-newline': (cgroup_namespace(cgroup_records(4, cgroup(
        5, 3, 'empty', files=[('cgroup.freeze', '1\n')]))), None, None),
    'mount-outside-mntns': (insert_after('TREE', GOOD_MOUNTS[0]), None, None),
    'mount-missing': (mount_namespace(ns=mntns(8)), None, None),
    'mount-strings-past-len': (mount_namespace(edit=(1, proc_mount(
        lens=dict(options=200)))), None, None),
    'mount-string-not-terminated': (mount_namespace(edit=(1, proc_mount(
        lens=dict(mountpoint=4, root=4)))), None, None),
    'mount-options-too-long': (mount_namespace(edit=(1, proc_mount(
        options='hidepid=2,' * 103))), None, None),
    'mount-pad': (mount_namespace(edit=(1, proc_mount(pad=1))), None, None),
    'mount-id-rank': (mount_namespace(edit=(1, proc_mount(mid=3))),
                      None, None),
    'mount-root-parent': (mount_namespace(edit=(0, mount(
        1, 1, 'EXTERNAL', '/'))), None, None),
    'mount-root-not-external': (mount_namespace(edit=(0, mount(
        1, 0, 'NEW', '/', source='tmpfs', fstype='tmpfs'))), None, None),
    'mount-parent-later': (mount_namespace(edit=(1, proc_mount(parent=2))),
                           None, None),
    'mount-root-mountpoint': (mount_namespace(edit=(0, mount(
        1, 0, 'EXTERNAL', '/root'))), None, None),
    'mount-relative-mountpoint': (mount_namespace(edit=(1, proc_mount(
        mountpoint='proc'))), None, None),
    'mount-dotdot': (mount_namespace(edit=(4, mount(
        5, 3, 'BIND', '/cache', root='/cache/..', source_id=3))), None, None),
    'mount-kind': (mount_namespace(edit=(1, proc_mount(kind=4))), None, None),
    'mount-new-fstype': (mount_namespace(edit=(1, proc_mount(
        fstype='ext4'))), None, None),
    'mount-fstype-padding': (mount_namespace(edit=(1, proc_mount(
        fstype='proc\0x'))), None, None),
    'mount-bind-source-later': (mount_namespace(edit=(4, mount(
        5, 3, 'BIND', '/cache', source_id=5))), None, None),
    'mount-source-not-bind': (mount_namespace(edit=(1, proc_mount(
        source_id=1))), None, None),
    'mount-flags': (mount_namespace(edit=(1, proc_mount(flags=0x200))),
                    None, None),
    'mount-atime': (mount_namespace(edit=(1, proc_mount(
        flags=MNT['NOATIME'] | MNT['RELATIME']))), None, None),
    'mount-shared-no-group': (mount_namespace(edit=(1, proc_mount(
        propagation=MNT_SHARED))), None, None),
    'mount-master-not-slave': (mount_namespace(edit=(1, proc_mount(
        master=1))), None, None),
    'mount-peer-group-range': (mount_namespace(edit=(1, proc_mount(
        propagation=MNT_SHARED, peer_group=8))), None, None),
    'mount-own-master': (mount_namespace(edit=(5, mount(
        6, 1, 'BIND', '/run/pts', fstype='devpts', source_id=4,
        propagation=MNT_SHARED | MNT_SLAVE, peer_group=2, master=2))),
        None, None),
    'mount-shared-unbindable': (mount_namespace(edit=(1, proc_mount(
        propagation=MNT_SHARED | MNT_UNBINDABLE, peer_group=2))),
        None, None),
    'mount-joins-group-unbound': (mount_namespace(edit=(1, proc_mount(
        propagation=MNT_SHARED, peer_group=1))), None, None),
    'mount-slave-unbound': (mount_namespace(edit=(5, mount(
        6, 1, 'BIND', '/run/pts', fstype='xfs', source_id=3,
        propagation=MNT_SLAVE, master=2))), None, None),
    'good-tmpfs': (tmpfs_namespace(), None, None),
    'good-tmpfs-no-ipc': (tmpfs_namespace(ipc=[]), None, None),
    'tmpfs-without-mntns': (insert_after('TREE', [tmpfs(1), TMPFS_ROOT]),
                            None, None),
    'tmpfs-missing': (tmpfs_namespace(blocks=[tmpfs(8), TMPFS_ROOT]),
                      None, None),
    'tmpfs-not-a-tmpfs': (tmpfs_namespace(blocks=[
        tmpfs(2), TMPFS_ROOT, tmpfs(9), TMPFS_ROOT]), None, None),
    'tmpfs-mount-out-of-range': (tmpfs_namespace(blocks=[
        tmpfs(10), TMPFS_ROOT, tmpfs(9), TMPFS_ROOT]), None, None),
    'tmpfs-out-of-order': (tmpfs_namespace(blocks=[
        tmpfs(9), TMPFS_ROOT, tmpfs(8), TMPFS_ROOT]), None, None),
    'tmpfs-twice': (tmpfs_namespace(blocks=[
        tmpfs(8), TMPFS_ROOT, tmpfs(8), TMPFS_ROOT]), None, None),
    'tmpfs-pad': (tmpfs_namespace(blocks=[
        tmpfs(8, pad=1), TMPFS_ROOT, tmpfs(9), TMPFS_ROOT]), None, None),
    'tmpfs-before-ipc': (tmpfs_namespace(ipc=[], after=[ipc_ns()]),
                         None, None),
    'tmpfs-before-segment': (tmpfs_namespace(
        ipc=[ipc_ns(nr_shm=1)], after=ipc_segment()[1:]), None, None),
    'mntns-after-tmpfs': (tmpfs_namespace(after=[mntns(1), GOOD_MOUNTS[0]]),
                          None, None),
    'tmpfs-no-root': (tmpfs_namespace(blocks=[
        tmpfs(8), tmpfs(9), TMPFS_ROOT]), None, None),
    'tmpfs-root-not-first': (tmpfs_namespace(tmpfs_nodes(0, [
        GOOD_TMPFS_NODES[1], TMPFS_ROOT])), None, None),
    'tmpfs-root-twice': (tmpfs_namespace(tmpfs_nodes(extra=[TMPFS_ROOT])),
                         None, None),
    'tmpfs-root-not-dir': (tmpfs_namespace(tmpfs_nodes(0, tmpfs_node(
        '/', 'REG'))), None, None),
    'tmpfs-root-link': (tmpfs_namespace(tmpfs_nodes(0, tmpfs_node(
        '/', link=1, target='/'))), None, None),
    'tmpfs-dotdot': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/dir/../x', 'FIFO')])), None, None),
    'tmpfs-dot': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/./x', 'FIFO')])), None, None),
    'tmpfs-empty-component': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/dir//x', 'FIFO')])), None, None),
    'tmpfs-trailing-slash': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/dir/', 'FIFO')])), None, None),
    'tmpfs-relative-path': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        'x', 'FIFO')])), None, None),
    'tmpfs-node-truncated': (tmpfs_namespace(tmpfs_nodes(extra=[Record(
        'TMPFS_NODE', tmpfs_node('/x', 'FIFO').payload[:56])])), None, None),
    'tmpfs-node-strings-past-len': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/x', 'FIFO', lens=dict(path=100))])), None, None),
    'tmpfs-path-not-terminated': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/ab', 'FIFO', lens=dict(path=3))])), None, None),
    'tmpfs-path-len-zero': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('', 'FIFO', lens=dict(path=0))])), None, None),
    'tmpfs-target-too-long': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/x', 'LNK', target='y', lens=dict(target=4097))])),
        None, None),
    'tmpfs-node-pad': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/x', 'FIFO', pad=1)])), None, None),
    'tmpfs-mode-bits': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/x', 0o210000, 0o600)])), None, None),
    'tmpfs-socket': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/x', 'SOCK', 0o755)])), None, None),
    'tmpfs-symlink-no-target': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/x', 'LNK', 0o777)])), None, None),
    'tmpfs-fifo-target': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/x', 'FIFO', target='/y')])), None, None),
    'tmpfs-target-not-terminated': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_node('/x', 'LNK', 0o777, target='abc', lens=dict(target=3))])),
        None, None),
    'tmpfs-dir-size': (tmpfs_namespace(tmpfs_nodes('/dir', tmpfs_node(
        '/dir', size=4096))), None, None),
    'tmpfs-size-range': (tmpfs_namespace(tmpfs_nodes('/file', tmpfs_node(
        '/file', 'REG', 0o644, size=1 << 63))), None, None),
    'tmpfs-fifo-rdev': (tmpfs_namespace(tmpfs_nodes('/fifo', tmpfs_node(
        '/fifo', 'FIFO', 0o600, rdev=new_encode_dev(1, 3)))), None, None),
    'tmpfs-atime-nsec': (tmpfs_namespace(tmpfs_nodes('/fifo', tmpfs_node(
        '/fifo', 'FIFO', 0o600, atime=(0, 10**9)))), None, None),
    'tmpfs-mtime-nsec': (tmpfs_namespace(tmpfs_nodes('/fifo', tmpfs_node(
        '/fifo', 'FIFO', 0o600, mtime=(0, 2**32 - 1)))), None, None),
    'tmpfs-link-2': (tmpfs_namespace(tmpfs_nodes('/dir/hard', tmpfs_node(
        '/dir/hard', 'REG', 0o644, link=2, target='/file'))), None, None),
    'tmpfs-link-dir': (tmpfs_namespace(tmpfs_nodes(extra=[tmpfs_node(
        '/dir2', link=1, target='/dir')])), None, None),
    'tmpfs-link-no-target': (tmpfs_namespace(tmpfs_nodes(
        '/dir/hard', tmpfs_node('/dir/hard', 'REG', 0o644, link=1))),
        None, None),
    'tmpfs-link-relative': (tmpfs_namespace(tmpfs_nodes(
        '/dir/hard', tmpfs_node('/dir/hard', 'REG', 0o644, link=1,
                                target='file'))), None, None),
    'tmpfs-link-dotdot': (tmpfs_namespace(tmpfs_nodes('/dir/hard', tmpfs_node(
        '/dir/hard', 'REG', 0o644, link=1, target='/dir/../file'))),
        None, None),
    'tmpfs-link-root': (tmpfs_namespace(tmpfs_nodes('/dir/hard', tmpfs_node(
        '/dir/hard', 'REG', 0o644, link=1, target='/'))), None, None),
    'tmpfs-link-size': (tmpfs_namespace(tmpfs_nodes('/dir/hard', tmpfs_node(
        '/dir/hard', 'REG', 0o644, size=10000, link=1, target='/file'))),
        None, None),
    'tmpfs-data-beyond-size': (tmpfs_namespace(tmpfs_nodes(5, file_data(
        9999, b'xy'))), None, None),
    'tmpfs-data-backwards': (tmpfs_namespace(tmpfs_nodes(5, [
        file_data(8192, b'tail'), file_data(0, b'h')])), None, None),
    'tmpfs-data-after-dir': (tmpfs_namespace(tmpfs_nodes('/dir', [
        GOOD_TMPFS_NODES[1], file_data(0, b'x')])), None, None),
    'tmpfs-data-after-link': (tmpfs_namespace(tmpfs_nodes(extra=[
        file_data(0, b'x')])), None, None),
    'tmpfs-xattr-after-link': (tmpfs_namespace(tmpfs_nodes(extra=[
        tmpfs_xattr('user.x', b'1')])), None, None),
    'tmpfs-data-after-xattr': (tmpfs_namespace(tmpfs_nodes(6, [
        GOOD_TMPFS_NODES[6], file_data(9000, b'z')])), None, None),
    'good-tmpfs-posix-acl': (tmpfs_namespace(tmpfs_nodes(7, [
        GOOD_TMPFS_NODES[7], acl_xattr(FILE_ACL)])), None, None),
    'good-tmpfs-posix-acl-default': (tmpfs_namespace(tmpfs_nodes(2, [
        GOOD_TMPFS_NODES[2], acl_xattr(DIR_ACL),
        acl_xattr(DIR_DEFAULT_ACL, default=True)])), None, None),
    'good-tmpfs-posix-acl-fifo': (tmpfs_namespace(tmpfs_nodes('/fifo', [
        GOOD_TMPFS_NODES[8], acl_xattr(FIFO_ACL)])), None, None),
    'tmpfs-xattr-posix-acl-version': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr(FILE_ACL, version=1))), None, None),
    'tmpfs-xattr-posix-acl-size': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr(FILE_ACL, extra=b'\0' * 4))), None, None),
    'tmpfs-xattr-posix-acl-header-only': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr([]))), None, None),
    'tmpfs-xattr-posix-acl-short': (tmpfs_namespace(tmpfs_nodes(
        2, tmpfs_xattr(ACL_ACCESS, b'\2\0'))), None, None),
    'tmpfs-xattr-posix-acl-tag': (tmpfs_namespace(tmpfs_nodes(2, acl_xattr(
        FILE_ACL[:4] + [(0x40, 4, 7)] + FILE_ACL[4:]))), None, None),
    'tmpfs-xattr-posix-acl-perm': (tmpfs_namespace(tmpfs_nodes(2, acl_xattr(
        FILE_ACL[:4] + [('OTHER', 0o10)]))), None, None),
    'tmpfs-xattr-posix-acl-user-id': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr([FILE_ACL[0], ('USER', 4)] + FILE_ACL[2:]))),
        None, None),
    'tmpfs-xattr-posix-acl-no-mask': (tmpfs_namespace(tmpfs_nodes(2, acl_xattr(
        FILE_ACL[:3] + FILE_ACL[4:]))), None, None),
    'tmpfs-xattr-posix-acl-no-user-obj': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr(MINIMAL_ACL[1:]))), None, None),
    'tmpfs-xattr-posix-acl-no-group-obj': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr([MINIMAL_ACL[0], MINIMAL_ACL[2]]))), None, None),
    'tmpfs-xattr-posix-acl-no-other': (tmpfs_namespace(tmpfs_nodes(
        2, acl_xattr(FILE_ACL[:4]))), None, None),
    'tmpfs-xattr-posix-acl-twice': (tmpfs_namespace(tmpfs_nodes(2, acl_xattr(
        FILE_ACL[:3] + FILE_ACL[2:]))), None, None),
    'tmpfs-xattr-posix-acl-order': (tmpfs_namespace(tmpfs_nodes(2, acl_xattr(
        [FILE_ACL[0], FILE_ACL[2], FILE_ACL[1]] + FILE_ACL[3:]))),
        None, None),
    'tmpfs-xattr-posix-acl-default-on-file': (tmpfs_namespace(tmpfs_nodes(
        6, acl_xattr(MINIMAL_ACL, default=True))), None, None),
    'tmpfs-xattr-posix-acl-default-on-fifo': (tmpfs_namespace(tmpfs_nodes(
        '/fifo', [GOOD_TMPFS_NODES[8], acl_xattr(MINIMAL_ACL, default=True)])),
        None, None),
    'tmpfs-xattr-posix-acl-symlink': (tmpfs_namespace(tmpfs_nodes(
        '/dir/link', [GOOD_TMPFS_NODES[11], acl_xattr(MINIMAL_ACL)])),
        None, None),
    'tmpfs-xattr-name-len': (tmpfs_namespace(tmpfs_nodes(2, tmpfs_xattr(
        '', b'y'))), None, None),
    'tmpfs-xattr-name-not-terminated': (tmpfs_namespace(tmpfs_nodes(
        2, tmpfs_xattr('user.ab', b'', lens=dict(name=7)))), None, None),
    'tmpfs-xattr-value-too-long': (tmpfs_namespace(tmpfs_nodes(
        2, tmpfs_xattr('user.ab', b'', lens=dict(value=65537)))),
        None, None),
    'tmpfs-xattr-past-len': (tmpfs_namespace(tmpfs_nodes(2, tmpfs_xattr(
        'user.ab', b'xyz', lens=dict(value=100)))), None, None),
    'tmpfs-xattr-pad': (tmpfs_namespace(tmpfs_nodes(2, tmpfs_xattr(
        'user.ab', b'xyz', pad=1))), None, None),
    'tmpfs-data-pad': (tmpfs_namespace(tmpfs_nodes(5, file_data(
        8192, b'tail', pad=1))), None, None),
    'good-mqueue': (mqueue_namespace(), None, None),
    'good-mqueue-only': (mqueue_namespace(ipc=[ipc_ns(), *mq_records()]),
                         None, None),
    'good-mqueue-empty-ns': (mqueue_namespace(ipc=[ipc_ns(), mq_ns(0)],
                                              open_file=None), None, None),
    'good-mqueue-notify-none': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, notify_pid=PID, notify=SIGEV['NONE'], signo=5,
        value=7))), None, None),
    'good-mqueue-tmpfs': (tmpfs_namespace(ipc=[*ipc_segment(),
                                               *mq_records()]), None, None),
    'good-mqueue-file-no-ipc': (mqueue_namespace(ipc=[], open_file=mq_file(
        '/elsewhere', f_flags=0)), None, None),
    'mq-ns-without-ipc': (mqueue_namespace(ipc=mq_records()), None, None),
    'mq-ns-before-sysv': (mqueue_namespace(ipc=[
        ipc_ns(nr_msg=1), *mq_records(), msg_queue(3, 0, 0)]), None, None),
    'mq-ns-twice': (mqueue_namespace(ipc=[ipc_ns(), mq_ns(0), mq_ns(0)],
                                     open_file=None), None, None),
    'mq-ns-after-tmpfs': (tmpfs_namespace(ipc=ipc_segment(),
                                          after=mq_records()), None, None),
    'mq-ns-nr-queues': (mqueue_namespace(ns=mq_ns(4097)), None, None),
    'mq-ns-queues-max': (mqueue_namespace(ns=mq_ns(queues_max=1 << 31)),
                         None, None),
    'mq-ns-msg-max-zero': (mqueue_namespace(ns=mq_ns(msg_max=0)), None, None),
    'mq-ns-msg-default': (mqueue_namespace(ns=mq_ns(msg_default=65537)),
                          None, None),
    'mq-ns-msgsize-max': (mqueue_namespace(ns=mq_ns(msgsize_max=127)),
                          None, None),
    'mq-ns-msgsize-default': (mqueue_namespace(ns=mq_ns(
        msgsize_default=(16 << 20) + 1)), None, None),
    'mq-ns-truncated': (mqueue_namespace(ns=Record(
        'MQ_NS', mq_ns().payload[:16])), None, None),
    'mq-ns-len': (mqueue_namespace(ns=Record(
        'MQ_NS', mq_ns().payload + b'\0' * 8)), None, None),
    'mqueue-missing': (mqueue_namespace(ns=mq_ns(3)), None, None),
    'mqueue-extra': (mqueue_namespace(ns=mq_ns(1)), None, None),
    'mqueue-outside-mq-ns': (mqueue_namespace(ipc=[ipc_ns(), *GOOD_MQUEUES]),
                             None, None),
    'mqueue-truncated': (mqueue_namespace(mq_queues(0, Record(
        'MQUEUE', GOOD_MQUEUES[0].payload[:56]))), None, None),
    'mqueue-cut': (mqueue_namespace(), None, 'cut-mqueue'),
    'mqueue-name-past-len': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, name_len=100))), None, None),
    'mqueue-name-len-zero': (mqueue_namespace(mq_queues(5, mqueue(
        '', curmsgs=1, maxmsg=1, name_len=0))), None, None),
    'mqueue-name-empty': (mqueue_namespace(mq_queues(5, mqueue(
        '', curmsgs=1, maxmsg=1))), None, None),
    'mqueue-name-too-long': (mqueue_namespace(mq_queues(5, mqueue(
        'x' * 256, curmsgs=1, maxmsg=1))), None, None),
    'mqueue-name-not-terminated': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, name_len=5))), None, None),
    'mqueue-name-slash': (mqueue_namespace(mq_queues(5, mqueue(
        'log/1', curmsgs=1, maxmsg=1))), None, None),
    'mqueue-name-dotdot': (mqueue_namespace(mq_queues(5, mqueue(
        '..', curmsgs=1, maxmsg=1))), None, None),
    'mqueue-name-twice': (mqueue_namespace(mq_queues(5, mqueue(
        'jobs', curmsgs=1, maxmsg=1))), None, None),
    'mqueue-mode': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, mode=0o1600))), None, None),
    'mqueue-pad': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, pad=1))), None, None),
    'mqueue-uid': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, uid=0xFFFFFFFF))), None, None),
    'mqueue-maxmsg-zero': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=0, maxmsg=0))), None, None),
    'mqueue-maxmsg-too-big': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=65537))), None, None),
    'mqueue-msgsize-too-big': (mqueue_namespace(mq_queues(5, mqueue(
        'log.1', curmsgs=1, maxmsg=1, msgsize=(16 << 20) + 1))), None, None),
    'mqueue-curmsgs-above-maxmsg': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, maxmsg=3))), None, None),
    'mqueue-notify-thread': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, notify_pid=PID, notify=SIGEV['THREAD']))),
        None, None),
    'mqueue-notify-signo': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, notify_pid=PID, notify=SIGEV['SIGNAL'],
        signo=65))), None, None),
    'mqueue-notify-without-pid': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, notify=SIGEV['NONE']))), None, None),
    'mqueue-notify-pid-unknown': (mqueue_namespace(mq_queues(0, mqueue(
        'jobs', curmsgs=4, notify_pid=PID + 7, notify=SIGEV['SIGNAL'],
        signo=SIGUSR2))), None, None),
    'mqueue-notify-pid-zombie': (with_zombie(mqueue_namespace(mq_queues(
        0, mqueue('jobs', curmsgs=4, notify_pid=PID + 1,
                  notify=SIGEV['SIGNAL'], signo=SIGUSR2)))), None, None),
    'mq-msg-priority': (mqueue_namespace(mq_queues(1, msg(32768, b'urgent'))),
                        None, None),
    'mq-msg-too-long': (mqueue_namespace(mq_queues(6, msg(3, b'x' * 1025))),
                        None, None),
    'mq-msg-len': (mqueue_namespace(mq_queues(2, msg(7, b'first of 7',
                                                     length=100))),
                   None, None),
    'mq-msg-padding': (mqueue_namespace(mq_queues(2, Record(
        'MSG', msg(7, b'first of 7').payload[:-1] + b'\1'))), None, None),
    'mq-msg-missing': (mqueue_namespace(mq_queues(4, [])), None, None),
    'mq-msg-extra': (mqueue_namespace(mq_queues(
        4, [msg(0, b''), msg(0, b'more')])), None, None),
    'file-mqueue-path': (mqueue_namespace(open_file=mq_file('/jobs/x')),
                         None, None),
    'file-mqueue-path-dot': (mqueue_namespace(open_file=mq_file('/.')),
                             None, None),
    'file-mqueue-path-too-long': (mqueue_namespace(ipc=[], open_file=mq_file(
        '/' + 'q' * 256)), None, None),
    'file-mqueue-unknown': (mqueue_namespace(open_file=mq_file('/nosuch')),
                            None, None),
    'file-mqueue-no-mq-ns': (mqueue_namespace(ipc=[ipc_ns()]), None, None),
    'file-mqueue-flags': (mqueue_namespace(open_file=mq_file(
        f_flags=0o2002)), None, None),
    'file-mqueue-accmode': (mqueue_namespace(open_file=mq_file(f_flags=3)),
                            None, None),
    'file-mqueue-mode': (mqueue_namespace(open_file=mq_file(mode=0o40755)),
                         None, None),
    'good-unlinked': (unlinked(), None, None),
    'good-unlinked-v1': (unlinked(GOOD_UNLINKED_V1), None, None),
    'good-unlinked-empty': (unlinked([unlinked_file(size=0), inode_attr(
        0, 0, (0, 0), (0, 0)), tmpfs_xattr('user.x', b'')]), None, None),
    'good-unlinked-no-xattr': (unlinked(GOOD_UNLINKED[:4]), None, None),
    'good-unlinked-attr-v1': (unlinked(unlinked_records(1, inode_attr(
        v1=True))), None, None),
    'good-unlinked-posix-acl': (unlinked(unlinked_records(5, [
        GOOD_UNLINKED[5], acl_xattr(FILE_ACL)])), None, None),
    'inode-attr-uid': (unlinked(unlinked_records(1, inode_attr(
        uid=0xFFFFFFFF))), None, None),
    'inode-attr-gid': (unlinked(unlinked_records(1, inode_attr(
        gid=0xFFFFFFFF))), None, None),
    'inode-attr-atime-nsec': (unlinked(unlinked_records(1, inode_attr(
        atime=(1700000000, 10**9)))), None, None),
    'inode-attr-mtime-nsec': (unlinked(unlinked_records(1, inode_attr(
        mtime=(1700000100, 2**32 - 1)))), None, None),
    'inode-attr-atime-negative': (unlinked(unlinked_records(1, inode_attr(
        atime=(-1, 0)))), None, None),
    'inode-attr-mtime-negative': (unlinked(unlinked_records(1, inode_attr(
        mtime=(-2**63, 0)))), None, None),
    'inode-attr-truncated': (unlinked(unlinked_records(1, Record(
        'INODE_ATTR', inode_attr().payload[:24]))), None, None),
    'inode-attr-len': (unlinked(unlinked_records(1, Record(
        'INODE_ATTR', inode_attr().payload + b'\0' * 8))), None, None),
    'inode-attr-cut': (unlinked(), None, 'cut-inode-attr'),
    'inode-attr-mode': (unlinked(unlinked_records(1, inode_attr(
        mode=0o100640))), None, None),
    'inode-attr-pad': (unlinked(unlinked_records(1, inode_attr(pad=1))),
                       None, None),
    'inode-attr-after-reg': (unlinked(unlinked_records(0, unlinked_file(
        kind='REG'))), None, None),
    'inode-attr-after-other-file': (unlinked(unlinked_records(
        extra_at_end=[inode_attr()])), None, None),
    'inode-attr-after-data': (unlinked(unlinked_records(
        recs=GOOD_UNLINKED_V1, at=2, new=[inode_attr(), GOOD_UNLINKED_V1[2]])),
        None, None),
    'inode-attr-twice': (unlinked(unlinked_records(1, [inode_attr(),
                                                       inode_attr()])),
                         None, None),
    'inode-attr-outside-task': (insert_after('TREE', inode_attr()),
                                None, None),
    'unlinked-xattr-without-attr': (unlinked(unlinked_records(
        recs=GOOD_UNLINKED_V1, at=3, new=[tmpfs_xattr('user.color', b'blue'),
                                         GOOD_UNLINKED_V1[3]])),
        None, None),
    'unlinked-xattr-after-other-file': (unlinked(unlinked_records(
        extra_at_end=[tmpfs_xattr('user.color', b'blue')])), None, None),
    'unlinked-data-after-xattr': (unlinked(unlinked_records(5, [
        GOOD_UNLINKED[5], file_data(9000, b'z')])), None, None),
    'unlinked-data-beyond-size': (unlinked(unlinked_records(3, file_data(
        9999, b'xy'))), None, None),
    'unlinked-xattr-name-not-terminated': (unlinked(unlinked_records(
        4, tmpfs_xattr('user.ab', b'', lens=dict(name=7)))), None, None),
    'unlinked-xattr-posix-acl-default': (unlinked(unlinked_records(
        4, acl_xattr(MINIMAL_ACL, default=True))), None, None),
    'unlinked-xattr-posix-acl-no-mask': (unlinked(unlinked_records(
        4, acl_xattr(FILE_ACL[:3] + FILE_ACL[4:]))), None, None),
    'good-pty': (unlinked(GOOD_PTY), None, None),
    'good-pty-v1': (unlinked(GOOD_PTY_V1), None, None),
    'good-pty-orphan': (unlinked(GOOD_PTY_ORPHAN), None, None),
    'pty-inode-attr-after-file': (unlinked([GOOD_PTY[0], GOOD_PTY[2],
                                            PTY_ATTR, GOOD_PTY[3]]),
                                  None, None),
    'pty-inode-attr-twice': (unlinked([GOOD_PTY[0], PTY_ATTR, PTY_ATTR,
                                       *GOOD_PTY[2:]]), None, None),
    'pty-inode-attr-mode': (unlinked([GOOD_PTY[0], inode_attr(
        gid=5, mode=0o20620), *GOOD_PTY[2:]]), None, None),
    'pty-xattr-after-inode-attr': (unlinked([*GOOD_PTY[:2], tmpfs_xattr(
        'user.color', b'blue'), *GOOD_PTY[2:]]), None, None),
    'pty-data-after-inode-attr': (unlinked([*GOOD_PTY[:2], file_data(
        0, b'x'), *GOOD_PTY[2:]]), None, None),
    'pty-inode-attr-v1': (unlinked([GOOD_PTY[0], inode_attr(
        gid=5, v1=True), *GOOD_PTY[2:]]), None, None),
    'good-tty-hungup': (unlinked(GOOD_HUNGUP), None, None),
    'tty-hungup-path': (unlinked([hungup_file(path=b'/dev/pts/3\0')]),
                        None, None),
    'tty-hungup-path-len': (unlinked([hungup_file(path_len=11)]), None, None),
    'tty-hungup-trailing': (unlinked([hungup_file(path=b'\0' * 8,
                                                  path_len=0)]), None, None),
    'tty-hungup-mode': (unlinked([hungup_file(mode=0o100620)]), None, None),
    'tty-hungup-pos': (unlinked([hungup_file(pos=5)]), None, None),
    'tty-hungup-obj-ref': (unlinked([hungup_file(obj_ref=REFS['tty'])]),
                           None, None),
    'tty-hungup-flags': (unlinked([hungup_file(f_flags=0o2000002)]),
                         None, None),
    'tty-hungup-accmode': (unlinked([hungup_file(f_flags=0o100003)]),
                           None, None),
    'tty-hungup-inode-attr': (unlinked([hungup_file(), PTY_ATTR]),
                              None, None),
    'good-fown': (fowns(), None, None),
    'good-fown-unlinked': (unlinked(unlinked_records(
        6, [fown(fd=3, owner='TID', signum=10), GOOD_UNLINKED[6]],
        extra_at_end=[fown(fd=4, flags=0, signum=0)])), None, None),
    'good-fown-unlinked-v1': (unlinked(unlinked_records(
        recs=GOOD_UNLINKED_V1, at=3, new=[fown(), GOOD_UNLINKED_V1[3]])),
        None, None),
    'good-fown-tcp': (fown_listener([fown(fd=-1, signum=23)]), None, None),
    'fown-outside-task': (insert_after('TREE', fown()), None, None),
    'fown-after-files': (insert_after('FILES', fown()), None, None),
    'fown-after-process': (insert_after('PROCESS', fown()), None, None),
    'fown-twice': (fowns(fown_records(2, [fown(), fown()])), None, None),
    'fown-before-eventfd': (fowns([GOOD_FOWN[0], fown(), GOOD_FOWN[1]] +
                                  GOOD_FOWN[3:]), None, None),
    'fown-before-shmem': (fowns(GOOD_FOWN[:4] + [fown()] + GOOD_FOWN[4:7] +
                                GOOD_FOWN[8:]), None, None),
    'fown-in-shmem': (fowns(GOOD_FOWN[:5] + [fown()] + GOOD_FOWN[5:7] +
                            GOOD_FOWN[8:]), None, None),
    'fown-before-inode-attr': (unlinked(unlinked_records(0, [
        GOOD_UNLINKED[0], fown()])), None, None),
    'fown-before-xattr': (unlinked(unlinked_records(4, [
        fown(), GOOD_UNLINKED[4]])), None, None),
    'fown-before-pending': (lambda r: sockets(r, listener=[
        inet_sk('LISTEN', INET_BOUND, backlog=128, nr_queued=1), fown(),
        *pending()]), None, None),
    'fown-pid-range': (fowns(fown_records(2, fown(pid=1 << 31))), None, None),
    'fown-type': (fowns(fown_records(2, fown(owner=3))), None, None),
    'fown-signum': (fowns(fown_records(2, fown(signum=65))), None, None),
    'fown-flags': (fowns(fown_records(2, fown(flags=0x3))), None, None),
    'fown-pad': (fowns(fown_records(2, fown(pad=1))), None, None),
    'fown-fd': (fowns(fown_records(2, fown(fd=-2))), None, None),
    'fown-pid-unknown': (fowns(fown_records(2, fown(pid=107, owner='TID'))),
                         None, None),
    'fown-pid-zombie': (with_zombie(insert_after('FILE', fown(pid=PID + 1))),
                        None, None),
    'fown-pgrp-unknown': (fowns(pgid=0), None, None),
    'fown-len': (fowns(fown_records(2, Record(
        'FOWN', fown().payload + b'\0' * 8))), None, None),
    'fown-truncated': (fowns(fown_records(2, Record(
        'FOWN', fown().payload[:16]))), None, None),
    'proc-pid-unknown': (fowns(fown_records(10, proc_file(pid=PID + 1))),
                         None, None),
    'proc-pid-zero': (fowns(fown_records(10, proc_file(pid=0))), None, None),
    'proc-pid-mode': (fowns(fown_records(10, proc_file(mode=0o20620))),
                      None, None),
    'proc-pid-size': (fowns(fown_records(10, proc_file(size=4096))),
                      None, None),
    'proc-pid-obj-ref': (fowns(fown_records(10, proc_file(
        obj_ref=FOWN_REFS['memfd']))), None, None),
    'memfd-without-contents': (fowns(GOOD_FOWN[:4] + GOOD_FOWN[8:]),
                               None, None),
    'memfd-ref-with-contents': (fowns(fown_records(8, [
        GOOD_FOWN[8], shmem(0, 2 * PAGE_SIZE, seals=1), shmem_end(0)])),
        None, None),
    'memfd-ref-not-memfd': (fowns(fown_records(8, memfd_file(
        FOWN_REFS['memfd2'], obj_ref=REFS['exe']))), None, None),
    'memfd-ref-not-first': (fowns(fown_records(9, [
        GOOD_FOWN[9], memfd_file(40, obj_ref=FOWN_REFS['memfd2'])])),
        None, None),
    'memfd-ref-unknown': (fowns(fown_records(8, memfd_file(
        FOWN_REFS['memfd2'], obj_ref=99))), None, None),
    'unlinked-ref-memfd': (fowns(GOOD_FOWN + [unlinked_file(
        UNLINKED_REFS['second'], obj_ref=FOWN_REFS['memfd'])]), None, None),
    'good-timers': (insert_after('PROCESS', [sigaltstack(), itimers(),
                                             posix_timers(4, GOOD_TIMERS),
                                             thread_cputime(), cputime(),
                                             sched(nice=5)]),
                    None, None),
    'good-sched-rt': (insert_after('PROCESS', [sched(
        'FIFO', SCHED_RESET_ON_FORK, nice=-5, rt_priority=99,
        prio=ioprio(IOPRIO_RT, 0), nr_cpus=130, cpus=GOOD_RT_CPUS,
        timer_slack_ns=0)]), None, None),
    'sched-policy': (insert_after('PROCESS', [sched(4)]), None, None),
    'good-sched-deadline': (insert_after('PROCESS', GOOD_SCHED_DL),
                            None, None),
    'sched-deadline-without-dl': (insert_after('PROCESS', GOOD_SCHED_DL[:1]),
                                  None, None),
    'sched-deadline-priority': (insert_after('PROCESS', [sched(
        'DEADLINE', rt_priority=1), sched_dl()]), None, None),
    'sched-dl-after-normal': (insert_after('PROCESS', [sched(), sched_dl()]),
                              None, None),
    'sched-dl-after-fifo': (insert_after('PROCESS', [sched(
        'FIFO', rt_priority=10), sched_dl()]), None, None),
    'sched-dl-without-sched': (insert_after('PROCESS', [sched_dl()]),
                               None, None),
    'sched-dl-twice': (insert_after('PROCESS', GOOD_SCHED_DL + [sched_dl()]),
                       None, None),
    'sched-dl-outside-task': (insert_after('TREE', [sched_dl()]), None, None),
    'sched-dl-flags': (insert_after('PROCESS', [GOOD_SCHED_DL[0], sched_dl(
        flags=SCHED_DL_RECLAIM | 0x1)]), None, None),
    'sched-dl-pad': (insert_after('PROCESS', [GOOD_SCHED_DL[0], sched_dl(
        pad=1)]), None, None),
    'sched-dl-len': (insert_after('PROCESS', [GOOD_SCHED_DL[0], Record(
        'SCHED_DL', sched_dl().payload + b'\0' * 8)]), None, None),
    'sched-dl-truncated': (insert_after('PROCESS', [GOOD_SCHED_DL[0], Record(
        'SCHED_DL', sched_dl().payload[:24])]), None, None),
    'sched-fifo-priority-0': (insert_after('PROCESS', [sched('FIFO')]),
                              None, None),
    'sched-normal-priority': (insert_after('PROCESS', [sched(
        rt_priority=1)]), None, None),
    'sched-rr-priority-100': (insert_after('PROCESS', [sched(
        'RR', rt_priority=100)]), None, None),
    'sched-nice-20': (insert_after('PROCESS', [sched(nice=20)]), None, None),
    'sched-nice-below-20': (insert_after('PROCESS', [sched(nice=-21)]),
                            None, None),
    'sched-flags': (insert_after('PROCESS', [sched(flags=0x2)]), None, None),
    'sched-ioprio-class': (insert_after('PROCESS', [sched(
        prio=ioprio(4, 0))]), None, None),
    'sched-ioprio-hints': (insert_after('PROCESS', [sched(
        prio=ioprio(IOPRIO_BE, 4) | 1 << 3)]), None, None),
    'sched-nr-cpus-0': (insert_after('PROCESS', [sched(nr_cpus=0, cpus=())]),
                        None, None),
    'sched-nr-cpus-max': (insert_after('PROCESS', [sched(nr_cpus=8193)]),
                          None, None),
    'sched-cpu-past-nr-cpus': (insert_after('PROCESS', [sched(
        cpus=(0, 16))]), None, None),
    'sched-cpu-past-nr-cpus-72': (insert_after('PROCESS', [sched(
        nr_cpus=72, cpus=(0, 100))]), None, None),
    'sched-len': (insert_after('PROCESS', [sched(nr_cpus=72, nr_words=1)]),
                  None, None),
    'sched-twice': (insert_after('PROCESS', [sched(), sched()]), None, None),
    'sched-before-cputime': (insert_after('PROCESS', [sched(), cputime()]),
                             None, None),
    'cputime-before-thread-cputime': (insert_after('PROCESS', [
        cputime(), thread_cputime()]), None, None),
    'cputime-before-itimers': (insert_after('PROCESS', [cputime(),
                                                        itimers()]),
                               None, None),
    'posix-timers-order': (insert_after('PROCESS', [posix_timers(
        4, GOOD_TIMERS[::-1])]), None, None),
    'itimers-before-sigaltstack': (insert_after('PROCESS',
                                                [itimers(), sigaltstack()]),
                                   None, None),
    'sigaltstack-flags': (insert_after('PROCESS', [sigaltstack(flags=4)]),
                          None, None),
    'missing-trailer': (None, None, 'drop-trailer'),
    'trailer-nr-records': (None, lambda t: t.update(nr_records=3), None),
    'trailer-size': (None, lambda t: t.update(size=8), None),
    'data-after-trailer': (None, None, 'append'),
    'good-chain': (insert_after('HEADER', chain_rec(CHAIN_IDS['A'], 0)),
                   None, None),
    'good-incremental': (chain_edit(pages_parent(COW_PAGES, 2, 9)), None,
                         None),
    'chain-after-tree': (insert_after('TREE', chain_rec(CHAIN_IDS['A'], 0)),
                         None, None),
    'chain-id-zero': (insert_after('HEADER', chain_rec(0, 0)), None, None),
    'pages-parent-without-chain': (replace('PAGES', pages_parent(COW_PAGES, 2,
                                                                 9)),
                                   None, None),
    'pages-parent-outside-vma': (chain_edit(pages_parent(COW_PAGES, 3, 9)),
                                 None, None),
    'good-pages-crc': (with_pages_crc, None, None),
    'pages-crc-flipped-page-byte': (with_pages_crc, None, 'flip-page-byte'),
    'pages-crc-wrong': (lambda r: (with_pages_crc(r), replace(
        'PAGES_CRC', pages_crc(r[find(r, 'PAGES')], crc=0x12345678))(r)),
        None, None),
    'pages-crc-pad': (lambda r: (with_pages_crc(r), patch_record(
        'PAGES_CRC', 4, '<I', 1)(r)), None, None),
    'pages-crc-after-vma': (insert_after('VMA', pages_crc(
        good_records()[find(good_records(), 'PAGES')])), None, None),
    'pages-crc-twice': (lambda r: (with_pages_crc(r), insert_after(
        'PAGES_CRC', pages_crc(r[find(r, 'PAGES')]))(r)), None, None),
    'lazy-predump': (replace('HEADER', header(
        flags=CHECKPOINT_LAZY | CHECKPOINT_PREDUMP)), None, None),
    'good-pages-file': (good_pages_file(), None, None),
    'pages-file-nr-pages-0': (good_pages_file(nr=(0, 2)), None, None),
    'pages-file-nr-pages-max': (good_pages_file(nr=(257, 1)), None, None),
    'pages-file-pad': (good_pages_file(pad=1), None, None),
    'pages-file-unaligned': (good_pages_file(at=COW_PAGES + 8), None, None),
    'pages-file-outside-vma': (good_pages_file(nr=(1, 2)), None, None),
    'pages-file-backwards': (good_pages_file(extra=[pages_file(
        COW_PAGES, 0, 1, 0, 0)]), None, None),
    'pages-file-offset': (good_pages_file(offsets=(2**63 - PAGE_SIZE, 0)),
                          None, None),
    'pages-file-then-crc': (good_pages_file(extra=[pages_crc(
        pages(COW_PAGES, 2))]), None, None),
    'pages-file-in-shmem': (lambda r: shared_memory(r, shmem_pages=pages_file(
        PAGE_SIZE, 0, 1, 0, 0)), None, None),
    'pages-file-mm-end': (lambda r: r.__setitem__(find(r, 'PAGES'), pages_file(
        COW_PAGES, 0, 1, 0, 0)), None, None),
}


def file_v2(payload, prev):
    """A FILE of format version 1 in version 2, after the path prev (no
    NUL): the leading bytes the paths share are left out, as the kernel
    does.  Its payload and the path to share with the next FILE."""
    n = struct.unpack_from('<I', payload, 60)[0]
    if not n:
        return payload, prev
    path = payload[72:72 + n]
    shared = len(os.path.commonprefix([path[:-1], prev]))
    return (pad8(payload[:68] + struct.pack('<I', shared) + path[shared:]),
            path[:-1])


def files_v2(payload):
    """A FILES of format version 1 in version 2: 8-byte entries."""
    body = payload[:8]
    for i in range(struct.unpack_from('<I', payload, 4)[0]):
        fd, ref, flags, _ = struct.unpack_from('<IIII', payload, 8 + 16 * i)
        body += struct.pack('<II', fd | (flags & 1) << 31, ref)
    return body


def to_format_v2(records):
    """The records of a version 1 image, in format version 2."""
    hdr = records[find(records, 'HEADER')].payload
    if struct.unpack_from('<I', hdr, 8)[0] != 1:
        return
    prev = b''
    for i, r in enumerate(records):
        p = r.payload
        if r.name == 'HEADER':
            p = p[:8] + struct.pack('<I', 2) + p[12:]
        elif r.name == 'FILES':
            p = files_v2(p)
        elif r.name == 'FILE':
            p, prev = file_v2(p, prev)
        if p != r.payload:
            records[i] = Record(r.name, p, r.rtype)


def build(variant, version=1):
    edit, fix_trailer, damage = VARIANTS[variant]
    records = good_records()
    if edit:
        edit(records)
    if version >= 2:
        to_format_v2(records)
    image = serialize(records, fix_trailer)
    if damage == 'flip-page-byte':
        at = image.index(pages(VMA_STACK[1] - 2 * PAGE_SIZE, 2).payload)
        image = bytearray(image)
        image[at + 16 + 100] ^= 0x01
        image = bytes(image)
    elif damage == 'cut-mqueue':
        at = image.index(GOOD_MQUEUES[0].bytes())
        image = image[:at + 8 + 40]
    elif damage == 'cut-inode-attr':
        at = image.index(inode_attr().bytes())
        image = image[:at + 8 + 16]
    elif damage == 'drop-trailer':
        image = image[:-24]
    elif damage == 'append':
        image += b'\0' * 8
    return image


def write(path, image):
    if path == '-':
        sys.stdout.buffer.write(image)
    else:
        with open(path, 'wb') as f:
            f.write(image)


# --- a chain of images for ckpt merge: A (tracked), B on A, C on B ---
#
# Two processes, the second forked from the first (its stack shares
# pages with the first's, PAGES_COW), each image with MM objrefs of its
# own, so that a PAGES_PARENT's mm_ref must be looked up in its parent.

STACK_PAGE = [VMA_STACK[0] + i * PAGE_SIZE for i in range(8)]
HEAP = (0x10000000, 0x10000000 + 300 * PAGE_SIZE)   # PAGES_PARENT > 256 pages
TEXT = VMA_TEXT[0]
CHAIN_MMS = dict(A=(7, 20), B=(11, 12), C=(31, 32))


def page_data(tag, addr):
    """A page that says which image and MM wrote it, and where."""
    head = struct.pack('<8sQ', tag.encode().ljust(8, b'\0'), addr)
    fill = (sum(tag.encode()) + addr // PAGE_SIZE) & 0xFF
    return head + bytes([fill]) * (PAGE_SIZE - len(head))


def tagged_pages(addr, nr, tag):
    data = b''.join(page_data(tag, addr + i * PAGE_SIZE) for i in range(nr))
    return Record('PAGES', struct.pack('<QII', addr, nr, 0) + data)


def heap_pages(tag):
    return [tagged_pages(HEAP[0], 256, tag),
            tagged_pages(HEAP[0] + 256 * PAGE_SIZE, 44, tag)]


S = STACK_PAGE
CHAIN_PAGES = {
    'A': ([tagged_pages(TEXT, 1, 'A7'), *heap_pages('A7'),
           tagged_pages(S[0], 4, 'A7')],
          [pages_cow(S[0], 2, 7), tagged_pages(S[2], 1, 'A20')]),
    'B': ([pages_parent(TEXT, 1, 7), pages_parent(HEAP[0], 300, 7),
           pages_parent(S[0], 2, 7), tagged_pages(S[2], 1, 'B11'),
           pages_parent(S[3], 1, 7)],
          [pages_parent(S[0], 3, 20)]),
    'C': ([pages_parent(TEXT, 1, 11), pages_parent(HEAP[0], 300, 11),
           tagged_pages(S[0], 1, 'C31'), pages_parent(S[1], 3, 11)],
          [pages_cow(S[0], 1, 31), pages_parent(S[1], 2, 12)]),
}
CHAIN_FLAGS = dict(A=CHECKPOINT_TRACK,
                   B=CHECKPOINT_TRACK | CHECKPOINT_INCREMENTAL,
                   C=CHECKPOINT_INCREMENTAL | CHECKPOINT_KILL)
CHAIN_PARENT = dict(A=0, B=CHAIN_IDS['A'], C=CHAIN_IDS['B'])

# What the merge of C, B and A holds: per MM of C, per page, its contents
# (the tag and address of the page it is) or ('cow', mm_ref)
CHAIN_MERGED = {
    31: {TEXT: ('A7', TEXT), S[0]: ('C31', S[0]), S[1]: ('A7', S[1]),
         S[2]: ('B11', S[2]), S[3]: ('A7', S[3]),
         **{HEAP[0] + i * PAGE_SIZE: ('A7', HEAP[0] + i * PAGE_SIZE)
            for i in range(300)}},
    32: {S[0]: ('cow', 31), S[1]: ('A7', S[1]), S[2]: ('A20', S[2])},
}


def nr_pages_of(records):
    return sum(struct.unpack_from('<QI', r.payload)[1] for r in records)


def chain_records(name, cid=None, extra=((), ())):
    """The records of image name of the chain; extra adds page records to
    each MM."""
    ref1, ref2 = CHAIN_MMS[name]
    refs = dict(REFS, mm=ref1)
    pages1 = CHAIN_PAGES[name][0] + list(extra[0])
    pages2 = CHAIN_PAGES[name][1] + list(extra[1])
    records = good_records(refs)
    text = vma(*VMA_TEXT, kind=2, flags=0x5, file_ref=refs['exe'])
    at, end = find(records, 'MM'), find(records, 'MM_END')
    records[at:end + 1] = [mm(ref1, 3, refs['exe']), text,
                           vma(*HEAP, kind=1, flags=0x3),
                           vma(*VMA_STACK, kind=1, flags=0xb), *pages1,
                           mm_end(nr_pages_of(pages1))]
    records[0] = header(nr_tasks=2, flags=CHAIN_FLAGS[name])
    records.insert(1, chain_rec(CHAIN_IDS[name] if cid is None else cid,
                                CHAIN_PARENT[name]))
    records[find(records, 'TREE')] = tree([(PID, PID, 0),
                                           (PID + 1, PID + 1, PID)])
    records += [mm(ref2, 2, refs['exe']), text,
                vma(*VMA_STACK, kind=1, flags=0xb, cow_mm_ref=ref1),
                *pages2, mm_end(nr_pages_of(pages2)),
                task(PID + 1, mm_ref=ref2), process(), x86_regs(),
                x86_xstate(), sigpending(0, []), sigpending(1, [])]
    return records


def predump_records():
    """A pre-dump of A's two processes: memory only, MMs without VMAs."""
    pages1 = [tagged_pages(TEXT, 1, 'P7'), *heap_pages('P7')]
    pages2 = [pages_cow(S[0], 2, 7), tagged_pages(S[2], 1, 'P20')]
    return [header(nr_tasks=2, flags=CHECKPOINT_PREDUMP),
            chain_rec(0x7777000011112222, 0),
            mm(7, 0, 0), *pages1, mm_end(nr_pages_of(pages1)),
            mm(20, 0, 0), *pages2, mm_end(nr_pages_of(pages2))]


def write_chain(d):
    """DIR/A.img, B.img, C.img, and damaged ones for the errors of ckpt
    merge."""
    images = {n: serialize(chain_records(n)) for n in 'ABC'}
    images['B-wrong-id'] = serialize(chain_records('B', cid=0x0BAD0BAD0BAD))
    images['C-hole'] = serialize(chain_records(
        'C', extra=([pages_parent(S[5], 1, 11)], ())))
    images['C-bad-mm'] = serialize(chain_records(
        'C', extra=((), [pages_parent(S[4], 1, 99)])))
    images['P'] = serialize(predump_records())
    # A of checkpoint --track --lazy; C with PAGES_CRC (that merge copies
    # with their PAGES), and with one after a PAGES_PARENT
    lazy = chain_records('A')
    with_pages_crc(lazy)
    images['A-lazy'] = serialize(lazy)
    images['C-crc'] = serialize(add_pages_crc(chain_records('C')))
    misplaced = chain_records('C')
    at = find(misplaced, 'PAGES_PARENT') + 1
    misplaced.insert(at, pages_crc(misplaced[find(misplaced, 'PAGES')]))
    images['C-crc-misplaced'] = serialize(misplaced)
    bad = bytearray(images['A'])
    bad[len(bad) // 2] ^= 0x01
    images['A-bad-crc'] = bytes(bad)
    # A with one byte of a page of its heap changed: only the TRAILER's
    # CRC, found from those of its pages by merge --refs, can tell
    bad = bytearray(images['A'])
    at = images['A'].index(page_data('A7', HEAP[0] + 100 * PAGE_SIZE))
    bad[at + 99] ^= 0x01
    images['A-bad-page'] = bytes(bad)
    images['A-cut'] = images['A'][:len(images['A']) // 2]
    for name, image in images.items():
        write(os.path.join(d, name + '.img'), image)


def fix_trailer(image):
    """The image with a TRAILER made again for what precedes it."""
    off, nr = 0, 0
    while True:
        rtype, length = struct.unpack_from('<II', image, off)
        if rtype & ~REC_OPTIONAL == REC['TRAILER'] or \
                off + 8 + length + 24 > len(image):
            break
        off += 8 + length
        nr += 1
    return image[:off] + trailer(image_crc(image[:off]), nr, off).bytes()


def write_chain_flips(step, d):
    """DIR/B-flip-N.img and C-flip-N.img: B and C with byte N inverted,
    every step bytes, and a TRAILER that covers the damage, so that the
    checks of the records, not the checksum, meet it."""
    for name in 'BC':
        good = serialize(chain_records(name))
        for at in range(0, len(good) - 24, step):
            image = bytearray(good)
            image[at] ^= 0xFF
            write(os.path.join(d, '%s-flip-%d.img' % (name, at)),
                  fix_trailer(bytes(image)))


def read_records(image):
    """(type, payload) of each record but the TRAILER, whose fields are
    checked."""
    recs, off = [], 0
    while True:
        rtype, length = struct.unpack_from('<II', image, off)
        payload = image[off + 8:off + 8 + length]
        if rtype & ~REC_OPTIONAL == REC['TRAILER']:
            crc, nr, size = struct.unpack('<IIQ', payload)
            assert (crc, nr, size) == (image_crc(image[:off]), len(recs),
                                       off), 'TRAILER'
            assert off + 8 + length == len(image), 'data after the TRAILER'
            return recs
        recs.append((rtype, payload))
        off += 8 + length


def rec_name(rtype):
    return [n for n, v in REC.items() if v == rtype & ~REC_OPTIONAL][0]


def mm_pages(records, files=None):
    """Per MM, per page, what the records hold: its contents, from the
    image or, for a PAGES_FILE, from files[n] (checked against its CRC),
    or ('cow', mm_ref)."""
    mms, cur, prev = {}, None, None
    for rtype, p in records:
        name = rec_name(rtype)
        if name == 'MM':
            cur = struct.unpack_from('<I', p)[0]
            mms[cur] = {}
        elif name == 'MM_END':
            assert struct.unpack('<Q', p)[0] == len(mms[cur]), 'MM_END'
            cur = None
        elif name == 'PAGES' and cur:
            addr, nr = struct.unpack_from('<QI', p)
            assert 1 <= nr <= CONST['CKPT_PAGES_MAX'], 'PAGES nr_pages'
            for i in range(nr):
                mms[cur][addr + i * PAGE_SIZE] = \
                    p[16 + i * PAGE_SIZE:16 + (i + 1) * PAGE_SIZE]
        elif name == 'PAGES_COW':
            addr, nr, ref = struct.unpack('<QII', p)
            for i in range(nr):
                mms[cur][addr + i * PAGE_SIZE] = ('cow', ref)
        elif name == 'PAGES_FILE':
            assert files is not None, 'a PAGES_FILE'
            addr, off, nr, crc, n, pad = struct.unpack('<QQIIII', p)
            assert cur and 1 <= nr <= CONST['CKPT_PAGES_MAX'] and not pad and \
                not addr % PAGE_SIZE and n < len(files), 'PAGES_FILE fields'
            data = files[n][off:off + nr * PAGE_SIZE]
            assert len(data) == nr * PAGE_SIZE, 'PAGES_FILE past its file'
            assert image_crc(data) == crc, 'PAGES_FILE crc at 0x%x' % addr
            for i in range(nr):
                mms[cur][addr + i * PAGE_SIZE] = \
                    data[i * PAGE_SIZE:(i + 1) * PAGE_SIZE]
        assert name != 'PAGES_CRC' or prev == 'PAGES', 'a PAGES_CRC misplaced'
        assert name != 'PAGES_PARENT', 'a PAGES_PARENT is left'
        prev = name
    return mms


def merged_pages(image):
    """Per MM, per page, what the merge of C holds."""
    records = read_records(image)
    for rtype, p in records:
        if rec_name(rtype) == 'CHAIN':
            assert rtype & REC_OPTIONAL, 'CHAIN not optional'
            assert struct.unpack('<QQ', p) == (CHAIN_IDS['C'], 0), 'CHAIN'
    return mm_pages(records)


def check_refs(path, copy, files):
    """path, a merge by reference, and copy, the merge of the same images
    by copy: each page the same, its PAGES_FILE CRCs right (files: file 0,
    1, ...), and the other records the same."""
    data = []
    for name in files:
        with open(name, 'rb') as f:
            data.append(f.read())
    with open(path, 'rb') as f:
        refs = read_records(f.read())
    with open(copy, 'rb') as f:
        copied = read_records(f.read())
    got, want = mm_pages(refs, data), mm_pages(copied)
    for ref in sorted(set(got) | set(want)):
        for addr in sorted(set(got.get(ref, {})) | set(want.get(ref, {}))):
            if got.get(ref, {}).get(addr) != want.get(ref, {}).get(addr):
                sys.exit('MM %d, page 0x%x: not the one of %s' %
                         (ref, addr, copy))
    pages = ('PAGES', 'PAGES_CRC', 'PAGES_FILE')
    if [r for r in refs if rec_name(r[0]) not in pages] != \
            [r for r in copied if rec_name(r[0]) not in pages]:
        sys.exit('the records but the pages differ from those of %s' % copy)
    nr = sum(1 for r in refs if rec_name(r[0]) == 'PAGES_FILE')
    if not nr:
        sys.exit('no PAGES_FILE record')
    print('ok: %d pages, %d PAGES_FILE' %
          (sum(len(p) for p in got.values()), nr))


def check_merged(path):
    """The merge of C, B and A in path: every page what it should be."""
    with open(path, 'rb') as f:
        mms = merged_pages(f.read())
    want = {ref: {a: v if v[0] == 'cow' else page_data(*v)
                  for a, v in pages.items()}
            for ref, pages in CHAIN_MERGED.items()}
    for ref in want:
        for addr in sorted(set(want[ref]) | set(mms.get(ref, {}))):
            got = mms.get(ref, {}).get(addr)
            if got != want[ref].get(addr):
                sys.exit('MM %d, page 0x%x: %s' % (
                    ref, addr, 'missing' if got is None else 'wrong contents'))
    if set(mms) != set(want):
        sys.exit('MMs %s, expected %s' % (sorted(mms), sorted(want)))
    print('ok: %d pages' % sum(len(p) for p in want.values()))


def cut_points():
    """Where to cut the good image: every record boundary and field."""
    records = good_records()
    image = build('good')
    at = records[find(records, 'PAGES')].bytes()
    pages_start = image.index(at) + 8 + 16
    pages_end = pages_start + len(at) - 8 - 16
    cuts = [n for n in range(0, len(image), 8)
            if not pages_start < n < pages_end or n % 512 == 0]
    # inside a record header, a field, the last byte
    cuts += [1, 3, 7, 9, 15, pages_start + 1, len(image) - 1]
    return sorted(set(cuts))


def expect_pages():
    """What `ckpt show --pages` prints for the PAGES of the good image."""
    rec = good_records()[find(good_records(), 'PAGES')]
    addr, nr, _ = struct.unpack_from('<QII', rec.payload)
    for i in range(nr):
        page = rec.payload[16 + i * PAGE_SIZE:16 + (i + 1) * PAGE_SIZE]
        print('  page[%d]: addr=0x%x crc32c=0x%08x bytes=%s ...' %
              (i, addr + i * PAGE_SIZE, image_crc(page),
               ' '.join('%02x' % b for b in page[:16])))


def selftest():
    assert image_crc(b'123456789') == 0xE3069283, 'CRC-32C check value'
    for v in VARIANTS:
        if not v.startswith('good'):
            continue
        records = good_records()
        if VARIANTS[v][0]:
            VARIANTS[v][0](records)
        for r in records:
            if r.name == 'NETNS' and len(r.payload) == NETNS_V1_SIZE:
                continue
            if r.name == 'INODE_ATTR' and \
                    len(r.payload) == INODE_ATTR_V1_SIZE:
                continue
            if r.name in ('HEADER', 'TASK', 'MM', 'VMA', 'MM_END', 'SIGHAND',
                          'X86_REGS', 'INET_SK', 'NETDEV', 'NET_ADDR',
                          'NET_ROUTE', 'MNTNS', 'TMPFS', 'CGROUPNS',
                          'MQ_NS', 'INODE_ATTR', 'FOWN', 'SCHED_DL',
                          'PAGES_COW', 'CHAIN', 'PAGES_PARENT',
                          'PAGES_FILE'):
                assert len(r.payload) == SIZES[r.name], (v, r.name)
            assert len(r.payload) >= SIZES[r.name], (v, r.name)
            assert len(r.payload) % 8 == 0, (v, r.name)
    # The fixed part of a TCP_STREAM, then its queues, padded to 8 bytes
    r = tcp_stream(inq=b'ab', outq=b'cde')
    assert len(r.payload) == SIZES['TCP_STREAM'] + 8, 'TCP_STREAM'
    assert r.payload[SIZES['TCP_STREAM']:] == b'abcde\0\0\0', 'TCP_STREAM'
    r = udp_dgram(data=b'abc')
    assert len(r.payload) == SIZES['UDP_DGRAM'] + 8, 'UDP_DGRAM'
    assert r.payload[SIZES['UDP_DGRAM']:] == b'abc' + b'\0' * 5, 'UDP_DGRAM'
    # The fixed part of a NETNS, then its sysctls
    r = netns(sysctls=GOOD_SYSCTLS)
    assert len(r.payload) == SIZES['NETNS'] + 8 * len(GOOD_SYSCTLS), 'NETNS'
    assert r.payload[SIZES['NETNS']:][:8] == struct.pack('<II', 0, 4096), \
        'NETNS'
    # The fixed part of a SCHED, then its mask in 64-bit words
    r = sched(nr_cpus=65, cpus=(0, 64))
    assert len(r.payload) == SIZES['SCHED'] + 16, 'SCHED'
    assert r.payload[SIZES['SCHED']:] == struct.pack('<QQ', 1, 1), 'SCHED'
    assert struct.unpack_from('<i', sched(nice=-20).payload, 8) == (-20,), \
        'SCHED'
    # The fixed part of a MOUNT, then its four strings, padded to 8 bytes
    r = mount(2, 1, 'NEW', '/proc', root='/', source='proc', options='ro',
              fstype='proc')
    assert len(r.payload) == 72, 'MOUNT'
    assert r.payload[SIZES['MOUNT']:] == b'/proc\0/\0proc\0ro\0', 'MOUNT'
    assert struct.unpack_from('<4HI', r.payload, 28) == (6, 2, 5, 3, 0), \
        'MOUNT'
    assert r.payload[40:56] == b'proc'.ljust(16, b'\0'), 'MOUNT'
    # The fixed part of a TMPFS_NODE, then its path and target
    r = tmpfs_node('/a', 'LNK', 0o777, uid=1, gid=2, size=0, target='b')
    assert len(r.payload) == SIZES['TMPFS_NODE'] + 8, 'TMPFS_NODE'
    assert r.payload[SIZES['TMPFS_NODE']:] == b'/a\0b\0\0\0\0', 'TMPFS_NODE'
    assert struct.unpack_from('<IIII', r.payload) == (0o120777, 1, 2, 0), \
        'TMPFS_NODE'
    assert struct.unpack_from('<IHHII', r.payload, 48) == (0, 3, 2, 0, 0), \
        'TMPFS_NODE'
    assert struct.unpack_from('<QQQII', tmpfs_node('/').payload, 16) == \
        (0, 1700000000, 1700000100, 5, 999999999), 'TMPFS_NODE'
    assert new_encode_dev(259, 65536) == 0x10010300, 'new_encode_dev'
    r = tmpfs_xattr('user.a', b'xyz')
    assert r.payload == struct.pack('<HHI', 7, 0, 3) + b'user.a\0xyz' + \
        b'\0' * 6, 'TMPFS_XATTR'
    # A POSIX ACL's value: a_version, then (e_tag, e_perm, e_id) entries
    assert posix_acl([('USER_OBJ', 6), ('USER', 4, 1001)]) == struct.pack(
        '<IHHIHHI', 2, 1, 6, 0xFFFFFFFF, 2, 4, 1001), 'posix_acl'
    r = acl_xattr(MINIMAL_ACL, default=True)
    assert r.payload == struct.pack('<HHI', 25, 0, 28) + \
        b'system.posix_acl_default\0' + posix_acl(MINIMAL_ACL) + \
        b'\0' * 3, \
        'TMPFS_XATTR'
    assert cgroupns(flags=1, nr=2).payload == struct.pack('<II', 1, 2), \
        'CGROUPNS'
    # The fixed part of a CGROUP, its pids, name and files, padded to 8
    r = cgroup(2, 1, 'a', pids=[7], files=[('pids.max', '5')])
    assert r.payload == struct.pack('<IIIIH3H', 2, 1, 1, 11, 2, 0, 0, 0) + \
        struct.pack('<I', 7) + b'a\0pids.max\x005\0' + b'\0' * 7, 'CGROUP'
    # The fs.mqueue limits in MQ_NS; the fixed part of an MQUEUE, then its
    # name, padded to 8; a MSG's text, padded to 8
    assert mq_ns(3, 1, 2, 4, 5, 6).payload == struct.pack(
        '<6I', 3, 1, 2, 4, 5, 6), 'MQ_NS'
    r = mqueue('q', curmsgs=2, maxmsg=3, msgsize=128, uid=7, gid=8,
               mode=0o600, notify_pid=9, notify=1, signo=10, value=11)
    assert r.payload == struct.pack('<4I3Q4IQ', 7, 8, 0o600, 2, 3, 128, 2,
                                    9, 1, 10, 0, 11) + b'q' + b'\0' * 7, \
        'MQUEUE'
    assert struct.unpack_from('<Q', r.payload, 56) == (11,), 'MQUEUE'
    assert len(mqueue('x' * 7).payload) == SIZES['MQUEUE'] + 8, 'MQUEUE'
    assert len(mqueue('x' * 8).payload) == SIZES['MQUEUE'] + 16, 'MQUEUE'
    assert msg(5, b'abc').payload == struct.pack('<QQ', 5, 3) + b'abc' + \
        b'\0' * 5, 'MSG'
    r = file_data(8, b'abc')
    assert r.payload == struct.pack('<QII', 8, 3, 0) + b'abc\0\0\0\0\0', \
        'FILE_DATA'
    # The owner, then the seconds of both times, then their nanoseconds,
    # then the mode and __pad but in an earlier kernel's
    r = inode_attr(uid=7, gid=8, atime=(-1, 2), mtime=(3, 4), mode=0o4755)
    assert r.payload == struct.pack('<IIQQIIII', 7, 8, 2**64 - 1, 3, 2, 4,
                                    0o4755, 0), 'INODE_ATTR'
    assert len(r.payload) == SIZES['INODE_ATTR'], 'INODE_ATTR'
    r = inode_attr(uid=7, gid=8, atime=(-1, 2), mtime=(3, 4), v1=True)
    assert r.payload == struct.pack('<IIQQII', 7, 8, 2**64 - 1, 3, 2, 4), \
        'INODE_ATTR'
    # A PTY: objref, index, flags, path_len, the window size, the termios
    # (6 words, 19 c_cc, 5 pad), then the path
    r = pty(5, 7, 2, '/p', (1, 2, 3, 4))
    assert len(r.payload) == SIZES['PTY'] + 8, 'PTY'
    assert struct.unpack_from('<4I4H', r.payload) == \
        (5, 7, 2, 3, 1, 2, 3, 4), 'PTY'
    assert struct.unpack_from('<6I', r.payload, 24) == TERMIOS, 'PTY'
    assert r.payload[48:67] == TERMIOS_CC and r.payload[67:72] == b'\0' * 5, \
        'PTY'
    assert r.payload[SIZES['PTY']:] == b'/p\0' + b'\0' * 5, 'PTY'
    # A FILE's obj_ref, after its path_len
    r = unlinked_file(11, obj_ref=10)
    assert struct.unpack_from('<IIII', r.payload, 56) == (0xFFFFFFFF, 5, 10,
                                                         0), 'FILE'
    assert r.payload[SIZES['FILE']:] == b'/tmp\0\0\0\0', 'FILE'
    # A FILE's mtime and ino; a PROC_PID one has the pid in ino
    r = proc_file(pid=7, path='/proc/7')
    assert struct.unpack_from('<QQIIQ', r.payload, 24) == (0, 0, 0, 0, 7), \
        'FILE'
    # A FOWN: the owner and its type, the signal, the fd, the flags
    assert fown(9, 'PGRP', 29, -1, FOWN_ASYNC).payload == struct.pack(
        '<6I', 9, 2, 29, 0xFFFFFFFF, 1, 0), 'FOWN'
    assert len(fown().payload) == SIZES['FOWN'], 'FOWN'
    # A SCHED_DL: runtime, deadline, period, then flags and __pad
    assert sched_dl(1, 2, 3, 4, 5).payload == struct.pack(
        '<QQQII', 1, 2, 3, 4, 5), 'SCHED_DL'
    assert len(sched_dl().payload) == SIZES['SCHED_DL'], 'SCHED_DL'
    # A hung-up terminal's FILE: f_flags, mode, pos; no path, fd_hint -1
    r = hungup_file(f_flags=0o2, mode=0o20600, pos=9)
    assert len(r.payload) == SIZES['FILE'], 'FILE'
    assert struct.unpack_from('<IIIIQ', r.payload) == (
        HUNGUP_REFS['tty'], 23, 0o2, 0o20600, 9), 'FILE'
    assert struct.unpack_from('<IIII', r.payload, 56) == (0xFFFFFFFF, 0, 0,
                                                         0), 'FILE'
    # The TREE's pgid, after the flags, then sid, exit_code, exit_signal
    assert struct.unpack_from('<8I', tree([(5, 5, 0, 0, 5)]).payload, 8) == \
        (5, 5, 0, 0, 5, 0, 0, 0), 'TREE'
    assert struct.unpack_from('<8I', tree([(5, 5, 0, 8, 5, 6, 7, 9)]).payload,
                              8) == (5, 5, 0, 8, 5, 6, 7, 9), 'TREE'
    # A PAGES_COW: addr, nr_pages, mm_ref, and no data; a VMA's cow_mm_ref
    # where an earlier kernel had __pad
    assert pages_cow(0x1000, 2, 7).payload == struct.pack(
        '<QII', 0x1000, 2, 7), 'PAGES_COW'
    assert len(pages_cow(0, 1, 1).payload) == SIZES['PAGES_COW'], 'PAGES_COW'
    assert struct.unpack_from('<I', vma(0, 4096, 1, 3, cow_mm_ref=5).payload,
                              36) == (5,), 'VMA'
    # An X86_CPUID: nr_regs, __pad, then (leaf, subleaf, reg, value)
    r = x86_cpuid([(7, 0, 1, 9)])
    assert r.payload == struct.pack('<6I', 1, 0, 7, 0, 1, 9), 'X86_CPUID'
    # An X86_VDSO: crc, size, vvar_size, nr_syms, then 40-byte symbols,
    # CKPT_REC_OPTIONAL in its type
    r = x86_vdso([('ab', 5)], 8192, 4096, 7)
    assert r.payload == struct.pack('<4I', 7, 8192, 4096, 1) + b'ab' + \
        b'\0' * 30 + struct.pack('<II', 5, 0), 'X86_VDSO'
    assert len(r.payload) == SIZES['X86_VDSO'] + 40, 'X86_VDSO'
    assert r.rtype == REC['X86_VDSO'] | 0x80000000, 'X86_VDSO'
    assert set(SIZES) == set(REC), 'record types out of date'
    print('ok')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('file', nargs='?')
    ap.add_argument('--variant', default='good', choices=sorted(VARIANTS))
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--all', metavar='DIR')
    ap.add_argument('--flips', nargs=2, metavar=('STEP', 'DIR'))
    ap.add_argument('--cuts', metavar='DIR')
    ap.add_argument('--expect-pages', action='store_true')
    ap.add_argument('--selftest', action='store_true')
    ap.add_argument('--chain', metavar='DIR')
    ap.add_argument('--chain-flips', nargs=2, metavar=('STEP', 'DIR'))
    ap.add_argument('--check-merged', metavar='FILE')
    ap.add_argument('--check-refs', nargs='+', metavar='FILE')
    ap.add_argument('--format-version', type=int, default=1, choices=(1, 2),
                    help='the image in this format version (with --all: '
                    'the good variants only)')
    args = ap.parse_args()
    if args.list:
        print('\n'.join(VARIANTS))
    elif args.all:
        for v in VARIANTS:
            if args.format_version == 1 or v.startswith('good'):
                write(os.path.join(args.all, v + '.img'),
                      build(v, args.format_version))
    elif args.flips:
        good = build('good', args.format_version)
        for at in range(0, len(good), int(args.flips[0])):
            image = bytearray(good)
            image[at] ^= 0xFF
            write(os.path.join(args.flips[1], 'flip-%d.img' % at), image)
    elif args.cuts:
        good = build('good')
        for n in cut_points():
            write(os.path.join(args.cuts, 'cut-%d.img' % n), good[:n])
    elif args.expect_pages:
        expect_pages()
    elif args.selftest:
        selftest()
    elif args.chain:
        write_chain(args.chain)
    elif args.chain_flips:
        write_chain_flips(int(args.chain_flips[0]), args.chain_flips[1])
    elif args.check_merged:
        check_merged(args.check_merged)
    elif args.check_refs:
        if len(args.check_refs) < 3:
            ap.error('--check-refs REFS COPY FILE...')
        check_refs(args.check_refs[0], args.check_refs[1], args.check_refs[2:])
    elif args.file:
        write(args.file, build(args.variant, args.format_version))
    else:
        ap.error('FILE is needed')


if __name__ == '__main__':
    main()
