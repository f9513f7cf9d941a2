#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/seeds/TARGET/) from
sample-logs/ and tests/configs/: a few lines of each sample, in the input
shape of each target (see the target's docs in fuzz/fuzz_targets/), one
file per seed, named by its content's hash so equal seeds are one file.

Run from anywhere; it replaces fuzz/seeds/ wholesale."""

import hashlib
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample-logs"
SEEDS = ROOT / "fuzz" / "seeds"
LINES = 3

# Preset index in PRESETS (src/format/spec.rs) and format strings.
PRESETS = ["combined", "common", "vcombined", "combined_rt", "combined_upstream", "main", "combined_D"]
APACHE = {
    "apache-combined-D.log": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D',
    "apache-common.log": '%h %l %u %t "%r" %>s %b',
    "apache-vcombined.log": '%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
}
NGINX = {
    "combined_rt.log": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time',
    "nginx-upstream.log": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time',
    "dashed.log": "$remote_addr-[$time_local]-$request-$status-$request_time",
    "mixed-bad.log": "log_format main '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time';",
}
PRESET_OF = {
    "apache-combined-D.log": "combined_D",
    "apache-common.log": "common",
    "apache-vcombined.log": "vcombined",
    "combined_rt.log": "combined_rt",
    "nginx-upstream.log": "combined_upstream",
    "mixed-bad.log": "combined_rt",
}
REGEX = r"^(?P<time>\S+) (?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d{3}) in (?P<latency_ms>\d+)ms"
JSON = ["caddy.log", "traefik.log", "nginx-json.log"]


def head(name, n=LINES):
    with open(SAMPLES / name, "rb") as f:
        return b"".join(f.readline() for _ in range(n))


def bad_lines(name):
    """A few of the sample's lines that do not start like a request line
    (mixed-bad's injected garbage), leaving out its 70 kB line: inputs are
    cut at -max_len anyway."""
    lines = (SAMPLES / name).read_bytes().splitlines(keepends=True)
    return b"".join([l for l in lines if not l[:1].isdigit() and len(l) < 2000][:LINES * 2])


def write(target, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    logs = sorted(p.name for p in SAMPLES.glob("*.log"))
    for name in logs:
        write("detect", head(name, 6))
    write("detect", bad_lines("mixed-bad.log") + head("mixed-bad.log"))
    for name, preset in PRESET_OF.items():
        write("format_preset", bytes([PRESETS.index(preset)]) + head(name))
    write("format_preset", bytes([PRESETS.index("combined_rt")]) + bad_lines("mixed-bad.log"))
    w3c_seeds()
    messy_seeds()
    for name, fmt in APACHE.items():
        write("format_apache", fmt.encode() + b"\n" + head(name))
    write("format_apache", b'LogFormat "%h %t \\"%r\\" %>s %T" short\n' + head("apache-common.log", 1))
    for name, fmt in NGINX.items():
        write("format_nginx", fmt.encode() + b"\n" + head(name))
    write("format_regex", REGEX.encode() + b"\n" + head("app-regex.log"))
    for name in JSON:
        write("format_json", b"\n" + head(name))
    write("format_json", b"latency=Duration:ns,path=RequestPath\n" + head("traefik.log"))
    targets = []
    for name in ["apache-common.log", "caddy.log", "traefik.log"]:
        for line in head(name, 20).splitlines():
            for part in line.replace(b'"', b" ").split():
                if part.startswith(b"/") and part not in targets:
                    targets.append(part)
    targets += [
        b"/api/users/550e8400-e29b-41d4-a716-446655440000/orders?page=2",
        b"/v1/files/0123456789abcdef0123/2024-03-10T12:00/jane.doe@example.com",
        b"/grpc.health.v1.Health/Check",
        b"https://shop.example.com/cart/42.json#top",
        b"*",
        b"-",
    ]
    write("route", b"\n" + b"\n".join(targets))
    write("route", b"^/api/users/([^/]+)$=/api/users/:name\n/api/users/jane\n/api/users/1/x")
    exp = b"first.log\n" + b"\n".join(
        b"%s %s %s" % (m, t, s)
        for m, t, s in [
            (b"GET", b"/api/users/123", b"200"),
            (b"POST", b"/login", b"401"),
            (b"GET", b"/evil\"quote\\back", b"500"),
            (b"BREW", b"/\xff\xfe", b"418"),
            (b"GET", b"/a", b"200"),
            (b"GET", b"/b", b"200"),
            (b"GET", b"/c", b"200"),
            (b"GET", b"/d", b"200"),
        ]
    )
    write("exposition", exp)
    for p in sorted((ROOT / "tests" / "configs").glob("*/*.toml")):
        write("config_toml", p.read_bytes())
    for y in [
        b"basic_auth_users:\n  prom: $2y$04$abcdefghijklmnopqrstuuQ3Gp7nQ6fL2L6H0pZ0sG9v1bDq1lWq\n",
        b"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS12\n",
        b"http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n  http2: false\n",
        b"tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n    -----END CERTIFICATE-----\n  key: x\n",
    ]:
        write("web_config", y)
    auth = b"Authorization: Basic cHJvbTpzZWNyZXQ=\r\n"
    for req in [
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + b"Accept: application/openmetrics-text; version=1.0.0\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n\r\n",
        b"HEAD / HTTP/1.0\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /nothing?x=1 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
    ]:
        write("http", req)
    decode_seeds()


def decode_seeds():
    """The decode target: a sample's head as text and in each compression
    (gzip with two members, zstd by the `zstd` tool, bzip2, xz), cut
    short, and binary."""
    import bz2
    import gzip
    import lzma
    import subprocess

    text = head("combined_rt.log", 20)
    zst = subprocess.run(["zstd", "-q", "-c"], input=text, capture_output=True, check=True).stdout
    gz = gzip.compress(text[:500], mtime=0) + gzip.compress(text[500:], mtime=0)
    for data in [text, gz, zst, bz2.compress(text), lzma.compress(text)]:
        write("decode", data)
    write("decode", gz[: len(gz) // 2])
    write("decode", zst[: len(zst) // 2])
    write("decode", bytes(range(256)) * 4)


# format_builtin's presets, by the index its first byte picks
# (fuzz/fuzz_targets/format_builtin.rs), and a sample of each.
BUILTIN = {
    "alb": "alb.log", "elb": "elb.log", "s3": "s3.log", "haproxy": "haproxy.log",
    "envoy": "envoy.log", "traefik_clf": "traefik-clf.log", "ingress_nginx": "ingress-nginx.log",
}


def builtin_seeds():
    """Seeds of format_builtin: a few sample lines of each preset, plus
    Istio's lines under envoy and the edge cases of the parsers' tests
    (`-1` timers, `<BADREQ>`, no upstream)."""
    names = list(BUILTIN)
    for preset, name in BUILTIN.items():
        write("format_builtin", bytes([names.index(preset)]) + head(name))
    write("format_builtin", bytes([names.index("envoy")]) + head("istio.log"))
    edge = {
        "alb": b'https 2018-07-02T22:23:00.186641Z app/lb/1 [2001:db8::1]:443 - -1 -1 -1 502 - 34 0 "GET https://h:443/a?b HTTP/1.1" "ua" - -\n',
        "haproxy": b'10.0.1.2:33317 [06/Feb/2009:12:14:14.655] fe be/<NOSRV> -1/-1/-1/-1/3 400 187 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>"\n',
        "envoy": b'[2016-04-15T20:17:00.310Z] "- - -" 0 DC 10 20 30 - "-" "-" "-" "-" "-"\n',
        "s3": b'o b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - X S3.EXPIRE.OBJECT k "-" - - - - - - "-" "-" -\n',
    }
    for preset, line in edge.items():
        write("format_builtin", bytes([names.index(preset)]) + line)


# Preset index in Flavour::PRESETS (src/format/w3c.rs).
W3C = {"w3c.log": 0, "iis.log": 1, "cloudfront.log": 2}


def w3c_seeds():
    """format_w3c: the preset byte, then the sample's headers and first
    lines; IIS's restart (its second header) too."""
    for name, pick in W3C.items():
        write("format_w3c", bytes([pick]) + head(name, 8))
    lines = (SAMPLES / "iis.log").read_bytes().splitlines(keepends=True)
    restart = next(i for i, l in enumerate(lines) if i > 0 and l.startswith(b"#Software"))
    write("format_w3c", bytes([1]) + b"".join(lines[restart - 2:restart + 7]))


def messy_seeds():
    """format_messy: messy.log's first lines (every shape), and lines behind
    each shipper's prefix."""
    write("format_messy", head("messy.log", 24))
    line = head("apache-common.log", 1)
    for prefix in [b"web-1  | ", b"[pod/web-1/nginx] 2024-03-10T00:00:00.5Z ",
                   b"<190>Mar 10 00:00:00 web01 nginx[12]: "]:
        write("format_messy", (prefix + line) * 3)


# format_combined's formats, by the index its first byte picks
# (fuzz/fuzz_targets/format_combined.rs), and a sample of each.
FAMILY = {
    "combined": None, "common": "apache-common.log", "combined_rt": "combined_rt.log",
    "combined_D": "apache-combined-D.log", "nginx_common": None, "main": None,
    "combined_upstream": "nginx-upstream.log", "ingress_nginx": "ingress-nginx.log",
}


def family_seeds():
    """format_combined: the samples of the family's formats, combined_rt's
    lines as `combined` (timer cut) and `main` (an X-Forwarded-For added),
    mixed-bad's bad lines, and the hostile lines of the family's tests
    (escaped quotes, IPv6, `-` fields, bad values, invalid UTF-8)."""
    names = list(FAMILY)
    for preset, name in FAMILY.items():
        if name:
            write("format_combined", bytes([names.index(preset)]) + head(name))
    rt = head("combined_rt.log").splitlines()
    cut = [l.rsplit(b" ", 1)[0] for l in rt]
    write("format_combined", bytes([names.index("combined")]) + b"\n".join(cut) + b"\n")
    write("format_combined", bytes([names.index("main")]) + b"\n".join(l + b' "10.0.0.1"' for l in cut) + b"\n")
    write("format_combined", bytes([names.index("nginx_common")]) + b"\n".join(l.split(b' "', 2)[0] + b' "' + l.split(b' "', 2)[1] for l in cut) + b"\n")
    write("format_combined", bytes([names.index("combined_rt")]) + bad_lines("mixed-bad.log"))
    hostile = [
        br'1.2.3.4 - bob [10/Mar/2024:00:00:01 +0000] "GET /a/1?x=\"y\" HTTP/1.1" 200 12 "http://r/" "Mozilla \"q\" 5.0" 0.004',
        br'::1 - - [10/Mar/2024:00:00:01 +0000] "POST /api HTTP/2.0" 503 - "-" "-" 12.500',
        br'1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] "GET /x HTTP/1.1" 2x0 5 "-" "-" nan',
        br'1.2.3.4 - - [10/Mar/2024:00:00:01 +0000] "GET /x HTTP/1.1" 20 18446744073709551616 "-" "-" -0.5e3',
        b'2001:db8::7 - - [31/Feb/2024:00:00:01 +0000] "GET /\xff\xfe HTTP/1.1" 200 0 "" "\xc3\x28" 0.005',
    ]
    write("format_combined", bytes([names.index("combined_rt")]) + b"\n".join(hostile) + b"\n")

def preamble_seeds():
    """input_preamble: three layout bytes (KiB of data lines to insert,
    at which line start, following from which line start), then a W3C
    sample's first lines, or IIS's restart with its second header: with
    no padding, 64 KiB and 200 KiB of it (headers before, across and
    after the look-back's 64 KiB chunks)."""
    iis = (SAMPLES / "iis.log").read_bytes().splitlines(keepends=True)
    restart = next(i for i, l in enumerate(iis) if i > 0 and l.startswith(b"#Software"))
    bodies = [head(name, 12) for name in W3C] + [b"".join(iis[restart - 3:restart + 8])]
    for body in bodies:
        for pad, at, end in [(0, 0, 255), (64, 3, 255), (200, 1, 7), (63, 5, 2)]:
            write("input_preamble", bytes([pad, at, end]) + body)

if __name__ == "__main__":
    main()
    builtin_seeds()
    family_seeds()
    preamble_seeds()
