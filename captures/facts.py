#!/usr/bin/env python3
"""Facts about the committed captures, computed with tshark (and ja4plus when installed), never
with aiwatch. Writes captures/FACTS.md; the tests assert these facts.

  python3 captures/facts.py [PCAP...]   (default: every captures/*.pcap)

Per capture: frame count; flows (TCP/UDP 5-tuple, client = sender of the first packet) with
packets, L4 payload bytes, IP bytes and frame bytes per direction; DNS transactions; TLS and QUIC
ClientHellos (SNI, ALPN, versions, JA3 from tshark, JA4 computed here from tshark's fields per the
FoxIO spec and, independently, by ja4plus); ServerHello version/cipher; certificate names seen in
clear (TLS <= 1.2); HTTP/1 requests.
"""

import csv
import glob
import io
import hashlib
import os
import shutil
import subprocess
import sys
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))


def tshark(pcap, display_filter, fields):
    cmd = ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append(dict(zip(fields, cols)))
    return rows


def flow_key(r):
    if r["tcp.srcport"]:
        proto, sp, dp = "tcp", r["tcp.srcport"], r["tcp.dstport"]
    elif r["udp.srcport"]:
        proto, sp, dp = "udp", r["udp.srcport"], r["udp.dstport"]
    else:
        return None, None
    a, b = (r["ip.src"], sp), (r["ip.dst"], dp)
    return (proto,) + tuple(sorted([a, b])), (a, b)


def flows(pcap):
    fields = ["frame.number", "frame.len", "ip.src", "ip.dst", "ip.len", "tcp.srcport", "tcp.dstport",
              "udp.srcport", "udp.dstport", "tcp.len", "udp.length"]
    table = OrderedDict()
    for r in tshark(pcap, "ip", fields):
        key, ends = flow_key(r)
        if key is None:
            continue
        a, b = ends
        f = table.get(key)
        if f is None:
            f = table[key] = {"proto": key[0], "client": a, "server": b, "first": int(r["frame.number"]),
                              "c2s": [0, 0, 0, 0], "s2c": [0, 0, 0, 0]}
        d = f["c2s"] if a == f["client"] else f["s2c"]
        payload = int(r["tcp.len"]) if key[0] == "tcp" else int(r["udp.length"]) - 8
        d[0] += 1
        d[1] += payload
        d[2] += int(r["ip.len"])
        d[3] += int(r["frame.len"])
    return table


def hexlist(text):
    return [int(x, 16) for x in text.split(",") if x]


def is_grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def ja4(proto_letter, r):
    """JA4 (FoxIO spec) from tshark's ClientHello fields."""
    versions = [v for v in hexlist(r["tls.handshake.extensions.supported_version"]) if not is_grease(v)]
    version = max(versions) if versions else int(r["tls.handshake.version"].split(",")[0], 16)
    vmap = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2"}
    ciphers = [c for c in hexlist(r["tls.handshake.ciphersuite"]) if not is_grease(c)]
    exts = [e for e in (int(x) for x in r["tls.handshake.extension.type"].split(",") if x) if not is_grease(e)]
    sni = "d" if 0 in exts else "i"
    alpns = [a for a in r["tls.handshake.extensions_alpn_str"].split(",") if a]
    alpn = (alpns[0][0] + alpns[0][-1]) if alpns else "00"
    sigs = [s for s in hexlist(r["tls.handshake.sig_hash_alg"]) if not is_grease(s)]
    part_a = "%s%s%s%02d%02d%s" % (proto_letter, vmap.get(version, "00"), sni, min(len(ciphers), 99),
                                   min(len(exts), 99), alpn)

    def h(text):
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    part_b = h(",".join("%04x" % c for c in sorted(ciphers))) if ciphers else "000000000000"
    ext_txt = ",".join("%04x" % e for e in sorted(exts) if e not in (0x0000, 0x0010))
    if sigs:
        ext_txt += "_" + ",".join("%04x" % s for s in sigs)
    part_c = h(ext_txt) if exts else "000000000000"
    return "%s_%s_%s" % (part_a, part_b, part_c)


