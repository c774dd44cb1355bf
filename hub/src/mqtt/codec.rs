//! MQTT 3.1.1 framing on top of rumqttc's packet codec, plus hand-written encoders for the
//! two packets on the hot path (PUBLISH to a client, PUBACK) so they need no intermediate
//! structs or copies.

use bytes::{BufMut, BytesMut};
use rumqttc::{Packet, QoS};

/// Largest message the hub accepts: body plus all property keys and values (protocol.md §10).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// Largest packet the codec will frame: a maximal message plus the longest possible topic
/// (the bag travels in the topic) and header bytes. Anything larger closes the connection.
pub const MAX_PACKET_SIZE: usize = MAX_MESSAGE_SIZE + 64 * 1024 + 16;

/// What the reader found in the buffer.
#[derive(Debug)]
pub enum Frame {
    /// A complete packet (removed from the buffer).
    Packet(Packet),
    /// More bytes are needed.
    Incomplete,
}

/// Why the bytes received cannot be a valid packet stream (the connection is closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The packet announces more than [`MAX_PACKET_SIZE`] bytes.
    TooLarge(usize),
    /// Not MQTT 3.1.1.
    Malformed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(n) => write!(
                f,
                "packet of {n} bytes exceeds the {MAX_PACKET_SIZE}-byte limit"
            ),
            ReadError::Malformed(why) => f.write_str(why),
        }
    }
}

/// Takes one complete packet off the front of `buf`. Besides rumqttc's parsing this
/// enforces the MQTT 3.1.1 rules it leaves out: the fixed-header flags of every packet type
/// (§2.2.2), fixed remaining lengths (PINGREQ and DISCONNECT carry nothing, acks exactly a
/// packet id), CONNECT's reserved flag and will/password flag rules (§3.1.2.3–§3.1.2.9),
/// SUBSCRIBE's reserved option bits (§3.8.3.1), and QoS 0 publishes without DUP (§3.3.1.1).
pub fn read_packet(buf: &mut BytesMut) -> Result<Frame, ReadError> {
    let Some(&first) = buf.first() else {
        return Ok(Frame::Incomplete);
    };
    check_type_and_flags(first)?;
    let Some((remaining, header_len)) = remaining_length(&buf[1..])? else {
        return Ok(Frame::Incomplete);
    };
    check_remaining_length(first >> 4, remaining)?;
    if remaining > MAX_PACKET_SIZE {
        return Err(ReadError::TooLarge(remaining));
    }
    let frame_len = 1 + header_len + remaining;
    if buf.len() < frame_len {
        return Ok(Frame::Incomplete);
    }
    let body = &buf[1 + header_len..frame_len];
    match first >> 4 {
        CONNECT => check_connect(body)?,
        SUBSCRIBE => check_subscribe(body)?,
        _ => {}
    }
    match Packet::read(buf, MAX_PACKET_SIZE) {
        Ok(packet) => Ok(Frame::Packet(packet)),
        Err(rumqttc::Error::InsufficientBytes(_)) => Ok(Frame::Incomplete),
        Err(rumqttc::Error::PayloadSizeLimitExceeded(n)) => Err(ReadError::TooLarge(n)),
        Err(e) => Err(ReadError::Malformed(format!("malformed packet: {e}"))),
    }
}

const CONNECT: u8 = 1;
const PUBLISH: u8 = 3;
const PUBREL: u8 = 6;
const SUBSCRIBE: u8 = 8;
const UNSUBSCRIBE: u8 = 10;

fn malformed(why: impl Into<String>) -> ReadError {
    ReadError::Malformed(why.into())
}

/// §2.2.2: PUBLISH flags are DUP/QoS/RETAIN (QoS 3 is invalid, DUP needs QoS > 0);
/// PUBREL, SUBSCRIBE and UNSUBSCRIBE must carry 0b0010; every other type 0.
fn check_type_and_flags(first: u8) -> Result<(), ReadError> {
    let (kind, flags) = (first >> 4, first & 0x0F);
    match kind {
        0 | 15 => Err(malformed(format!("reserved packet type {kind}"))),
        PUBLISH => {
            let qos = (flags >> 1) & 0b11;
            if qos == 3 {
                return Err(malformed("PUBLISH with QoS 3"));
            }
            if qos == 0 && flags & 0b1000 != 0 {
                return Err(malformed("PUBLISH with QoS 0 and DUP set"));
            }
            Ok(())
        }
        PUBREL | SUBSCRIBE | UNSUBSCRIBE if flags != 0b0010 => Err(malformed(format!(
            "packet type {kind} with fixed-header flags {flags:#06b} (must be 0b0010)"
        ))),
        PUBREL | SUBSCRIBE | UNSUBSCRIBE => Ok(()),
        _ if flags != 0 => Err(malformed(format!(
            "packet type {kind} with fixed-header flags {flags:#06b} (must be 0)"
        ))),
        _ => Ok(()),
    }
}

