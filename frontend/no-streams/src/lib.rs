//! The part of `wasm-streams`' API that server_fn's browser client names, without the classes
//! `wasm-streams` exports to JavaScript. Those exports (and every closure their futures take the
//! address of) would stay in the page's WebAssembly, although the page streams nothing: it calls
//! no server function. A stream handed to [`ReadableStream::from_stream`] becomes an empty body,
//! and a body read through [`ReadableStream::into_stream`] ends at once with an error.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use wasm_bindgen::{JsCast, JsValue};

/// A JavaScript `ReadableStream`, as `wasm-streams` wraps one.
#[derive(Debug)]
pub struct ReadableStream {
    raw: web_sys::ReadableStream,
}

impl ReadableStream {
    /// Wraps a stream JavaScript gave.
    pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
        Self { raw }
    }

    /// An empty stream: the page sends no streaming body.
    pub fn from_stream<St>(_stream: St) -> Self
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        let raw =
            web_sys::ReadableStream::new().unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into());
        Self { raw }
    }

    /// The JavaScript stream.
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.raw
    }

    /// A stream that ends at once with an error: the page reads no streaming body.
    pub fn into_stream(self) -> IntoStream {
        IntoStream { ended: false }
    }
}

/// What [`ReadableStream::into_stream`] gives: one error, then the end.
#[derive(Debug)]
pub struct IntoStream {
    ended: bool,
}

impl Stream for IntoStream {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        self.ended = true;
        Poll::Ready(Some(Err(JsValue::from_str(
            "streaming bodies are not read",
        ))))
    }
}
