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

/// Takes one complete packet off the front of `buf`.
pub fn read_packet(buf: &mut BytesMut) -> Result<Frame, rumqttc::Error> {
    match Packet::read(buf, MAX_PACKET_SIZE) {
        Ok(packet) => Ok(Frame::Packet(packet)),
        Err(rumqttc::Error::InsufficientBytes(_)) => Ok(Frame::Incomplete),
        Err(e) => Err(e),
    }
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
        assert!(read_packet(&mut big).is_err());
    }
}
