//! Straight-line matching of the start that the combined family shares.
//!
//! nginx `combined` (and `main`, `combined_rt`, … and every user format that
//! begins the same way) and Apache `common`/`combined` (and `combined_D`)
//! start with the same fields: client, user, `[time]`, `"request"`, status,
//! bytes and, for combined, `"referer" "user agent"`. The generic linear
//! matcher walks its op list for these — one dispatch, one slot store and a
//! generic literal compare per op, 15 ops before the first field a custom
//! format adds. Most lines routetop ever reads are in this family, so the
//! template recognises this start when it is built and matches it here with
//! the same rules, op for op (a token ends at the first space, a quoted field
//! at the first unescaped `"`, and so on), in straight-line code; the ops
//! after it run through the generic loop.
//!
//! The rules are the same, so a line matches here exactly when the generic
//! matcher would match it, and fills the same slots. `tests` pins that on
//! every sample log and on hostile lines.

use super::vocab::{Class, NO_SLOT, Op, S_BYTES, S_REQUEST, S_STATUS, S_TIME, SLOTS, lit_at};
use crate::format::scan::Scan;

/// How the line starts: tokens each followed by a separator, then the
/// fixed-width timestamp and the literal that opens the request.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    seps: &'static [&'static [u8]],
    time: usize,
    after: &'static [u8],
}

/// `$remote_addr - $remote_user [` + 26-byte `$time_local` + `] "`
static NGINX: Head = Head {
    seps: &[b" - ", b" ["],
    time: 26,
    after: b"] \"",
};
/// `%h %l %u ` + 28-byte `[%t]` + ` "`
static APACHE: Head = Head {
    seps: &[b" ", b" ", b" "],
    time: 28,
    after: b" \"",
};

impl Head {
    /// Whether `ops` start with this head; the index of the op after it.
    fn recognise(&'static self, ops: &[Op]) -> Option<usize> {
        let mut i = 0;
        for sep in self.seps {
            if !(token_ignored(ops.get(i)) && lit(ops.get(i + 1), sep)) {
                return None;
            }
            i += 2;
        }
        (matches!(ops.get(i), Some(Op::Fixed(n, s)) if *n == self.time && *s as usize == S_TIME)
            && lit(ops.get(i + 1), self.after))
        .then_some(i + 2)
    }

    /// Matches this head at the start of `line`; where the request starts.
    #[inline(always)]
    fn run<S: Scan>(&self, line: &[u8], slots: &mut [(u32, u32); SLOTS], scan: S) -> Option<usize> {
        let mut pos = 0;
        for sep in self.seps {
            let end = token(line, pos, scan)?;
            if !lit_at(line, end, sep) {
                return None;
            }
            pos = end + sep.len();
        }
        if !lit_at(line, pos + self.time, self.after) {
            return None;
        }
        slots[S_TIME] = (pos as u32, (pos + self.time) as u32);
        Some(pos + self.time + self.after.len())
    }
}

/// A recognised combined-family start.
#[derive(Clone, Copy, Debug)]
pub struct Combined {
    head: &'static Head,
    /// `%b` and `$body_bytes_sent` allow `-` (`DigitsOrDash`); Apache's
    /// `%B` is `Digits`.
    bytes: Class,
    /// Followed by ` "referer" "user agent"` (combined), not just the end or
    /// other fields (common).
    quoted_pair: bool,
    /// Then ` ` and a timer or decimal field ending the line
    /// (`combined_rt`'s `$request_time`, nginx's most common addition), of
    /// this class in this slot: the two ops are matched here too, not by
    /// the generic loop (~110 instructions a line for its dispatch).
    decimal_end: Option<(Class, u8)>,
}

fn lit(op: Option<&Op>, want: &[u8]) -> bool {
    matches!(op, Some(Op::Lit(l)) if &l[..] == want)
}

fn token_ignored(op: Option<&Op>) -> bool {
    matches!(op, Some(Op::Run(Class::Token, NO_SLOT)))
}

