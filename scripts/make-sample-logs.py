#!/usr/bin/env python3
"""Regenerates sample-logs/: small, deterministic logs in every supported
format, plus sample-logs/expected.json with counts computed here,
independently of routetop, for the end-to-end tests.

    python3 scripts/make-sample-logs.py [--out DIR]

All logs describe the same kind of traffic (genlog's model: Zipf routes,
realistic status mix, log-normal latencies); each format is derived from
genlog's combined_rt output by re-printing the parsed fields, so the
expected figures of every file come from one simple parse below.

genlog is the repository's generator, tools/genlog (routetop-genlog), run
through `cargo run --release`: the first run builds it.
"""
import argparse
import json
import os
import re
import subprocess

LINES = 2000
ROUTES = 40
RATE = 4.0  # lines per second of log time: ~8 minutes per file

LINE_RE = re.compile(
    r'^(?P<ip>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<target>\S+) (?P<proto>[^"]+)" '
    r'(?P<status>\d{3}) (?P<bytes>\d+) "(?P<ref>[^"]*)" "(?P<ua>[^"]*)" (?P<rt>\d+\.\d{3})$'
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def genlog(manifest, fmt, seed):
    # stderr is left to the terminal so cargo's build errors show.
    out = subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--manifest-path", manifest, "--",
         "--lines", str(LINES), "--routes", str(ROUTES), "--seed", str(seed),
         "--rate", str(RATE), "--format", fmt],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    return out.splitlines()


def parse(lines):
    recs = []
    for l in lines:
        m = LINE_RE.match(l)
        assert m, l
        d = m.groupdict()
        d["status"] = int(d["status"])
        d["bytes"] = int(d["bytes"])
        d["us"] = int(d["rt"].replace(".", "")) * 1000
        recs.append(d)
    return recs


def route_of(target):
    path = target.split("?", 1)[0]
    return "/".join(":id" if seg.isdigit() else seg for seg in path.split("/"))


def iso(t):
    # "10/Mar/2024:00:00:01 +0000" -> "2024-03-10T00:00:01+00:00"
    d, mon, rest = t.split("/")
    y, hh, mm, ss_tz = rest.split(":", 3)
    ss, tz = ss_tz.split(" ")
    return f"{y}-{MONTHS.index(mon) + 1:02d}-{d}T{hh}:{mm}:{ss}{tz[:3]}:{tz[3:]}"


def epoch(t):
    import calendar
    d, mon, rest = t.split("/")
    y, hh, mm, ss_tz = rest.split(":", 3)
    ss, _tz = ss_tz.split(" ")
    return calendar.timegm((int(y), MONTHS.index(mon) + 1, int(d), int(hh), int(mm), int(ss)))


def expected(recs, timed=True, bad=0, bad_reasons=None):
    routes = {}
    for r in recs:
        routes[route_of(r["target"])] = routes.get(route_of(r["target"]), 0) + 1
    return {
        "lines": len(recs) + bad,
        "requests": len(recs),
        "parse_errors": bad,
        "errors_by_reason": bad_reasons or {},
        "status_5xx": sum(1 for r in recs if 500 <= r["status"] < 600),
        "status_4xx": sum(1 for r in recs if 400 <= r["status"] < 500),
        "bytes": sum(r["bytes"] for r in recs),
        "latency_sum_us": sum(r["us"] for r in recs) if timed else None,
        "routes": dict(sorted(routes.items())),
        "span_seconds": epoch(recs[-1]["time"]) - epoch(recs[0]["time"]) + 1,
    }


