//! MQTT 3.1.1 topic names and topic filters (§4.7): `/`-separated levels, `+` matches one
//! level, `#` (last level only) matches the parent level and any number of child levels,
//! and a filter starting with a wildcard does not match topics starting with `$`.

/// A valid topic filter: non-empty, no NUL, `+` and `#` only as whole levels, `#` last.
pub fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| {
        let plus_ok = !level.contains('+') || *level == "+";
        let hash_ok = !level.contains('#') || (*level == "#" && i == levels.len() - 1);
        plus_ok && hash_ok
    })
}

/// A valid topic name (for PUBLISH): non-empty, no NUL, no wildcards.
pub fn is_valid_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['\0', '+', '#'])
}

fn is_wildcard(level: &str) -> bool {
    level == "+" || level == "#"
}

/// True if `topic` matches `filter`. Invalid filters and invalid topic names never match.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if !is_valid_filter(filter) || !is_valid_topic(topic) {
        return false;
    }
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    if t[0].starts_with('$') && is_wildcard(f[0]) {
        return false;
    }
    for (i, level) in f.iter().enumerate() {
        if *level == "#" {
            return true;
        }
        match t.get(i) {
            Some(tl) if *level == "+" || level == tl => {}
            _ => return false,
        }
    }
    f.len() == t.len()
}

/// True if every topic matched by `inner` is also matched by `outer` (used to authorize a
/// SUBSCRIBE to `inner` against a policy filter `outer`). Invalid filters never cover.
pub fn filter_covers(outer: &str, inner: &str) -> bool {
    if !is_valid_filter(outer) || !is_valid_filter(inner) {
        return false;
    }
    let o: Vec<&str> = outer.split('/').collect();
    let i: Vec<&str> = inner.split('/').collect();
    // A wildcard-first outer filter cannot cover `$…` topics the inner one names literally.
    if is_wildcard(o[0]) && !is_wildcard(i[0]) && i[0].starts_with('$') {
        return false;
    }
    for (idx, ol) in o.iter().enumerate() {
        if *ol == "#" {
            return true;
        }
        // Inner ended before outer (`#` was handled above): outer needs more levels.
        let Some(il) = i.get(idx) else {
            return false;
        };
        let ok = match *il {
            "#" => false,
            "+" => *ol == "+",
            literal => *ol == "+" || *ol == literal,
        };
        if !ok {
            return false;
        }
    }
    o.len() == i.len()
}
