#!/usr/bin/env python3
"""Rewrite the private recording addresses of a pcap to the realistic ones aiwatch is tested with.

  rewrite.py IN.pcap OUT.pcap        rewrite (Ethernet/IPv4 pcap as tcpdump writes it)
  rewrite.py --check [GEO.mmdb]      print the address map with each address's country

What changes: IPv4 source/destination, ARP sender/target addresses, the IPv4 header inside ICMP
errors, and DNS answer data (A records, SVCB/HTTPS ipv4hint; AAAA untouched as the recording is
IPv4-only) in UDP and
TCP port-53 payloads, in place (same length, so TCP sequence numbers stay valid). IPv4 header,
UDP, TCP and ICMP checksums are recomputed. Timestamps, lengths, MACs and every other byte stay
as recorded. Any 10.77.0.0/24 address without a mapping is an error.
"""

import struct
import sys

# recording address -> address in the committed capture (see README.md for the countries)
ADDRESS_MAP = {
    "10.77.0.21": "192.168.10.21",  # internal client
    "10.77.0.22": "192.168.10.22",  # internal client
    "10.77.0.23": "192.168.10.23",  # internal client
    "10.77.0.53": "192.168.10.53",  # internal DNS resolver
    "10.77.0.101": "116.205.173.10",  # api/chat.deepseek.com          CN
    "10.77.0.102": "104.18.32.47",  # api.openai.com                   US
    "10.77.0.103": "39.106.22.173",  # api.moonshot.cn                 CN
    "10.77.0.104": "160.79.104.10",  # api.anthropic.com               US
    "10.77.0.105": "172.66.0.243",  # shared CDN front (no-SNI case)   US
    "10.77.0.106": "8.219.170.45",  # x.cdn.example (CNAME target)     SG
    "10.77.0.107": "51.159.22.45",  # api.mistral.ai                   FR
    "10.77.0.108": "120.92.78.97",  # chat.deepseek.com (Chromium)     CN
}
RECORDING_PREFIX = bytes([10, 77, 0])


def ip4(text):
    return bytes(int(x) for x in text.split("."))


MAP = {ip4(k): ip4(v) for k, v in ADDRESS_MAP.items()}


def mapped(addr):
    if addr in MAP:
        return MAP[addr]
    if addr[:3] == RECORDING_PREFIX:
        raise SystemExit("unmapped recording address %s" % ".".join(map(str, addr)))
    return addr


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1
        if n == 0:
            return off
        off += n


def patch_ipv4(buf, off):
    new = mapped(bytes(buf[off:off + 4]))
    if new == buf[off:off + 4]:
        return 0
    buf[off:off + 4] = new
    return 1


def rewrite_svcb(msg, start, end):
    off = start + 2  # SvcPriority
    while msg[off] != 0:  # TargetName, never compressed (RFC 9460 2.2)
        off += 1 + msg[off]
    off += 1
    changed = 0
    while off + 4 <= end:
        key, length = struct.unpack_from("!HH", msg, off)
        off += 4
        if key == 4:
            for i in range(off, off + length, 4):
                changed += patch_ipv4(msg, i)
        off += length
    return changed


def rewrite_dns(msg):
    """Patch A rdata in place; returns the number of records changed. Raises on malformed input."""
    msg_len = len(msg)
    qd, an, ns_, ar = struct.unpack_from("!HHHH", msg, 4)
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    changed = 0
    for _ in range(an + ns_ + ar):
        off = skip_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", msg, off)
        off += 10
        if rtype == 1 and rdlen == 4:
            changed += patch_ipv4(msg, off)
        elif rtype in (64, 65):  # SVCB / HTTPS: ipv4hint (SvcParamKey 4) holds addresses
            changed += rewrite_svcb(msg, off, off + rdlen)
        off += rdlen
        if off > msg_len:
            raise ValueError("record past end")
    return changed


def l4_checksum(src, dst, proto, seg, csum_off):
    seg[csum_off:csum_off + 2] = b"\0\0"
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    value = csum(pseudo + bytes(seg))
    if proto == 17 and value == 0:
        value = 0xFFFF
    seg[csum_off:csum_off + 2] = struct.pack("!H", value)


