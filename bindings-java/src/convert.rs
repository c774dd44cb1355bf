//! Conversions between Java values and Rust ones: strings, string arrays and messages.
//!
//! A message crosses the boundary as three values: the body (`byte[]`), the system
//! properties (`String[]` with a fixed slot per property, null when absent — the order of
//! `dev.edgemodule.Message`'s constants) and the application properties (`String[]` of
//! alternating names and values).

use edgemodule::{Message, SystemProperty};
use jni::errors::Result as JniResult;
use jni::objects::{JByteArray, JObjectArray, JString};
use jni::refs::Reference;
use jni::Env;

use crate::error::{invalid, Outcome};

/// Number of system-property slots (`Message.SYSTEM_COUNT`): the core's table, whose codes
/// are `dev.edgemodule.Message`'s slot constants.
pub(crate) const SYSTEM_COUNT: usize = SystemProperty::ALL.len();

/// The system-property field of `message` in slot `index`.
fn system_field(message: &mut Message, index: usize) -> Option<&mut Option<String>> {
    let property = SystemProperty::from_code(i32::try_from(index).ok()?)?;
    Some(message.system_mut(property))
}

/// A Java string, or `None` for null.
pub(crate) fn opt_string(env: &Env<'_>, value: &JString<'_>) -> JniResult<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    value.try_to_string(env).map(Some)
}

/// A Java string that must not be null (`INVALID_ARGUMENT` naming `what` otherwise).
pub(crate) fn string(env: &Env<'_>, value: &JString<'_>, what: &str) -> Outcome<String> {
    opt_string(env, value)?.ok_or_else(|| invalid(format!("{what} must not be null")))
}

/// The elements of a `String[]` (null elements as `None`; a null array is empty).
pub(crate) fn string_array(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
) -> JniResult<Vec<Option<String>>> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    let len = array.len(env)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let element = array.get_element(env, i)?;
        out.push(opt_string(env, &element)?);
        env.delete_local_ref(element);
    }
    Ok(out)
}

/// `[name0, value0, name1, value1, ...]` as pairs (`INVALID_ARGUMENT` for a null name).
pub(crate) fn pairs(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
    what: &str,
) -> Outcome<Vec<(String, String)>> {
    let flat = string_array(env, array)?;
    if flat.len() % 2 != 0 {
        return Err(invalid(format!(
            "{what}: names and values must come in pairs"
        )));
    }
    flat.chunks(2)
        .map(|pair| match pair {
            [Some(name), value] => Ok((name.clone(), value.clone().unwrap_or_default())),
            _ => Err(invalid(format!("{what}: a name is null"))),
        })
        .collect()
}

/// The bytes of a `byte[]` (a null array is empty).
pub(crate) fn bytes(env: &Env<'_>, array: &JByteArray<'_>) -> JniResult<Vec<u8>> {
    if array.is_null() {
        return Ok(Vec::new());
    }
    env.convert_byte_array(array)
}

/// A message from its three Java parts.
pub(crate) fn message(
    env: &mut Env<'_>,
    body: &JByteArray<'_>,
    system: &JObjectArray<'_, JString<'_>>,
    properties: &JObjectArray<'_, JString<'_>>,
) -> Outcome<Message> {
    let mut message = Message::new(bytes(env, body)?);
    for (index, value) in string_array(env, system)?.into_iter().enumerate() {
        if let Some(field) = system_field(&mut message, index) {
            *field = value;
        }
    }
    for (name, value) in pairs(env, properties, "message properties")? {
        if name.is_empty() {
            return Err(invalid("a message property has an empty name"));
        }
        message.properties.insert(name, value);
    }
    Ok(message)
}

/// The system properties of `message` as a Java `String[]` (see the module docs).
pub(crate) fn system_array<'local>(
    env: &mut Env<'local>,
    message: &Message,
) -> JniResult<JObjectArray<'local, JString<'local>>> {
    let array = JObjectArray::<JString>::new(env, SYSTEM_COUNT, JString::null())?;
    for (index, property) in SystemProperty::ALL.into_iter().enumerate() {
        if let Some(value) = message.system(property) {
            let text = env.new_string(value)?;
            array.set_element(env, index, &text)?;
            env.delete_local_ref(text);
        }
    }
    Ok(array)
}

/// The application properties of `message` as `[name0, value0, ...]`.
pub(crate) fn property_array<'local>(
    env: &mut Env<'local>,
    message: &Message,
) -> JniResult<JObjectArray<'local, JString<'local>>> {
    let array = JObjectArray::<JString>::new(env, message.properties.len() * 2, JString::null())?;
    for (i, (name, value)) in message.properties.iter().enumerate() {
        for (offset, text) in [name, value].into_iter().enumerate() {
            let text = env.new_string(text)?;
            array.set_element(env, 2 * i + offset, &text)?;
            env.delete_local_ref(text);
        }
    }
    Ok(array)
}

/// A Java string from `value` (null for `None`).
pub(crate) fn java_string<'local>(
    env: &mut Env<'local>,
    value: Option<&str>,
) -> JniResult<JString<'local>> {
    match value {
        Some(v) => env.new_string(v),
        None => Ok(JString::null()),
    }
}