/// The variable-length "remaining length" after the first byte: `(value, bytes used)`, or
/// `None` when more bytes are needed. More than four bytes is malformed (§2.2.3).
fn remaining_length(bytes: &[u8]) -> Result<Option<(usize, usize)>, ReadError> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 4 {
        return Err(malformed("remaining length longer than four bytes"));
    }
    Ok(None)
}

/// Packets whose length is fixed by the specification.
fn check_remaining_length(kind: u8, remaining: usize) -> Result<(), ReadError> {
    let expected = match kind {
        // CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: a packet id (or ack flags).
        2 | 4..=7 | 11 => 2,
        // PINGREQ, PINGRESP, DISCONNECT: nothing.
        12..=14 => 0,
        _ => return Ok(()),
    };
    if remaining != expected {
        return Err(malformed(format!(
            "packet type {kind} with {remaining} bytes after the fixed header (must be {expected})"
        )));
    }
    Ok(())
}

/// CONNECT's flags byte: reserved bit 0 clear; no will QoS or retain without a will, no
/// will QoS 3; no password without a user name.
fn check_connect(body: &[u8]) -> Result<(), ReadError> {
    let name_len = match body {
        [hi, lo, ..] => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => return Err(malformed("CONNECT without a protocol name")),
    };
    // Protocol name, then the level byte, then the flags byte.
    let Some(&flags) = body.get(2 + name_len + 1) else {
        return Err(malformed("CONNECT without connect flags"));
    };
    if flags & 0x01 != 0 {
        return Err(malformed("CONNECT with the reserved flag set"));
    }
    let will = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 0b11;
    if !will && (will_qos != 0 || flags & 0x20 != 0) {
        return Err(malformed(
            "CONNECT with will QoS or will retain but no will",
        ));
    }
    if will_qos == 3 {
        return Err(malformed("CONNECT with will QoS 3"));
    }
    if flags & 0x40 != 0 && flags & 0x80 == 0 {
        return Err(malformed("CONNECT with a password but no user name"));
    }
    Ok(())
}

/// SUBSCRIBE's requested-QoS bytes: the upper six bits are reserved.
fn check_subscribe(body: &[u8]) -> Result<(), ReadError> {
    let mut rest = body.get(2..).unwrap_or_default();
    while let [hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        let Some(&options) = tail.get(len) else {
            return Err(malformed("SUBSCRIBE with a truncated topic filter"));
        };
        if options & 0xFC != 0 {
            return Err(malformed(
                "SUBSCRIBE with reserved bits set in a requested QoS",
            ));
        }
        rest = &tail[len + 1..];
    }
    if !rest.is_empty() {
        return Err(malformed("SUBSCRIBE with a truncated topic filter"));
    }
    Ok(())
}

/// Appends any packet using rumqttc's encoder (used for the rare control packets).
pub fn write_packet(buf: &mut BytesMut, packet: &Packet) -> Result<(), rumqttc::Error> {
    packet.write(buf, usize::MAX).map(|_| ())
}

/// Appends a PUBACK.
pub fn write_puback(buf: &mut BytesMut, pkid: u16) {
    buf.put_u8(0x40);
    buf.put_u8(0x02);
    buf.put_u16(pkid);
}

/// Appends a PUBLISH. `pkid` is ignored for QoS 0. Topics longer than 65535 bytes cannot be
/// encoded and are refused with `false` (nothing is written).
pub fn write_publish(
    buf: &mut BytesMut,
    topic: &str,
    qos: QoS,
    pkid: u16,
    dup: bool,
    payload: &[u8],
) -> bool {
    let Ok(topic_len) = u16::try_from(topic.len()) else {
        return false;
    };
    let with_id = qos != QoS::AtMostOnce;
    let remaining = 2 + topic.len() + if with_id { 2 } else { 0 } + payload.len();
    if remaining > 268_435_455 {
        return false;
    }
    buf.reserve(remaining + 5);
    let flags = ((qos as u8) << 1) | if dup && with_id { 0x08 } else { 0 };
    buf.put_u8(0x30 | flags);
    write_remaining_length(buf, remaining);
    buf.put_u16(topic_len);
    buf.extend_from_slice(topic.as_bytes());
    if with_id {
        buf.put_u16(pkid);
    }
    buf.extend_from_slice(payload);
    true
}

