//! The host and backend each format gives ([`Record::host`],
//! [`Record::backend`]): which field each parser takes them from, `-` and
//! empty values, and lists of which one value is kept.

use super::compiled::Format;
use super::detect;
use super::record::{Record, Scratch};
use super::spec::FormatSpec;

fn compile(spec: &str) -> Format {
    Format::compile(&FormatSpec::parse(spec).unwrap(), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// `(host, backend)` of `line` under `f`, which must parse it.
fn hb(f: &Format, line: &str) -> (String, String) {
    let mut s = Scratch::default();
    let r: Record = f
        .parse(line.as_bytes(), &mut s)
        .unwrap_or_else(|e| panic!("{e}: {line}"));
    (
        String::from_utf8_lossy(r.host).into_owned(),
        String::from_utf8_lossy(r.backend).into_owned(),
    )
}

fn pair(host: &str, backend: &str) -> (String, String) {
    (host.into(), backend.into())
}

const TS: &str = "[10/Mar/2024:13:55:36 +0000]";

mod templates {
    use super::*;

    #[test]
    fn nginx_host_variables_are_the_host() {
        for var in ["host", "http_host", "server_name"] {
            let f = compile(&format!(
                r#"${var} $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#
            ));
            let line = format!(r#"shop.example.com 10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5"#);
            assert_eq!(hb(&f, &line), pair("shop.example.com", ""), "${var}");
            let line = format!(r#"- 10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5"#);
            assert_eq!(hb(&f, &line), pair("", ""), "${var} as -");
        }
    }

    #[test]
    fn the_first_host_field_is_the_host() {
        let f = compile(
            r#"$host $server_name $remote_addr [$time_local] "$request" $status $body_bytes_sent"#,
        );
        let line = format!(r#"a.example b.example 10.0.0.1 {TS} "GET / HTTP/1.1" 200 5"#);
        assert_eq!(hb(&f, &line), pair("a.example", ""));
    }

    /// nginx writes the upstreams tried in turn separated by `, ` and
    /// the groups of internal redirects by ` : `
    /// (https://nginx.org/en/docs/http/ngx_http_upstream_module.html#var_upstream_addr):
    /// the backend is the one that answered, the last of the last group.
    #[test]
    fn upstream_addr_backend_is_the_last_address_of_the_last_group() {
        let f = compile(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_addr $upstream_response_time"#,
        );
        let line = |addr: &str, ut: &str| {
            format!(r#"10.0.0.1 - - {TS} "GET /a HTTP/1.1" 502 5 "-" "curl/8" 0.010 {addr} {ut}"#)
        };
        for (addr, ut, want) in [
            ("192.168.1.1:80", "0.004", "192.168.1.1:80"),
            (
                "192.168.1.1:80, 192.168.1.2:80",
                "0.004, 0.005",
                "192.168.1.2:80",
            ),
            (
                "192.168.1.1:80, 192.168.1.2:80 : 192.168.10.1:80, 192.168.10.2:80",
                "0.001, 0.002 : 0.003, 0.004",
                "192.168.10.2:80",
            ),
            ("unix:/tmp/backend3", "0.004", "unix:/tmp/backend3"),
            ("[2001:db8::1]:8080", "0.004", "[2001:db8::1]:8080"),
            ("-", "-", ""),
        ] {
            assert_eq!(hb(&f, &line(addr, ut)), pair("", want), "{addr}");
        }
        // nginx 1.27.3's single address.
        let f = compile(
            r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent $upstream_last_addr"#,
        );
        let line = format!(r#"10.0.0.1 {TS} "GET / HTTP/1.1" 200 5 10.1.0.7:8080"#);
        assert_eq!(hb(&f, &line), pair("", "10.1.0.7:8080"));
    }

    /// ingress-nginx's `upstreaminfo`
    /// (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/)
    /// carries the service (`[$proxy_upstream_name]`, `namespace-service-port`)
    /// and the pod (`$upstream_addr`): the service is the backend.
    #[test]
    fn ingress_nginx_backend_is_the_upstream_name_not_the_address() {
        let f = compile("ingress_nginx");
        let line = |name: &str, addr: &str| {
            format!(
                r#"192.168.49.1 - - {TS} "GET /api HTTP/1.1" 200 615 "-" "curl/8.4.0" 78 0.002 [{name}] [] {addr} 615 0.002 200 4dc2b4a1ce1b5b7a16ca0a6b1d7e7f1c"#
            )
        };
        assert_eq!(
            hb(&f, &line("default-web-8080", "10.244.0.5:8080")),
            pair("", "default-web-8080")
        );
        // No upstream (a 404 of the default backend has one; a request
        // refused before routing has none).
        assert_eq!(hb(&f, &line("", "-")), pair("", ""));
        // Either order in the format: the name wins.
        let f = compile(
            r#"$remote_addr [$time_local] "$request" $status $upstream_addr [$proxy_upstream_name]"#,
        );
        let line =
            format!(r#"10.0.0.1 {TS} "GET / HTTP/1.1" 200 10.244.0.5:8080 [default-web-80]"#);
        assert_eq!(hb(&f, &line), pair("", "default-web-80"));
    }

    #[test]
    fn apache_vhost_and_host_header_are_the_host() {
        // `vcombined` is `%v:%p ...`: the host without its port.
        let f = compile("vcombined");
        let line = format!(
            r#"shop.example.com:443 10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5 "-" "curl/8""#
        );
        assert_eq!(hb(&f, &line), pair("shop.example.com", ""));
        for d in ["%v", "%V"] {
            let f = compile(&format!(r#"{d} %h %l %u %t "%r" %>s %b"#));
            let line = format!(r#"www.example.org 10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5"#);
            assert_eq!(hb(&f, &line), pair("www.example.org", ""), "{d}");
            // `-` with a port is still none.
            let line = format!(r#"-:80 10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5"#);
            assert_eq!(hb(&f, &line), pair("", ""), "{d}");
        }
        let f = compile(r#"%h %l %u %t "%r" %>s %b "%{Host}i""#);
        let line = format!(r#"10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5 "api.example.com:8443""#);
        assert_eq!(hb(&f, &line), pair("api.example.com:8443", ""));
        let line = format!(r#"10.0.0.1 - - {TS} "GET / HTTP/1.1" 200 5 "-""#);
        assert_eq!(hb(&f, &line), pair("", ""));
    }

    /// A messy file's vhost-prefixed lines (`%v` with or without `:port`)
    /// give their host without the port; the plain lines none.
    #[test]
    fn messy_vhost_prefix_lines_give_the_host_without_port() {
        let lines = [
            format!(r#"10.0.0.1 - - {TS} "GET /a HTTP/1.1" 200 5 "-" "x""#),
            format!(r#"shop.example.com 10.0.0.1 - - {TS} "GET /b HTTP/1.1" 200 5 "-" "x""#),
            format!(r#"blog.example.com:443 10.0.0.1 - - {TS} "GET /c HTTP/1.1" 200 5 "-" "x""#),
            format!(r#"10.0.0.1 - - {TS} "GET /d HTTP/1.1" 200 5"#),
        ];
        let sample: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let d = detect::detect(&sample, &[]).expect("a format");
        let got: Vec<(String, String)> = lines.iter().map(|l| hb(&d.format, l)).collect();
        assert_eq!(
            got,
            [
                pair("", ""),
                pair("shop.example.com", ""),
                pair("blog.example.com", ""),
                pair("", ""),
            ]
        );
    }
}

mod values {
    use crate::format::value::{last_address, without_port};

    #[test]
    fn without_port_drops_only_a_port() {
        let cases: [(&[u8], &[u8]); 7] = [
            (b"shop.example.com:443", b"shop.example.com"),
            (b"shop.example.com", b"shop.example.com"),
            (b"[2001:db8::1]:443", b"[2001:db8::1]"),
            (b"[2001:db8::1]", b"[2001:db8::1]"),
            (b"2001:db8::1", b"2001:db8::1"),
            (b"host:", b"host:"),
            (b"host:http", b"host:http"),
        ];
        for (host, want) in cases {
            assert_eq!(
                without_port(host),
                want,
                "{:?}",
                String::from_utf8_lossy(host)
            );
        }
    }

    #[test]
    fn last_address_of_odd_lists() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"10.0.0.1:80,10.0.0.2:80", b"10.0.0.2:80"),
            (b"10.0.0.1:80, -", b""),
            (b"10.0.0.1:80 : -", b""),
            (b"", b""),
            (b"backend_group", b"backend_group"),
        ];
        for (list, want) in cases {
            assert_eq!(
                last_address(list),
                want,
                "{:?}",
                String::from_utf8_lossy(list)
            );
        }
    }
}
