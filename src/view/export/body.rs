//! A response body of a few shared chunks: `/metrics` sends a snapshot's
//! encoded families as the same reference-counted bytes to every scraper
//! (see `RenderCache::render_parts`), so a slow reader holds a reference,
//! not a copy of a 12 MB exposition.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// Chunks sent in order; the length is known up front (`Content-Length`).
pub struct Chunks(VecDeque<Bytes>);

impl Chunks {
    pub fn new(parts: impl IntoIterator<Item = Bytes>) -> Chunks {
        Chunks(parts.into_iter().filter(|b| !b.is_empty()).collect())
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    /// The chunks arrive whole and in order, empty ones left out, and the
    /// size is exact before the first is read.
    #[tokio::test]
    async fn chunks_are_sent_in_order_with_their_exact_length() {
        let parts = [&b"head "[..], b"", b"max ", b"tail"].map(Bytes::from_static);
        let body = Chunks::new(parts);
        assert_eq!(body.size_hint().exact(), Some(13));
        assert!(!body.is_end_stream());
        let got = body.collect().await.map(|c| c.to_bytes());
        assert_eq!(got.ok().as_deref(), Some(&b"head max tail"[..]));
        assert!(Chunks::new([]).is_end_stream());
    }
}