/// MQTT variable-length "remaining length" (caller guarantees ≤ 268 435 455).
fn write_remaining_length(buf: &mut BytesMut, mut len: usize) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if len == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::Publish;

    #[test]
    fn publish_encoder_round_trips_through_rumqttc() {
        for (qos, pkid) in [(QoS::AtMostOnce, 0u16), (QoS::AtLeastOnce, 7)] {
            for size in [0usize, 10, 200, 20_000] {
                let payload = vec![0xAB; size];
                let mut buf = BytesMut::new();
                assert!(write_publish(&mut buf, "a/b/c", qos, pkid, true, &payload));
                let Frame::Packet(Packet::Publish(p)) = read_packet(&mut buf).unwrap() else {
                    panic!("not a publish");
                };
                let mut expected = Publish::new("a/b/c", qos, payload.clone());
                expected.pkid = pkid;
                expected.dup = qos == QoS::AtLeastOnce;
                assert_eq!(p, expected);
                assert!(buf.is_empty());
            }
        }
    }

    #[test]
    fn puback_encoder_round_trips() {
        let mut buf = BytesMut::new();
        write_puback(&mut buf, 0x1234);
        let Frame::Packet(Packet::PubAck(ack)) = read_packet(&mut buf).unwrap() else {
            panic!("not a puback");
        };
        assert_eq!(ack.pkid, 0x1234);
    }

    #[test]
    fn partial_frames_are_incomplete_and_oversize_is_an_error() {
        let mut buf = BytesMut::new();
        write_publish(&mut buf, "t", QoS::AtMostOnce, 0, false, b"hello");
        let mut head = buf.split_to(3);
        assert!(matches!(read_packet(&mut head), Ok(Frame::Incomplete)));
        let mut big = BytesMut::new();
        write_publish(
            &mut big,
            "t",
            QoS::AtMostOnce,
            0,
            false,
            &vec![0; MAX_PACKET_SIZE + 1],
        );
        assert!(matches!(read_packet(&mut big), Err(ReadError::TooLarge(_))));
        // The size is refused as soon as the header arrives, before the payload.
        let mut header_only = big.split_to(5);
        assert!(matches!(
            read_packet(&mut header_only),
            Err(ReadError::TooLarge(_))
        ));
    }

    fn connect_bytes(flags: u8) -> BytesMut {
        let mut c = rumqttc::Connect::new("d/m");
        c.set_login("u", "p");
        let mut buf = BytesMut::new();
        write_packet(&mut buf, &Packet::Connect(c)).unwrap();
        // Fixed header (2 bytes), name length (2), "MQTT" (4), level (1), then flags.
        buf[9] = flags;
        buf
    }

    #[test]
    fn strict_fixed_headers_and_connect_flags() {
        let refuse = |bytes: &[u8]| {
            let mut buf = BytesMut::from(bytes);
            match read_packet(&mut buf) {
                Err(ReadError::Malformed(why)) => why,
                other => panic!("{bytes:02x?} accepted: {other:?}"),
            }
        };
        assert!(refuse(&[0xC0, 0x01, 0x00]).contains("must be 0")); // PINGREQ + payload
        assert!(refuse(&[0xE0, 0x01, 0x00]).contains("must be 0")); // DISCONNECT + payload
        assert!(refuse(&[0xC1, 0x00]).contains("flags")); // PINGREQ flags
        assert!(refuse(&[0x80, 0x06, 0, 1, 0, 1, b'a', 1]).contains("0b0010")); // SUBSCRIBE flags
        assert!(refuse(&[0x82, 0x06, 0, 1, 0, 1, b'a', 5]).contains("reserved bits"));
        assert!(refuse(&[0xA0, 0x05, 0, 1, 0, 1, b'a']).contains("0b0010")); // UNSUBSCRIBE
        assert!(refuse(&[0x41, 0x02, 0, 1]).contains("flags")); // PUBACK flags
        assert!(refuse(&[0x40, 0x03, 0, 1, 0]).contains("must be 2")); // PUBACK length
        assert!(refuse(&[0x36, 0x03, 0, 1, b't']).contains("QoS 3"));
        assert!(refuse(&[0x38, 0x03, 0, 1, b't']).contains("DUP"));
        assert!(refuse(&[0xF0, 0x00]).contains("reserved packet type"));
        assert!(refuse(&[0x00, 0x00]).contains("reserved packet type"));
        assert!(refuse(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).contains("four bytes"));

        let mut ok = connect_bytes(0xC2);
        assert!(matches!(
            read_packet(&mut ok),
            Ok(Frame::Packet(Packet::Connect(_)))
        ));
        assert!(refuse(&connect_bytes(0xC3)).contains("reserved flag"));
        assert!(refuse(&connect_bytes(0xCA)).contains("no will"));
        assert!(refuse(&connect_bytes(0x42)).contains("no user name"));
        let mut ping = BytesMut::from(&[0xC0u8, 0x00][..]);
        assert!(matches!(
            read_packet(&mut ping),
            Ok(Frame::Packet(Packet::PingReq))
        ));
        let mut sub = BytesMut::from(&[0x82u8, 0x06, 0, 1, 0, 1, b'a', 1][..]);
        assert!(matches!(
            read_packet(&mut sub),
            Ok(Frame::Packet(Packet::Subscribe(_)))
        ));
    }
}
