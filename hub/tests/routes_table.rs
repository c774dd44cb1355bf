//! Table-driven tests of the route language (protocol.md §8): conditions, properties, `$body`
//! queries, built-ins, sources, sinks, priorities and parse errors.

use edgemodule_hub::routes::{evaluate, parse_route, RouteInput, Sink, DEFAULT_PRIORITY};
use proptest::prelude::*;

/// A message for routing tests (property lookups are case-insensitive, as in edgeHub).
#[derive(Clone, Debug, Default)]
struct Msg {
    source: String,
    app: Vec<(String, String)>,
    sys: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Msg {
    fn new(source: &str) -> Msg {
        Msg {
            source: source.to_string(),
            ..Msg::default()
        }
    }
    fn app(mut self, k: &str, v: &str) -> Msg {
        self.app.push((k.into(), v.into()));
        self
    }
    fn sys(mut self, k: &str, v: &str) -> Msg {
        self.sys.push((k.into(), v.into()));
        self
    }
    fn body(mut self, b: impl Into<Vec<u8>>) -> Msg {
        self.body = b.into();
        self
    }
    fn json(self, body: &str) -> Msg {
        self.sys("contentType", "application/json")
            .sys("contentEncoding", "utf-8")
            .body(body)
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl RouteInput for Msg {
    fn source(&self) -> &str {
        &self.source
    }
    fn app_property(&self, name: &str) -> Option<&str> {
        lookup(&self.app, name)
    }
    fn system_property(&self, name: &str) -> Option<&str> {
        lookup(&self.sys, name)
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

/// Expected result of a condition: true, false, undefined (both the condition and its
/// negation fail to match), or "no match" for non-boolean conditions that cannot be negated.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    T,
    F,
    U,
    N,
}
use Want::{F, N, T, U};

const BODY: &str = r#"{
  "device": {
    "temp": 50, "chill": -12.5, "precise": 21.7, "code": "50",
    "label": "Boiler Room 7", "site": "Lyon", "flag": true, "off": false, "nothing": null,
    "seen": "2024-05-01T10:00:00Z", "history": [20, 30, 40],
    "rooms": [ { "name": "a", "temp": 19 }, { "name": "b", "temp": 23 } ]
  }
}"#;

/// The message most condition cases run against.
fn base() -> Msg {
    Msg::new("/messages/modules/tempSensor/outputs/temperatureOutput")
        .app("key1", "value1")
        .app("key2", "3")
        .app("key3", "VALUE3")
        .app("$sys4", "value4")
        .app("$State", "WA")
        .app("City", "Lyon")
        .app("a-1", "x")
        .app("$body.device.precise", "100")
        .sys("sys1", "sysvalue1")
        .sys("sys2", "4")
        .sys("sys4", "sysvalue4")
        .sys("State", "CA")
        .sys("connectionDeviceId", "edge1")
        .sys("connectionModuleId", "tempSensor")
        .sys("messageId", "m1")
        .json(BODY)
}

/// Checks `cond` on `msg` (route `FROM <source> WHERE cond INTO $upstream`).
fn check(msg: &Msg, source: &str, cond: &str, want: Want) -> Result<(), String> {
    let route = |c: &str| {
        parse_route(
            "t",
            &format!("FROM {source} WHERE {c} INTO $upstream"),
            0,
            0,
        )
    };
    let r = route(cond).map_err(|e| format!("{cond:?}: parse error: {e}"))?;
    let matched = r.matches(msg);
    if matched != (want == T) {
        return Err(format!("{cond:?}: matched={matched}, want {want:?}"));
    }
    if want == F || want == U {
        let negated = route(&format!("NOT ({cond})"))
            .map_err(|e| format!("{cond:?}: negation does not parse: {e}"))?;
        let neg = negated.matches(msg);
        if neg != (want == F) {
            return Err(format!("{cond:?}: NOT(...) matched={neg}, want {want:?}"));
        }
    }
    Ok(())
}

fn run_table(msg: &Msg, source: &str, table: &[(&str, Want)]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|(c, w)| check(msg, source, c, *w).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn literals() {
    run_table(
        &base(),
        "/*",
        &[
            ("true", T),
            ("false", F),
            ("null", F),
            ("'a string'", N),
            ("\"a string\"", N),
            ("3", N),
            ("is_defined(undefined)", F),
            ("is_defined(null)", T),
            (r#"'it\'s' = "it's""#, T),
            (r#"'\u0041\u00e9' = 'Aé'"#, T),
            (r#""a\\b" = 'a\\b'"#, T),
            (r#""say \"hi\"" = 'say "hi"'"#, T),
            ("42 = 42.0", T),
            ("-2 < 0", T),
            ("0x1F = 31", T),
            ("0X10 = 16", T),
            ("0xFFFFFFFFFFFFFFFF = -1", T),
            ("1.5e3 = 1500", T),
            ("1e2 = 100", T),
            (".5 = 0.5", T),
            ("2.50 = 2.5", T),
            ("10e1000 = 1 / 0", T),
        ],
    );
}

#[test]
fn comparison_operators() {
    run_table(
        &base(),
        "/*",
        &[
            ("3 = 3", T),
            ("3 = 4", F),
            ("3 != 4", T),
            ("3 != 3", F),
            ("3 <> 4", T),
            ("3 <> 3", F),
            ("4 < 7", T),
            ("7 < 7", F),
            ("7 <= 7", T),
            ("8 <= 7", F),
            ("8 > 7", T),
            ("7 > 7", F),
            ("7 >= 7", T),
            ("7 >= 8", F),
            ("'a' < 'b'", T),
            ("'b' <= 'a'", F),
            ("'B' < 'a'", T),
            ("'abc' = 'ABC'", F),
            ("'a' >= 'a'", T),
            ("true = true", T),
            ("true != false", T),
            ("true > false", T),
            ("false <> false", F),
            ("null = null", T),
            ("null != null", F),
            ("null < null", F),
            ("null >= null", T),
            ("key2>'2'", T),
        ],
    );
}

#[test]
fn logic_and_undefined() {
    run_table(
        &base(),
        "/*",
        &[
            ("true AND true", T),
            ("true and false", F),
            ("false AnD true", F),
            ("true OR false", T),
            ("false or false", F),
            ("NOT true", F),
            ("not false", T),
            ("NOT (true AND false)", T),
            ("undefined", N),
            ("undefined AND false", F),
            ("false AND undefined", F),
            ("undefined AND true", U),
            ("undefined OR true", T),
            ("true OR undefined", T),
            ("undefined OR false", U),
            ("undefined OR undefined", U),
            ("undefined = undefined", U),
            ("missing = 'x'", U),
            ("missing != 'x'", U),
            ("'a' < missing", U),
            ("missing = 'x' AND false", F),
            ("missing = 'x' AND true", U),
            ("missing = 'x' OR true", T),
            ("missing = 'x' OR false", U),
            ("NOT (missing = 'x')", U),
            ("null AND true", F),
            ("(null AND true) = null", T),
            ("(null AND false) = null", T),
            ("null OR true", T),
            ("null OR false", F),
            ("(null OR null) = null", T),
            ("NOT null", T),
        ],
    );
}

#[test]
fn arithmetic_concat_coalesce_and_precedence() {
    run_table(
        &base(),
        "/*",
        &[
            ("3 + 4 = 7", T),
            ("3 - 4 = -1", T),
            ("3 * 4 = 12", T),
            ("3 / 4 = 0.75", T),
            ("7 % 3 = 1", T),
            ("-7 % 3 = -1", T),
            ("is_defined(3 % 0)", F),
            ("3 / 0 > 1000000", T),
            ("- 3 = -3", T),
            ("-(3 + 4) = -7", T),
            ("2 + 3 * 4 = 14", T),
            ("(2 + 3) * 4 = 20", T),
            ("10 - 2 - 3 = 5", T),
            ("as_number(key2) + 1 = 4", T),
            ("is_defined(as_number(key1) + 1)", F),
            ("'a' || 'b' = 'ab'", T),
            ("'a' || key1 || 'd' = 'avalue1d'", T),
            ("is_defined('a' || missing)", F),
            ("(missing ?? 'x') = 'x'", T),
            ("(key1 ?? 'x') = 'value1'", T),
            ("(missing ?? missing2 ?? 'z') = 'z'", T),
            ("(3 % 0 ?? 5) = 5", T),
            ("undefined ?? undefined", N),
            ("key1 = 'value1' ?? false", T),
            ("true OR true AND false", T),
            ("1 + 1 = 2 AND 2 < 3", T),
            // `a-1` is one identifier (edgeHub lexing); `a - 1` would be a subtraction.
            ("a-1 = 'x'", T),
        ],
    );
}

#[test]
fn properties_and_system_properties() {
    run_table(
        &base(),
        "/*",
        &[
            ("key1 = 'value1'", T),
            ("KEY1 = 'value1'", T),
            ("key1 = 'VALUE1'", F),
            ("key2 = '3'", T),
            ("is_defined(key1)", T),
            ("is_defined(missing)", F),
            ("$sys1 = 'sysvalue1'", T),
            ("$SYS1 = 'sysvalue1'", T),
            ("{$sys1} = 'sysvalue1'", T),
            ("{ $sys1 } = 'sysvalue1'", T),
            // An application property literally named `$sys4` wins over system property sys4.
            ("$sys4 = 'value4'", T),
            ("{$sys4} = 'sysvalue4'", T),
            ("$State = 'WA'", T),
            ("{$State} = 'CA'", T),
            ("is_defined($none)", F),
            ("$connectionDeviceId = 'edge1'", T),
            ("$connectionModuleId = 'tempSensor'", T),
            ("NOT is_defined($connectionModuleId)", F),
            ("$messageId = 'm1'", T),
            ("$contentType = 'application/json'", T),
            ("$contentEncoding = 'utf-8'", T),
        ],
    );
}

#[test]
fn body_queries() {
    run_table(
        &base(),
        "/*",
        &[
            ("$body.device.temp = 50", T),
            ("$BODY.device.temp >= 50", T),
            ("50 <= $body.device.temp", T),
            ("$body.device.temp > 50", F),
            ("$body.device.temp = 40 + 10", T),
            // Typed JSON values: no implicit conversion between number and string.
            ("$body.device.temp = '50'", F),
            ("$body.device.temp != '50'", T),
            ("$body.device.code = 50", F),
            ("$body.device.code = '50'", T),
            // Values of different types are ordered by type (bool < number < string < null).
            ("$body.device.site > $body.device.temp", T),
            ("$body.device.history[1] = 30", T),
            ("$body.device.rooms[1].temp > $body.device.rooms[0].temp", T),
            ("$body.device.rooms[0].name = 'a'", T),
            ("$body.device.history[0] + $body.device.history[1] = 50", T),
            ("$body.device.temp + 1 = 51", T),
            ("$body.device.chill * 2 = -25", T),
            ("$body.device.site + 1 = 2", U),
            ("$body.device.flag", T),
            ("$body.device.off", F),
            ("NOT $body.device.off", T),
            ("$body.device.flag AND $body.device.off", F),
            ("$body.device.flag OR $body.device.off", T),
            // With a $body operand AND/OR need booleans on both sides (edgeHub query values).
            ("$body.device.off AND undefined", U),
            ("$body.device.temp", U),
            // A missing path is null; JSON null is null.
            ("$body.device.nothing = null", T),
            ("$body.device.missing = null", T),
            ("$body.device.history[5] = null", T),
            ("$body.device.temp != null", T),
            ("$body.device.missing != 'x'", T),
            ("$body.device.temp[0] = 1", F),
            // Objects, arrays and date-like strings are undefined.
            ("$body.device = null", U),
            ("$body.device.history = null", U),
            ("$body.device.seen = '2024-05-01T10:00:00Z'", U),
            ("$body.device.site = City", T),
            ("$body.device.temp > 30 AND $body.device.site = 'Lyon'", T),
            // An application property named `$body.…` overrides the body; `{…}` forces the body.
            ("$body.device.precise = '100'", T),
            ("as_number($body.device.precise) = 100", T),
            ("{$body.device.precise} = 21.7", T),
            ("is_defined($body)", F),
        ],
    );
}

/// Body access needs content type exactly application/json (any case, no parameters) and
/// encoding utf-8 / utf-16 / utf-32 (any case).
#[test]
fn body_content_type_and_encoding() {
    fn utf16(s: &str, bom: bool) -> Vec<u8> {
        let bom = bom.then_some(0xFEFFu16);
        bom.into_iter()
            .chain(s.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect()
    }
    fn utf32(s: &str) -> Vec<u8> {
        s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect()
    }
    let json = r#"{"t": 50}"#;
    /// (content type, content encoding, body, expected)
    type Case = (Option<&'static str>, Option<&'static str>, Vec<u8>, Want);
    let cases: Vec<Case> = vec![
        (Some("application/json"), Some("utf-8"), json.into(), T),
        (Some("Application/JSON"), Some("UTF-8"), json.into(), T),
        (
            Some("application/json"),
            Some("utf-16"),
            utf16(json, false),
            T,
        ),
        (
            Some("application/json"),
            Some("UTF-16"),
            utf16(json, true),
            T,
        ),
        (Some("application/json"), Some("utf-32"), utf32(json), T),
        (
            Some("application/json;charset=utf-8"),
            Some("utf-8"),
            json.into(),
            U,
        ),
        (Some(" application/json"), Some("utf-8"), json.into(), U),
        (Some("text/plain"), Some("utf-8"), json.into(), U),
        (Some("application/json"), None, json.into(), U),
        (None, Some("utf-8"), json.into(), U),
        (Some("application/json"), Some("utf8"), json.into(), U),
        (Some("application/json"), Some("ascii"), json.into(), U),
        (Some("application/json"), Some("utf-16"), json.into(), U),
        (
            Some("application/json"),
            Some("utf-8"),
            b"{t: 50".to_vec(),
            U,
        ),
        (Some("application/json"), Some("utf-8"), b"[50]".to_vec(), U),
        (Some("application/json"), Some("utf-8"), Vec::new(), U),
    ];
    let mut failures = Vec::new();
    for (ct, ce, body, want) in cases {
        let mut m = Msg::new("/messages").body(body);
        if let Some(ct) = ct {
            m = m.sys("contentType", ct);
        }
        if let Some(ce) = ce {
            m = m.sys("contentEncoding", ce);
        }
        if let Err(e) = check(&m, "/*", "$body.t = 50", want) {
            failures.push(format!("{ct:?}/{ce:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn builtin_functions() {
    run_table(
        &base(),
        "/*",
        &[
            ("abs(-12) = 12", T),
            ("ABS($body.device.chill) = 12.5", T),
            ("is_defined(abs(as_number(key1)))", F),
            ("exp(0) = 1", T),
            ("abs(exp(1) - 2.718281828) < 0.000001", T),
            ("exp(1000) = 1 / 0", T),
            ("power(2, 10) = 1024", T),
            ("power($body.device.temp, 2) = 2500", T),
            ("is_defined(power(as_number(key1), 2))", F),
            ("square(-3) = 9", T),
            ("square(as_number(key2)) = 9", T),
            ("ceiling(2.1) = 3", T),
            ("ceiling(-2.1) = -2", T),
            ("floor(2.9) = 2", T),
            ("floor(-2.1) = -3", T),
            ("sign(-5) = -1", T),
            ("sign(0) = 0", T),
            ("sign(7.5) = 1", T),
            ("sign(1 / 0) = 1", T),
            ("sqrt(16) = 4", T),
            ("is_defined(sqrt(-4))", F),
            ("as_number('3') = 3", T),
            ("as_number(key2) = 3", T),
            ("AS_NUMBER(' 1,000.5 ') = 1000.5", T),
            ("as_number('10e1000') = 1 / 0", T),
            ("as_number(key1) = 3", U),
            ("as_number(3) = 3", T),
            ("as_number($body.device.code) = 50", T),
            ("as_number($body.device.temp) = 50", T),
            ("is_defined(as_number($body.device.flag))", F),
            ("is_bool(true)", T),
            ("is_bool(key1)", F),
            ("is_bool(3)", F),
            ("is_bool($body.device.flag)", T),
            ("is_bool($body.device.temp)", F),
            ("is_bool($body.device.seen)", U),
            ("is_defined(key1)", T),
            ("is_defined(missing)", F),
            ("is_defined(missing = 'x')", F),
            ("is_defined($body.device.missing)", T),
            ("is_defined($body.device)", F),
            ("is_null(null)", T),
            ("is_null(key1)", F),
            ("is_null(3)", F),
            ("is_null($body.device.nothing)", T),
            ("is_null($body.device.missing)", T),
            ("is_null($body.device.temp)", F),
            ("is_number(1.5)", T),
            ("is_number(key2)", F),
            ("is_number(as_number(key2))", T),
            ("is_number(1 / 0)", F),
            ("is_number($body.device.temp)", T),
            ("is_number($body.device.code)", F),
            ("is_string('x')", T),
            ("is_string(key1)", T),
            ("is_string(missing)", F),
            ("is_string(3)", F),
            ("is_string($body.device.site)", T),
            ("is_string($body.device.temp)", F),
            ("concat('a', 'b', 'c') = 'abc'", T),
            ("CONCAT(key1, '-', $sys1) = 'value1-sysvalue1'", T),
            ("is_defined(concat('a', missing))", F),
            ("concat($body.device.site, '!') = 'Lyon!'", T),
            ("is_defined(concat('a', $body.device.temp))", F),
            ("length('hello') = 5", T),
            ("length('') = 0", T),
            ("length(key3) = 6", T),
            ("length('é😀') = 3", T),
            ("is_defined(length(missing))", F),
            ("lower('HeLLo') = 'hello'", T),
            ("upper(key1) = 'VALUE1'", T),
            ("lower($body.device.site) = 'lyon'", T),
            ("substring('abc', 1) = 'bc'", T),
            ("substring('abc', 3) = ''", T),
            ("is_defined(substring('abc', 4))", F),
            ("is_defined(substring('abc', -1))", F),
            ("substring('hello', 1, 3) = 'ell'", T),
            ("substring('hello', 4, 1) = 'o'", T),
            ("substring('hello', 1.9, 2.9) = 'el'", T),
            ("is_defined(substring('hello', 4, 2))", F),
            ("is_defined(substring('hello', 5, 0))", F),
            ("substring($body.device.label, 7) = 'Room 7'", T),
            ("index_of('abcdef', 'cd') = 2", T),
            ("index_of('abc', 'x') = -1", T),
            ("index_of('abc', '') = 0", T),
            ("index_of('😀a', 'a') = 2", T),
            ("starts_with('abc', 'ab')", T),
            ("starts_with(key1, 'VAL')", F),
            ("starts_with(missing, 'a')", U),
            ("ends_with('abc', 'bc')", T),
            ("ENDS_WITH('abc', 'b')", F),
            ("contains($body.device.label, 'Room')", T),
            ("contains('abc', 'x')", F),
            ("contains(missing, 'x')", U),
        ],
    );
}

#[test]
fn twin_change_includes() {
    let twin = Msg::new("/twinChangeNotifications")
        .sys("messageType", "twinChangeNotification")
        .json(r#"{"version": 3, "properties": {"reported": {"temp": 20, "nested": {"a": null}}}}"#);
    run_table(
        &twin,
        "/twinChangeNotifications",
        &[
            ("twin_change_includes(properties.reported.temp)", T),
            ("TWIN_CHANGE_INCLUDES(properties.reported.temp)", T),
            ("twin_change_includes(properties.reported.nested)", T),
            ("twin_change_includes(properties.reported.nested.a)", T),
            ("twin_change_includes(properties.reported.humidity)", F),
            ("twin_change_includes(properties.desired.temp)", F),
            ("twin_change_includes(tags.site)", F),
        ],
    );
    let not_json = Msg::new("/twinChangeNotifications").body("{}");
    run_table(
        &not_json,
        "/twinChangeNotifications",
        &[("twin_change_includes(properties.reported.temp)", U)],
    );
}

/// protocol.md §8.2: which route sources take which message sources.
#[test]
fn source_matching() {
    let sources = [
        "/messages/modules/filter/outputs/alerts",
        "/messages/modules/filter",
        "/messages",
        "/twinChangeNotifications",
        "/messages/modules/filter2/outputs/out",
    ];
    let table: &[(&str, [bool; 5])] = &[
        ("/*", [true, true, true, true, true]),
        ("/messages/*", [true, true, true, false, true]),
        ("/messages", [true, true, true, false, true]),
        ("/messages/modules/*", [true, true, false, false, true]),
        (
            "/messages/modules/filter/*",
            [true, true, false, false, false],
        ),
        (
            "/messages/modules/filter",
            [true, true, false, false, false],
        ),
        (
            "/messages/modules/filter/outputs/*",
            [true, false, false, false, false],
        ),
        (
            "/messages/modules/filter/outputs/alerts",
            [true, false, false, false, false],
        ),
        (
            "/messages/modules/FILTER/outputs/ALERTS",
            [true, false, false, false, false],
        ),
        (
            "/messages/modules/filter/outputs/alert",
            [false, false, false, false, false],
        ),
        (
            "/twinChangeNotifications",
            [false, false, false, true, false],
        ),
        ("/ messages / *", [true, true, true, false, true]),
    ];
    let mut failures = Vec::new();
    for (route_source, expected) in table {
        let route = parse_route("s", &format!("FROM {route_source} INTO $upstream"), 0, 0)
            .unwrap_or_else(|e| panic!("{route_source}: {e}"));
        for (msg_source, want) in sources.iter().zip(expected) {
            if route.matches(&Msg::new(msg_source)) != *want {
                failures.push(format!("{route_source} vs {msg_source}: want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The leaf-device idiom from §8.2.
    let leaf_only = parse_route(
        "leaf",
        "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream",
        0,
        0,
    )
    .unwrap();
    assert!(leaf_only.matches(&Msg::new("/messages").sys("connectionDeviceId", "leaf")));
    assert!(!leaf_only.matches(&base()));
}

#[test]
fn route_forms_and_sinks() {
    let module = |m: &str, i: &str| Sink::Module {
        module_id: m.into(),
        input: i.into(),
    };
    let table: Vec<(&str, Sink)> = vec![
        ("FROM /* INTO $upstream", Sink::Upstream),
        ("FROM /* INTO $UpStream", Sink::Upstream),
        ("SELECT * FROM /messages/* INTO $upstream", Sink::Upstream),
        (
            "select * from /messages/* where true into $upstream",
            Sink::Upstream,
        ),
        (
            r#"FROM /messages/modules/tempSensor/outputs/temperatureOutput INTO BrokeredEndpoint("/modules/filter/inputs/input1")"#,
            module("filter", "input1"),
        ),
        (
            "FROM /* INTO brokeredendpoint('/modules/filter/inputs/input1')",
            module("filter", "input1"),
        ),
        (
            r#"FROM /* INTO BrokeredEndpoint("modules/filter/inputs/input1/")"#,
            module("filter", "input1"),
        ),
        (
            r#"FROM /* INTO BrokeredEndpoint(" /modules/f/inputs/in ")"#,
            module("f", "in"),
        ),
        (
            "FROM /*\n  WHERE key1 = 'value1'\n  INTO BrokeredEndpoint(\"/modules/f/inputs/in\")",
            module("f", "in"),
        ),
    ];
    for (text, sink) in table {
        let r = parse_route("n", text, 7, 60).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(r.sink, sink, "{text}");
        assert_eq!(
            (r.name.as_str(), r.text.as_str(), r.priority, r.ttl_secs),
            ("n", text, 7, 60)
        );
        assert!(r.matches(&base()), "{text}");
    }
}

#[test]
fn evaluate_deduplicates_per_sink_keeping_best_priority() {
    let r =
        |name: &str, text: &str, prio: u32, ttl: u32| parse_route(name, text, prio, ttl).unwrap();
    let to_m = r#"BrokeredEndpoint("/modules/m/inputs/in")"#;
    let routes = vec![
        r("r1", "FROM /* INTO $upstream", 5, 100),
        r("r2", "FROM /messages/* INTO $upstream", 1, 200),
        r("r3", "FROM /messages/* WHERE false INTO $upstream", 0, 300),
        r("r4", &format!("FROM /* INTO {to_m}"), DEFAULT_PRIORITY, 0),
        r("r5", &format!("FROM /* INTO {to_m}"), 3, 7),
        r("r6", &format!("FROM /* INTO {to_m}"), 3, 8),
        r(
            "r7",
            r#"FROM /twinChangeNotifications INTO BrokeredEndpoint("/modules/x/inputs/y")"#,
            DEFAULT_PRIORITY,
            0,
        ),
    ];
    let m = Sink::Module {
        module_id: "m".into(),
        input: "in".into(),
    };
    let x = Sink::Module {
        module_id: "x".into(),
        input: "y".into(),
    };
    type Expected = Vec<(Sink, u32, u32)>;
    let table: Vec<(Msg, Expected)> = vec![
        (base(), vec![(Sink::Upstream, 1, 200), (m.clone(), 3, 7)]),
        (
            Msg::new("/twinChangeNotifications"),
            vec![
                (Sink::Upstream, 5, 100),
                (m.clone(), 3, 7),
                (x, DEFAULT_PRIORITY, 0),
            ],
        ),
    ];
    for (msg, want) in table {
        assert_eq!(evaluate(&routes, &msg), want, "{}", msg.source);
    }
    assert!(evaluate(&routes[2..3], &base()).is_empty());
    assert!(evaluate(&[], &base()).is_empty());
}

/// Routes edgeHub refuses, with a substring of the expected error.
#[test]
fn parse_errors() {
    let deep = format!(
        "FROM /* WHERE {}true{} INTO $upstream",
        "(".repeat(70),
        ")".repeat(70)
    );
    let table: Vec<(String, &str)> = vec![
        ("", "empty route: expected FROM"),
        ("   ", "empty route"),
        (
            "FROM",
            "expected '/' starting the source path, found the end of the route",
        ),
        (
            "FROM messages INTO $upstream",
            "expected '/' starting the source path, found 'messages'",
        ),
        ("TO /messages INTO $upstream", "expected FROM, found 'TO'"),
        ("SELECT FROM /m INTO $upstream", "expected '*' after SELECT"),
        ("FROM /messages", "expected WHERE or INTO after the source"),
        (
            "FROM /messages/1 INTO $upstream",
            "expected a source path segment or '*', found '1'",
        ),
        (
            "FROM /messages/$edgeHub INTO $upstream",
            "expected a source path segment",
        ),
        (
            "FROM /messages/ INTO $upstream",
            "expected a source path segment or '*', found 'INTO'",
        ),
        ("FROM /messages INTO", "expected a sink"),
        (
            "FROM /messages INTO $foo",
            "unsupported system endpoint '$foo'",
        ),
        (
            r#"FROM /m INTO Endpoint("/modules/a/inputs/b")"#,
            "unsupported endpoint function 'Endpoint'",
        ),
        (
            r#"FROM /m INTO BrokeredEndpoint("/modules/a/inputs")"#,
            "invalid BrokeredEndpoint address",
        ),
        (
            r#"FROM /m INTO BrokeredEndpoint("//modules/a/inputs/b")"#,
            "invalid BrokeredEndpoint address",
        ),
        (
            r#"FROM /m INTO BrokeredEndpoint("/modules//inputs/b")"#,
            "invalid BrokeredEndpoint address",
        ),
        (
            "FROM /m INTO BrokeredEndpoint(/modules/a/inputs/b)",
            "expected a quoted address",
        ),
        (
            r#"FROM /m INTO BrokeredEndpoint("/modules/a/inputs/b""#,
            "expected ')' closing BrokeredEndpoint",
        ),
        (
            "FROM /m INTO $upstream extra",
            "expected the end of the route after the sink, found 'extra'",
        ),
        (
            "FROM /m WHERE INTO $upstream",
            "expected an expression, found 'INTO'",
        ),
        (
            "FROM /m WHERE a = INTO $upstream",
            "expected an expression, found 'INTO'",
        ),
        (
            "FROM /m WHERE a = 'b'",
            "expected INTO, found the end of the route",
        ),
        (
            "FROM /m WHERE (a = 'b' INTO $upstream",
            "expected ')' closing the '('",
        ),
        (
            "FROM /m WHERE a = 'b') INTO $upstream",
            "unmatched closing ')'",
        ),
        ("FROM /m WHERE a = 'b INTO $upstream", "unterminated string"),
        ("FROM /m WHERE a @ 'b' INTO $upstream", "invalid symbol '@'"),
        (
            "FROM /m WHERE a = 'b' c INTO $upstream",
            "expected an operator or INTO, found 'c'",
        ),
        (
            "FROM /m WHERE 3 -4 INTO $upstream",
            "expected an operator or INTO, found '-4'",
        ),
        (
            "FROM /m WHERE a[0] = 'x' INTO $upstream",
            "'[' and ']' are only allowed in $body queries",
        ),
        (
            "FROM /m WHERE {a} = 'x' INTO $upstream",
            "expected a $property inside '{ }'",
        ),
        (
            "FROM /m WHERE $body.a..b = 1 INTO $upstream",
            "invalid $body path 'a..b'",
        ),
        (
            "FROM /m WHERE $body.a[] = 1 INTO $upstream",
            "invalid $body path",
        ),
        (
            "FROM /m WHERE $body. = 1 INTO $upstream",
            "$body query cannot be empty",
        ),
        (
            "FROM /m WHERE foo(a) INTO $upstream",
            "unknown built-in function 'foo'",
        ),
        (
            "FROM /m WHERE is_defined(a INTO $upstream",
            "expected ')' closing the '('",
        ),
        (deep.as_str(), "too deeply nested"),
    ]
    .into_iter()
    .map(|(r, e)| (r.to_string(), e))
    .collect();
    let mut failures = Vec::new();
    for (route, want) in &table {
        match parse_route("bad", route, 0, 0) {
            Ok(_) => failures.push(format!("{route:?}: parsed, want error containing {want:?}")),
            Err(e) if !e.message.contains(want) => {
                failures.push(format!("{route:?}: got {e:?}, want {want:?}"))
            }
            Err(e) if e.position.is_none() || !e.to_string().contains("position") => {
                failures.push(format!("{route:?}: no position in {e:?}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let e = parse_route("p", "FROM /messages INTO $foo", 0, 0).unwrap_err();
    assert_eq!(e.position, Some(20));
    let e = parse_route("p", "FROM /m WHERE key1 > 30 INTO $upstream", 0, 0).unwrap_err();
    assert_eq!(e.position, Some(19));
}

/// edgeHub type-checks conditions when it compiles routes and refuses a deployment whose
/// routes do not type-check. Application/system properties are strings: `temperature > 30`
/// compares a string with a number and is refused (edgeHub: "Invalid operands to binary
/// operator '>'"). Working forms: `as_number(temperature) > 30`, or `$body.temperature > 30`
/// for JSON bodies, where values keep their JSON types. This hub makes the same choice.
#[test]
fn type_errors_match_edgehub() {
    let table: &[(&str, &str)] = &[
        (
            "temperature > 30",
            "invalid operands to binary operator '>': have string and number",
        ),
        ("$connectionModuleId = null", "have string and null"),
        ("3 = undefined", "have number and undefined"),
        ("$body.t = undefined", "have $body value and undefined"),
        (
            "3 + 'a' = 4",
            "binary operator '+': have number and string, expected number and number",
        ),
        ("key1 + 1 = 2", "have string and number"),
        ("'a' || 3 = 'a3'", "binary operator '||'"),
        ("- key1 = 1", "unary operator '-': have string"),
        (
            "- $body.t = 1",
            "unary '-' cannot be applied to a $body value",
        ),
        ("$body.t % 2 = 0", "'%' cannot be applied to $body values"),
        ("NOT 'x'", "unary operator 'NOT': have string"),
        ("NOT undefined", "unary operator 'NOT': have undefined"),
        // Prefix NOT binds tighter than '=': this is (NOT key1) = 'x'.
        ("NOT key1 = 'x'", "unary operator 'NOT': have string"),
        (
            "'a' AND true",
            "binary operator 'AND': have string and bool",
        ),
        ("true OR 3", "binary operator 'OR': have bool and number"),
        ("null AND undefined", "have null and undefined"),
        ("$body.flag AND null", "have $body value and null"),
        // '??' has the lowest precedence: key1 ?? ('x' = 'y') mixes string and bool.
        (
            "key1 ?? 'x' = 'y'",
            "binary operator '??': have string and bool",
        ),
        (
            "(key1 ?? 1) = 1",
            "binary operator '??': have string and number",
        ),
        (
            "abs('x') = 1",
            "invalid arguments to built-in function 'abs': abs(string), expected abs(number)",
        ),
        ("abs(3, 4) = 1", "abs(number, number)"),
        ("power(2) = 4", "power(number)"),
        ("length(3) = 1", "length(number)"),
        ("length(null) = 1", "length(null)"),
        ("concat('a') = 'a'", "concat(string)"),
        ("concat() = ''", "concat()"),
        ("substring('a', 'b') = ''", "substring(string, string)"),
        ("as_number(true) = 1", "as_number(bool)"),
        ("is_defined()", "is_defined()"),
        ("starts_with('a', 1)", "starts_with(string, number)"),
        ("contains(null, 'a')", "contains(null, string)"),
        (
            "twin_change_includes(properties.reported.x)",
            "only valid in routes FROM /twinChangeNotifications",
        ),
    ];
    let mut failures = Vec::new();
    for (cond, want) in table {
        let route = format!("FROM /messages/* WHERE {cond} INTO $upstream");
        match parse_route("typed", &route, 0, 0) {
            Ok(_) => failures.push(format!("{cond:?}: accepted, want {want:?}")),
            Err(e) if !e.message.contains(want) => {
                failures.push(format!("{cond:?}: got {:?}, want {want:?}", e.message))
            }
            Err(_) => {}
        }
    }
    let twin = "FROM /twinChangeNotifications WHERE twin_change_includes(foo.bar) INTO $upstream";
    match parse_route("t", twin, 0, 0) {
        Err(e) if e.message.contains("must start with 'properties.reported.'") => {}
        other => failures.push(format!("twin prefix: {other:?}")),
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The accepted spellings of the same intent.
    let msg = base().app("temperature", "35");
    for ok in ["as_number(temperature) > 30", "$body.device.temp > 30"] {
        let r = parse_route("ok", &format!("FROM /* WHERE {ok} INTO $upstream"), 0, 0).unwrap();
        assert!(r.matches(&msg), "{ok}");
    }
}

// ---- property tests ----

fn kw(word: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(word.to_uppercase()),
        Just(word.to_lowercase()),
        Just(format!(
            "{}{}",
            &word[..1].to_uppercase(),
            &word[1..].to_lowercase()
        )),
    ]
}

fn prop_name() -> impl Strategy<Value = String> {
    "p_[a-z0-9]{0,5}"
}

fn num_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        prop_name().prop_map(|p| format!("as_number({p})")),
        "[a-z]{1,4}".prop_map(|p| format!("$body.d_{p}")),
        "[a-z]{1,4}".prop_map(|p| format!("$body.d_{p}[1]")),
        Just("0x1F".to_string()),
        Just("2.5e1".to_string()),
        Just("length('abc')".to_string()),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"])
            )
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            (
                inner.clone(),
                prop::sample::select(vec!["abs", "floor", "sqrt", "sign", "square"])
            )
                .prop_map(|(a, f)| format!("{f}({a})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("power({a}, {b})")),
        ]
    })
}

fn str_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z ]{0,6}".prop_map(|s| format!("'{s}'")),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
        prop_name(),
        "[a-z]{1,5}".prop_map(|s| format!("$sys_{s}")),
        "[a-z]{1,5}".prop_map(|s| format!("{{$sys_{s}}}")),
        "[a-z]{1,4}".prop_map(|p| format!("$body.d_{p}")),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| format!("lower({a})")),
            inner.clone().prop_map(|a| format!("UPPER({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("concat({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            (inner.clone(), 0u32..5).prop_map(|(a, n)| format!("substring({a}, {n})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a} ?? {b})")),
        ]
    })
}

fn bool_expr() -> impl Strategy<Value = String> {
    let cmp = prop::sample::select(vec!["=", "!=", "<>", "<", "<=", ">", ">="]);
    let leaf = prop_oneof![
        Just("true".to_string()),
        Just("false".to_string()),
        (num_expr(), num_expr(), cmp.clone()).prop_map(|(a, b, op)| format!("{a} {op} {b}")),
        (str_expr(), str_expr(), cmp).prop_map(|(a, b, op)| format!("{a} {op} {b}")),
        str_expr().prop_map(|a| format!("is_defined({a})")),
        num_expr().prop_map(|a| format!("is_number({a})")),
        (
            str_expr(),
            str_expr(),
            prop::sample::select(vec!["starts_with", "ends_with", "contains"])
        )
            .prop_map(|(a, b, f)| format!("{f}({a}, {b})")),
        "[a-z]{1,4}".prop_map(|p| format!("$body.d_{p}")),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), kw("and"))
                .prop_map(|(a, b, k)| format!("({a}) {k} ({b})")),
            (inner.clone(), inner.clone(), kw("or"))
                .prop_map(|(a, b, k)| format!("({a}) {k} ({b})")),
            (inner.clone(), kw("not")).prop_map(|(a, k)| format!("{k} ({a})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a}) ?? ({b})")),
        ]
    })
}

fn route_text() -> impl Strategy<Value = String> {
    let source = prop::sample::select(vec![
        "/*",
        "/messages/*",
        "/messages/modules/m1/outputs/o1",
        "/messages/modules/m1/*",
        "/twinChangeNotifications",
    ]);
    let sink = prop::sample::select(vec![
        "$upstream",
        "$UPSTREAM",
        "BrokeredEndpoint(\"/modules/m2/inputs/i1\")",
        "brokeredendpoint('/modules/m2/inputs/i2')",
    ]);
    (
        prop::option::of(kw("select")),
        kw("from"),
        source,
        prop::option::of((kw("where"), bool_expr())),
        kw("into"),
        sink,
    )
        .prop_map(|(select, from, source, cond, into, sink)| {
            let select = select.map(|s| format!("{s} * ")).unwrap_or_default();
            let cond = cond.map(|(w, c)| format!(" {w} {c}")).unwrap_or_default();
            format!("{select}{from} {source}{cond} {into} {sink}")
        })
}

fn sample_message() -> Msg {
    Msg::new("/messages/modules/m1/outputs/o1")
        .app("p_a", "12")
        .app("p_", "x")
        .sys("sys_a", "abc")
        .json(r#"{"d_a": 5, "d_b": "text", "d_c": true, "d_d": [1, 2, 3], "d_e": null}"#)
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(s in "\\PC{0,120}") {
        if let Ok(route) = parse_route("any", &s, 0, 0) {
            let _ = route.matches(&sample_message());
        }
    }

    #[test]
    fn parser_never_panics_on_route_like_text(
        s in "(FROM|WHERE|INTO|SELECT|AND|NOT|\\$body\\.|\\$[a-z]|[a-z0-9]|[ */$(){}'\",.=<>!|?%+\\[\\]-]){0,60}"
    ) {
        if let Ok(route) = parse_route("any", &s, 0, 0) {
            let _ = evaluate(&[route], &sample_message());
        }
    }

    #[test]
    fn generated_routes_parse_and_evaluate(text in route_text()) {
        let route = parse_route("gen", &text, 1, 2);
        prop_assert!(route.is_ok(), "{text}: {:?}", route.err());
        if let Ok(route) = route {
            let _ = evaluate(&[route], &sample_message());
        }
    }
}

/// `/* … */` is a comment (edgeHub's lexer): fine inside a condition, but a source ending in
/// `/*` followed later by `*/` turns everything in between into a comment, as in edgeHub.
#[test]
fn comments() {
    let ok = parse_route(
        "c",
        "FROM /messages WHERE /* note */ key1 = 'value1' INTO $upstream",
        0,
        0,
    )
    .unwrap();
    assert!(ok.matches(&base()));
    let swallowed = parse_route(
        "c",
        "FROM /messages/* WHERE /* note */ true INTO $upstream",
        0,
        0,
    );
    assert!(swallowed.is_err());
}

/// Long flat chains and deep (but bounded) nesting work; beyond the limits the route is
/// refused instead of exhausting the stack.
#[test]
fn size_limits() {
    let chain: Vec<String> = (0..500).map(|i| format!("key2 = '{i}'")).collect();
    let long = format!("FROM /* WHERE {} INTO $upstream", chain.join(" OR "));
    let route = parse_route("long", &long, 0, 0).expect("500-term chain");
    assert!(route.matches(&base()));
    let too_long: Vec<String> = (0..600).map(|i| format!("key2 = '{i}'")).collect();
    let err = parse_route(
        "long",
        &format!("FROM /* WHERE {} INTO $upstream", too_long.join(" AND ")),
        0,
        0,
    )
    .unwrap_err();
    assert!(err.message.contains("condition is too long"), "{err}");

    let nested = format!(
        "FROM /* WHERE {}key2 = '3'{} INTO $upstream",
        "NOT NOT (".repeat(20),
        ")".repeat(20)
    );
    assert!(parse_route("deep", &nested, 0, 0)
        .expect("60 levels")
        .matches(&base()));
    let huge = format!("FROM /* WHERE {}true INTO $upstream", "(".repeat(100_000));
    let err = parse_route("huge", &huge, 0, 0).unwrap_err();
    assert!(err.message.contains("too deeply nested"), "{err}");
}
