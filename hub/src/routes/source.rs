//! Route source matching (protocol.md §8.2).

/// Path of twin change notifications.
pub(crate) const TWIN_CHANGE_SOURCE: &str = "/twinChangeNotifications";

/// A route's source prefix, normalized: trailing `*` then trailing `/` removed, one `/`
/// appended, lower-cased (matching is case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteSource {
    prefix: String,
}

impl RouteSource {
    pub(crate) fn new(source: &str) -> RouteSource {
        let s = source.trim().trim_end_matches('*');
        let s = if s.chars().count() > 1 {
            s.trim_end_matches('/')
        } else {
            s
        };
        RouteSource {
            prefix: with_single_slash(s),
        }
    }

    /// True if messages from `message_source` are taken by this route.
    pub(crate) fn matches(&self, message_source: &str) -> bool {
        with_single_slash(message_source).starts_with(&self.prefix)
    }

    /// True for exactly `/twinChangeNotifications` (any case).
    pub(crate) fn is_twin_change(&self) -> bool {
        self.prefix == with_single_slash(TWIN_CHANGE_SOURCE)
    }
}

fn with_single_slash(s: &str) -> String {
    let mut out = s.trim().trim_end_matches('/').to_lowercase();
    out.push('/');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matching_is_on_whole_segments() {
        let r = RouteSource::new("/messages/modules/a");
        assert!(r.matches("/messages/modules/a"));
        assert!(r.matches("/messages/modules/A/outputs/x"));
        assert!(!r.matches("/messages/modules/ab"));
        assert!(RouteSource::new("/*").matches("/twinChangeNotifications"));
    }
}
