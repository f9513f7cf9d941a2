//! A worker's memory of the whole last JSON line it walked: the bytes
//! between its values, so that a line written from the same template is
//! read by comparing those bytes in place and finding where each value
//! ends, with no walk.
//!
//! A producer writes every line of a JSON log from one template: between
//! the values, the bytes (separators, keys, quotes, colons, the braces of
//! nested objects) are the same on every line. The walk (`mod.rs`), even
//! with each key recalled in one compare (`recall.rs`), spent ~160
//! instructions a key on the steps around it: the separator, the value's
//! kind, the key's entry and target, the cursor's checks. Here the last
//! line walked is remembered as its layout: the text before each value
//! (a string's opening quote included), each value's kind, and the target
//! of its key. A line is read along it: the text compared, each value's
//! end found by the rule the walk uses, each value with a target kept.
//! The first difference (another key, another kind of value, an escape in
//! a string, other spacing) ends the reading and the line is walked from
//! its start, as before; the walk tells its values to [`Layout::meet`],
//! and the layout of the last line so walked is what the next line is
//! read along.
//!
//! Why the answer is the walk's: where a line has the learned line's text
//! between its values, the walk takes the same steps on it as it took on
//! the learned line (each step depends only on the bytes at the cursor:
//! the same keys, found in the same table at the same depths, the same
//! objects descended or skipped) except inside the values, whose ends it
//! finds by the rules used here: a string ends at its first unescaped
//! quote (here: a string with an escape is not read at all), a number at
//! its first delimiter (`scalar_end`), a skipped object or array where
//! its brackets close (`Walker::skip_value`). So it keeps the same values
//! for the same targets, in the same order. A value the layout cannot
//! stand for (`true` or `false` where it would be kept) leaves the line
//! without a layout. `null`, and `true` and `false` where nothing is
//! kept, are part of the text: a line with another value there is walked.
//!
//! Two layouts are remembered, the last two learned: a file of two
//! producers, or of one that writes some keys only on some lines (Caddy's
//! `tls`, a load balancer's cache fields), has two layouts in turn. A line
//! is read along the one that fitted the last line first, unless the last
//! line fitted the other one than the line before it did: then lines may
//! be alternating, and the other one is tried first. Where lines fit
//! neither, over and over, reading is tried less and less often
//! ([`Layout::read`]): a line that does not fit costs its reading, up to
//! where it differs, on top of its walk.
//!
//! The layouts belong to one format (their owner id), as the recall does.

use super::fields::{Found, Target, keep};
use super::keys::same_bytes;
use super::walk::{Val, Walker, quote_or_backslash, scalar_end};
use crate::format::value::Unit;

/// Values a layout holds at most, and its text's bytes: a line beyond
/// them is walked.
const MAX_VALUES: usize = 64;
const MAX_TEXT: usize = 4096;

/// What stands where a value of the learned line stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A string: from after its opening quote (the text before ends with
    /// it) to its closing quote (the text after starts with it).
    Str,
    /// A number (its first byte a digit or `-`), to its first delimiter.
    Num,
    /// An object or array that the walk skips, opening with this byte.
    Skip(u8),
}

/// A value as the walk met it: where it starts and ends in the line (a
/// string's without its quotes), its kind, and its key's target.
#[derive(Clone, Copy, Debug)]
pub(super) struct Met {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub target: Option<Target>,
}

/// One value of the layout: the end of the text before it (in
/// [`Shape::text`], from the end of the last one's), its kind, and its
/// key's target.
#[derive(Clone, Copy, Debug)]
struct Step {
    text_end: u32,
    kind: Kind,
    target: Option<Target>,
}

/// One learned line's layout.
#[derive(Debug, Default)]
struct Shape {
    /// The line's bytes outside its values, in line order.
    text: Vec<u8>,
    steps: Vec<Step>,
    /// Whether `text` and `steps` hold a line's layout.
    known: bool,
}

/// Lines in a row that fit no layout before reading is tried less often:
/// then once in as many lines as have not fitted since, up to
/// [`MAX_PAUSE`].
const MISSES: u32 = 8;
const MAX_PAUSE: u32 = 64;

#[derive(Debug, Default)]
pub struct Layout {
    owner: u64,
    /// The layout that fitted (or was learned) last first.
    shapes: [Shape; 2],
    /// The values of the line being walked, in line order.
    met: Vec<Met>,
    /// The line being walked can be a layout (so far).
    learnable: bool,
    /// The last line fitted the layout the line before it did not.
    alternate: bool,
    /// Lines in a row read along both layouts that fitted neither.
    misses: u32,
    /// Lines still to walk without reading them first.
    pause: u32,
}

