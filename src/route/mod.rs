//! Routes: from a request target to the route it is counted under.
//!
//! `Router` turns `/api/users/123/orders?page=2` into `/api/users/:id/orders`:
//! query string and fragment dropped, user rules first (`--route
//! 'REGEX=TEMPLATE'`, first match wins), then automatic templating of path
//! segments that are identifiers (numbers, UUIDs, long hex, opaque tokens,
//! dates, e-mail addresses). gRPC paths (`/pkg.Service/Method`) are kept as
//! they are. It is immutable and shared by all parsing threads.
//!
//! `RouteTable` interns route names into dense ids and enforces the
//! cardinality cap: once `--max-routes` routes exist, new ones fold into the
//! `(overflow)` route, and how many distinct routes were folded is counted so
//! the overflow is visible rather than silent.

mod folded;
mod own;
mod router;
mod shape;
mod table;
mod template;

#[cfg(test)]
mod tests;

pub use folded::{FOLDED_BATCH, FOLDED_TRACKED, FoldedNames, fold_hash};
pub use router::{INVALID_ROUTE, RouteRule, Router};
pub use table::{
    OVERFLOW_ID, OVERFLOW_ROUTE, RouteId, RouteTable, display_name, is_displayable, is_hidden,
};
pub use template::MAX_ROUTE_LEN;
