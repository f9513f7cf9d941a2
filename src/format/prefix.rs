//! Prefixes log shippers put before each line, recognised by compiled byte
//! matchers (no regex per line) and stripped before the line is parsed:
//!
//! | shipper | prefix |
//! |---|---|
//! | `docker compose logs` | `web-1  \| ` (service name, spaces, `\| `) |
//! | `kubectl logs --prefix` | `[pod/web-7d9/nginx] ` |
//! | `kubectl logs --timestamps` | `2024-03-10T00:00:00.123456789Z ` (RFC 3339) |
//! | syslog (RFC 3164) | `<190>Mar 10 00:00:00 host nginx[12]: ` (`<PRI>` optional) |
//!
//! kubectl writes `--prefix` before `--timestamps` when given both; a
//! [`Strip`] applies its shippers in that order, each where it is there.
//! Any other prefix: `--strip-prefix REGEX` ([`Strip::Regex`]), the only
//! regex, run only when given.

/// A shipper whose prefix routetop recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shipper {
    KubectlPrefix,
    KubectlTimestamps,
    Compose,
    Syslog,
}

impl Shipper {
    /// Every shipper, in the order their prefixes come in a line.
    pub const ALL: [Shipper; 4] = [
        Shipper::KubectlPrefix,
        Shipper::KubectlTimestamps,
        Shipper::Compose,
        Shipper::Syslog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shipper::KubectlPrefix => "kubectl --prefix",
            Shipper::KubectlTimestamps => "kubectl --timestamps",
            Shipper::Compose => "docker compose",
            Shipper::Syslog => "syslog",
        }
    }

    /// The length of this shipper's prefix at the start of `line`, space
    /// after it included; `None` when it is not there.
    pub fn len(self, line: &[u8]) -> Option<usize> {
        match self {
            Shipper::KubectlPrefix => kubectl_prefix(line),
            Shipper::KubectlTimestamps => rfc3339(line),
            Shipper::Compose => compose(line),
            Shipper::Syslog => syslog(line),
        }
    }
}

