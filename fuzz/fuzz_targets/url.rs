//! The database URL parser: any input is a `Url` or a configuration error, never a panic;
//! and a parsed URL, rendered and parsed again, names the same backend, user, host, port,
//! database and options (the password is masked when rendered, so it is not compared).
#![no_main]

use aludel::engine::Url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(url) = Url::parse(input) else {
        return;
    };
    let rendered = url.to_string();
    let again = Url::parse(&rendered).unwrap_or_else(|e| {
        panic!("{input:?} parsed, but its rendering {rendered:?} does not: {e}")
    });
    assert_eq!(
        (
            again.backend(),
            again.username(),
            again.host(),
            again.port(),
            again.database(),
            again.query()
        ),
        (
            url.backend(),
            url.username(),
            url.host(),
            url.port(),
            url.database(),
            url.query()
        ),
        "{input:?} rendered as {rendered:?}"
    );
});