/// Recognises the combined-family start at the beginning of `ops`; returns
/// its matcher and the ops left after it.
pub fn recognise(ops: &[Op]) -> Option<(Combined, Vec<Op>)> {
    let at = |i: usize| ops.get(i);
    let (head, mut i) = [&NGINX, &APACHE]
        .into_iter()
        .find_map(|h| Some((h, h.recognise(ops)?)))?;
    if !(matches!(at(i), Some(Op::Quoted(s)) if *s as usize == S_REQUEST)
        && lit(at(i + 1), b"\" ")
        && matches!(at(i + 2), Some(Op::Run(Class::Code, s)) if *s as usize == S_STATUS)
        && lit(at(i + 3), b" "))
    {
        return None;
    }
    let bytes = match at(i + 4) {
        Some(Op::Run(c @ (Class::Digits | Class::DigitsOrDash), s)) if *s as usize == S_BYTES => *c,
        _ => return None,
    };
    i += 5;
    let quoted_pair = lit(at(i), b" \"")
        && matches!(at(i + 1), Some(Op::Quoted(NO_SLOT)))
        && lit(at(i + 2), b"\" \"")
        && matches!(at(i + 3), Some(Op::Quoted(NO_SLOT)))
        && matches!(at(i + 4), Some(Op::Lit(l)) if l.first() == Some(&b'"'));
    let mut tail = ops[i..].to_vec();
    if quoted_pair {
        // The matcher takes the user agent's closing `"` too; the builder
        // merged it with the literal after it.
        tail.drain(..4);
        if let Some(Op::Lit(l)) = tail.first_mut() {
            *l = l[1..].into();
            if l.is_empty() {
                tail.remove(0);
            }
        }
    }
    let decimal_end = match &tail[..] {
        [
            Op::Lit(l),
            Op::Run(c @ (Class::Timer | Class::WholeTimer | Class::Decimal), slot),
        ] if &l[..] == b" " => Some((*c, *slot)),
        _ => None,
    };
    if decimal_end.is_some() {
        tail.clear();
    }
    Some((
        Combined {
            head,
            bytes,
            quoted_pair,
            decimal_end,
        },
        tail,
    ))
}

/// End of a token starting at `from` (the first space or the end); `None`
/// when it would be empty.
#[inline(always)]
fn token<S: Scan>(line: &[u8], from: usize, scan: S) -> Option<usize> {
    match scan.space(line, from) {
        end if end == from => None,
        end => Some(end),
    }
}

impl Combined {
    /// Matches the start of `line`; returns the filled-slot mask and where
    /// the rest of the template takes over.
    #[inline]
    pub fn run<S: Scan>(
        &self,
        line: &[u8],
        slots: &mut [(u32, u32); SLOTS],
        scan: S,
    ) -> Option<(u16, usize)> {
        // One call per head, each with a constant shape, so the compiler
        // unrolls the separator loop (as a loop over a runtime shape it
        // measured ~2 % slower end to end).
        let mut pos = if std::ptr::eq(self.head, &NGINX) {
            NGINX.run(line, slots, scan)?
        } else {
            APACHE.run(line, slots, scan)?
        };
        let r = scan.quote(line, pos)?;
        slots[S_REQUEST] = (pos as u32, r as u32);
        if !lit_at(line, r, b"\" ") {
            return None;
        }
        let s0 = r + 2;
        let s1 = s0 + Class::Code.run(&line[s0..]);
        if s1 == s0 || !lit_at(line, s1, b" ") {
            return None;
        }
        slots[S_STATUS] = (s0 as u32, s1 as u32);
        let b0 = s1 + 1;
        let b1 = b0 + self.bytes.run(&line[b0..]);
        if b1 == b0 {
            return None;
        }
        slots[S_BYTES] = (b0 as u32, b1 as u32);
        pos = b1;
        let filled = (1 << S_TIME) | (1 << S_REQUEST) | (1 << S_STATUS) | (1 << S_BYTES);
        if self.quoted_pair {
            if !lit_at(line, pos, b" \"") {
                return None;
            }
            pos = scan.quote(line, pos + 2)?;
            if !lit_at(line, pos, b"\" \"") {
                return None;
            }
            pos = scan.quote(line, pos + 3)?;
            if line.get(pos) != Some(&b'"') {
                return None;
            }
            pos += 1;
        }
        if let Some((class, slot)) = self.decimal_end {
            // As the ops: the literal, then a run of the class that must
            // reach the end of the line.
            if line.get(pos) != Some(&b' ') {
                return None;
            }
            let rest = &line[pos + 1..];
            if rest.is_empty() || class.run(rest) != rest.len() {
                return None;
            }
            if slot != NO_SLOT {
                slots[slot as usize] = ((pos + 1) as u32, line.len() as u32);
                return Some((filled | 1 << slot, line.len()));
            }
            return Some((filled, line.len()));
        }
        Some((filled, pos))
    }
}