/// `[pod/name/container] `: no space inside, at least one `/`.
fn kubectl_prefix(line: &[u8]) -> Option<usize> {
    if line.first() != Some(&b'[') {
        return None;
    }
    let end = line.iter().take(256).position(|&c| c == b']')?;
    let inside = &line[1..end];
    let ok = !inside.is_empty()
        && inside.contains(&b'/')
        && !inside.iter().any(|c| c.is_ascii_whitespace());
    (ok && line.get(end + 1) == Some(&b' ')).then_some(end + 2)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) `.
fn rfc3339(line: &[u8]) -> Option<usize> {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| line.get(i) == Some(&c);
    let shape = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        .iter()
        .all(|&i| d(i))
        && at(4, b'-')
        && at(7, b'-')
        && at(10, b'T')
        && at(13, b':')
        && at(16, b':');
    if !shape {
        return None;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let n = line[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        i += n;
    }
    match line.get(i)? {
        b'Z' => i += 1,
        b'+' | b'-' if d(i + 1) && d(i + 2) && at(i + 3, b':') && d(i + 4) && d(i + 5) => i += 6,
        _ => return None,
    }
    at(i, b' ').then_some(i + 1)
}

/// `service-1  | `: a name of letters, digits, `_.-`, spaces, `| `.
fn compose(line: &[u8]) -> Option<usize> {
    let name = line
        .iter()
        .take(128)
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        .count();
    if name == 0 {
        return None;
    }
    let spaces = line[name..].iter().take_while(|&&c| c == b' ').count();
    let bar = name + spaces;
    (spaces > 0 && line[bar..].starts_with(b"| ")).then_some(bar + 2)
}

/// RFC 3164: `[<PRI>]Mmm dd hh:mm:ss host tag: ` (the day space-padded).
fn syslog(line: &[u8]) -> Option<usize> {
    let mut i = 0;
    if line.first() == Some(&b'<') {
        let n = line[1..]
            .iter()
            .take(3)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || line.get(1 + n) != Some(&b'>') {
            return None;
        }
        i = n + 2;
    }
    let s = line.get(i..i + 16)?;
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let digit = |c: u8| c.is_ascii_digit();
    let ok = MONTHS.contains(&&s[..3])
        && s[3] == b' '
        && (s[4] == b' ' || digit(s[4]))
        && digit(s[5])
        && s[6] == b' '
        && digit(s[7])
        && digit(s[8])
        && s[9] == b':'
        && digit(s[10])
        && digit(s[11])
        && s[12] == b':'
        && digit(s[13])
        && digit(s[14])
        && s[15] == b' ';
    if !ok {
        return None;
    }
    i += 16;
    // The host, then the tag, which ends in `:`.
    let host = line[i..].iter().take_while(|&&c| c != b' ').count();
    if host == 0 {
        return None;
    }
    i += host + 1;
    let tag = line
        .get(i..)?
        .iter()
        .take(64)
        .take_while(|&&c| c != b' ')
        .count();
    if tag < 2 || line[i + tag - 1] != b':' {
        return None;
    }
    i += tag;
    (line.get(i) == Some(&b' ')).then_some(i + 1)
}

/// What to strip before each line is parsed.
#[derive(Clone, Debug)]
pub enum Strip {
    /// These shippers' prefixes, in order, each where it is there.
    Known(Vec<Shipper>),
    /// What the user's `--strip-prefix REGEX` matches at the start of a
    /// line (nothing where it does not match). Only when given: the known
    /// prefixes need no regex.
    Regex(regex::bytes::Regex),
}

impl PartialEq for Strip {
    fn eq(&self, o: &Strip) -> bool {
        match (self, o) {
            (Strip::Known(a), Strip::Known(b)) => a == b,
            (Strip::Regex(a), Strip::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Strip {
    /// `--strip-prefix REGEX`: anchored at the start of the line.
    pub fn regex(pattern: &str) -> Result<Strip, String> {
        regex::bytes::Regex::new(&format!("^(?:{pattern})"))
            .map(Strip::Regex)
            // The regex crate's message is several lines (the pattern, a
            // caret, the error): its last line says what is wrong.
            .map_err(|e| {
                let e = e.to_string();
                let why = e.lines().last().unwrap_or_default();
                format!(
                    "--strip-prefix {pattern:?}: {}",
                    why.trim_start_matches("error: ")
                )
            })
    }
}

impl Strip {
    /// How many bytes at the start of `line` are the prefix.
    #[inline]
    pub fn len(&self, line: &[u8]) -> usize {
        match self {
            Strip::Known(list) => list
                .iter()
                .fold(0, |at, s| at + s.len(&line[at..]).unwrap_or(0)),
            Strip::Regex(re) => re.find(line).map_or(0, |m| m.end()),
        }
    }

    /// How the strip is named in the format's name.
    pub fn name(&self) -> String {
        match self {
            Strip::Known(list) => list.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "),
            Strip::Regex(_) => "--strip-prefix".into(),
        }
    }
}

/// The shippers whose prefix starts at least half of `sample`'s lines
/// (after the prefixes of the ones before); `None` when none does.
pub fn sniff(sample: &[&[u8]]) -> Option<Strip> {
    let mut at: Vec<usize> = vec![0; sample.len()];
    let mut found = Vec::new();
    for s in Shipper::ALL {
        let lens: Vec<Option<usize>> = sample
            .iter()
            .zip(&at)
            .map(|(l, &a)| s.len(&l[a..]))
            .collect();
        if lens.iter().filter(|n| n.is_some()).count() * 2 >= sample.len() {
            for (a, n) in at.iter_mut().zip(lens) {
                *a += n.unwrap_or(0);
            }
            found.push(s);
        }
    }
    (!found.is_empty()).then_some(Strip::Known(found))
}
