use super::*;
use crate::format::scan::Plain;
use crate::format::value::Unit;
use crate::format::{ErrorKind, TimeCache};

fn lit(s: &str) -> Piece {
    Piece::Lit(s.as_bytes().to_vec())
}
fn field(f: Field, c: Class) -> Piece {
    Piece::Field {
        field: f,
        class: c,
        name: format!("{f:?}"),
        at: 0,
    }
}

#[test]
fn free_fields_backtrack_until_the_narrow_ones_fit() {
    let t = Template::build(vec![
        field(Field::Request, Class::Free),
        lit("-"),
        field(Field::Status, Class::Digits),
        lit("-"),
        field(Field::Latency(Unit::Sec), Class::Decimal),
    ])
    .unwrap();
    let mut tc = TimeCache::default();
    let r = t
        .parse(b"GET /a-200-1.5/b-c HTTP/1.1-404-0.250", &mut tc, Plain)
        .unwrap();
    assert_eq!(r.target, b"/a-200-1.5/b-c");
    assert_eq!(r.status, 404);
    assert_eq!(r.latency_us, Some(250_000));
    assert!(t.parse(b"GET /a HTTP/1.1-404-x", &mut tc, Plain).is_err());
}

#[test]
fn two_free_fields_without_separator_are_rejected() {
    let e = Template::build(vec![
        field(Field::Request, Class::Free),
        field(Field::Status, Class::Digits),
    ])
    .unwrap_err();
    assert!(e.msg.contains("nothing separates"), "{}", e.msg);
}

#[test]
fn hostile_lines_exhaust_the_budget_not_the_cpu() {
    let t = Template::build(vec![
        field(Field::Request, Class::Free),
        lit("-"),
        field(Field::Ignore, Class::Free),
        lit("-"),
        field(Field::Status, Class::Digits),
        lit("-x"),
    ])
    .unwrap();
    let line = vec![b'-'; 60_000];
    let mut tc = TimeCache::default();
    assert_eq!(
        t.parse(&line, &mut tc, Plain).unwrap_err(),
        ErrorKind::NoMatch
    );
    assert!(t.explain(&line).contains("too ambiguous"));
}
