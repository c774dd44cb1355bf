//! A batch of messages without properties as one buffer: the bodies one after another, with
//! their lengths. How the C ABI and the Java binding take a plain batch in one call.

use edgemodule::{Error, Message, Result};

/// One message per length, each a copy of the next `length` bytes of `all`;
/// `INVALID_ARGUMENT` when the lengths run past the end of `all`.
pub fn split_bodies(all: &[u8], lengths: impl IntoIterator<Item = usize>) -> Result<Vec<Message>> {
    let lengths = lengths.into_iter();
    let mut messages = Vec::with_capacity(lengths.size_hint().0);
    let mut rest = all;
    for length in lengths {
        if length > rest.len() {
            return Err(Error::invalid_argument(
                "the body lengths do not fit the bodies",
            ));
        }
        let (body, tail) = rest.split_at(length);
        messages.push(Message::new(body));
        rest = tail;
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_length_takes_the_next_bytes_and_an_overrun_is_refused() -> Result<()> {
        let messages = split_bodies(b"p0pp1ppp2", [2, 3, 4])?;
        let bodies: Vec<&[u8]> = messages.iter().map(|m| m.body.as_slice()).collect();
        assert_eq!(bodies, [&b"p0"[..], b"pp1", b"ppp2"]);
        assert!(split_bodies(b"p0", [3]).is_err());
        assert!(split_bodies(b"", []).map(|m| m.is_empty())?);
        Ok(())
    }
}