def ja4plus(pcap):
    """JA4 per flow from the independent ja4plus tool, keyed by 'client:port -> server:port'."""
    tool = shutil.which("ja4plus")
    if not tool:
        return {}
    out = subprocess.run([tool, "--format", "csv", "--types", "ja4", "analyze", pcap],
                         capture_output=True, text=True, check=True).stdout
    result = {}
    for row in csv.DictReader(io.StringIO(out)):
        if row["type"] == "ja4":
            key = "%s:%s -> %s:%s" % (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"])
            result[key] = row["fingerprint"]
    return result


CH_FIELDS = ["frame.number", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
             "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
             "tls.handshake.extensions.supported_version", "tls.handshake.version",
             "tls.handshake.ciphersuite", "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
             "tls.handshake.extensions_supported_group", "tls.handshake.ja3", "tcp.len",
             "tcp.reassembled.length", "tcp.segment.count", "tls.handshake.length", "quic.version"]


def report(pcap):
    name = os.path.basename(pcap)
    lines = ["## %s" % name, ""]
    count = len(tshark(pcap, "", ["frame.number"]))
    lines.append("frames: %d" % count)
    bad = subprocess.run(
        ["tshark", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE", "-Y",
         "ip.checksum.status==0 or tcp.checksum.status==0 or udp.checksum.status==0"],
        capture_output=True, text=True, check=True).stdout.count("\n")
    private = len(tshark(pcap, "ip.addr==10.77.0.0/24 or dns.a==10.77.0.0/24 or "
                         "dns.svcb.svcparam.ipv4hint.ip==10.77.0.0/24", ["frame.number"]))
    other = len(tshark(pcap, "not (ip and (tcp or udp))", ["frame.number"]))
    lines.append("")
    lines.append("checks: frames with a bad IPv4/TCP/UDP checksum: %d; frames still holding a "
                 "recording address (10.77.0.0/24): %d; frames other than IPv4 TCP/UDP: %d"
                 % (bad, private, other))
    lines.append("")
    table = flows(pcap)
    lines += ["### flows (client = sender of the first packet)", "",
              "| # | proto | client | server | pkts c→s | pkts s→c | payload c→s | payload s→c | IP bytes c→s | IP bytes s→c | frame bytes c→s | frame bytes s→c |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, f in enumerate(table.values(), 1):
        c, s = f["c2s"], f["s2c"]
        lines.append("| %d | %s | %s:%s | %s:%s | %d | %d | %d | %d | %d | %d | %d | %d |" % (
            i, f["proto"], f["client"][0], f["client"][1], f["server"][0], f["server"][1],
            c[0], s[0], c[1], s[1], c[2], s[2], c[3], s[3]))
    lines.append("")

    dns = tshark(pcap, "dns", ["frame.number", "ip.src", "ip.dst", "tcp.srcport", "udp.srcport",
                               "dns.id", "dns.flags.response", "dns.qry.name", "dns.qry.type",
                               "dns.flags.rcode", "dns.cname", "dns.a", "dns.aaaa", "dns.resp.ttl",
                               "dns.svcb.svcparam.alpn", "dns.svcb.svcparam.ipv4hint.ip"])
    if dns:
        lines += ["### DNS", "", "| frame | transport | from | to | id | qr | name | qtype | rcode | CNAMEs | A | TTLs | SVCB/HTTPS alpn, ipv4hint |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in dns:
            svcb = "-"
            if r["dns.svcb.svcparam.alpn"] or r["dns.svcb.svcparam.ipv4hint.ip"]:
                svcb = "%s; %s" % (r["dns.svcb.svcparam.alpn"], r["dns.svcb.svcparam.ipv4hint.ip"])
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["frame.number"], "tcp" if r["tcp.srcport"] else "udp", r["ip.src"], r["ip.dst"],
                r["dns.id"], "response" if r["dns.flags.response"] in ("1", "True") else "query",
                r["dns.qry.name"], r["dns.qry.type"], r["dns.flags.rcode"] or "-", r["dns.cname"] or "-",
                r["dns.a"] or "-", r["dns.resp.ttl"] or "-", svcb))
        lines.append("")

    independent = ja4plus(pcap)
    hellos = tshark(pcap, "tls.handshake.type == 1", CH_FIELDS)
    if hellos:
        lines += ["### ClientHellos", "",
                  "| frame | transport | client | server | SNI | ALPN offered | supported_versions | groups | CH TCP segments | JA3 (tshark) | JA4 (tshark fields + spec) | JA4 (ja4plus) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in hellos:
            quic = bool(r["quic.version"])
            sport = r["udp.srcport"] if quic else r["tcp.srcport"]
            dport = r["udp.dstport"] if quic else r["tcp.dstport"]
            mine = ja4("q" if quic else "t", r)
            theirs = independent.get("%s:%s -> %s:%s" % (r["ip.src"], sport, r["ip.dst"], dport), "n/a")
            if theirs not in ("n/a", mine):
                theirs += " (DIFFERS)"
            segs = "-" if quic else (r["tcp.segment.count"] or "1")
            lines.append("| %s | %s | %s:%s | %s:%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["frame.number"], "quic " + r["quic.version"].split(",")[0] if quic else "tcp",
                r["ip.src"], sport, r["ip.dst"], dport,
                r["tls.handshake.extensions_server_name"] or "(none)",
                r["tls.handshake.extensions_alpn_str"] or "-",
                r["tls.handshake.extensions.supported_version"] or "-",
                r["tls.handshake.extensions_supported_group"] or "-", segs,
                r["tls.handshake.ja3"] or "-", mine, theirs))
        lines.append("")
    shellos = tshark(pcap, "tls.handshake.type == 2", ["frame.number", "ip.src", "ip.dst",
                     "tls.handshake.extensions.supported_version", "tls.handshake.version",
                     "tls.handshake.ciphersuite", "tls.handshake.extensions_alpn_str", "tls.handshake.ja3s"])
    if shellos:
        lines += ["### ServerHellos", "", "| frame | server | client | version | cipher | ALPN (clear) | JA3S (tshark) |",
                  "|---|---|---|---|---|---|---|"]
        for r in shellos:
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                r["frame.number"], r["ip.src"], r["ip.dst"],
                r["tls.handshake.extensions.supported_version"] or r["tls.handshake.version"],
                r["tls.handshake.ciphersuite"], r["tls.handshake.extensions_alpn_str"] or "-",
                r["tls.handshake.ja3s"] or "-"))
        lines.append("")
    certs = tshark(pcap, "tls.handshake.type == 11", ["frame.number", "ip.src", "ip.dst",
                   "x509sat.uTF8String", "x509ce.dNSName"])
    if certs:
        lines += ["### certificates in clear", "", "| frame | server | client | subject/issuer CN | SAN dNSNames |",
                  "|---|---|---|---|---|"]
        for r in certs:
            lines.append("| %s | %s | %s | %s | %s |" % (r["frame.number"], r["ip.src"], r["ip.dst"],
                                                     r["x509sat.uTF8String"], r["x509ce.dNSName"]))
        lines.append("")
    http = tshark(pcap, "http.request", ["frame.number", "ip.src", "ip.dst", "tcp.dstport",
                  "http.request.method", "http.host", "http.request.uri", "http.content_length"])
    if http:
        lines += ["### HTTP/1 requests", "", "| frame | client | server | port | method | Host | URI | Content-Length |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in http:
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["frame.number"], r["ip.src"], r["ip.dst"], r["tcp.dstport"], r["http.request.method"],
                r["http.host"], r["http.request.uri"], r["http.content_length"] or "-"))
        lines.append("")
    return lines


def main():
    pcaps = sys.argv[1:] or sorted(glob.glob(os.path.join(HERE, "*.pcap")))
    out = ["# Capture facts", "",
           "Generated by `python3 captures/facts.py` from tshark %s output%s. Do not edit by hand." % (
               subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.split()[2],
               " and ja4plus" if shutil.which("ja4plus") else ""),
           "Payload = TCP segment data or UDP data; IP bytes = sum of IPv4 total length; frame bytes = "
           "Ethernet frame length as captured.", ""]
    for p in pcaps:
        out += report(p)
    with open(os.path.join(HERE, "FACTS.md"), "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
