//! A client stream's requests checked one by one: an item that breaks its rules
//! reaches the handler as the 400 `VALIDATOR` error in its place, so the
//! handler's `message().await?` ends the call with it.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::Error;
use crate::message::Message;
use crate::stream::Streaming;

/// `requests`, each item checked by [`super::check`] as it arrives.
pub fn checked<T: Message>(requests: Streaming<T>) -> Streaming<T> {
    Streaming::new(Checked(requests))
}

struct Checked<T>(Streaming<T>);

impl<T: Message> Stream for Checked<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|r| r.and_then(|m| super::check(&m).map(|()| m))))
    }
}