impl Layout {
    /// Starts a line of the format of id `owner` (from 1).
    #[inline(always)]
    pub(super) fn begin(&mut self, owner: u64) {
        if self.owner != owner {
            self.owner = owner;
            self.shapes[0].known = false;
            self.shapes[1].known = false;
            self.misses = 0;
            self.pause = 0;
        }
    }

    /// Reads `line` along the layouts, keeping its values in `found` (all
    /// `None` before, and again when it returns `false`): whether it fits
    /// one.
    #[inline(always)]
    pub(super) fn read(&mut self, line: &[u8], found: &mut Found) -> bool {
        if self.pause > 0 {
            self.pause -= 1;
            return false;
        }
        let order = if self.alternate { [1, 0] } else { [0, 1] };
        for k in order {
            if self.shapes[k].read(line, found) {
                // The layout that fitted goes first.
                if k == 1 {
                    self.shapes.swap(0, 1);
                }
                self.alternate = k == 1;
                self.misses = 0;
                return true;
            }
            *found = Default::default();
        }
        self.misses += 1;
        if self.misses >= MISSES {
            self.pause = self.misses.min(MAX_PAUSE);
        }
        false
    }
}

impl Shape {
    /// Reads `line` along this layout, keeping its values in `found`.
    // Not inlined: [`Layout::read`] calls it twice, and it is the whole
    // of a line's reading (a call is nothing beside it).
    #[inline(never)]
    fn read(&self, line: &[u8], found: &mut Found) -> bool {
        if !self.known {
            return false;
        }
        let text = &self.text[..];
        // `at` in the line, `from` in the text.
        let (mut at, mut from) = (0, 0);
        for s in &self.steps {
            let to = s.text_end as usize;
            let n = to - from;
            let (Some(known), Some(here)) = (text.get(from..to), line.get(at..at + n)) else {
                return false;
            };
            if !same_bytes(here, known) {
                return false;
            }
            at += n;
            from = to;
            let v = match s.kind {
                Kind::Str => {
                    // At a `\` the string is not read: the text after a
                    // string starts with its closing quote, so the
                    // compare after this fails there.
                    let Some(end) = quote_or_backslash(line, at) else {
                        return false;
                    };
                    let v = val(at, end, true);
                    at = end;
                    v
                }
                Kind::Num => {
                    if !matches!(line.get(at), Some(b'-' | b'0'..=b'9')) {
                        return false;
                    }
                    let end = scalar_end(line, at);
                    let v = val(at, end, false);
                    at = end;
                    v
                }
                Kind::Skip(open) => {
                    if line.get(at) != Some(&open) {
                        return false;
                    }
                    let mut w = Walker { b: line, i: at };
                    if w.skip_value().is_none() {
                        return false;
                    }
                    at = w.i;
                    continue;
                }
            };
            if let Some(t) = s.target {
                keep(found, t, v);
            }
        }
        // The rest of the line, to its end.
        same_bytes(&line[at..], &text[from..])
    }
}

impl Layout {
    /// Whether `line` fits one of the layouts (tests: which lines were
    /// read rather than walked).
    #[cfg(test)]
    pub(super) fn fits(&self, line: &[u8]) -> bool {
        self.shapes
            .iter()
            .any(|s| s.read(line, &mut Default::default()))
    }

    /// Starts the walk of a line that did not fit: its values are met
    /// from here.
    #[inline(always)]
    pub(super) fn start_walk(&mut self) {
        self.met.clear();
        self.learnable = true;
    }

    /// The walk met a value (in line order).
    #[inline(always)]
    pub(super) fn meet(&mut self, m: Met) {
        if self.met.len() < MAX_VALUES {
            self.met.push(m);
        } else {
            self.learnable = false;
        }
    }

    /// The walk met a value the layout cannot stand for.
    #[inline(always)]
    pub(super) fn unlearnable(&mut self) {
        self.learnable = false;
    }

    /// The walk of `line` succeeded: its layout is the first the next
    /// line is read along, the other the one that was first (unless it
    /// cannot be one, or the next line will not be read).
    pub(super) fn learn(&mut self, line: &[u8]) {
        if !self.learnable || line.len() > MAX_TEXT || self.pause > 0 {
            return;
        }
        self.shapes.swap(0, 1);
        self.alternate = false;
        let s = &mut self.shapes[0];
        s.text.clear();
        s.steps.clear();
        let mut last = 0;
        for m in &self.met {
            s.text.extend_from_slice(&line[last..m.start]);
            s.steps.push(Step {
                text_end: s.text.len() as u32,
                kind: m.kind,
                target: m.target,
            });
            last = m.end;
        }
        s.text.extend_from_slice(&line[last..]);
        s.known = true;
    }
}

/// A value of the line between `start` and `end`, as the walk gives it.
#[inline(always)]
fn val(start: usize, end: usize, string: bool) -> Val {
    Val {
        start,
        end,
        string,
        escaped: false,
        null: false,
        unit: Unit::Sec,
    }
}
