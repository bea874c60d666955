#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/make-seeds.py - write the seed corpora in tests/fuzz/corpus/.
#
# The seeds are checked in; this script is how they were made, and how to
# remake them after a harness changes its input format.  Each seed is a
# meaningful case spelled in that harness's encoding (see the harness
# sources): a good chain, a good blk read/write/flush, a frame each way,
# Linux's PCI enumeration steps, a real test kernel (build/guest/hello.elf,
# stripped) as ELF, its code as a small kernel wrapped in a bzImage in
# every compression format, typical command lines.  Needs python3, `strip`, `zstd` and `lz4`, and
# `make guest` to have built hello.elf.  Regression inputs for fixed
# crashes (crash-*.bin) are left alone.
#
#   tests/fuzz/make-seeds.py

import gzip
import lzma
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')


def u8(v):
    return struct.pack('<B', v & 0xff)


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def u64(v):
    return struct.pack('<Q', v & 0xffffffffffffffff)


def write(name, seeds):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith('seed-'):
            os.unlink(os.path.join(d, f))
    for k, data in seeds.items():
        with open(os.path.join(d, 'seed-%s.bin' % k), 'wb') as f:
            f.write(data)


# ---- guest addresses (fuzz.h, fi_gpa): selector byte + 32-bit offset ----

def at(addr):                   # from 0
    return u8(0) + u32(addr)


def low_end_minus(off):         # below the end of low RAM
    return u8(1 | 8) + u32(off)


def high(off):                  # from 4 GiB
    return u8(3) + u32(off)


def high_end_minus(off):        # below the end of high RAM
    return u8(4 | 8) + u32(off)


# ---- virtq ----

NEXT, WRITE, INDIRECT = 1, 2, 4


def vq_desc(i, gpa, length, flags, nxt):
    return u8(0) + u16(i) + gpa + u32(length) + u16(flags) + u16(nxt)


def vq_add(head):
    return u8(1) + u16(head)


def vq_pop(push=True, push_len=0):
    return u8(6) + u8(0) + u8(1 if push else 0) + u32(push_len)


def vq_table(gpa, entries):
    out = u8(4) + gpa + u8(len(entries) - 1)
    for g, length, flags, nxt in entries:
        out += g + u32(length) + u16(flags) + u16(nxt)
    return out


def vq_chain(start, segs):
    out = u8(12) + u16(start) + u8(len(segs) - 1)
    for g, length, writable in segs:
        out += g + u16(length) + u8(1 if writable else 0)
    return out


def virtq_seeds():
    s = {}
    # size 16, split RAM, ring at 64 KiB: header, data, status
    s['direct-chain'] = (
        u8(4) + u8(0) + at(0x10000) +
        vq_desc(0, at(0x20000), 16, NEXT, 1) +
        vq_desc(1, at(0x21000), 512, NEXT | WRITE, 2) +
        vq_desc(2, at(0x22000), 1, WRITE, 0) +
        vq_add(0) + vq_pop(True, 513) +
        u8(9) + u16(0) + u16(0) + u8(10))
    # size 256, INDIRECT + EVENT_IDX: the same chain through a table
    s['indirect-chain'] = (
        u8(8) + u8(3) + at(0x10000) +
        vq_table(at(0x30000), [(at(0x20000), 16, NEXT, 1),
                               (at(0x21000), 4096, NEXT | WRITE, 2),
                               (at(0x22000), 1, WRITE, 0)]) +
        vq_desc(5, at(0x30000), 48, INDIRECT, 0) +
        vq_add(5) + vq_pop(True, 4097) +
        u8(9) + u16(0) + u16(1) + u8(10))
    # buffers at the very edges of both RAM regions
    s['edges'] = (
        u8(3) + u8(0) + at(0x10000) +
        vq_desc(0, low_end_minus(16), 16, NEXT, 1) +
        vq_desc(1, high(0), 4096, NEXT | WRITE, 2) +
        vq_desc(2, high_end_minus(1), 1, WRITE, 0) +
        vq_add(0) + vq_pop())
    # the ring itself in high RAM, a 16-segment chain, then more pops
    s['high-ring'] = (
        u8(10) + u8(2) + high(0x1000) +
        vq_chain(7, [(at(0x40000 + 0x100 * k), 0x100, k >= 8)
                     for k in range(16)]) +
        vq_chain(100, [(high(0x20000), 64, False),
                       (high(0x21000), 64, True)]) +
        vq_pop() + vq_pop())
    # a loop: refused, the queue stops
    s['loop'] = (
        u8(2) + u8(0) + at(0x10000) +
        vq_desc(0, at(0x20000), 16, NEXT, 1) +
        vq_desc(1, at(0x21000), 16, NEXT, 0) +
        vq_add(0) + vq_pop())
    # RAM in one region, a chain straddling its end
    s['straddle'] = (
        u8(4) + u8(4) + at(0x10000) +
        vq_desc(0, low_end_minus(8), 16, 0, 0) + vq_add(0) + vq_pop())
    return s


