//! Handing text or bytes to the browser as a file download: a `Blob`, an object URL and a
//! temporary `<a download>` clicked once.

use wasm_bindgen::{JsCast, JsValue};

/// What a download holds: text (a JSON document) or raw bytes.
pub enum Contents<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> From<&'a str> for Contents<'a> {
    fn from(text: &'a str) -> Self {
        Contents::Text(text)
    }
}

impl<'a> From<&'a String> for Contents<'a> {
    fn from(text: &'a String) -> Self {
        Contents::Text(text)
    }
}

impl<'a> From<&'a [u8]> for Contents<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Contents::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Contents<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Contents::Bytes(bytes)
    }
}

/// How long the object URL outlives the click: revoking it at once can cancel the download in
/// some browsers, which read the blob only after the click's task has finished.
const REVOKE_AFTER_MS: u32 = 10_000;

/// Hands `contents` to the browser as a file download named `name`, of MIME type `mime`
/// (`application/json`, `application/octet-stream`, …).
pub fn download<'a>(name: &str, mime: &str, contents: impl Into<Contents<'a>>) -> Result<(), JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = match contents.into() {
        Contents::Text(text) => {
            let parts = js_sys::Array::of1(&JsValue::from_str(text));
            web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?
        }
        Contents::Bytes(bytes) => {
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
            web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?
        }
    };
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    gloo_timers::callback::Timeout::new(REVOKE_AFTER_MS, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
