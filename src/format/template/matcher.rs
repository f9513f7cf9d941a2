//! Matching a compiled template against a line: [`run_ops`], one pass
//! for templates where every field's end is found by one scan (nearly all),
//! and [`Matcher`], which backtracks over the occurrences of an ambiguous
//! separator within a step budget (see the parent module's docs).

use super::vocab::{Class, FieldSpec, NO_SLOT, Op, SLOTS, Tok, lit_at, slot_of};
use crate::format::scan::{Plain, Scan};

pub(super) struct Matcher<'t, 'l> {
    pub(super) toks: &'t [Tok],
    pub(super) line: &'l [u8],
    pub(super) slots: [(u32, u32); SLOTS],
    pub(super) filled: u16,
    pub(super) budget: u32,
    /// Furthest (token, byte) reached, for `Template::explain`.
    pub(super) deepest: (usize, usize),
}

impl Matcher<'_, '_> {
    fn set(&mut self, f: &FieldSpec, a: usize, b: usize) {
        if let Some(s) = slot_of(f.field) {
            self.slots[s] = (a as u32, b as u32);
            self.filled |= 1 << s;
        }
    }

    pub(super) fn run(&mut self, ti: usize, pos: usize) -> bool {
        let line = self.line;
        if pos > self.deepest.1 || (pos == self.deepest.1 && ti > self.deepest.0) {
            self.deepest = (ti, pos);
        }
        let Some(tok) = self.toks.get(ti) else {
            return pos == line.len();
        };
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        match tok {
            Tok::Lit(l) => lit_at(line, pos, &l.bytes) && self.run(ti + 1, pos + l.bytes.len()),
            Tok::Field(f) => {
                let next = match self.toks.get(ti + 1) {
                    Some(Tok::Lit(l)) => Some(l),
                    _ => None,
                };
                let rest = &line[pos..];
                if let Class::Fixed(n) = f.class {
                    let e = pos + n as usize;
                    if e > line.len() {
                        return false;
                    }
                    self.set(f, pos, e);
                    return self.run(ti + 1, e);
                }
                if f.quoted {
                    // `next` starts with the quote (checked at build time).
                    let Some(e) = Plain.quote(line, pos) else {
                        return false;
                    };
                    self.set(f, pos, e);
                    return self.run(ti + 1, e);
                }
                let run = f.class.run(rest);
                if run == 0 && f.class != Class::Free && !f.class.may_be_empty() {
                    return false;
                }
                let ends_free = f.class == Class::Free;
                match next {
                    // Last token, or a field follows (only allowed after a
                    // narrow class): the value is the whole run.
                    None => {
                        self.set(f, pos, pos + run);
                        self.run(ti + 1, pos + run)
                    }
                    Some(l)
                        if !ends_free
                            && (f.class.greedy_before(l.bytes[0])
                                || !f.class.member(l.bytes[0])) =>
                    {
                        self.set(f, pos, pos + run);
                        self.run(ti + 1, pos + run)
                    }
                    Some(l) => {
                        // The literal may start anywhere inside the run (but
                        // a narrow value is never empty): try each, shortest
                        // value first.
                        let min = if ends_free { 0 } else { 1 };
                        let mut from = pos + min;
                        while from <= pos + run {
                            let Some(i) = l.finder.find(&line[from..]) else {
                                return false;
                            };
                            let e = from + i;
                            if e > pos + run {
                                return false;
                            }
                            self.set(f, pos, e);
                            if self.run(ti + 1, e) {
                                return true;
                            }
                            if self.budget == 0 {
                                return false;
                            }
                            from = e + 1;
                        }
                        false
                    }
                }
            }
        }
    }
}

/// Matching without backtracking, for templates where each field's end is
/// found by one scan: runs `ops` from `pos` and returns the filled-slot mask
/// (added to `filled`) if they reach exactly the end of the line.
#[inline]
pub(super) fn run_ops<S: Scan>(
    ops: &[Op],
    line: &[u8],
    mut pos: usize,
    mut filled: u16,
    slots: &mut [(u32, u32); SLOTS],
    scan: S,
) -> Option<u16> {
    for op in ops {
        let rest = &line[pos..];
        let (len, slot) = match op {
            Op::Lit(l) => {
                if !lit_at(line, pos, l) {
                    return None;
                }
                pos += l.len();
                continue;
            }
            Op::Fixed(n, slot) => {
                if *n > rest.len() {
                    return None;
                }
                (*n, *slot)
            }
            Op::Quoted(slot) => (scan.quote(line, pos)? - pos, *slot),
            Op::Run(class, slot) => match class.run(rest) {
                0 if !class.may_be_empty() => return None,
                n => (n, *slot),
            },
            Op::Rest(slot) => (rest.len(), *slot),
        };
        if slot != NO_SLOT {
            slots[slot as usize] = (pos as u32, (pos + len) as u32);
            filled |= 1 << slot;
        }
        pos += len;
    }
    (pos == line.len()).then_some(filled)
}

/// The ops of a linear template (every field's end found by one scan).
pub(super) fn linear_ops(toks: &[Tok]) -> Vec<Op> {
    toks.iter()
        .enumerate()
        .map(|(i, t)| match t {
            Tok::Lit(l) => Op::Lit(l.bytes.clone()),
            Tok::Field(f) => {
                let slot = slot_of(f.field).map_or(NO_SLOT, |s| s as u8);
                match f.class {
                    Class::Fixed(n) => Op::Fixed(n as usize, slot),
                    _ if f.quoted => Op::Quoted(slot),
                    // Linear templates only have a free field at the end.
                    Class::Free if i + 1 == toks.len() => Op::Rest(slot),
                    c => Op::Run(c, slot),
                }
            }
        })
        .collect()
}