# ---- blk ----

T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WZ = 0, 1, 2, 3, 4, 5


def blk_req(kind, sector, lens, dz=None):
    out = u8(0) + u8(kind) + u8(sector) + u8(len(lens) + (1 if dz else 0))
    if dz:
        out += u8(dz[0]) + u32(dz[1]) + u8(dz[2])
    for length in lens:
        out += u16(length)
    return out


def sectors(n):
    return 0x8000 | n


KICK = u8(2)


def blk_seeds():
    s = {}
    allf = 0xffffffff
    rw = (blk_req(T_OUT, 2, [sectors(8)]) + KICK +
          blk_req(T_IN, 2, [sectors(8)]) + KICK +
          blk_req(T_FLUSH, 0, []) + KICK +
          blk_req(T_GET_ID, 0, [20]) + KICK)
    for dev, name in enumerate(['sync', 'aio', 'ro', 'direct']):
        s['rw-' + name] = u8(dev) + u8(0) + u32(allf) + rw
    # DISCARD and WRITE_ZEROES (with unmap), then the last sector (201:
    # the capacity less one)
    s['zeroes'] = (u8(0) + u8(0) + u32(allf) +
                   blk_req(T_DISCARD, 0, [], (8, 8, 0)) +
                   blk_req(T_WZ, 0, [], (16, 8, 1)) + KICK +
                   blk_req(T_IN, 201, [sectors(1)]) + KICK)
    # indirect table, header in two, status inside the last data buffer
    s['indirect-split'] = (u8(1) + u8(0) + u32(allf) +
                           blk_req(T_IN | 0x08 | 0x10 | 0x20, 4,
                                   [sectors(2), 513]) +
                           blk_req(T_OUT | 0x08, 4, [sectors(3)]) + KICK)
    # no FLUSH negotiated: write-through; a batch of writes, one kick
    s['write-through'] = (u8(1) + u8(0) + u32(~(1 << 9)) +
                          b''.join(blk_req(T_OUT, 8 * k, [sectors(8)])
                                   for k in range(8)) + KICK)
    # O_DIRECT with buffers not 512-aligned: the bounce path
    s['direct-bounce'] = (u8(3) + u8(0) + u32(allf) +
                          blk_req(T_OUT, 0, [100, 412]) + KICK +
                          blk_req(T_IN, 0, [sectors(1)]) + KICK)
    return s


# ---- net ----

def net_tx(len_sel, flags, header, splits=(), extra=b''):
    out = u8(0) + u8(len_sel) + extra + u8(flags) + header
    out += u8(len(splits)) + b''.join(u16(v) for v in splits)
    return out


def net_rx(nchains, seg_words, flags=0):
    out = u8(2) + u8(flags | (nchains - 1))
    for _ in range(nchains):
        out += u8(len(seg_words) - 1) + b''.join(u16(w) for w in seg_words)
    return out


def net_host_frame(length):
    return u8(3) + b'\0\0\0\0' + u8(128) + u16(length)