def write(path, lines, newline_at_end=True):
    data = "\n".join(lines) + ("\n" if newline_at_end else "")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(here, "..", "sample-logs"))
    a = ap.parse_args()
    manifest = os.path.join(here, "..", "tools", "genlog", "Cargo.toml")
    os.makedirs(a.out, exist_ok=True)
    exp = {}

    def out(name):
        return os.path.join(a.out, name)

    # nginx combined + $request_time, and the same traffic in genlog's other
    # two formats (same seed: same requests).
    base = genlog(manifest, "combined_rt", 7)
    recs = parse(base)
    write(out("combined_rt.log"), base)
    exp["combined_rt.log"] = expected(recs) | {"format": "combined_rt"}
    dashed = genlog(manifest, "seed000", 7)
    write(out("dashed.log"), dashed)
    # genlog draws other random numbers for this format: parse it on its own.
    dashed_re = re.compile(r"^(?P<ip>\S+?)-\[(?P<time>[^\]]+)\]-(?P<method>\S+) (?P<target>\S+) (?P<proto>\S+)-(?P<status>\d{3})-(?P<rt>\d+\.\d{3})$")
    drecs = []
    for l in dashed:
        d = dashed_re.match(l).groupdict()
        d |= {"status": int(d["status"]), "bytes": 0, "us": int(d["rt"].replace(".", "")) * 1000}
        drecs.append(d)
    exp["dashed.log"] = expected(drecs) | {
        "format": "nginx '$remote_addr-[$time_local]-$request-$status-$request_time'",
        "bytes": 0,
    }
    write(out("nginx-json.log"), genlog(manifest, "json", 7))
    exp["nginx-json.log"] = expected(recs) | {"format": "json (nginx)"}

    # Apache: common (no referer/UA, `-` for zero bytes), combined + %D
    # (microseconds), vhost_combined.
    common = [
        f'{r["ip"]} - {r["user"]} [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]} '
        f'{r["bytes"] if r["bytes"] else "-"}'
        for r in recs
    ]
    write(out("apache-common.log"), common)
    exp["apache-common.log"] = expected(recs, timed=False) | {"format": "common"}
    comb_d = [
        f'{r["ip"]} - {r["user"]} [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]} '
        f'{r["bytes"] if r["bytes"] else "-"} "{r["ref"]}" "{r["ua"]}" {r["us"]}'
        for r in recs
    ]
    write(out("apache-combined-D.log"), comb_d)
    exp["apache-combined-D.log"] = expected(recs) | {"format": "combined_D"}
    vcomb = [
        f'shop.example.com:443 {r["ip"]} - {r["user"]} [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" '
        f'{r["status"]} {r["bytes"]} "{r["ref"]}" "{r["ua"]}"'
        for r in recs
    ]
    write(out("apache-vcombined.log"), vcomb)
    exp["apache-vcombined.log"] = expected(recs, timed=False) | {"format": "vcombined"}

    # nginx with upstream timers: multi-value lists and `-` (no upstream).
    up = []
    for i, r in enumerate(recs):
        us = r["us"]
        if r["status"] in (499, 304) or i % 50 == 0:
            u = "-"
        elif r["status"] >= 502:
            u = f"{us // 3000 / 1000:.3f}, {us // 3000 / 1000:.3f} : 0.000"
        else:
            u = f"{max(us - 1000, 0) / 1e6:.3f}"
        up.append(f'{base[i]} {u}')
    write(out("nginx-upstream.log"), up)
    exp["nginx-upstream.log"] = expected(recs) | {"format": "combined_upstream"}

    # Caddy and Traefik JSON access logs.
    caddy = []
    traefik = []
    for r in recs:
        t = epoch(r["time"])
        caddy.append(json.dumps({
            "level": "info", "ts": t + 0.25, "logger": "http.log.access", "msg": "handled request",
            "request": {"remote_ip": r["ip"], "remote_port": "51234", "proto": r["proto"], "method": r["method"],
                        "host": "shop.example.com", "uri": r["target"],
                        "headers": {"User-Agent": [r["ua"]], "Accept": ["*/*"]}},
            "bytes_read": 0, "user_id": "", "duration": r["us"] / 1e6, "size": r["bytes"], "status": r["status"],
            "resp_headers": {"Server": ["Caddy"], "Content-Type": ["text/html"]},
        }, separators=(",", ":")))
        path, _, query = r["target"].partition("?")
        traefik.append(json.dumps({
            "ClientHost": r["ip"], "DownstreamContentSize": r["bytes"], "DownstreamStatus": r["status"],
            "Duration": r["us"] * 1000, "OriginStatus": r["status"], "RequestMethod": r["method"],
            "RequestPath": r["target"], "RequestProtocol": r["proto"], "RouterName": "shop@docker",
            "StartUTC": iso(r["time"]).replace("+00:00", ".000000001Z"), "level": "info", "msg": "",
            "time": iso(r["time"]).replace("+00:00", "Z"),
        }, separators=(",", ":")))
    write(out("caddy.log"), caddy)
    exp["caddy.log"] = expected(recs) | {"format": "json (caddy)"}
    write(out("traefik.log"), traefik)
    exp["traefik.log"] = expected(recs) | {"format": "json (traefik)"}

    # An application's own format, for -f 'regex:...'.
    app = [f'{iso(r["time"])} {r["method"]} {r["target"]} -> {r["status"]} in {r["us"] // 1000}ms size={r["bytes"]}'
           for r in recs]
    write(out("app-regex.log"), app)
    exp["app-regex.log"] = expected(recs) | {
        "format_spec": r"regex:^(?P<time>\S+) (?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d{3}) in (?P<latency_ms>\d+)ms size=(?P<bytes>\d+)$",
    }

    # Good lines with bad ones between them: garbage, invalid UTF-8, a blank
    # line, an impossible status, a line over the 64 KiB limit, and a last
    # line cut mid-way (no newline).
    bad_lines = {
        100: "garbage that is not a log line",
        200: "\udcff\udcfe\udc80 binary junk",
        300: "",
        400: LINE_RE.sub(lambda m: m.group(0).replace(f'" {m.group("status")} ', '" 2000 ', 1), base[400]),
        500: 'GET /' + "a" * 70_000 + ' HTTP/1.1',
    }
    mixed = []
    for i, l in enumerate(base):
        if i in bad_lines:
            mixed.append(bad_lines[i])
        mixed.append(l)
    kinds = {"empty": 1, "no_match": 3, "bad_value": 1, "too_long": 1}
    truncated = base[-1][: len(base[-1]) // 2]
    mixed.append(truncated)
    with open(out("mixed-bad.log"), "wb") as f:
        f.write("\n".join(mixed).encode("utf-8", "surrogateescape"))
    exp["mixed-bad.log"] = expected(recs, bad=len(bad_lines) + 1, bad_reasons=kinds) | {
        "format": "combined_rt",
    }

    lb_proxy_samples(recs, out, exp)
    cloud_json_samples(recs, out, exp)
    w3c_samples(out, recs, exp)
    messy_sample(out, recs, exp)
    late_variant_sample(out, recs, exp)

    with open(out("expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(exp)} logs to {a.out}")


def clf_ms(t, ms):
    # "10/Mar/2024:00:00:01 +0000" -> "10/Mar/2024:00:00:01.MMM" (HAProxy)
    return f"{t.split(' ')[0]}.{ms:03d}"


def lb_proxy_samples(recs, out, exp):
    """Load balancer, proxy and S3 logs (issue 18): the same requests in
    each layout, timers split so that the timer routetop reads as latency
    adds up to genlog's request time exactly."""
    # AWS ALB: three processing times in seconds, latency their sum.
    alb, elb, s3, hap, envoy, istio, tclf, ing = ([] for _ in range(8))
    for i, r in enumerate(recs):
        us, ms = r["us"], r["us"] // 1000
        t = iso(r["time"]).replace("+00:00", "")
        port = 40000 + i % 20000
        rp, sp = (1000, 1000) if ms >= 3 else (0, 0)
        tp = us - rp - sp
        alb.append(
            f'https {t}.{i % 1000:03d}512Z app/shop-lb/50dc6c495c0c9188 {r["ip"]}:{port} 10.0.1.{i % 7 + 10}:8080 '
            f'{rp / 1e6:.3f} {tp / 1e6:.3f} {sp / 1e6:.3f} {r["status"]} {r["status"]} {120 + i % 300} {r["bytes"]} '
            f'"{r["method"]} https://shop.example.com:443{r["target"]} {r["proto"]}" "{r["ua"]}" '
            f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/shop/73e2d6bc24d8a067 '
            f'"Root=1-65ed0000-{i:024x}" "shop.example.com" "-" 0 {t}.000000Z "forward" "-" "-" '
            f'"10.0.1.{i % 7 + 10}:8080" "{r["status"]}" "-" "-"')
        # Classic ELB: microsecond times.
        rp, sp = (40, 20) if us >= 60 else (0, 0)
        elb.append(
            f'{t}.{i % 1000:03d}958Z shop-lb {r["ip"]}:{port} 10.0.1.{i % 7 + 10}:80 '
            f'{rp / 1e6:.6f} {(us - rp - sp) / 1e6:.6f} {sp / 1e6:.6f} {r["status"]} {r["status"]} 0 {r["bytes"]} '
            f'"{r["method"]} http://shop.example.com:80{r["target"]} {r["proto"]}" "{r["ua"]}" - -')
        # S3: the bucket is the first path segment; times in ms.
        path = r["target"].split("?", 1)[0]
        s3.append(
            f'79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be shop-assets [{r["time"]}] {r["ip"]} - '
            f'{i:016X} REST.{r["method"]}.OBJECT {path.lstrip("/") or "-"} '
            f'"{r["method"]} /shop-assets{r["target"]} {r["proto"]}" {r["status"]} '
            f'{"NoSuchKey" if r["status"] == 404 else "-"} {r["bytes"] if r["bytes"] else "-"} {r["bytes"]} '
            f'{ms} {max(ms - 1, 0)} "{r["ref"]}" "{r["ua"]}" - hostid{i}= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader '
            f'shop-assets.s3.us-west-1.amazonaws.com TLSV1.2 - -')
        # HAProxy httplog behind a syslog header: Ta is the latency (ms).
        hap.append(
            f'Mar 10 {r["time"].split(":", 1)[1].split(" ")[0]} lb1 haproxy[1234]: {r["ip"]}:{port} '
            f'[{clf_ms(r["time"], i % 1000)}] www-https~ shop/web{i % 3 + 1} 0/0/{min(ms, 1)}/{max(ms - 1, 0)}/{ms} '
            f'{r["status"]} {r["bytes"]} - - ---- 3/3/1/1/0 0/0 {{shop.example.com|{r["ua"][:20]}}} '
            f'"{r["method"]} {r["target"]} {r["proto"]}"')
        # Envoy's default format, and Istio's.
        up = "-" if r["status"] in (499, 304) else str(max(ms - 1, 0))
        env_req = f'[{t}.{i % 1000:03d}Z] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]}'
        envoy.append(
            f'{env_req} - 0 {r["bytes"]} {ms} {up} "{r["ip"]}" "{r["ua"]}" "{i:08x}-cf5c-432b-8c7e-98aeb7988cd2" '
            f'"shop.example.com" "10.0.2.{i % 5 + 1}:8080"')
        istio.append(
            f'{env_req} - via_upstream - "-" 0 {r["bytes"]} {ms} {up} "{r["ip"]}" "{r["ua"]}" '
            f'"{i:08x}-6d84-929d-98bd-c5aee93b5c88" "shop:8000" "10.44.1.{i % 5 + 1}:8080" '
            f'outbound|8000||shop.default.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 {r["ip"]}:{port} - default')
        # Traefik CLF: request count, router, backend, duration in ms.
        tclf.append(
            f'{r["ip"]} - {r["user"]} [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]} {r["bytes"]} '
            f'"{r["ref"]}" "{r["ua"]}" {i + 1} "shop@docker" "http://172.17.0.{i % 3 + 2}:8080" {ms}ms')
        # ingress-nginx upstreaminfo; 5xx lines tried two upstreams.
        rt = r["rt"]
        if r["status"] >= 502:
            half = f"{us // 2000 / 1000:.3f}"
            upstream = f"10.244.0.7:8080, 10.244.0.8:8080 0, {r['bytes']} {half}, {half} 502, {r['status']}"
        elif r["status"] == 404 and i % 2:
            upstream = "- - - -"
        else:
            upstream = f"10.244.0.{i % 4 + 7}:8080 {r['bytes']} {rt} {r['status']}"
        ing.append(
            f'{r["ip"]} - {r["user"]} [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]} {r["bytes"]} '
            f'"{r["ref"]}" "{r["ua"]}" {200 + i % 500} {rt} [default-shop-80] [] {upstream} {i:032x}')
    for name, lines, fmt in [
        ("alb.log", alb, "alb"), ("elb.log", elb, "elb"), ("haproxy.log", hap, "haproxy"),
        ("envoy.log", envoy, "envoy"), ("istio.log", istio, "envoy"),
        ("traefik-clf.log", tclf, "traefik_clf"), ("ingress-nginx.log", ing, "ingress_nginx"),
    ]:
        write(out(name), lines)
        exp[name] = expected(recs) | {"format": fmt}
    write(out("s3.log"), s3)
    s3_recs = [r | {"target": "/shop-assets" + r["target"]} for r in recs]
    exp["s3.log"] = expected(s3_recs) | {"format": "s3"}


def cloud_json_samples(recs, out, exp):
    """Cloudflare Logpush and Google Cloud load balancer JSON (issue 18),
    recognised by their field names: latency is Cloudflare's
    EdgeTimeToFirstByteMs and GCP's httpRequest.latency ("…s")."""
    cf, gcp = [], []
    for i, r in enumerate(recs):
        t = epoch(r["time"])
        cf.append(json.dumps({
            "ClientIP": r["ip"], "ClientRequestHost": "shop.example.com", "ClientRequestMethod": r["method"],
            "ClientRequestProtocol": r["proto"], "ClientRequestURI": r["target"],
            "ClientRequestUserAgent": r["ua"], "EdgeEndTimestamp": (t + 1) * 10**9,
            "EdgeResponseBytes": r["bytes"], "EdgeResponseStatus": r["status"],
            "EdgeStartTimestamp": t * 10**9 + i, "EdgeTimeToFirstByteMs": r["us"] // 1000,
            "OriginResponseDurationMs": max(r["us"] // 1000 - 1, 0), "RayID": f"{i:016x}",
        }, separators=(",", ":")))
        gcp.append(json.dumps({
            "httpRequest": {
                "latency": f'{r["us"] / 1e6:.6f}s', "remoteIp": r["ip"], "requestMethod": r["method"],
                "requestSize": str(200 + i % 500), "requestUrl": "https://shop.example.com" + r["target"],
                "responseSize": str(r["bytes"]), "serverIp": "10.128.0.4", "status": r["status"],
                "userAgent": r["ua"],
            },
            "insertId": f"{i:x}", "jsonPayload": {
                "@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
                "statusDetails": "response_sent_by_backend"},
            "logName": "projects/shop/logs/requests",
            "receiveTimestamp": iso(r["time"]).replace("+00:00", ".9Z"),
            "resource": {"labels": {"backend_service_name": "shop"}, "type": "http_load_balancer"},
            "severity": "INFO", "timestamp": iso(r["time"]).replace("+00:00", ".123456Z"),
        }, separators=(",", ":")))
    write(out("cloudflare.log"), cf)
    exp["cloudflare.log"] = expected(recs) | {"format": "json (cloudflare)"}
    write(out("gcp-lb.log"), gcp)
    exp["gcp-lb.log"] = expected(recs) | {"format": "json (gcp)"}


def w3c_date_time(t):
    # "10/Mar/2024:00:00:01 +0000" -> ("2024-03-10", "00:00:01"), UTC.
    d, mon, rest = t.split("/")
    y, hh, mm, ss_tz = rest.split(":", 3)
    ss, tz = ss_tz.split(" ")
    assert tz == "+0000", t
    return f"{y}-{MONTHS.index(mon) + 1:02d}-{d}", f"{hh}:{mm}:{ss}"


def w3c_samples(out, recs, exp):
    """W3C extended logs: IIS (time-taken in ms, a restart mid-file that
    changes the columns), CloudFront (tab-separated, time-taken in
    seconds) and a generic #Fields: file (cs-uri, seconds)."""
    half = len(recs) // 2

    # IIS: its default fields (no sc-bytes) until a restart, then a new
    # header that adds sc-bytes and moves columns around.
    iis_default = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
                   "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
    iis_after = ("date time cs-method cs-uri-stem cs-uri-query sc-status sc-bytes time-taken "
                 "c-ip cs(User-Agent)")
    lines = []
    headers = 0
    for i, r in enumerate(recs):
        date, time = w3c_date_time(r["time"])
        stem, _, query = r["target"].partition("?")
        query = query or "-"
        ua = r["ua"].replace(" ", "+")
        ref = r["ref"] if r["ref"] else "-"
        if i in (0, half):
            lines += ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
                      f"#Date: {date} {time}", "#Fields: " + (iis_default if i == 0 else iis_after)]
            headers += 4
        ms = r["us"] // 1000
        if i < half:
            lines.append(f'{date} {time} 10.0.0.5 {r["method"]} {stem} {query} 443 - {r["ip"]} {ua} {ref} '
                         f'{r["status"]} 0 0 {ms}')
        else:
            lines.append(f'{date} {time} {r["method"]} {stem} {query} {r["status"]} {r["bytes"]} {ms} '
                         f'{r["ip"]} {ua}')
    write(out("iis.log"), lines)
    exp["iis.log"] = expected(recs) | {
        "format": "iis",
        "lines": len(recs) + headers,
        "header_lines": headers,
        "bytes": sum(r["bytes"] for r in recs[half:]),
    }

    # CloudFront standard log: #Version, #Fields, then tab-separated lines
    # with its 33 fields; time-taken in seconds.
    cf_fields = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
                 "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
                 "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
                 "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
                 "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
                 "sc-range-start sc-range-end")
    lines = ["#Version: 1.0", "#Fields: " + cf_fields]
    for i, r in enumerate(recs):
        date, time = w3c_date_time(r["time"])
        stem, _, query = r["target"].partition("?")
        ua = r["ua"].replace(" ", "%20")
        cols = [date, time, "LAX1", str(r["bytes"]), r["ip"], r["method"], "d111111abcdef8.cloudfront.net",
                stem, str(r["status"]), r["ref"] or "-", ua, query or "-", "-", "Hit",
                f"req{i:06d}==", "shop.example.com", "https", "23", r["rt"], "-", "TLSv1.3",
                "TLS_AES_128_GCM_SHA256", "Hit", r["proto"], "-", "-", "51234", r["rt"], "Hit",
                "text/html", str(r["bytes"]), "-", "-"]
        lines.append("\t".join(cols))
    write(out("cloudfront.log"), lines)
    exp["cloudfront.log"] = expected(recs) | {
        "format": "cloudfront",
        "lines": len(recs) + 2,
        "header_lines": 2,
    }

    # Any #Fields: file: the whole target in cs-uri, time-taken in seconds,
    # a #Remark line among the requests.
    lines = ["#Version: 1.0", "#Date: 2024-03-10 00:00:00",
             "#Fields: date time c-ip cs-method cs-uri sc-status sc-bytes time-taken"]
    for i, r in enumerate(recs):
        date, time = w3c_date_time(r["time"])
        if i == half:
            lines.append("#Remark: log rotated by hand")
        lines.append(f'{date} {time} {r["ip"]} {r["method"]} {r["target"]} {r["status"]} {r["bytes"]} {r["rt"]}')
    write(out("w3c.log"), lines)
    exp["w3c.log"] = expected(recs) | {
        "format": "w3c",
        "lines": len(recs) + 4,
        "header_lines": 4,
    }


def messy_sample(out, recs, exp):
    """sample-logs/messy.log: one file of many shapes, as real files are
    (README, "Messy files"): combined lines, with an IPv6 or `-` client on
    some and the request `-` (408) on others; common lines; a vhost
    without port first; nginx's `main` (a trailing "$http_x_forwarded_for");
    the client as a list of three, bare or quoted; a bare `-` for referer
    and user agent. Each shape is a variant routetop reads by its own
    template; the figures count which shape each line is."""
    shapes = (["combined"] * 10 + ["common"] * 2 + ["vhost+combined"] * 2 + ["main"] * 2
              + ["combined (client list)", "combined (quoted client)", "combined (bare -)", "no request"])
    lines, counted, variants = [], [], {}
    for i, r in enumerate(recs):
        shape = shapes[i % len(shapes)]
        ip = r["ip"]
        if shape == "combined" and i % 40 == 3:
            ip = "2001:db8::%x" % (i % 65536)
        elif shape == "combined" and i % 40 == 5:
            ip = "-"
        req = f'{r["method"]} {r["target"]} {r["proto"]}'
        status, size, target = r["status"], r["bytes"], r["target"]
        if shape == "no request":
            req, status, size, target = "-", 408, 0, None
        head = f'- - [{r["time"]}] "{req}" {status} {size}'
        tail = f'"{r["ref"]}" "{r["ua"]}"'
        if shape == "common":
            line = f"{ip} {head}"
        elif shape == "vhost+combined":
            line = f"shop.example.com {ip} {head} {tail}"
        elif shape == "main":
            line = f'{ip} {head} {tail} "198.51.100.{i % 250}, 10.0.0.1"'
        elif shape == "combined (client list)":
            line = f"{ip}, 10.0.0.2, 127.0.0.1 {head} {tail}"
        elif shape == "combined (quoted client)":
            line = f'"{ip}, 10.0.0.2, 127.0.0.1" {head} {tail}'
        elif shape == "combined (bare -)":
            line = f"{ip} {head} - -"
        else:  # combined, and the request `-` in it
            line = f"{ip} {head} {tail}"
        lines.append(line)
        # A quoted list is a list: the field takes any bytes up to ` - `.
        v = {"no request": "combined", "combined (quoted client)": "combined (client list)"}.get(shape, shape)
        variants[v] = variants.get(v, 0) + 1
        counted.append(r | {"status": status, "bytes": size, "target": target or "-"})
    write(out("messy.log"), lines)
    e = expected(counted, timed=False)
    routes = {}
    for r in counted:
        route = "(no request)" if r["target"] == "-" else route_of(r["target"])
        routes[route] = routes.get(route, 0) + 1
    exp["messy.log"] = e | {"routes": dict(sorted(routes.items())), "variants": variants}


def late_variant_sample(out, recs, exp):
    """sample-logs/messy-late.log: a file whose other shapes start only
    after the lines auto-detection looks at (the first 64): 300 combined
    lines, then nginx's log_format changed to `main` (a trailing
    "$http_x_forwarded_for") while another server writes common lines and
    a vhost-prefixed one combined lines into the same file, and now and
    then a line no format fits. routetop reads it as `combined`, and each
    later shape by the first template of its family that fits
    (format/detect.rs SPARE_ORDER); the lines of no shape stay bad lines
    (no_match)."""
    lines, counted, variants, bad = [], [], {}, 0
    for i, r in enumerate(recs):
        head = f'{r["ip"]} - - [{r["time"]}] "{r["method"]} {r["target"]} {r["proto"]}" {r["status"]} {r["bytes"]}'
        tail = f'"{r["ref"]}" "{r["ua"]}"'
        shape = "combined" if i < 300 else ["main", "main", "common", "vhost+combined"][i % 4]
        if i >= 300 and i % 97 == 0:
            lines.append(f"upstream timed out while reading response header {i}")
            bad += 1
        if shape == "combined":
            lines.append(f"{head} {tail}")
        elif shape == "main":
            lines.append(f'{head} {tail} "198.51.100.{i % 250}"')
        elif shape == "common":
            lines.append(head)
        else:
            lines.append(f"shop.example.com {head} {tail}")
        variants[shape] = variants.get(shape, 0) + 1
        counted.append(r)
    write(out("messy-late.log"), lines)
    e = expected(counted, timed=False, bad=bad, bad_reasons={"no_match": bad})
    exp["messy-late.log"] = e | {"format": "combined", "variants": variants}

if __name__ == "__main__":
    main()