def rewrite_ipv4(pkt, base, stats):
    ihl = (pkt[base] & 0x0F) * 4
    total = struct.unpack_from("!H", pkt, base + 2)[0]
    proto = pkt[base + 9]
    src = mapped(bytes(pkt[base + 12:base + 16]))
    dst = mapped(bytes(pkt[base + 16:base + 20]))
    pkt[base + 12:base + 16] = src
    pkt[base + 16:base + 20] = dst
    pkt[base + 10:base + 12] = b"\0\0"
    pkt[base + 10:base + 12] = struct.pack("!H", csum(bytes(pkt[base:base + ihl])))
    frag = struct.unpack_from("!H", pkt, base + 6)[0]
    if frag & 0x3FFF:
        stats["fragments"] += 1
        return  # no fragments are expected in these recordings
    l4 = base + ihl
    end = base + total
    seg = pkt[l4:end]
    if proto == 17:
        sport, dport = struct.unpack_from("!HH", seg, 0)
        if 53 in (sport, dport):
            payload = seg[8:]
            stats["dns_a"] += rewrite_dns(payload)
            seg[8:] = payload
        if struct.unpack_from("!H", seg, 6)[0] != 0:
            l4_checksum(src, dst, 17, seg, 6)
    elif proto == 6:
        sport, dport = struct.unpack_from("!HH", seg, 0)
        doff = (seg[12] >> 4) * 4
        payload = seg[doff:]
        if 53 in (sport, dport) and len(payload) >= 2:
            length = struct.unpack_from("!H", payload, 0)[0]
            if length == len(payload) - 2:
                msg = payload[2:]
                stats["dns_a"] += rewrite_dns(msg)
                payload[2:] = msg
                seg[doff:] = payload
            else:
                stats["dns_tcp_unparsed"] += 1
        l4_checksum(src, dst, 6, seg, 16)
    elif proto == 1:
        icmp_type = seg[0]
        if icmp_type in (3, 11, 12) and len(seg) >= 28:
            inner = 8
            seg[inner + 12:inner + 16] = mapped(bytes(seg[inner + 12:inner + 16]))
            seg[inner + 16:inner + 20] = mapped(bytes(seg[inner + 16:inner + 20]))
            ihl2 = (seg[inner] & 0x0F) * 4
            seg[inner + 10:inner + 12] = b"\0\0"
            seg[inner + 10:inner + 12] = struct.pack("!H", csum(bytes(seg[inner:inner + ihl2])))
        seg[2:4] = b"\0\0"
        seg[2:4] = struct.pack("!H", csum(bytes(seg)))
    pkt[l4:end] = seg


def rewrite_frame(pkt, stats):
    if len(pkt) < 14:
        return
    ethertype = struct.unpack_from("!H", pkt, 12)[0]
    if ethertype == 0x0800:
        rewrite_ipv4(pkt, 14, stats)
        stats["ipv4"] += 1
    elif ethertype == 0x0806:
        pkt[28:32] = mapped(bytes(pkt[28:32]))
        pkt[38:42] = mapped(bytes(pkt[38:42]))
        stats["arp"] += 1
    else:
        stats["other"] += 1


def rewrite_file(src, dst):
    data = open(src, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1" or magic == b"\x4d\x3c\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4" or magic == b"\xa1\xb2\x3c\x4d":
        endian = ">"
    else:
        raise SystemExit("%s: not a pcap file" % src)
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        raise SystemExit("%s: link type %d, expected Ethernet" % (src, linktype))
    out = bytearray(data[:24])
    off = 24
    stats = {"frames": 0, "ipv4": 0, "arp": 0, "other": 0, "dns_a": 0, "fragments": 0,
             "dns_tcp_unparsed": 0}
    while off < len(data):
        ts_sec, ts_frac, incl, orig = struct.unpack_from(endian + "IIII", data, off)
        pkt = bytearray(data[off + 16:off + 16 + incl])
        if incl != orig:
            raise SystemExit("%s: truncated frame, record with -s 0" % src)
        rewrite_frame(pkt, stats)
        out += data[off:off + 16] + pkt
        off += 16 + incl
        stats["frames"] += 1
    with open(dst, "wb") as f:
        f.write(out)
    print("%s -> %s %s" % (src, dst, " ".join("%s=%d" % kv for kv in stats.items())), file=sys.stderr)


def check(geo_path):
    import maxminddb

    with maxminddb.open_database(geo_path) as reader:
        for old, new in ADDRESS_MAP.items():
            print(old, new, (reader.get(new) or {}).get("country_code"))


def main():
    if sys.argv[1] == "--check":
        check(sys.argv[2] if len(sys.argv) > 2 else "/work/shared/geo/geo-whois-asn-country.mmdb")
    else:
        rewrite_file(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