def buf_bytes(n):                 # RX segment of n bytes (n = 4k + 4)
    return 0x8000 | ((n - 4) // 4)


def net_seeds():
    s = {}
    allf = 0xffffffff
    mrg_hdr = 12
    # everything on: MRG_RXBUF and TSO need 64 KiB of buffers to read
    s['all-features'] = (
        u8(0) + u32(allf) +
        net_tx(98, 0, bytes(12)) + u8(4) + u8(2) +
        b''.join(net_rx(8, [buf_bytes(2048)]) for _ in range(5)) +
        net_host_frame(1514 + mrg_hdr) + u8(5) +
        net_host_frame(60 + mrg_hdr) + u8(5))
    # plain header, no offloads: one big buffer per frame
    plain = (1 << 5) | (1 << 16) | (1 << 28)   # MAC, STATUS, INDIRECT
    s['plain'] = (
        u8(0) + u32(plain) +
        net_rx(2, [buf_bytes(2048)]) +
        net_host_frame(100) + u8(5) +
        net_tx(128, 1, bytes(12), (200, 300), u16(1024)) + u8(4) + u8(2))
    # MRG_RXBUF without TSO: a frame across small buffers
    mrg = (1 << 15) | (1 << 5)
    s['mrg-small-buffers'] = (
        u8(0) + u32(mrg) +
        net_rx(8, [0xff]) +             # 256-byte buffers
        net_host_frame(1000) + u8(5))
    # TX frames at the limits: one short, the largest, one too large
    s['tx-limits'] = (
        u8(0) + u32(plain) +
        net_tx(63, 0, bytes(12)) +
        net_tx(223, 0, bytes(12), (32768,)) +
        net_tx(224, 0, bytes(12), (32768,)) + u8(4) + u8(2))
    return s


# ---- pci ----

def pci_cfg(dev, reg, length_idx, write, value=0, byte=0):
    # op 3: CONFIG_ADDRESS for devs[dev] (0 bridge, 1 virtio, 2 pvpanic),
    # then one CONFIG_DATA access at byte `byte` of the dword
    sel = (0x80 if write else 0) | (length_idx << 2) | byte
    return u8(3) + u8(dev) + u8(reg) + u8(sel) + u32(value)


L1, L2, L4 = 0, 1, 2


def pci_mmio(base, off, length_idx, write, value=0):
    sel = (0x80 if write else 0) | (length_idx << 2) | base
    return u8(4) + u8(sel) + u16(off) + u64(value)


def pci_bar0(off, length_idx, write, value=0):
    sel = (0x80 if write else 0) | length_idx
    return u8(5) + u8(sel) + u8(off) + u32(value)


def pci_seeds():
    s = {}
    enum = b''
    for dev in range(3):
        enum += pci_cfg(dev, 0x00, L4, False)
        enum += pci_cfg(dev, 0x08, L4, False)
        enum += pci_cfg(dev, 0x0c, L1, False, byte=2)
    s['enumerate'] = enum
    # Linux sizes every BAR with decode off, then restores it
    size = pci_cfg(1, 0x04, L2, True, 0)
    for reg in (0x10, 0x14):
        size += (pci_cfg(1, reg, L4, True, 0xffffffff) +
                 pci_cfg(1, reg, L4, False))
    size += (pci_cfg(1, 0x10, L4, True, 0xc001) +
             pci_cfg(1, 0x14, L4, True, 0xc0000000) +
             pci_cfg(1, 0x04, L2, True, 0x7))
    s['size-bars'] = size
    # MSI-X: mask all, program entry 0, enable, unmask, fire, read PBA
    msix = (pci_cfg(1, 0x40, L2, True, 0xc000, byte=2) +
            u8(7) + u8(0) + u32(0xfee00000) +
            u8(7) + u8(1) + u32(0) +
            u8(7) + u8(2) + u32(0x4021) +
            pci_cfg(1, 0x40, L2, True, 0x8000, byte=2) +
            u8(6) + u8(1) +                      # vector 0, masked
            u8(7) + u8(3) + u32(0) +             # unmask: it fires
            pci_mmio(0, 0x30, L4, False) +       # PBA
            pci_mmio(0, 0x08, L2, False))
    s['msix'] = msix
    # the legacy virtio header through BAR0, then INTx
    s['virtio-bar0'] = (pci_bar0(0, L4, False) +
                        pci_bar0(18, L1, True, 3) +
                        pci_bar0(14, L2, True, 0) +
                        pci_bar0(12, L2, False) +
                        pci_bar0(8, L4, True, 4) +
                        pci_bar0(18, L1, True, 7) +
                        u8(6) + u8(2 | 4) +      # INTx up
                        pci_cfg(1, 0x04, L2, True, 0x407) +
                        pci_bar0(19, L1, False) +
                        u8(6) + u8(2))           # INTx down
    # pvpanic: read the events, report a crash kernel
    s['pvpanic'] = (pci_mmio(1, 0, L1, False) +
                    pci_mmio(1, 0, L1, True, 2) +
                    pci_cfg(2, 0x10, L4, True, 0xffffffff) +
                    pci_cfg(2, 0x10, L4, False))
    return s


# ---- kernels ----

def stripped_hello():
    src = os.path.join(ROOT, 'build', 'guest', 'hello.elf')
    if not os.path.exists(src):
        sys.exit('make-seeds: build %s first (make guest)' % src)
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run(['strip', '-o', t.name, src], check=True)
        return open(t.name, 'rb').read()


def tool(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def small_elf(text, paddr=0x100000):
    """An ELF64 kernel: one PT_LOAD of `text` at paddr, 4 KiB of .bss."""
    eh = (b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) +
          u16(2) + u16(62) + u32(1) + u64(paddr) + u64(64) + u64(0) +
          u32(0) + u16(64) + u16(56) + u16(1) + u16(64) + u16(0) + u16(0))
    ph = (u32(1) + u32(5) + u64(120) + u64(paddr) + u64(paddr) +
          u64(len(text)) + u64(len(text) + 4096) + u64(0x1000))
    return eh + ph + text


# The bzImage harness's small RAM is 256 KiB: kernels there live at
# 192 KiB, above the command line (128 KiB + 64 KiB).
SMALL_KERNEL = 0x30000


def bzimage(payload, vmlinux_len, load=SMALL_KERNEL):
    """A bzImage around a compressed payload (boot protocol 2.15):
    relocatable when it loads at 1 MiB, else fixed at `load`."""
    setup = bytearray(2 * 512)                 # setup_sects = 1
    pm = b'\x90' * 0x200 + payload + u32(vmlinux_len)
    hdr = {
        0x1f1: u8(1), 0x1f4: u32(len(pm) // 16), 0x1fe: u16(0xaa55),
        0x200: b'\xeb\x6a', 0x202: b'HdrS', 0x206: u16(0x020f),
        0x20e: u16(0x100), 0x211: u8(1), 0x22c: u32(0x7fffffff),
        0x230: u32(0x100000), 0x234: u8(load == 0x100000),
        0x236: u16(3), 0x238: u32(2047), 0x248: u32(0x200),
        0x24c: u32(len(payload) + 4), 0x258: u64(load),
        0x260: u32(0x8000),
    }
    for off, b in hdr.items():
        setup[off:off + len(b)] = b
    version = b'6.1.0-fuzz (hello)\0'
    setup[0x300:0x300 + len(version)] = version
    return bytes(setup) + pm


def kernel_seeds():
    elf = stripped_hello()
    e = {'hello-auto': u8(0) + elf, 'hello-64': u8(2) + elf}
    # the smallest ELF that loads: 16 bytes of hlt at 1 MiB
    e['tiny'] = u8(0) + small_elf(b'\xf4' * 16)
    # The bzImage harness's RAM is small (decompression is bounded by
    # it, and every corrupt stream costs up to that bound), so the
    # payload is hello's first 4 KiB of code as a small kernel, in every
    # format, each with a small dictionary or window.
    vm = small_elf(elf[0x1000:0x2000], SMALL_KERNEL)
    small_dict = [{'id': lzma.FILTER_LZMA2, 'dict_size': 1 << 16}]
    alone_dict = [{'id': lzma.FILTER_LZMA1, 'dict_size': 1 << 16}]
    payloads = {
        'gzip': gzip.compress(vm, 9, mtime=0),
        'xz': lzma.compress(vm, lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                            filters=small_dict),
        'lzma': lzma.compress(vm, lzma.FORMAT_ALONE, filters=alone_dict),
        'zstd': tool(['zstd', '-19', '-q', '-c'], vm),
        'lz4': tool(['lz4', '-l', '-9', '-q', '-c'], vm),
    }
    b = {k: u8(0) + bzimage(v, len(vm)) for k, v in payloads.items()}
    # guest decompression: fixed at 192 KiB, and relocatable at 1 MiB in
    # the larger RAM (where the initrd fits too)
    b['guest-decompress'] = u8(1) + bzimage(payloads['gzip'], len(vm))
    b['guest-decompress-1m'] = u8(3) + bzimage(payloads['gzip'], len(vm),
                                               0x100000)
    return e, b


# ---- options ----

def argv(*args):
    return b'\0'.join(a.encode() for a in args)


def options_seeds():
    return {
        'basic': argv('run', '-k', 'bzImage', '-i', 'initrd', '-m', '512M',
                      '-c', '2', '--timeout', '300'),
        'elf': argv('run', '-k', 'vmlinux', '--elf-entry', 'pvh', '-p',
                    'console=ttyS0 quiet', '--no-default-params', '-v',
                    '-v', '--console-log', 'log.txt'),
        'devices': argv('run', '--kernel=k', '--disk',
                        'disk.img,ro,direct,serial=ABC-1,engine=sync',
                        '--disk', 'b.img', '--net',
                        'tap0,mac=52:54:00:12:34:56', '--net', 'tap1'),
        'bzimage': argv('run', '--guest-decompress', '-k', 'bz', '--pvm',
                        '-m2G', '-c64', '--timeout=0.5'),
        'fs': argv('run', '-k', 'k', '--share', '/srv/d,tag=data,ro',
                   '--fs', '/run/s.sock,tag=ext', '--rootfs', '/', '--rw',
                   '--', 'sh', '-c', 'exit 42'),
        'help': argv('--help'),
        'bad': argv('run', '-vk', 'k', '-Z', '--mem', '10X'),
    }


# vhost: byte 0 odd = a session (the rest is the backend's stream), even =
# one reply checked alone (request, fd count, bytes).
def vu_reply(req, payload):
    return u32(req) + u32(0x5) + u32(len(payload)) + payload


def vhost_seeds():
    setup = (vu_reply(1, u64(0x175000000)) + vu_reply(15, u64(0x8c2b)) +
             vu_reply(17, u64(2)) + vu_reply(3, u64(0)))
    acks = b''.join(vu_reply(r, u64(0)) for r in (2, 5, 8, 9, 10, 13, 12, 18))
    stop = vu_reply(11, u32(1) + u32(7))
    return {
        'session-virtiofsd': u8(1) + setup + acks + stop,
        'session-no-protocol': u8(1) + vu_reply(1, u64(1 << 32)),
        'session-nack': u8(1) + setup + vu_reply(2, u64(1)),
        'reply-features': u8(0) + u8(1) + u8(0) + vu_reply(1, u64(1 << 32)),
        'reply-vring-base': u8(0) + u8(11) + u8(0) +
                            vu_reply(11, u32(0) + u32(3)),
    }


def main():
    write('virtq', virtq_seeds())
    write('blk', blk_seeds())
    write('net', net_seeds())
    write('pci', pci_seeds())
    e, b = kernel_seeds()
    write('elf', e)
    write('bzimage', b)
    write('options', options_seeds())
    write('vhost', vhost_seeds())


if __name__ == '__main__':
    main()
