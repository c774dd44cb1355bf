//! Property tests for the topic property bag: encoding then decoding is the identity for any
//! Unicode keys and values, and decoding never panics, whatever the input.

use edgemodule::protocol::property_bag::{decode, encode, encode_component};
use edgemodule::Message;
use proptest::prelude::*;

type Pairs = Vec<(String, Option<String>)>;

fn pairs() -> impl Strategy<Value = Pairs> {
    // Keys must be non-empty: an empty key with no value has no representation in a bag.
    let key = any::<String>().prop_filter("non-empty key", |k| !k.is_empty());
    prop::collection::vec((key, prop::option::of(any::<String>())), 0..8)
}

/// Text biased towards the characters that are structural in a bag or an escape.
fn bag_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec!['%', '=', '&', '/', '+', '$', '.', ' ']),
            prop::sample::select(vec!['0', '7', 'C', 'F', 'a', 'f', 'z']),
            any::<char>(),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(pairs in pairs()) {
        let bag = encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref())));
        prop_assert!(!bag.contains('/'), "an encoded bag must never contain '/'");
        prop_assert_eq!(decode(&bag).unwrap(), pairs);
    }

    #[test]
    fn encoded_components_use_only_unreserved_and_escapes(s in any::<String>()) {
        let encoded = encode_component(&s);
        prop_assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    }

    #[test]
    fn decode_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = decode(&s);
    }

    #[test]
    fn decode_never_panics_on_bag_like_text(s in bag_like()) {
        if let Ok(pairs) = decode(&s) {
            // Whatever decodes must re-encode to something that decodes the same way.
            let again = encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref())));
            prop_assert_eq!(decode(&again).unwrap(), pairs);
        }
    }

    #[test]
    fn message_survives_the_bag(
        props in prop::collection::btree_map("[^$].*", any::<String>(), 0..6),
        mid in prop::option::of(any::<String>()),
        ct in prop::option::of(any::<String>()),
        cdid in prop::option::of(any::<String>()),
    ) {
        let system = ["ack", "iothub-operation"];
        let mut message = Message::new("body");
        message.properties = props.into_iter().filter(|(k, _)| !system.contains(&k.as_str())).collect();
        message.message_id = mid;
        message.content_type = ct;
        message.connection_device_id = cdid;
        let decoded = decode(&message.encode_bag(None)).unwrap();
        prop_assert_eq!(Message::from_bag(decoded, b"body".to_vec()), message);
    }
}
